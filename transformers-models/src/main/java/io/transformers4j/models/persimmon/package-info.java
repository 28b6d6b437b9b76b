/**
 * Persimmon (models/persimmon/modeling_persimmon.py, transformers 4.39): LayerNorm decoder with a fused
 * query/key/value projection, query/key LayerNorm, rotary embeddings on part of each head and a squared-ReLU MLP.
 * Classes in Python's order: {@link io.transformers4j.models.persimmon.PersimmonConfig},
 * {@code PersimmonRotaryEmbedding}, {@code PersimmonMLP}, {@code PersimmonAttention}, {@code PersimmonDecoderLayer},
 * {@link io.transformers4j.models.persimmon.PersimmonModel},
 * {@link io.transformers4j.models.persimmon.PersimmonForCausalLM} and
 * {@link io.transformers4j.models.persimmon.PersimmonForSequenceClassification}.
 */
package io.transformers4j.models.persimmon;
