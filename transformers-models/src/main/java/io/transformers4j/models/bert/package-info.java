/**
 * BERT, ported from Python transformers 4.39 {@code models/bert/configuration_bert.py} and {@code modeling_bert.py}.
 *
 * <p>Read it in the Python file's order: {@link io.transformers4j.models.bert.BertConfig}; the package-private layers
 * {@code BertEmbeddings}, {@code BertSelfAttention}, {@code BertSelfOutput}, {@code BertAttention},
 * {@code BertIntermediate}, {@code BertOutput}, {@code BertLayer}, {@code BertEncoder}, {@code BertPooler},
 * {@code BertPredictionHeadTransform}, {@code BertLMPredictionHead}, {@code BertOnlyMLMHead}, {@code BertOnlyNSPHead},
 * {@code BertPreTrainingHeads}; then {@link io.transformers4j.models.bert.BertPreTrainedModel} and the public models
 * {@link io.transformers4j.models.bert.BertModel}, {@link io.transformers4j.models.bert.BertForPreTraining},
 * {@link io.transformers4j.models.bert.BertLMHeadModel}, {@link io.transformers4j.models.bert.BertForMaskedLM},
 * {@link io.transformers4j.models.bert.BertForNextSentencePrediction},
 * {@link io.transformers4j.models.bert.BertForSequenceClassification},
 * {@link io.transformers4j.models.bert.BertForMultipleChoice},
 * {@link io.transformers4j.models.bert.BertForTokenClassification},
 * {@link io.transformers4j.models.bert.BertForQuestionAnswering}. {@link io.transformers4j.models.bert.BertFamily}
 * registers them with the Auto classes.
 *
 * <p>Field names follow the Python attributes, which are the checkpoint keys ({@code bert.encoder.layer.0.attention.
 * self.query.weight}). Inference only: dropout is the identity and is left out; attention is eager (masks add
 * finfo(dtype).min, so fully masked rows softmax to uniform weights, as in Python). Not ported: head pruning,
 * gradient checkpointing, TensorFlow checkpoint conversion.
 */
package io.transformers4j.models.bert;
