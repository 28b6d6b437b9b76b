/**
 * Llama (models/llama/modeling_llama.py, transformers 4.39), read top to bottom like the Python file:
 * {@link io.transformers4j.models.llama.LlamaConfig}, {@code LlamaRMSNorm}, {@code LlamaRotaryEmbedding} (with the
 * linear and dynamic-NTK {@code rope_scaling} variants), {@code LlamaMLP}, {@code LlamaAttention} (grouped-query,
 * eager), {@code LlamaDecoderLayer}, {@link io.transformers4j.models.llama.LlamaModel},
 * {@link io.transformers4j.models.llama.LlamaForCausalLM} and
 * {@link io.transformers4j.models.llama.LlamaForSequenceClassification}.
 */
package io.transformers4j.models.llama;
