package io.transformers4j.models.longt5;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.transformers4j.models.t5.T5Config;

/**
 * LongT5's config.json. Port of {@code LongT5Config} (models/longt5/configuration_longt5.py): T5's fields with T5's
 * defaults and {@code feed_forward_proj} parsing (Python repeats them; here the class extends {@link T5Config}), plus
 * the encoder's efficient attention:
 * <ul>
 *   <li>{@code encoder_attention_type}: "local" (each token attends to {@code local_radius} tokens on each side) or
 *       "transient-global" (local, plus one global token per {@code global_block_size} input tokens);</li>
 *   <li>{@code local_radius} (default 127): the blocks of local attention are {@code local_radius + 1} long;</li>
 *   <li>{@code global_block_size} (default 16).</li>
 * </ul>
 */
public class LongT5Config extends T5Config {

    /** The two encoder attentions LongT5 has. */
    public static final String LOCAL = "local";
    public static final String TRANSIENT_GLOBAL = "transient-global";

    @JsonProperty("local_radius") private int localRadius = 127;
    @JsonProperty("global_block_size") private int globalBlockSize = 16;
    @JsonProperty("encoder_attention_type") private String encoderAttentionType = LOCAL;

    protected LongT5Config() {
        super();
        modelType = "longt5";
    }

    @Override
    protected void postInit() {
        super.postInit();
        if (!LOCAL.equals(encoderAttentionType) && !TRANSIENT_GLOBAL.equals(encoderAttentionType)) {
            throw new IllegalArgumentException("For encoder attention mechanism, either `local` or `transient-global` "
                    + "attention type is expected, but got " + encoderAttentionType + ".");
        }
        if (localRadius < 0 || globalBlockSize < 1) {
            throw new IllegalArgumentException("local_radius must be >= 0 and global_block_size >= 1, got "
                    + localRadius + " and " + globalBlockSize);
        }
    }

    public int localRadius() { return localRadius; }
    public int globalBlockSize() { return globalBlockSize; }
    public String encoderAttentionType() { return encoderAttentionType; }

    /** The length of a local-attention block: {@code local_radius + 1}. */
    public int blockLen() { return localRadius + 1; }
}
