/**
 * The generic encoder-decoder composite, ported from Python transformers 4.39
 * {@code models/encoder_decoder/configuration_encoder_decoder.py} and {@code modeling_encoder_decoder.py}:
 * {@link io.transformers4j.models.encoder_decoder.EncoderDecoderConfig} (the encoder's and decoder's configs nested),
 * {@link io.transformers4j.models.encoder_decoder.EncoderDecoderModel} (any AutoModel as encoder, any
 * AutoModelForCausalLM with cross-attention as decoder, e.g. bert2bert) and
 * {@link io.transformers4j.models.encoder_decoder.EncoderDecoderFamily} (model_type "encoder-decoder",
 * AutoModelForSeq2SeqLM).
 *
 * <p>The parts are built over prefixed views of the composite's weights ({@code encoder.*}, {@code decoder.*}), so the
 * composite loads, reports and saves one checkpoint; {@code fromEncoderDecoderPretrained} instead mounts each part's
 * own checkpoint under its prefix. Not ported: tie_encoder_decoder, prebuilt parts as constructor arguments,
 * TensorFlow checkpoints.
 */
package io.transformers4j.models.encoder_decoder;
