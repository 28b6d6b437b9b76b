package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Contrastive search (Su et al., "A Contrastive Framework for Neural Text Generation"): Python's
 * {@code _contrastive_search}. Each step takes the {@code top_k} most likely next tokens, runs all of them through the
 * model at once (the cache replicated {@code top_k} times), and keeps per row the candidate with the best
 * {@code (1 - alpha) * probability - alpha * max cosine similarity to the context's hidden states}. The step after
 * looks one token ahead, so the logits, hidden states and cache of the chosen candidate are already known.
 */
final class ContrastiveSearch {
    private ContrastiveSearch() {}

    static GenerateOutput run(GenerationContext ctx, NDArray inputIds, int topK, double penaltyAlpha,
            boolean sequential) {
        ModelKwargs kw = ctx.kwargs;
        NDArray shapeOf = kw.attentionMask() != null ? kw.attentionMask() : inputIds;
        int batchSize = (int) shapeOf.getShape().get(0);
        long curLen = shapeOf.getShape().get(1);
        boolean[] unfinished = new boolean[batchSize];
        Arrays.fill(unfinished, true);
        kw.cachePosition(GenerationContext.replace(kw.cachePosition(), ctx.arange(0, curLen)));

        GenerationStepOutput outputs = null; // the (rebuilt) model output of the chosen candidates
        NDArray lastHiddenStates = null;     // (batch, seq, hidden) of every token so far
        NDArray logitForNextStep = null;     // (batch, vocab)

        boolean thisPeerFinished = false;
        while (!thisPeerFinished) {
            try (NDScope scope = new NDScope()) {
                if (kw.pastKeyValues() == null) {
                    // first step: encode the prompt, keep its last hidden states and the next logits
                    kw.useCache(true);
                    outputs = ctx.forwardLastLogits(inputIds, kw, ctx.outputAttentions, true);
                    // a copy: the prompt's hidden states themselves may be recorded, or closed
                    lastHiddenStates = GenerationContext.keep(last(outputs.hiddenStates(), ctx).duplicate());
                    logitForNextStep = GenerationContext.keep(outputs.logits().get(new NDIndex(":, -1, :")));
                    ctx.updateModelKwargs(outputs);
                    if (!sequential) {
                        // the model kwargs serve the top_k candidates' batched forward from now on
                        Generation.expandInputsForGeneration(ctx, null, topK, ctx.encoderDecoder);
                        // cache_position is a tensor of model_kwargs by now, so Python repeats it too
                        if (kw.cachePosition() != null) {
                            kw.cachePosition(GenerationContext.replace(kw.cachePosition(),
                                    ctx.repeatInterleave(kw.cachePosition(), topK)));
                        }
                    }
                    Object past = kw.pastKeyValues();
                    if (past == null) {
                        throw new IllegalArgumentException(ctx.model.modelClassName() + " does not support caching "
                                + "and therefore **can't** be used for contrastive search.");
                    } else if (PastKeyValues.batchSize(past) != batchSize) {
                        throw new IllegalArgumentException(ctx.model.modelClassName() + " does not have a standard "
                                + "cache format and therefore **can't** be used for contrastive search without further "
                                + "modifications.");
                    }
                    keepOutputs(outputs);
                }

                // (1) candidate recall: the top_k tokens of the processed distribution
                LogitsProcessorList.TrackedResult r = ctx.logitsProcessor.processTrackingPythonAliasing(inputIds,
                        logitForNextStep, Map.of());
                NDArray processed = r.scores();
                NDArray nextProbs = processed.softmax(-1);
                NDList top = nextProbs.topK(topK, -1, true, true);
                NDArray topKProbs = top.get(0);                            // (batch, k)
                long[] topKIds = GenerationContext.longs(top.get(1));      // (batch * k)
                ctx.record(processed, r.pythonInputAfterCall(), outputs);
                closeUnrecorded(ctx, outputs);

                // replicate the cache for the top_k candidates
                long[] repeatRows = new long[batchSize * (sequential ? 1 : topK)];
                for (int i = 0; i < repeatRows.length; i++) {
                    repeatRows[i] = sequential ? i : i / topK;
                }
                Object replicated = PastKeyValues.selectRows(kw.pastKeyValues(), repeatRows, ctx.work);
                ctx.replaceCache(replicated);

                // (2) run the candidates through the model
                GenerationStepOutput candidates;
                if (sequential) {
                    candidates = sequentialCandidates(ctx, topKIds, batchSize, topK);
                } else {
                    NDArray ids = ctx.work.create(topKIds, new Shape((long) batchSize * topK, 1));
                    candidates = ctx.forwardLastLogits(ids, kw, ctx.outputAttentions, true);
                }
                NDArray nextHidden = last(candidates.hiddenStates(), ctx);        // (batch * k, 1, hidden)
                NDArray logits = candidates.logits().get(new NDIndex(":, -1, :")); // (batch * k, vocab)
                NDArray contextHidden = ctx.repeatInterleave(lastHiddenStates, topK);

                // (3) re-rank by the degeneration penalty
                long[] selectedIdx = rankingFast(contextHidden, nextHidden, topKProbs, penaltyAlpha, topK);
                long[] nextTokens = new long[batchSize];
                long[] rows = new long[batchSize];
                for (int b = 0; b < batchSize; b++) {
                    nextTokens[b] = topKIds[b * topK + (int) selectedIdx[b]];
                    rows[b] = (long) b * topK + selectedIdx[b];
                }
                NDArray chosenHidden = ctx.selectRows(nextHidden, rows); // (batch, 1, hidden)
                lastHiddenStates = GenerationContext.replace(lastHiddenStates,
                        lastHiddenStates.concat(chosenHidden, 1));
                List<NDArray> nextDecoderHiddenStates = new ArrayList<>();
                for (NDArray layer : candidates.hiddenStates()) {
                    nextDecoderHiddenStates.add(ctx.selectRows(layer, rows));
                }
                Object nextPast;
                if (sequential) {
                    // the chosen candidates once more, to get their cache
                    NDArray chosen = ctx.work.create(nextTokens, new Shape(batchSize, 1));
                    GenerationStepOutput selected = ctx.forward(chosen, kw, false, false);
                    nextPast = selected.pastKeyValues();
                } else {
                    nextPast = PastKeyValues.selectRows(candidates.pastKeyValues(), rows, ctx.work);
                    PastKeyValues.closeReplaced(candidates.pastKeyValues(), nextPast);
                }
                NDArray previousLogits = logitForNextStep;
                logitForNextStep = GenerationContext.keep(ctx.selectRows(logits, rows));
                if (!recordedAsScores(ctx, previousLogits)) {
                    previousLogits.close();
                }

                List<NDArray> nextAttentions = null;
                List<NDArray> nextCross = null;
                if (ctx.outputAttentions) {
                    nextAttentions = selectEach(ctx, candidates.attentions(), rows);
                    if (ctx.encoderDecoder) {
                        nextCross = selectEach(ctx, candidates.crossAttentions(), rows);
                    }
                }
                outputs = new GenerationStepOutput(logitForNextStep, nextPast, nextDecoderHiddenStates,
                        nextAttentions, nextCross);
                ctx.keepCache(nextPast);
                keepOutputs(outputs);

                // finished sentences get the padding token
                if (ctx.eosTokenId != null) {
                    ctx.requirePadForEos();
                    for (int i = 0; i < batchSize; i++) {
                        if (!unfinished[i]) {
                            nextTokens[i] = ctx.padTokenId;
                        }
                    }
                }
                inputIds = GenerationContext.replace(inputIds, ctx.appendColumn(inputIds, nextTokens));
                if (ctx.streamer != null) {
                    ctx.streamer.put(nextTokens);
                }
                ctx.updateModelKwargs(outputs);
                for (int i = 0; i < batchSize; i++) {
                    if (ctx.isEos(nextTokens[i])) {
                        unfinished[i] = false;
                    }
                }
                boolean[] done = ctx.stoppingCriteria.isDone(inputIds, processed);
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
        Object past = null;
        if (ctx.returnDict && kw.pastKeyValues() != null) {
            // the look-ahead token is not part of the sequences: drop it from the cache, as Python does
            past = PastKeyValues.dropLastPosition(kw.pastKeyValues());
            ctx.replaceCache(past);
        }
        return ctx.nonBeamOutput(inputIds, past);
    }

    /** Python's {@code low_memory} path: one candidate column at a time, outputs stacked along the batch. */
    private static GenerationStepOutput sequentialCandidates(GenerationContext ctx, long[] topKIds, int batchSize,
            int topK) {
        List<GenerationStepOutput> all = new ArrayList<>();
        for (int i = 0; i < topK; i++) {
            long[] column = new long[batchSize];
            for (int b = 0; b < batchSize; b++) {
                column[b] = topKIds[b * topK + i];
            }
            NDArray ids = ctx.work.create(column, new Shape(batchSize, 1));
            GenerationStepOutput out = ctx.forward(ids, ctx.kwargs, ctx.outputAttentions, true);
            PastKeyValues.closeReplaced(out.pastKeyValues(), ctx.kwargs.pastKeyValues());
            all.add(out);
        }
        // stack_model_outputs: concatenated along the batch (candidate-major), then re-ordered row-major as the
        // batched path has them (row b, candidate i) -> b * k + i
        long[] order = new long[batchSize * topK];
        for (int b = 0; b < batchSize; b++) {
            for (int i = 0; i < topK; i++) {
                order[b * topK + i] = (long) i * batchSize + b;
            }
        }
        NDArray logits = concat(all.stream().map(GenerationStepOutput::logits).toList());
        List<NDArray> hidden = new ArrayList<>();
        for (int l = 0; l < all.get(0).hiddenStates().size(); l++) {
            final int layer = l;
            hidden.add(ctx.selectRows(concat(all.stream().map(o -> o.hiddenStates().get(layer)).toList()), order));
        }
        List<NDArray> attentions = null;
        if (all.get(0).attentions() != null) {
            attentions = new ArrayList<>();
            for (int l = 0; l < all.get(0).attentions().size(); l++) {
                final int layer = l;
                attentions.add(ctx.selectRows(concat(all.stream().map(o -> o.attentions().get(layer)).toList()),
                        order));
            }
        }
        return new GenerationStepOutput(ctx.selectRows(logits, order), null, hidden, attentions, null);
    }

    private static NDArray concat(List<NDArray> parts) {
        NDArray out = parts.get(0);
        for (int i = 1; i < parts.size(); i++) {
            out = out.concat(parts.get(i), 0);
        }
        return out;
    }

    /**
     * Python's {@code _ranking_fast}: per candidate, the max cosine similarity of its hidden state to the context's
     * (degeneration penalty), then per row the candidate maximising {@code (1 - alpha) * p - alpha * penalty}.
     */
    static long[] rankingFast(NDArray contextHidden, NDArray nextHidden, NDArray nextTopKProbs, double alpha,
            int beamWidth) {
        NDArray normContext = contextHidden.div(contextHidden.norm(new int[] {2}, true));
        NDArray normNext = nextHidden.div(nextHidden.norm(new int[] {2}, true));
        NDArray cosine = normContext.matMul(normNext.transpose(0, 2, 1)).squeeze(-1); // (batch * k, seq)
        NDArray penalty = cosine.max(new int[] {-1});                                  // (batch * k)
        NDArray probs = nextTopKProbs.reshape(-1);
        NDArray score = probs.mul((float) (1.0 - alpha)).sub(penalty.mul((float) alpha));
        return GenerationContext.longs(score.reshape(-1, beamWidth).argMax(-1));
    }

    private static NDArray last(List<NDArray> hiddenStates, GenerationContext ctx) {
        if (hiddenStates == null || hiddenStates.isEmpty()) {
            throw new IllegalStateException(ctx.model.modelClassName() + " returned no hidden states although "
                    + "contrastive search asked for them (output_hidden_states=True)");
        }
        return hiddenStates.get(hiddenStates.size() - 1);
    }

    private static List<NDArray> selectEach(GenerationContext ctx, List<NDArray> layers, long[] rows) {
        if (layers == null) {
            return null;
        }
        List<NDArray> out = new ArrayList<>();
        for (NDArray layer : layers) {
            out.add(ctx.selectRows(layer, rows));
        }
        return out.isEmpty() ? null : out;
    }

    /** The chosen candidates' hidden states / attentions outlive the step: the next one records them. */
    private static void keepOutputs(GenerationStepOutput out) {
        GenerationContext.keepAll(out.hiddenStates());
        GenerationContext.keepAll(out.attentions());
        GenerationContext.keepAll(out.crossAttentions());
    }

    /** Without processors the processed scores are the logits tensor itself; the recorded one must stay open. */
    private static boolean recordedAsScores(GenerationContext ctx, NDArray a) {
        return ctx.scores != null && !ctx.scores.isEmpty() && ctx.scores.get(ctx.scores.size() - 1) == a;
    }

    /** What the output does not record of the chosen candidates' hidden states / attentions is freed now. */
    private static void closeUnrecorded(GenerationContext ctx, GenerationStepOutput out) {
        if (!(ctx.returnDict && ctx.outputHiddenStates)) {
            close(out.hiddenStates());
        }
        if (!(ctx.returnDict && ctx.outputAttentions)) {
            close(out.attentions());
            close(out.crossAttentions());
        }
    }

    private static void close(List<NDArray> l) {
        if (l != null) {
            l.forEach(NDArray::close);
        }
    }
}
