package io.transformers4j.tokenizers;

/**
 * The keyword arguments of Python's {@code tokenizer(text, text_pair, ...)}: special tokens, padding, truncation,
 * what to return. {@code truncation == null} means "not given" (Python's {@code truncation=None}): with a
 * {@code maxLength} and no padding it then defaults to longest_first, as in Python.
 */
public record EncodeOptions(boolean addSpecialTokens, PaddingStrategy padding, TruncationStrategy truncation,
        Integer maxLength, int stride, Integer padToMultipleOf, Boolean returnTokenTypeIds,
        Boolean returnAttentionMask, boolean returnOverflowingTokens, boolean returnSpecialTokensMask,
        boolean returnOffsetsMapping, boolean verbose) {

    public EncodeOptions {
        if (padding == null) {
            padding = PaddingStrategy.DO_NOT_PAD;
        }
        if (maxLength != null && maxLength < 0) {
            throw new IllegalArgumentException("max_length must be >= 0, got " + maxLength);
        }
        if (stride < 0) {
            throw new IllegalArgumentException("stride must be >= 0, got " + stride);
        }
        if (padToMultipleOf != null && padToMultipleOf <= 0) {
            throw new IllegalArgumentException("pad_to_multiple_of must be > 0, got " + padToMultipleOf);
        }
    }

    /** Python's defaults: special tokens added, no padding, no truncation. */
    public static EncodeOptions defaults() {
        return new EncodeOptions(true, PaddingStrategy.DO_NOT_PAD, null, null, 0, null, null, null, false, false,
                false, true);
    }

    public static Builder builder() {
        return new Builder(defaults());
    }

    public Builder toBuilder() {
        return new Builder(this);
    }

    public EncodeOptions withAddSpecialTokens(boolean b) {
        return toBuilder().addSpecialTokens(b).build();
    }

    /** Builder with Python's argument names. */
    public static final class Builder {
        private boolean addSpecialTokens;
        private PaddingStrategy padding;
        private TruncationStrategy truncation;
        private Integer maxLength;
        private int stride;
        private Integer padToMultipleOf;
        private Boolean returnTokenTypeIds;
        private Boolean returnAttentionMask;
        private boolean returnOverflowingTokens;
        private boolean returnSpecialTokensMask;
        private boolean returnOffsetsMapping;
        private boolean verbose;

        private Builder(EncodeOptions o) {
            addSpecialTokens = o.addSpecialTokens;
            padding = o.padding;
            truncation = o.truncation;
            maxLength = o.maxLength;
            stride = o.stride;
            padToMultipleOf = o.padToMultipleOf;
            returnTokenTypeIds = o.returnTokenTypeIds;
            returnAttentionMask = o.returnAttentionMask;
            returnOverflowingTokens = o.returnOverflowingTokens;
            returnSpecialTokensMask = o.returnSpecialTokensMask;
            returnOffsetsMapping = o.returnOffsetsMapping;
            verbose = o.verbose;
        }

        public Builder addSpecialTokens(boolean b) { addSpecialTokens = b; return this; }
        public Builder padding(PaddingStrategy p) { padding = p; return this; }
        /** {@code true} = longest, {@code false} = no padding, or "longest" / "max_length". */
        public Builder padding(Object p) { padding = PaddingStrategy.of(p); return this; }
        public Builder truncation(TruncationStrategy t) { truncation = t; return this; }
        /** {@code true} = longest_first, {@code false} = none, or "only_first" / "only_second" / "longest_first". */
        public Builder truncation(Object t) { truncation = t == null ? null : TruncationStrategy.of(t); return this; }
        public Builder maxLength(Integer n) { maxLength = n; return this; }
        public Builder stride(int n) { stride = n; return this; }
        public Builder padToMultipleOf(Integer n) { padToMultipleOf = n; return this; }
        public Builder returnTokenTypeIds(Boolean b) { returnTokenTypeIds = b; return this; }
        public Builder returnAttentionMask(Boolean b) { returnAttentionMask = b; return this; }
        public Builder returnOverflowingTokens(boolean b) { returnOverflowingTokens = b; return this; }
        public Builder returnSpecialTokensMask(boolean b) { returnSpecialTokensMask = b; return this; }
        public Builder returnOffsetsMapping(boolean b) { returnOffsetsMapping = b; return this; }
        public Builder verbose(boolean b) { verbose = b; return this; }

        public EncodeOptions build() {
            return new EncodeOptions(addSpecialTokens, padding, truncation, maxLength, stride, padToMultipleOf,
                    returnTokenTypeIds, returnAttentionMask, returnOverflowingTokens, returnSpecialTokensMask,
                    returnOffsetsMapping, verbose);
        }
    }
}
