package io.transformers4j.generation;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.transformers4j.torch.Torch;
import java.util.List;
import org.junit.jupiter.api.Test;

class OutputsTest {

    @Test
    void outputsFlattenWithPythonNamesAndCloseWhatTheyHold() {
        Torch.ensureThreadReady();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray seq = m.create(new long[] {1, 2, 3}, new Shape(1, 3));
            NDArray s0 = m.zeros(new Shape(1, 5));
            NDArray s1 = m.zeros(new Shape(1, 5));
            NDArray att = m.zeros(new Shape(1, 2, 1, 3));
            DynamicCache cache = new DynamicCache(m);
            GenerateDecoderOnlyOutput out = new GenerateDecoderOnlyOutput(seq, List.of(s0, s1), null,
                    List.of(List.of(att)), null, cache);
            assertEquals(List.of("sequences", "scores.0", "scores.1", "attentions.0.0"),
                    List.copyOf(out.toMap().keySet()));
            out.close();
            assertTrue(seq.isReleased() && s1.isReleased() && att.isReleased());
            NDArray ss = m.zeros(new Shape(2));
            NDArray bi = m.zeros(new Shape(2, 3));
            GenerateBeamEncoderDecoderOutput beam = new GenerateBeamEncoderDecoderOutput(m.zeros(new Shape(2, 3)), ss,
                    List.of(), null, bi, null, null, null, null, null, null);
            assertEquals(List.of("sequences", "sequences_scores", "beam_indices"), List.copyOf(beam.toMap().keySet()));
        }
    }
}
