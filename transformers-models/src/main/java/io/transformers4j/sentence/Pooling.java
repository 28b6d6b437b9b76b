package io.transformers4j.sentence;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * sentence-transformers' {@code Pooling} module ({@code 1_Pooling/config.json}): token embeddings (B, T, H) and the
 * attention mask (B, T) to one vector per sentence. With several modes on, the results are concatenated in
 * sentence-transformers' order: cls, max, mean, mean_sqrt_len.
 */
record Pooling(int dimension, boolean cls, boolean max, boolean mean, boolean meanSqrtLen) {

    static Pooling fromConfig(JsonNode c, String where) {
        for (String unsupported : List.of("pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken")) {
            if (c.path(unsupported).asBoolean(false)) {
                throw new IllegalArgumentException(where + ": " + unsupported + " is not supported (cls, max, mean and "
                        + "mean_sqrt_len_tokens are)");
            }
        }
        Pooling p = new Pooling(c.path("word_embedding_dimension").asInt(-1),
                c.path("pooling_mode_cls_token").asBoolean(false), c.path("pooling_mode_max_tokens").asBoolean(false),
                c.path("pooling_mode_mean_tokens").asBoolean(false),
                c.path("pooling_mode_mean_sqrt_len_tokens").asBoolean(false));
        if (!(p.cls || p.max || p.mean || p.meanSqrtLen)) {
            throw new IllegalArgumentException(where + " enables no pooling mode");
        }
        return p;
    }

    /** Mean pooling, the default sentence-transformers builds when a model has no Pooling module. */
    static Pooling meanOnly(int dimension) {
        return new Pooling(dimension, false, false, true, false);
    }

    /** (B, T, H) float, (B, T) int mask -> (B, modes * H); temporaries belong to the caller's scope. */
    NDArray apply(NDArray tokenEmbeddings, NDArray attentionMask) {
        List<NDArray> parts = new ArrayList<>();
        NDArray mask = attentionMask.toType(tokenEmbeddings.getDataType(), false).expandDims(-1); // (B, T, 1)
        if (cls) {
            parts.add(tokenEmbeddings.get(":, 0, :"));
        }
        if (max) {
            // Python: token_embeddings[input_mask_expanded == 0] = -1e9, then max over tokens.
            NDArray masked = NDArrays.where(mask.broadcast(tokenEmbeddings.getShape()).eq(0),
                    tokenEmbeddings.getManager().full(tokenEmbeddings.getShape(), -1e9f), tokenEmbeddings);
            parts.add(masked.max(new int[] {1}));
        }
        if (mean || meanSqrtLen) {
            NDArray sum = tokenEmbeddings.mul(mask).sum(new int[] {1}); // (B, H)
            NDArray count = mask.sum(new int[] {1}).clip(1e-9f, Float.MAX_VALUE); // (B, 1)
            if (mean) {
                parts.add(sum.div(count));
            }
            if (meanSqrtLen) {
                parts.add(sum.div(count.sqrt()));
            }
        }
        return parts.size() == 1 ? parts.get(0) : NDArrays.concat(new NDList(parts), 1);
    }

    static NDArray normalize(NDArray x) {
        // torch.nn.functional.normalize(p=2, dim=1): x / max(||x||, 1e-12).
        NDArray norm = x.norm(new int[] {1}, true).clip(1e-12f, Float.MAX_VALUE);
        return x.div(norm);
    }
}
