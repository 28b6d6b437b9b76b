/**
 * Mistral (models/mistral/modeling_mistral.py, transformers 4.39): Llama's layout with grouped-query attention by
 * default and a sliding attention window applied by the eager mask. Classes in Python's order:
 * {@link io.transformers4j.models.mistral.MistralConfig}, {@code MistralRMSNorm}, {@code MistralRotaryEmbedding},
 * {@code MistralMLP}, {@code MistralAttention}, {@code MistralDecoderLayer},
 * {@link io.transformers4j.models.mistral.MistralModel}, {@link io.transformers4j.models.mistral.MistralForCausalLM}
 * and {@link io.transformers4j.models.mistral.MistralForSequenceClassification}.
 */
package io.transformers4j.models.mistral;
