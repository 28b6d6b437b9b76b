package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import java.util.Arrays;
import java.util.Map;

/**
 * Greedy decoding and multinomial sampling: Python's {@code _greedy_search} and {@code _sample}, one loop (they differ
 * only in the warpers and in argmax vs. a draw). Each step: forward, processors (then warpers), record, pick the next
 * token per row, pad the rows that finished, append, update the kwargs, check EOS and the stopping criteria.
 */
final class GreedySearch {
    private GreedySearch() {}

    /** {@code warper} null: greedy search; otherwise sampling with those warpers and the context's random source. */
    static GenerateOutput run(GenerationContext ctx, NDArray inputIds, LogitsProcessorList warper) {
        ModelKwargs kw = ctx.kwargs;
        NDArray shapeOf = kw.attentionMask() != null ? kw.attentionMask() : inputIds;
        int batchSize = (int) shapeOf.getShape().get(0);
        long curLen = shapeOf.getShape().get(1);
        boolean[] unfinished = new boolean[batchSize];
        Arrays.fill(unfinished, true);
        kw.cachePosition(GenerationContext.replace(kw.cachePosition(), ctx.arange(0, curLen)));
        // Python applies the processors, then the warpers, to the same tensor: for its in-place aliasing of the
        // recorded raw logits they are one chain.
        LogitsProcessorList chain = new LogitsProcessorList(ctx.logitsProcessor);
        if (warper != null) {
            chain.addAll(warper);
        }

        boolean thisPeerFinished = false;
        while (!thisPeerFinished) {
            try (NDScope scope = new NDScope()) {
                GenerationStepOutput outputs = ctx.forward(inputIds);
                NDArray nextTokenLogits = outputs.logits().get(new NDIndex(":, -1, :"));
                LogitsProcessorList.TrackedResult r = chain.processTrackingPythonAliasing(inputIds, nextTokenLogits,
                        Map.of());
                NDArray nextTokenScores = r.scores();
                ctx.record(nextTokenScores, r.pythonInputAfterCall(), outputs);

                long[] nextTokens = warper == null ? GenerationContext.longs(nextTokenScores.argMax(-1))
                        : TokenSampler.sample(nextTokenScores, ctx.random);
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
                boolean[] done = ctx.stoppingCriteria.isDone(inputIds, nextTokenScores);
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
        return ctx.nonBeamOutput(inputIds, kw.pastKeyValues());
    }
}
