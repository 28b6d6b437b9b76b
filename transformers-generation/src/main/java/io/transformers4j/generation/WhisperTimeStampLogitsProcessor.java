package io.transformers4j.generation;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;

/**
 * Whisper's timestamp rules. Port of Python's {@code WhisperTimeStampLogitsProcessor}: {@code <|notimestamps|>} is
 * suppressed, timestamps come in pairs (except right before EOS) and never decrease, the first timestamp is capped
 * by {@code max_initial_timestamp_index}, and when the timestamps' total probability beats every text token only
 * timestamps remain.
 */
public final class WhisperTimeStampLogitsProcessor implements LogitsProcessor {
    private final int noTimestampsTokenId;
    private final int timestampBegin;
    private final int eosTokenId;
    private final boolean detectTimestampFromLogprob;
    private final Integer maxInitialTimestampIndex;
    private volatile int beginIndex;

    public WhisperTimeStampLogitsProcessor(GenerationConfig generateConfig) {
        this(generateConfig, null, null);
    }

    /**
     * Reads {@code no_timestamps_token_id}, {@code eos_token_id} (or {@code bos_token_id}), {@code forced_decoder_ids},
     * {@code max_initial_timestamp_index} and {@code _detect_timestamp_from_logprob} from the config.
     */
    public WhisperTimeStampLogitsProcessor(GenerationConfig generateConfig, Integer beginIndex,
            Boolean detectTimestampFromLogprob) {
        JsonNode noTs = generateConfig.get("no_timestamps_token_id");
        if (noTs == null || !noTs.isIntegralNumber()) {
            throw new IllegalArgumentException("WhisperTimeStampLogitsProcessor: the generation config has no "
                    + "`no_timestamps_token_id`");
        }
        this.noTimestampsTokenId = noTs.asInt();
        this.timestampBegin = noTimestampsTokenId + 1;
        // Python: `eos_token_id or bos_token_id` (0 and None both fall through to bos).
        List<Integer> eos = generateConfig.eosTokenId();
        Integer e = eos == null || eos.isEmpty() ? null : eos.get(0);
        if (e == null || e == 0) {
            e = generateConfig.bosTokenId();
        }
        if (e == null) {
            throw new IllegalArgumentException("WhisperTimeStampLogitsProcessor needs `eos_token_id` or `bos_token_id`");
        }
        this.eosTokenId = e;
        JsonNode detect = generateConfig.get("_detect_timestamp_from_logprob");
        this.detectTimestampFromLogprob = detectTimestampFromLogprob != null ? detectTimestampFromLogprob
                : detect == null || detect.isNull() || detect.asBoolean(true);
        List<List<Integer>> forced = generateConfig.forcedDecoderIds();
        int numForced = forced == null ? 0 : forced.size();
        this.beginIndex = beginIndex != null && beginIndex != 0 ? beginIndex : numForced + 1;
        JsonNode maxInit = generateConfig.get("max_initial_timestamp_index");
        this.maxInitialTimestampIndex = maxInit == null || maxInit.isNull() ? null : maxInit.asInt();
    }

    public void setBeginIndex(int beginIndex) {
        this.beginIndex = beginIndex;
    }

    public int beginIndex() { return beginIndex; }

    @Override
    public NDArray process(NDArray inputIds, NDArray scores) {
        int v = GenUtil.vocab(scores);
        long[][] ids = GenUtil.rows(inputIds, "input_ids");
        int b = ids.length;
        float[] s = GenUtil.floats(scores);
        float ninf = Float.NEGATIVE_INFINITY;
        for (int r = 0; r < b; r++) {
            s[r * v + noTimestampsTokenId] = ninf;
        }
        for (int k = 0; k < b; k++) {
            long[] row = ids[k];
            int from = Math.min(beginIndex, row.length);
            int n = row.length - from;
            boolean lastWasTimestamp = n >= 1 && row[row.length - 1] >= timestampBegin;
            boolean penultimateWasTimestamp = n < 2 || row[row.length - 2] >= timestampBegin;
            if (lastWasTimestamp) {
                if (penultimateWasTimestamp) {
                    fill(s, k, v, timestampBegin, v);
                } else {
                    fill(s, k, v, 0, eosTokenId);
                }
            }
            long lastTs = -1;
            for (int i = from; i < row.length; i++) {
                if (row[i] >= timestampBegin) {
                    lastTs = row[i];
                }
            }
            if (lastTs >= 0) {
                long timestampLast = (lastWasTimestamp && !penultimateWasTimestamp) ? lastTs : lastTs + 1;
                fill(s, k, v, timestampBegin, (int) Math.min(timestampLast, v));
            }
        }
        if (GenUtil.seqLen(inputIds) == beginIndex) {
            for (int k = 0; k < b; k++) {
                fill(s, k, v, 0, timestampBegin);
                if (maxInitialTimestampIndex != null) {
                    int lastAllowed = timestampBegin + maxInitialTimestampIndex;
                    fill(s, k, v, lastAllowed + 1, v);
                }
            }
        }
        NDArray masked = GenUtil.like(scores, s);
        if (!detectTimestampFromLogprob) {
            return masked;
        }
        float[] tsLogprob;
        float[] maxText;
        try (NDScope scope = new NDScope()) {
            NDArray logprobs = masked.logSoftmax(-1);
            NDArray ts = logprobs.get(new NDIndex(":, {}:", timestampBegin));
            NDArray m = ts.max(new int[] {-1}, true);
            // logsumexp as torch computes it: max + log(sum(exp(x - max))), with an all -inf row giving -inf.
            NDArray safeM = m.duplicate();
            safeM.set(m.isInfinite(), 0f);
            NDArray lse = ts.sub(safeM).exp().sum(new int[] {-1}).log().add(safeM.squeeze(-1));
            tsLogprob = GenUtil.floats(lse);
            maxText = GenUtil.floats(logprobs.get(new NDIndex(":, :{}", timestampBegin)).max(new int[] {-1}));
        }
        boolean changed = false;
        for (int k = 0; k < b; k++) {
            if (tsLogprob[k] > maxText[k]) {
                fill(s, k, v, 0, timestampBegin);
                changed = true;
            }
        }
        if (!changed) {
            return masked;
        }
        masked.close();
        return GenUtil.like(scores, s);
    }

    /** scores[row, from:to] = -inf (Python slice semantics: empty when to <= from, clipped to the vocab). */
    private static void fill(float[] s, int row, int v, int from, int to) {
        int a = Math.max(0, Math.min(from, v));
        int z = Math.max(0, Math.min(to, v));
        for (int j = a; j < z; j++) {
            s[row * v + j] = Float.NEGATIVE_INFINITY;
        }
    }

    /** Python modifies the scores it receives. */
    @Override
    public boolean inPlaceInPython() {
        return true;
    }
}
