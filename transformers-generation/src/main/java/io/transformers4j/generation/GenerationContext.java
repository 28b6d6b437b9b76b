package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.modeling.ModelInputs;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The state one {@code generate()} call shares between its steps: the model, the prepared processors and criteria,
 * Python's {@code model_kwargs}, and what is recorded for the output. The strategies ({@link GreedySearch},
 * {@link BeamSearch}, ...) are Python's {@code _greedy_search}, {@code _beam_search}, ... over it.
 *
 * <p>Native memory: every tensor of the call lives in {@link #work}, a sub-manager of the caller's, closed when the
 * call ends. Each decoding step runs in an {@link NDScope}; what must outlive the step (the next input ids, masks,
 * recorded scores) is {@link #keep kept}, and loop state that is replaced is closed at once ({@link #replace}) so a
 * long generation's memory stays flat. The cache of the legacy form is owned here too: its replaced tensors are
 * closed after each step ({@link PastKeyValues#closeReplaced}).
 */
final class GenerationContext {
    final GenerationModel model;
    final GenerationConfig config;
    final NDManager work;
    final ModelKwargs kwargs;
    final LogitsProcessorList logitsProcessor;
    final StoppingCriteriaList stoppingCriteria;
    final BaseStreamer streamer;
    final Random random;
    final Integer padTokenId;
    final List<Integer> eosTokenId;
    final boolean encoderDecoder;
    final boolean returnDict;
    final boolean outputScores;
    final boolean outputLogits;
    final boolean outputAttentions;
    final boolean outputHiddenStates;

    // what the output records, one entry per generated step (Python's tuples)
    final List<NDArray> scores;
    final List<NDArray> rawLogits;
    final List<List<NDArray>> decoderAttentions;
    final List<List<NDArray>> crossAttentions;
    final List<List<NDArray>> decoderHiddenStates;

    GenerationContext(GenerationModel model, GenerationConfig config, NDManager work, ModelKwargs kwargs,
            LogitsProcessorList logitsProcessor, StoppingCriteriaList stoppingCriteria, BaseStreamer streamer,
            Random random) {
        this.model = model;
        this.config = config;
        this.work = work;
        this.kwargs = kwargs;
        this.logitsProcessor = logitsProcessor == null ? new LogitsProcessorList() : logitsProcessor;
        this.stoppingCriteria = stoppingCriteria == null ? new StoppingCriteriaList() : stoppingCriteria;
        this.streamer = streamer;
        this.random = random;
        this.padTokenId = config.padTokenId();
        this.eosTokenId = config.eosTokenId();
        this.encoderDecoder = model.isEncoderDecoder();
        this.returnDict = config.returnDictInGenerate();
        this.outputScores = config.outputScores();
        this.outputLogits = Boolean.TRUE.equals(config.outputLogits());
        this.outputAttentions = config.outputAttentions();
        this.outputHiddenStates = config.outputHiddenStates();
        this.scores = returnDict && outputScores ? new ArrayList<>() : null;
        this.rawLogits = returnDict && outputLogits ? new ArrayList<>() : null;
        this.decoderAttentions = returnDict && outputAttentions ? new ArrayList<>() : null;
        this.crossAttentions = returnDict && outputAttentions ? new ArrayList<>() : null;
        this.decoderHiddenStates = returnDict && outputHiddenStates ? new ArrayList<>() : null;
    }

    // ---------------------------------------------------------------- one model step

    /**
     * Python's {@code model_inputs = self.prepare_inputs_for_generation(input_ids, **model_kwargs)} then
     * {@code self(**model_inputs, output_attentions=..., output_hidden_states=...)}. The returned logits, hidden states
     * and attentions are registered in the current step's scope (keep what must survive); the cache's tensors are moved
     * to {@link #work} and left to the cache bookkeeping.
     */
    GenerationStepOutput forward(NDArray inputIds, ModelKwargs kw, boolean withAttentions, boolean withHiddenStates) {
        return run(model.prepareInputsForGeneration(inputIds, kw).toBuilder(), withAttentions, withHiddenStates);
    }

    private GenerationStepOutput run(ModelInputs.Builder prepared, boolean withAttentions, boolean withHiddenStates) {
        ModelInputs in = prepared.set("output_attentions", withAttentions)
                .set("output_hidden_states", withHiddenStates).build();
        GenerationStepOutput out = model.forwardForGeneration(in);
        register(out.logits());
        registerAll(out.hiddenStates());
        registerAll(out.attentions());
        registerAll(out.crossAttentions());
        keepCache(out.pastKeyValues());
        return out;
    }

    /**
     * A step whose caller reads only the last position's logits (greedy, sampling, the beam searches): models that
     * accept {@code num_logits_to_keep} compute the LM head on that position alone.
     */
    GenerationStepOutput forward(NDArray inputIds) {
        return forwardLastLogits(inputIds, kwargs, outputAttentions, outputHiddenStates);
    }

    /** {@link #forward(NDArray, ModelKwargs, boolean, boolean)} for a caller that reads only the last logits. */
    GenerationStepOutput forwardLastLogits(NDArray inputIds, ModelKwargs kw, boolean withAttentions,
            boolean withHiddenStates) {
        if (!model.acceptsNumLogitsToKeep()) {
            return forward(inputIds, kw, withAttentions, withHiddenStates);
        }
        ModelInputs prepared = model.prepareInputsForGeneration(inputIds, kw);
        return run(prepared.toBuilder().set("num_logits_to_keep", 1), withAttentions, withHiddenStates);
    }

    /**
     * Python's {@code _update_model_kwargs_for_generation}: the step's cache becomes the next step's
     * {@code past_key_values}, token_type_ids and the attention mask (decoder mask for encoder-decoders) grow by one
     * column, {@code cache_position} moves one past its last entry.
     */
    void updateModelKwargs(GenerationStepOutput out) {
        replaceCache(out.pastKeyValues());
        NDArray tt = kwargs.tokenTypeIds();
        if (tt != null) {
            kwargs.tokenTypeIds(replace(tt, tt.concat(tt.get(new NDIndex(":, -1:")), -1)));
        }
        if (!encoderDecoder) {
            NDArray mask = kwargs.attentionMask();
            if (mask != null) {
                kwargs.attentionMask(replace(mask, appendOnes(mask, 1)));
            }
        } else {
            NDArray mask = kwargs.decoderAttentionMask();
            if (mask != null) {
                kwargs.decoderAttentionMask(replace(mask, appendOnes(mask, 1)));
            }
        }
        NDArray cp = kwargs.cachePosition();
        if (cp != null) {
            kwargs.cachePosition(replace(cp, cp.get(new NDIndex("-1:")).add(1)));
        }
    }

    /** The cache after a step changed it (reordered, cropped): closes what the old one held and the new does not. */
    void replaceCache(Object replacement) {
        Object old = kwargs.pastKeyValues();
        kwargs.pastKeyValues(replacement);
        keepCache(replacement);
        PastKeyValues.closeReplaced(old, replacement);
    }

    /** A legacy cache's tensors outlive the step that made them: out of the step's scope, into {@link #work}. */
    void keepCache(Object past) {
        for (NDArray t : PastKeyValues.tensors(past)) {
            NDScope.unregister(t);
            t.attach(work);
        }
    }

    // ---------------------------------------------------------------- recording

    /** Records one step of a non-beam method (Python's "Store scores, attentions and hidden_states when required"). */
    void record(NDArray processedScores, NDArray rawStepLogits, GenerationStepOutput out) {
        if (!returnDict) {
            return;
        }
        if (outputScores) {
            scores.add(keep(processedScores));
        }
        if (outputLogits) {
            rawLogits.add(keep(contiguous(rawStepLogits)));
        }
        recordModelOutputs(out);
    }

    void recordModelOutputs(GenerationStepOutput out) {
        if (!returnDict) {
            return;
        }
        if (outputAttentions) {
            decoderAttentions.add(keepAll(out.attentions()));
            if (encoderDecoder) {
                crossAttentions.add(keepAll(out.crossAttentions()));
            }
        }
        if (outputHiddenStates) {
            decoderHiddenStates.add(keepAll(out.hiddenStates()));
        }
    }

    /**
     * A row of logits read as {@code logits[:, -1, :]} is a view of the whole (batch, seq, vocab) tensor; recording a
     * copy lets the prompt's logits go after the first step.
     */
    private static NDArray contiguous(NDArray a) {
        return a.duplicate();
    }

    /** The output record of a non-beam method (Python's GenerateDecoderOnlyOutput / GenerateEncoderDecoderOutput). */
    GenerateOutput nonBeamOutput(NDArray sequences, Object pastKeyValues) {
        keep(sequences);
        if (!returnDict) {
            return encoderDecoder
                    ? new GenerateEncoderDecoderOutput(sequences, null, null, null, null, null, null, null, null)
                    : new GenerateDecoderOnlyOutput(sequences, null, null, null, null, null);
        }
        if (encoderDecoder) {
            EncoderOutput enc = kwargs.encoderOutputs();
            return new GenerateEncoderDecoderOutput(sequences, scores, rawLogits,
                    outputAttentions && enc != null ? enc.attentions() : null,
                    outputHiddenStates && enc != null ? enc.hiddenStates() : null, decoderAttentions,
                    crossAttentions, decoderHiddenStates, pastKeyValues);
        }
        return new GenerateDecoderOnlyOutput(sequences, scores, rawLogits, decoderAttentions, decoderHiddenStates,
                pastKeyValues);
    }

    /** The output record of a beam method (Python's GenerateBeamDecoderOnlyOutput / ...EncoderDecoderOutput). */
    GenerateOutput beamOutput(BeamScorer.FinalOutput fo, Object pastKeyValues) {
        NDArray sequences = keep(fo.sequences());
        if (!returnDict) {
            closeQuietly(fo.sequenceScores());
            closeQuietly(fo.beamIndices());
            return encoderDecoder
                    ? new GenerateBeamEncoderDecoderOutput(sequences, null, null, null, null, null, null, null,
                            null, null, null)
                    : new GenerateBeamDecoderOnlyOutput(sequences, null, null, null, null, null, null, null);
        }
        NDArray sequenceScores = outputScores ? keep(fo.sequenceScores()) : null;
        if (!outputScores) {
            closeQuietly(fo.sequenceScores());
        }
        NDArray beamIndices = fo.beamIndices() == null ? null : keep(fo.beamIndices());
        if (encoderDecoder) {
            EncoderOutput enc = kwargs.encoderOutputs();
            return new GenerateBeamEncoderDecoderOutput(sequences, sequenceScores, scores, rawLogits, beamIndices,
                    outputAttentions && enc != null ? enc.attentions() : null,
                    outputHiddenStates && enc != null ? enc.hiddenStates() : null, decoderAttentions,
                    crossAttentions, decoderHiddenStates, pastKeyValues);
        }
        return new GenerateBeamDecoderOnlyOutput(sequences, sequenceScores, scores, rawLogits, beamIndices,
                decoderAttentions, decoderHiddenStates, pastKeyValues);
    }

    // ---------------------------------------------------------------- small helpers

    /** Python's {@code eos_token_id is not None} check of the non-beam loops. */
    void requirePadForEos() {
        if (eosTokenId != null && padTokenId == null) {
            throw new IllegalArgumentException("If `eos_token_id` is defined, make sure that `pad_token_id` is defined.");
        }
    }

    boolean isEos(long token) {
        if (eosTokenId == null) {
            return false;
        }
        for (int e : eosTokenId) {
            if (e == token) {
                return true;
            }
        }
        return false;
    }

    /** Number of EOS ids (Python's {@code len(eos_token_id) if eos_token_id else 0}). */
    int numEos() {
        return eosTokenId == null ? 0 : eosTokenId.size();
    }

    /** {@code torch.arange(n)} as int64, in {@link #work}. */
    NDArray arange(long from, long to) {
        return work.arange(from, to, 1, DataType.INT64);
    }

    /** (rows, 1) int64 tensor of {@code tokens}, appended to {@code ids} (batch, len) -> (batch, len + 1). */
    NDArray appendColumn(NDArray ids, long[] tokens) {
        try (NDArray col = work.create(tokens, new Shape(tokens.length, 1))) {
            return ids.concat(col, 1);
        }
    }

    /** {@code torch.cat([mask, mask.new_ones((batch, n))], dim=-1)}. */
    static NDArray appendOnes(NDArray mask, long n) {
        try (NDArray ones = mask.getManager().ones(new Shape(mask.getShape().get(0), n), mask.getDataType())) {
            return mask.concat(ones, -1);
        }
    }

    /** Rows {@code rows} of {@code x} (Python's {@code x[rows]} / {@code index_select(0, rows)}). */
    NDArray selectRows(NDArray x, long[] rows) {
        try (NDArray idx = work.create(rows)) {
            return x.get(new NDIndex("{}", idx));
        }
    }

    /** Each row repeated {@code n} times in place (Python's {@code repeat_interleave(n, dim=0)}). */
    NDArray repeatInterleave(NDArray x, int n) {
        long b = x.getShape().get(0);
        long[] rows = new long[(int) (b * n)];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = i / n;
        }
        return selectRows(x, rows);
    }

    /** Keeps {@code a} beyond the current step's scope (it stays in {@link #work} until the call ends). */
    static NDArray keep(NDArray a) {
        if (a != null) {
            NDScope.unregister(a);
        }
        return a;
    }

    static List<NDArray> keepAll(List<NDArray> list) {
        if (list != null) {
            list.forEach(GenerationContext::keep);
        }
        return list;
    }

    /** Keeps {@code replacement} and closes {@code old} (loop state that a step replaced). */
    static NDArray replace(NDArray old, NDArray replacement) {
        keep(replacement);
        if (old != null && old != replacement) {
            old.close();
        }
        return replacement;
    }

    static void register(NDArray a) {
        if (a != null) {
            NDScope.register(a);
        }
    }

    static void registerAll(List<NDArray> list) {
        if (list != null) {
            list.forEach(GenerationContext::register);
        }
    }

    static void closeQuietly(NDArray a) {
        if (a != null) {
            a.close();
        }
    }

    static long[] longs(NDArray a) {
        return a.getDataType() == DataType.INT64 ? a.toLongArray() : a.toType(DataType.INT64, false).toLongArray();
    }

    static boolean all(boolean[] b) {
        for (boolean x : b) {
            if (!x) {
                return false;
            }
        }
        return true;
    }
}
