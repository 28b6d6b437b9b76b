/**
 * The generic output records of Python's {@code modeling_outputs.py}, shared by every architecture. Each record's
 * {@code toMap()} flattens it to Python's attribute names ({@code last_hidden_state}, {@code hidden_states.0}, ...,
 * {@code past_key_values.<layer>.<j>}); closing a record closes every tensor it holds.
 *
 * <p>Tuples are {@code List<NDArray>} (null when not requested); the legacy cache {@code past_key_values} is a
 * {@code List<NDArray[]>}: per layer {self key, self value} (and, for decoders with cross-attention, {cross key, cross
 * value} after them), each (batch, heads, seq, head_dim).
 */
package io.transformers4j.modeling.outputs;
