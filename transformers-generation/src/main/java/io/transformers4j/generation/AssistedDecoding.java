package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Assisted generation: Python's {@code _assisted_decoding}. A {@link CandidateGenerator} proposes several tokens, one
 * forward of the main model scores all of them, and the longest prefix the main model agrees with is accepted, plus
 * the main model's own next token. Greedy acceptance compares argmaxes; with sampling and drafted logits it is
 * speculative sampling (Leviathan et al. 2023, algorithm 1). Batch size 1, as in Python.
 */
final class AssistedDecoding {
    private AssistedDecoding() {}

    static GenerateOutput run(GenerationContext ctx, NDArray inputIds, CandidateGenerator candidateGenerator,
            boolean doSample, LogitsProcessorList warper) {
        ModelKwargs kw = ctx.kwargs;
        ctx.requirePadForEos();
        NDArray shapeOf = kw.attentionMask() != null ? kw.attentionMask() : inputIds;
        int batchSize = (int) shapeOf.getShape().get(0);
        boolean[] unfinished = new boolean[batchSize];
        Arrays.fill(unfinished, true);
        kw.cachePosition(GenerationContext.replace(kw.cachePosition(), ctx.arange(0, shapeOf.getShape().get(1))));
        Integer maxLen = ctx.stoppingCriteria.maxLength();
        if (maxLen == null) {
            throw new IllegalArgumentException("assisted generation needs a max_length stopping criterion");
        }
        boolean pastKeyPresent = kw.pastKeyValues() != null;

        boolean thisPeerFinished = false;
        while (!thisPeerFinished) {
            try (NDScope scope = new NDScope()) {
                int curLen = (int) inputIds.getShape().get(1);

                // 1. candidates
                CandidateGenerator.Candidates cand = candidateGenerator.getCandidates(inputIds);
                NDArray candidateInputIds = cand.candidateInputIds();
                NDArray candidateLogits = cand.candidateLogits();
                int candidateLength = (int) (candidateInputIds.getShape().get(1) - curLen);
                long[] candRow = GenUtil.rows(candidateInputIds, "candidate_input_ids")[0];
                boolean lastAssistantTokenIsEos = ctx.isEos(candRow[candRow.length - 1]);

                // 2. one forward of the main model over the candidates
                ModelKwargs candidateKwargs = kw.copy();
                NDArray mask = ctx.encoderDecoder ? kw.decoderAttentionMask() : kw.attentionMask();
                if (mask != null) {
                    NDArray resized = resizeColumns(mask, candidateLength + curLen, true);
                    if (ctx.encoderDecoder) {
                        candidateKwargs.decoderAttentionMask(resized);
                    } else {
                        candidateKwargs.attentionMask(resized);
                    }
                }
                if (kw.tokenTypeIds() != null) {
                    candidateKwargs.tokenTypeIds(resizeColumns(kw.tokenTypeIds(), candidateLength + curLen, false));
                }
                if (kw.cachePosition() != null) {
                    candidateKwargs.cachePosition(kw.cachePosition().concat(ctx.arange(curLen,
                            curLen + candidateLength), 0));
                }
                GenerationStepOutput outputs = ctx.forward(candidateInputIds, candidateKwargs, ctx.outputAttentions,
                        ctx.outputHiddenStates);

                // 3. process the new logits (batch, candidates + 1, vocab) position by position
                long seq = outputs.logits().getShape().get(1);
                NDArray newLogits = outputs.logits().get(new NDIndex(":, {}:", seq - candidateLength - 1));
                NDArray nextTokenLogits = newLogits.duplicate();
                List<NDArray> rows = new ArrayList<>();
                for (int i = 0; i < candidateLength + 1; i++) {
                    NDArray prefix = candidateInputIds.get(new NDIndex(":, :{}", curLen + i));
                    NDArray row = newLogits.get(new NDIndex(":, {}, :", i));
                    if (!ctx.logitsProcessor.isEmpty()) {
                        row = ctx.logitsProcessor.process(prefix, row);
                    }
                    if (warper != null && !warper.isEmpty()) {
                        row = warper.process(prefix, row);
                    }
                    rows.add(row);
                }
                newLogits = NDArrays.stack(new NDList(rows.toArray(new NDArray[0])), 1);

                // 4. accept the candidates the main model agrees with
                int maxMatches = maxLen - curLen - 1;
                long[] validTokens;
                int nMatches;
                if (doSample && candidateLogits != null) {
                    long[] cands = Arrays.copyOfRange(candRow, curLen, candRow.length);
                    Speculative s = speculativeSampling(cands, candidateLogits, newLogits, lastAssistantTokenIsEos,
                            maxMatches, ctx);
                    validTokens = s.validTokens;
                    nMatches = s.nMatches;
                } else {
                    long[] selected;
                    if (doSample) {
                        try (NDArray first = newLogits.get(new NDIndex("0, :, :"))) {
                            selected = TokenSampler.sample(first, ctx.random);
                        }
                    } else {
                        selected = GenerationContext.longs(newLogits.argMax(-1).reshape(-1));
                    }
                    nMatches = 0;
                    while (nMatches < candidateLength && candRow[curLen + nMatches] == selected[nMatches]) {
                        nMatches++;
                    }
                    if (lastAssistantTokenIsEos && nMatches == candidateLength) {
                        nMatches -= 1;
                    }
                    nMatches = Math.min(nMatches, maxMatches);
                    validTokens = Arrays.copyOf(selected, nMatches + 1);
                }

                // 5. the accepted tokens (and the main model's next one)
                NDArray valid = ctx.work.create(validTokens, new Shape(1, validTokens.length));
                inputIds = GenerationContext.replace(inputIds, inputIds.concat(valid, 1));
                if (ctx.streamer != null) {
                    ctx.streamer.put(validTokens);
                }
                int newCurLen = (int) inputIds.getShape().get(1);
                // the cache of rejected candidates is dropped
                Object cropped = PastKeyValues.crop(outputs.pastKeyValues(), newCurLen - 1, ctx.encoderDecoder);
                PastKeyValues.closeReplaced(outputs.pastKeyValues(), cropped);
                outputs = new GenerationStepOutput(outputs.logits(), cropped, outputs.hiddenStates(),
                        outputs.attentions(), outputs.crossAttentions());
                candidateGenerator.updateCandidateStrategy(inputIds, newLogits, nMatches);

                if (ctx.returnDict) {
                    if (ctx.outputScores) {
                        for (int i = 0; i < nMatches + 1; i++) {
                            ctx.scores.add(GenerationContext.keep(newLogits.get(new NDIndex(":, {}, :", i))));
                        }
                    }
                    if (ctx.outputLogits) {
                        ctx.rawLogits.add(GenerationContext.keep(nextTokenLogits));
                    }
                    int addedLen = pastKeyPresent ? nMatches + 1 : newCurLen;
                    if (ctx.outputAttentions) {
                        splitModelOutputs(ctx.decoderAttentions, outputs.attentions(), curLen, addedLen, true);
                        if (ctx.encoderDecoder) {
                            splitModelOutputs(ctx.crossAttentions, outputs.crossAttentions(), curLen, addedLen, false);
                        }
                    }
                    if (ctx.outputHiddenStates) {
                        splitModelOutputs(ctx.decoderHiddenStates, outputs.hiddenStates(), curLen, addedLen, false);
                    }
                }
                ctx.updateModelKwargs(outputs);
                pastKeyPresent = true;

                if (ctx.isEos(validTokens[validTokens.length - 1])) {
                    unfinished[0] = false;
                }
                boolean[] done = ctx.stoppingCriteria.isDone(inputIds, newLogits);
                thisPeerFinished = true;
                for (int i = 0; i < batchSize; i++) {
                    unfinished[i] &= !done[i];
                    thisPeerFinished &= !unfinished[i];
                }
            }
        }
        if (ctx.streamer != null) {
            ctx.streamer.end();
        }
        // the assistant keeps its learned number of draft tokens for the next call
        if (candidateGenerator instanceof AssistedCandidateGenerator a
                && a.assistantModel().generationConfig().numAssistantTokensSchedule().equals("heuristic")) {
            GenerationModel assistant = a.assistantModel();
            assistant.setGenerationConfig(assistant.generationConfig()
                    .withAdjusted("num_assistant_tokens", (int) a.numAssistantTokens()));
        }
        return ctx.nonBeamOutput(inputIds, kw.pastKeyValues());
    }

    private record Speculative(long[] validTokens, int nMatches) {}

    /** Python's {@code _speculative_sampling} (batch size 1). */
    private static Speculative speculativeSampling(long[] candidates, NDArray candidateLogits, NDArray newLogits,
            boolean lastAssistantTokenIsEos, int maxMatches, GenerationContext ctx) {
        int candidateLength = candidates.length;
        int vocab = (int) newLogits.getShape().get(2);
        float[] q = GenUtil.floats(candidateLogits.softmax(-1)); // (1, candidates, vocab)
        float[] p = GenUtil.floats(newLogits.softmax(-1));       // (1, candidates + 1, vocab)
        int nMatches = 0;
        boolean rejected = false;
        for (int i = 0; i < candidateLength; i++) {
            float qi = q[i * vocab + (int) candidates[i]];
            float pi = p[i * vocab + (int) candidates[i]];
            float ratio = pi / qi;
            float r = ctx.random.nextFloat();
            if (!(r <= ratio)) {
                rejected = true;
            }
            if (!rejected) {
                nMatches++;
            }
        }
        if (lastAssistantTokenIsEos && nMatches == candidateLength) {
            // generation ends on the assistant's EOS: no extra token from the main model
            nMatches -= 1;
            return new Speculative(Arrays.copyOf(candidates, nMatches + 1), nMatches);
        }
        nMatches = Math.min(nMatches, maxMatches);
        // the next token: from the main model's distribution, corrected by the assistant's after a rejection
        int gamma = Math.min((int) candidateLogits.getShape().get(1), maxMatches);
        double[] pPrime = new double[vocab];
        if (nMatches < gamma) {
            double sum = 0;
            for (int j = 0; j < vocab; j++) {
                pPrime[j] = Math.max(p[nMatches * vocab + j] - q[nMatches * vocab + j], 0f);
                sum += pPrime[j];
            }
            for (int j = 0; j < vocab; j++) {
                pPrime[j] /= sum;
            }
        } else {
            for (int j = 0; j < vocab; j++) {
                pPrime[j] = p[nMatches * vocab + j];
            }
        }
        double u = ctx.random.nextDouble();
        double acc = 0;
        int t = vocab - 1;
        for (int j = 0; j < vocab; j++) {
            acc += pPrime[j];
            if (pPrime[j] > 0 && u < acc) {
                t = j;
                break;
            }
        }
        long[] valid = Arrays.copyOf(candidates, nMatches + 1);
        valid[nMatches] = t;
        return new Speculative(valid, nMatches);
    }

    /**
     * Python's {@code _split_model_outputs}: the per-layer outputs of a multi-token forward cut into one entry per
     * generated token (the first call also gets the prompt's entry).
     */
    private static void splitModelOutputs(List<List<NDArray>> outputs, List<NDArray> newOutputs, int curLen,
            int addedLen, boolean isDecoderAttention) {
        if (newOutputs == null) {
            return;
        }
        if (outputs.isEmpty()) {
            List<NDArray> first = new ArrayList<>();
            for (NDArray layer : newOutputs) {
                long last = isDecoderAttention ? curLen : layer.getShape().get(layer.getShape().dimension() - 1);
                first.add(GenerationContext.keep(layer.get(new NDIndex("..., :{}, :{}", curLen, last))));
            }
            outputs.add(first);
            curLen += 1;
            addedLen -= curLen;
        }
        for (int i = 0; i < addedLen; i++) {
            List<NDArray> entry = new ArrayList<>();
            for (NDArray layer : newOutputs) {
                long last = isDecoderAttention ? curLen + i : layer.getShape().get(layer.getShape().dimension() - 1);
                entry.add(GenerationContext.keep(layer.get(new NDIndex("..., {}:{}, :{}", i, i + 1, last))));
            }
            outputs.add(entry);
        }
    }

    /**
     * Python's {@code _prepare_attention_mask} / {@code _prepare_token_type_ids}: a (batch, len) tensor cropped or
     * extended to {@code newLength} columns, with ones ({@code ones}) or copies of the last column.
     */
    static NDArray resizeColumns(NDArray a, int newLength, boolean ones) {
        long len = a.getShape().get(1);
        long diff = newLength - len;
        if (diff < 0) {
            return ones ? a.get(new NDIndex(":, :{}", diff)) : a;
        } else if (diff > 0) {
            NDArray fill = ones ? a.getManager().ones(new Shape(a.getShape().get(0), diff), a.getDataType())
                    : a.get(new NDIndex(":, -1:")).repeat(1, diff);
            return a.concat(fill, -1);
        }
        return a;
    }
}
