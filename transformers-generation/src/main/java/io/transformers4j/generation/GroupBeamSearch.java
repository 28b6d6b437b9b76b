package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * Diverse beam search: Python's {@code _group_beam_search}. The beams are split into {@code num_beam_groups} groups
 * searched one after the other within each step; {@link HammingDiversityLogitsProcessor} (given the tokens the earlier
 * groups chose this step, {@code current_tokens}) pushes later groups away from them.
 */
final class GroupBeamSearch {
    private GroupBeamSearch() {}

    static GenerateOutput run(GenerationContext ctx, NDArray inputIds, BeamSearchScorer scorer, int batchSize,
            int numBeams, int numBeamGroups) {
        ModelKwargs kw = ctx.kwargs;
        int numSubBeams = numBeams / numBeamGroups;
        int batchBeamSize = (int) inputIds.getShape().get(0);
        int curLen = (int) inputIds.getShape().get(1);
        kw.cachePosition(GenerationContext.replace(kw.cachePosition(), ctx.arange(0, curLen)));
        long[][][] beamIndices = null;
        if (ctx.returnDict && ctx.outputScores) {
            beamIndices = new long[numBeamGroups][][];
            for (int g = 0; g < numBeamGroups; g++) {
                beamIndices[g] = BeamSearch.emptyRows(numSubBeams * batchSize);
            }
        }
        if (numBeams * batchSize != batchBeamSize) {
            throw new IllegalArgumentException("Batch dimension of `input_ids` should be " + (numBeams * batchSize)
                    + ", but is " + batchBeamSize + ".");
        }
        // the first beam of each group starts at 0, the others at -1e9: groups do not repeat themselves at step one
        float[] beamScores = new float[batchBeamSize];
        for (int i = 0; i < batchBeamSize; i++) {
            beamScores[i] = (i % numBeams) % numSubBeams == 0 ? 0f : -1e9f;
        }
        int decoderPromptLen = curLen;
        long[] lastTokens = new long[0];
        long[] lastIndices = new long[0];

        boolean thisPeerFinished = false;
        while (!thisPeerFinished) {
            try (NDScope scope = new NDScope()) {
                long[] currentTokens = new long[batchBeamSize];
                long[] reorderingIndices = new long[batchBeamSize];
                GenerationStepOutput outputs = ctx.forward(inputIds);
                NDArray lastLogits = outputs.logits().get(new NDIndex(":, -1, :"));
                int vocab = (int) lastLogits.getShape().get(1);
                float[] processedScore = ctx.outputScores ? new float[batchBeamSize * vocab] : null;
                long[][] ids = GenUtil.rows(inputIds, "input_ids");
                NDArray lastProcessed = null;

                for (int g = 0; g < numBeamGroups; g++) {
                    int groupStart = g * numSubBeams;
                    int groupEnd = Math.min(groupStart + numSubBeams, numBeams);
                    int groupSize = groupEnd - groupStart;
                    // rows of this group's beams across the batch
                    long[] batchGroupIndices = new long[batchSize * groupSize];
                    int n = 0;
                    for (int b = 0; b < batchSize; b++) {
                        for (int idx = groupStart; idx < groupEnd; idx++) {
                            batchGroupIndices[n++] = (long) b * numBeams + idx;
                        }
                    }
                    NDArray groupInputIds = ctx.selectRows(inputIds, batchGroupIndices);
                    NDArray nextTokenLogits = ctx.selectRows(lastLogits, batchGroupIndices);
                    NDArray nextTokenScores = nextTokenLogits.logSoftmax(-1); // (batch * group_size, vocab)
                    NDArray current = ctx.work.create(currentTokens);
                    NDArray processed = ctx.logitsProcessor.process(groupInputIds, nextTokenScores,
                            Map.of("current_tokens", current, "beam_group_idx", g));
                    lastProcessed = processed;
                    float[] groupRunning = new float[batchGroupIndices.length];
                    for (int i = 0; i < groupRunning.length; i++) {
                        groupRunning[i] = beamScores[(int) batchGroupIndices[i]];
                    }
                    NDArray scores = processed.add(ctx.work.create(groupRunning, new Shape(groupRunning.length, 1)));
                    if (processedScore != null) {
                        float[] p = GenUtil.floats(processed);
                        for (int i = 0; i < batchGroupIndices.length; i++) {
                            System.arraycopy(p, i * vocab, processedScore, (int) batchGroupIndices[i] * vocab, vocab);
                        }
                    }
                    NDArray flat = scores.reshape(batchSize, (long) groupSize * vocab);
                    int width = Math.max(2, 1 + ctx.numEos()) * groupSize;
                    NDList top = flat.topK(width, 1, true, true);
                    long[] candidates = GenerationContext.longs(top.get(1));
                    long[] nextIndices = new long[candidates.length];
                    long[] nextTokens = new long[candidates.length];
                    for (int i = 0; i < candidates.length; i++) {
                        nextIndices[i] = Math.floorDiv(candidates[i], vocab);
                        nextTokens[i] = Math.floorMod(candidates[i], vocab);
                    }
                    Shape candShape = new Shape(batchSize, width);
                    long[][] processBeamIndices = beamIndices == null ? null : concat(beamIndices);
                    BeamScorer.StepOutput step = scorer.process(groupInputIds, top.get(0),
                            ctx.work.create(nextTokens, candShape), ctx.work.create(nextIndices, candShape),
                            ctx.padTokenId, ctx.eosTokenId, processBeamIndices, g, decoderPromptLen);
                    float[] nextBeamScores = GenUtil.floats(step.nextBeamScores());
                    long[] beamNextTokens = GenerationContext.longs(step.nextBeamTokens());
                    long[] beamIdx = GenerationContext.longs(step.nextBeamIndices());
                    for (int i = 0; i < batchGroupIndices.length; i++) {
                        beamScores[(int) batchGroupIndices[i]] = nextBeamScores[i];
                    }
                    if (beamIndices != null) {
                        beamIndices[g] = BeamSearch.extend(beamIndices[g], beamIdx);
                    }
                    // input_ids[batch_group_indices] = group_input_ids[beam_idx]; the chosen tokens become this
                    // group's current tokens; the cache rows follow (batch entry, offset in group)
                    long[][] groupRows = new long[batchGroupIndices.length][];
                    for (int i = 0; i < batchGroupIndices.length; i++) {
                        groupRows[i] = ids[(int) batchGroupIndices[(int) beamIdx[i]]];
                    }
                    for (int i = 0; i < batchGroupIndices.length; i++) {
                        int row = (int) batchGroupIndices[i];
                        ids[row] = groupRows[i];
                        currentTokens[row] = beamNextTokens[i];
                        reorderingIndices[row] = (long) numBeams * Math.floorDiv(beamIdx[i], groupSize) + groupStart
                                + Math.floorMod(beamIdx[i], groupSize);
                    }
                    lastTokens = nextTokens;
                    lastIndices = nextIndices;
                }

                NDArray processedAll = processedScore == null ? lastProcessed
                        : ctx.work.create(processedScore, new Shape(batchBeamSize, vocab));
                ctx.record(processedAll, lastLogits, outputs);

                long[] flatIds = new long[batchBeamSize * (curLen + 1)];
                for (int r = 0; r < batchBeamSize; r++) {
                    System.arraycopy(ids[r], 0, flatIds, r * (curLen + 1), curLen);
                    flatIds[r * (curLen + 1) + curLen] = currentTokens[r];
                }
                inputIds = GenerationContext.replace(inputIds,
                        ctx.work.create(flatIds, new Shape(batchBeamSize, curLen + 1)));
                ctx.updateModelKwargs(outputs);
                if (kw.pastKeyValues() != null) {
                    ctx.replaceCache(ctx.model.reorderCache(kw.pastKeyValues(), ctx.work.create(reorderingIndices)));
                }
                curLen++;
                thisPeerFinished = scorer.isDone()
                        || GenerationContext.all(ctx.stoppingCriteria.isDone(inputIds, processedAll));
            }
        }
        long[][] finalBeamIndices = beamIndices == null ? null : concat(beamIndices);
        return BeamSearch.finish(ctx, scorer, inputIds, beamScores, lastTokens, lastIndices, finalBeamIndices,
                decoderPromptLen);
    }

    /** Python's {@code sum(beam_indices, ())}: the groups' rows one after the other. */
    private static long[][] concat(long[][][] groups) {
        int n = 0;
        for (long[][] g : groups) {
            n += g.length;
        }
        long[][] out = new long[n][];
        int i = 0;
        for (long[][] g : groups) {
            for (long[] row : g) {
                out[i++] = row;
            }
        }
        return out;
    }
}
