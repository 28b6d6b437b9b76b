package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.ModelInputs;
import java.util.List;

/**
 * An encoder-decoder that copies its input: the "encoder" outputs the source tokens as floats (batch, source, 1); the
 * decoder's logits at target position p (0 = the start token) put {@code 5} on source token p and {@code 0}
 * elsewhere, and {@code 5} on EOS past the end of the source. The cache is the legacy encoder-decoder form: per layer
 * {self key, self value, cross key, cross value}, the cross entries computed once and handed back unchanged, as T5 and
 * BART do. {@link #encodeCalls} counts the encoder runs.
 */
final class CopySeq2SeqModel implements GenerationModel {
    final int vocab;
    final int eos;
    private GenerationConfig generationConfig;
    int encodeCalls;

    CopySeq2SeqModel(int vocab, int eos, GenerationConfig config) {
        this.vocab = vocab;
        this.eos = eos;
        this.generationConfig = config;
    }

    @Override
    public GenerationConfig generationConfig() {
        return generationConfig;
    }

    @Override
    public void setGenerationConfig(GenerationConfig generationConfig) {
        this.generationConfig = generationConfig;
    }

    @Override
    public boolean isEncoderDecoder() {
        return true;
    }

    @Override
    public Integer maxPositionEmbeddings() {
        return null;
    }

    @Override
    public EncoderOutput encode(ModelInputs encoderInputs) {
        encodeCalls++;
        NDArray ids = encoderInputs.inputIds();
        return new EncoderOutput(ids.toType(DataType.FLOAT32, false).expandDims(-1), null, null);
    }

    @Override
    public ModelInputs prepareInputsForGeneration(NDArray decoderInputIds, ModelKwargs kwargs) {
        List<NDArray[]> past = PastKeyValues.legacy(kwargs.pastKeyValues(), "CopySeq2SeqModel");
        if (past != null) {
            long pastLength = past.get(0)[0].getShape().get(2);
            long len = decoderInputIds.getShape().get(1);
            decoderInputIds = decoderInputIds.get(new NDIndex(":, {}:", len > pastLength ? pastLength : len - 1));
        }
        return ModelInputs.builder().decoderInputIds(decoderInputIds).pastKeyValues(past)
                .encoderHiddenStates(kwargs.encoderOutputs().lastHiddenState()).useCache(kwargs.useCache()).build();
    }

    @Override
    public GenerationStepOutput forwardForGeneration(ModelInputs inputs) {
        NDArray ids = inputs.decoderInputIds();
        NDManager m = ids.getManager();
        int batch = (int) ids.getShape().get(0);
        int news = (int) ids.getShape().get(1);
        List<NDArray[]> past = inputs.pastKeyValues();
        NDArray source = past == null ? inputs.encoderHiddenStates() : past.get(0)[2];
        int srcLen = (int) source.getShape().get(past == null ? 1 : 2);
        float[] src = source.toFloatArray();
        int pastLen = past == null ? 0 : (int) past.get(0)[0].getShape().get(2);
        float[] logits = new float[batch * news * vocab];
        for (int r = 0; r < batch; r++) {
            for (int t = 0; t < news; t++) {
                int p = pastLen + t;
                int target = p < srcLen ? (int) src[r * srcLen + p] : eos;
                logits[(r * news + t) * vocab + target] = 5f;
            }
        }
        NDArray self = ids.toType(DataType.FLOAT32, false).reshape(batch, 1, news, 1);
        if (past != null) {
            self = past.get(0)[0].concat(self, 2);
        }
        NDArray cross = past == null ? source.reshape(batch, 1, srcLen, 1) : past.get(0)[2];
        List<NDArray[]> cache = List.<NDArray[]>of(new NDArray[] {self, self.duplicate(), cross,
                past == null ? cross.duplicate() : past.get(0)[3]});
        return new GenerationStepOutput(m.create(logits, new Shape(batch, news, vocab)), cache, null, null, null);
    }
}
