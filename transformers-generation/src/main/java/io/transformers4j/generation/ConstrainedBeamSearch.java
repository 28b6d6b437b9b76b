package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;

/**
 * Constrained beam search: Python's {@code _constrained_beam_search}. Beam search whose
 * {@link ConstrainedBeamSearchScorer} mixes the top candidates with tokens that advance the constraints
 * ({@code force_words_ids}, {@code constraints}) and only accepts finished hypotheses that fulfil them all. Unlike
 * {@code _beam_search}, Python records the step scores with the running beam scores added.
 */
final class ConstrainedBeamSearch {
    private ConstrainedBeamSearch() {}

    static GenerateOutput run(GenerationContext ctx, NDArray inputIds, ConstrainedBeamSearchScorer scorer,
            int batchSize, int numBeams) {
        ModelKwargs kw = ctx.kwargs;
        int batchBeamSize = (int) inputIds.getShape().get(0);
        int curLen = (int) inputIds.getShape().get(1);
        kw.cachePosition(GenerationContext.replace(kw.cachePosition(), ctx.arange(0, curLen)));
        if (numBeams * batchSize != batchBeamSize) {
            throw new IllegalArgumentException("Batch dimension of `input_ids` should be " + (numBeams * batchSize)
                    + ", but is " + batchBeamSize + ".");
        }
        long[][] beamIndices = ctx.returnDict && ctx.outputScores ? BeamSearch.emptyRows(batchBeamSize) : null;
        float[] beamScores = new float[batchBeamSize];
        for (int i = 0; i < batchBeamSize; i++) {
            beamScores[i] = i % numBeams == 0 ? 0f : -1e9f;
        }
        int decoderPromptLen = curLen;
        long[] lastTokens = new long[0];
        long[] lastIndices = new long[0];

        boolean thisPeerFinished = false;
        while (!thisPeerFinished) {
            try (NDScope scope = new NDScope()) {
                GenerationStepOutput outputs = ctx.forward(inputIds);
                NDArray nextTokenLogits = outputs.logits().get(new NDIndex(":, -1, :"));
                NDArray nextTokenScores = nextTokenLogits.logSoftmax(-1);
                NDArray processed = ctx.logitsProcessor.process(inputIds, nextTokenScores);
                NDArray scores = processed.add(ctx.work.create(beamScores, new Shape(batchBeamSize, 1)));
                // scores_for_all_vocab = next_token_scores.clone(): the scorer reads it, `scores` is recorded
                NDArray scoresForAllVocab = scores;
                ctx.record(scores, nextTokenLogits, outputs);

                int vocab = (int) scores.getShape().get(1);
                NDArray flat = scores.reshape(batchSize, (long) numBeams * vocab);
                int width = Math.max(2, 1 + ctx.numEos()) * numBeams;
                NDList top = flat.topK(width, 1, true, true);
                long[] candidates = GenerationContext.longs(top.get(1));
                long[] nextIndices = new long[candidates.length];
                long[] nextTokens = new long[candidates.length];
                for (int i = 0; i < candidates.length; i++) {
                    // Python: (next_tokens / vocab_size).long(), the same as floor for these non-negative indices
                    nextIndices[i] = candidates[i] / vocab;
                    nextTokens[i] = candidates[i] % vocab;
                }
                Shape candShape = new Shape(batchSize, width);
                BeamScorer.StepOutput step = scorer.process(inputIds, top.get(0),
                        ctx.work.create(nextTokens, candShape), ctx.work.create(nextIndices, candShape),
                        scoresForAllVocab, ctx.padTokenId, ctx.eosTokenId, beamIndices, decoderPromptLen);
                beamScores = GenUtil.floats(step.nextBeamScores());
                long[] beamNextTokens = GenerationContext.longs(step.nextBeamTokens());
                long[] beamIdx = GenerationContext.longs(step.nextBeamIndices());

                NDArray reordered = ctx.selectRows(inputIds, beamIdx);
                inputIds = GenerationContext.replace(inputIds, ctx.appendColumn(reordered, beamNextTokens));
                ctx.updateModelKwargs(outputs);
                if (kw.pastKeyValues() != null) {
                    ctx.replaceCache(ctx.model.reorderCache(kw.pastKeyValues(), step.nextBeamIndices()));
                }
                if (beamIndices != null) {
                    beamIndices = BeamSearch.extend(beamIndices, beamIdx);
                }
                lastTokens = nextTokens;
                lastIndices = nextIndices;
                thisPeerFinished = scorer.isDone()
                        || GenerationContext.all(ctx.stoppingCriteria.isDone(inputIds, scores));
            }
        }
        return BeamSearch.finish(ctx, scorer, inputIds, beamScores, lastTokens, lastIndices, beamIndices,
                decoderPromptLen);
    }
}
