package io.transformers4j.models.bert;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.nn.Embedding;
import io.transformers4j.nn.Linear;
import io.transformers4j.torch.Torch;
import io.transformers4j.weights.DType;
import io.transformers4j.weights.Weights;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Relative position scores against Python's einsum definitions, written as broadcast-multiply-sum. */
class BertSelfAttentionTest {

    @BeforeAll
    static void engine() {
        Torch.ensureThreadReady();
    }

    @ParameterizedTest
    @ValueSource(strings = {"absolute", "relative_key", "relative_key_query"})
    void attentionProbabilitiesMatchTheEinsumDefinition(String type) {
        int heads = 4;
        int headSize = 8;
        int maxPos = 16;
        long b = 2;
        long len = 5;
        BertConfig config = BertConfig.of(Map.of("hidden_size", heads * headSize, "num_attention_heads", heads,
                "max_position_embeddings", maxPos, "position_embedding_type", type));
        try (NDManager m = NDManager.newBaseManager()) {
            // A wide init so that the relative terms move the probabilities visibly.
            Weights w = Weights.init(m, DType.F32, Device.cpu(), 0.3f, 7);
            BertSelfAttention attention = new BertSelfAttention(config, w, type);
            NDArray hidden = m.randomNormal(new Shape(b, len, heads * headSize));
            NDArray probs = attention.forward(hidden, null, null, null, null, null, true).probs();

            NDArray q = split(Linear.linear(hidden, attention.query.weight, attention.query.bias), heads, headSize);
            NDArray k = split(Linear.linear(hidden, attention.key.weight, attention.key.bias), heads, headSize);
            NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)); // (b, h, l, r)
            if (!type.equals("absolute")) {
                long[] distance = new long[(int) (len * len)];
                for (int l = 0; l < len; l++) {
                    for (int r = 0; r < len; r++) {
                        distance[(int) (l * len + r)] = l - r + maxPos - 1;
                    }
                }
                NDArray pos = Embedding.embedding(m.create(distance, new Shape(len, len)),
                        attention.distanceEmbedding.weight); // (l, r, d)
                // einsum("bhld,lrd->bhlr"): q[b,h,l,1,d] * pos[l,r,d] summed over d
                scores = scores.add(q.expandDims(3).mul(pos).sum(new int[] {-1}));
                if (type.equals("relative_key_query")) {
                    // einsum("bhrd,lrd->bhlr"): k[b,h,1,r,d] * pos[l,r,d] summed over d
                    scores = scores.add(k.expandDims(2).mul(pos).sum(new int[] {-1}));
                }
            }
            NDArray expected = scores.div((float) Math.sqrt(headSize)).softmax(-1);
            BertModelTest.assertClose(type + " attention probabilities", probs, expected, 1e-6, 1e-5);
        }
    }

    private static NDArray split(NDArray x, int heads, int headSize) {
        Shape s = x.getShape();
        return x.reshape(s.get(0), s.get(1), heads, headSize).transpose(0, 2, 1, 3);
    }
}
