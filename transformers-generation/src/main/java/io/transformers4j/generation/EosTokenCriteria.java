package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import java.util.List;

/**
 * Done for the rows whose last token is one of the EOS ids. (Python 4.39's loops check EOS inline; this is the
 * criterion later versions factor out: {@code isin(input_ids[:, -1], eos_token_id)}.)
 */
public final class EosTokenCriteria implements StoppingCriteria {
    private final int[] eosTokenId;

    public EosTokenCriteria(List<Integer> eosTokenId) {
        this.eosTokenId = GenUtil.toIntArray(eosTokenId, "eos_token_id");
        if (this.eosTokenId.length == 0) {
            throw new IllegalArgumentException("`eos_token_id` must hold at least one token id");
        }
    }

    public EosTokenCriteria(int eosTokenId) {
        this(List.of(eosTokenId));
    }

    @Override
    public boolean[] isDone(NDArray inputIds, NDArray scores) {
        long[][] rows = GenUtil.rows(inputIds, "input_ids");
        boolean[] out = new boolean[rows.length];
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length == 0) {
                continue;
            }
            long last = rows[r][rows[r].length - 1];
            for (int e : eosTokenId) {
                out[r] |= last == e;
            }
        }
        return out;
    }
}
