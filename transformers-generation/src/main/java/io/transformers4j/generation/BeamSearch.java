package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * Beam search and beam sampling: Python's {@code _beam_search} and {@code _beam_sample}. Each step scores every
 * (beam, token) pair as the beam's running score plus the token's processed log-probability, keeps the best
 * {@code max(2, 1 + len(eos)) * num_beams} candidates per batch entry (or draws {@code 2 * num_beams} of them when
 * sampling), and lets the {@link BeamSearchScorer} pick the next beams and collect the finished hypotheses.
 */
final class BeamSearch {
    private BeamSearch() {}

    /** {@code warper} null: beam search; otherwise beam sampling with those warpers. */
    static GenerateOutput run(GenerationContext ctx, NDArray inputIds, BeamSearchScorer scorer, int batchSize,
            int numBeams, LogitsProcessorList warper) {
        ModelKwargs kw = ctx.kwargs;
        int batchBeamSize = (int) inputIds.getShape().get(0);
        int curLen = (int) inputIds.getShape().get(1);
        kw.cachePosition(GenerationContext.replace(kw.cachePosition(), ctx.arange(0, curLen)));
        if (numBeams * batchSize != batchBeamSize) {
            throw new IllegalArgumentException("Batch dimension of `input_ids` should be " + (numBeams * batchSize)
                    + ", but is " + batchBeamSize + ".");
        }
        long[][] beamIndices = ctx.returnDict && ctx.outputScores ? emptyRows(batchBeamSize) : null;

        // The first beam starts at 0 and the others at -1e9, so step one does not pick the same token num_beams times
        // (beam sampling starts all beams at 0: its draws differ anyway).
        float[] beamScores = new float[batchBeamSize];
        if (warper == null) {
            for (int i = 0; i < batchBeamSize; i++) {
                beamScores[i] = i % numBeams == 0 ? 0f : -1e9f;
            }
        }
        int decoderPromptLen = curLen;
        long[] lastTokens = new long[0];
        long[] lastIndices = new long[0];

        boolean thisPeerFinished = false;
        while (!thisPeerFinished) {
            try (NDScope scope = new NDScope()) {
                GenerationStepOutput outputs = ctx.forward(inputIds);
                NDArray nextTokenLogits = outputs.logits().get(new NDIndex(":, -1, :"));
                NDArray nextTokenScores = nextTokenLogits.logSoftmax(-1); // (batch * num_beams, vocab)
                NDArray processed = ctx.logitsProcessor.process(inputIds, nextTokenScores);
                if (warper != null) {
                    processed = warper.process(inputIds, processed);
                }
                NDArray running = ctx.work.create(beamScores, new Shape(batchBeamSize, 1));
                NDArray scores = processed.add(running);
                ctx.record(processed, nextTokenLogits, outputs);

                int vocab = (int) scores.getShape().get(1);
                NDArray flat = scores.reshape(batchSize, (long) numBeams * vocab);
                NDArray candidateScores;
                long[] candidates;
                int width;
                if (warper == null) {
                    width = Math.max(2, 1 + ctx.numEos()) * numBeams;
                    NDList top = flat.topK(width, 1, true, true);
                    candidateScores = top.get(0);
                    candidates = GenerationContext.longs(top.get(1));
                } else {
                    width = 2 * numBeams;
                    long[][] drawn = TokenSampler.sampleWithoutReplacement(flat, width, ctx.random);
                    float[] flatScores = GenUtil.floats(flat);
                    // gather the drawn candidates' scores, then sort them (descending) as torch.sort does
                    float[] s = new float[batchSize * width];
                    candidates = new long[batchSize * width];
                    for (int b = 0; b < batchSize; b++) {
                        Integer[] order = new Integer[width];
                        for (int j = 0; j < width; j++) {
                            order[j] = j;
                        }
                        final int row = b;
                        Arrays.sort(order, (x, y) -> Float.compare(flatScores[row * numBeams * vocab
                                + (int) drawn[row][y]], flatScores[row * numBeams * vocab + (int) drawn[row][x]]));
                        for (int j = 0; j < width; j++) {
                            long token = drawn[b][order[j]];
                            candidates[b * width + j] = token;
                            s[b * width + j] = flatScores[b * numBeams * vocab + (int) token];
                        }
                    }
                    candidateScores = ctx.work.create(s, new Shape(batchSize, width));
                }
                long[] nextIndices = new long[candidates.length];
                long[] nextTokens = new long[candidates.length];
                for (int i = 0; i < candidates.length; i++) {
                    nextIndices[i] = Math.floorDiv(candidates[i], vocab);
                    nextTokens[i] = Math.floorMod(candidates[i], vocab);
                }
                Shape candShape = new Shape(batchSize, width);
                BeamScorer.StepOutput step = scorer.process(inputIds, candidateScores,
                        ctx.work.create(nextTokens, candShape), ctx.work.create(nextIndices, candShape),
                        ctx.padTokenId, ctx.eosTokenId, beamIndices, 0, decoderPromptLen);
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
                    beamIndices = extend(beamIndices, beamIdx);
                }
                lastTokens = nextTokens;
                lastIndices = nextIndices;
                thisPeerFinished = scorer.isDone()
                        || GenerationContext.all(ctx.stoppingCriteria.isDone(inputIds, processed));
            }
        }
        return finish(ctx, scorer, inputIds, beamScores, lastTokens, lastIndices, beamIndices, decoderPromptLen);
    }

    /** Python's {@code beam_scorer.finalize(...)} and the output record. */
    static GenerateOutput finish(GenerationContext ctx, BeamScorer scorer, NDArray inputIds, float[] beamScores,
            long[] lastTokens, long[] lastIndices, long[][] beamIndices, int decoderPromptLen) {
        try (NDScope scope = new NDScope()) {
            BeamScorer.FinalOutput fo = scorer.finalize(inputIds, ctx.work.create(beamScores),
                    ctx.work.create(lastTokens), ctx.work.create(lastIndices), ctx.stoppingCriteria.maxLength(),
                    ctx.padTokenId, ctx.eosTokenId, beamIndices, decoderPromptLen);
            return ctx.beamOutput(fo, ctx.kwargs.pastKeyValues());
        }
    }

    /** Python's tuple of {@code batch_beam_size} empty tuples. */
    static long[][] emptyRows(int n) {
        long[][] rows = new long[n][];
        for (int i = 0; i < n; i++) {
            rows[i] = new long[0];
        }
        return rows;
    }

    /** {@code beam_indices[beam_idx[i]] + (beam_idx[i],)} for every row. */
    static long[][] extend(long[][] beamIndices, long[] beamIdx) {
        long[][] next = new long[beamIdx.length][];
        for (int i = 0; i < beamIdx.length; i++) {
            next[i] = BeamSearchScorer.append(beamIndices[(int) beamIdx[i]], beamIdx[i]);
        }
        return next;
    }
}
