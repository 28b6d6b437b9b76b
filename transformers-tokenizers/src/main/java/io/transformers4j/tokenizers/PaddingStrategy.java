package io.transformers4j.tokenizers;

/** Python's {@code PaddingStrategy}: {@code padding=True} is LONGEST, {@code padding="max_length"} is MAX_LENGTH. */
public enum PaddingStrategy {
    DO_NOT_PAD, LONGEST, MAX_LENGTH;

    /** Parses Python's spellings: true/"longest", "max_length", false/"do_not_pad". */
    public static PaddingStrategy of(Object v) {
        if (v == null || Boolean.FALSE.equals(v)) {
            return DO_NOT_PAD;
        }
        if (Boolean.TRUE.equals(v)) {
            return LONGEST;
        }
        if (v instanceof PaddingStrategy p) {
            return p;
        }
        return switch (v.toString()) {
            case "longest", "true" -> LONGEST;
            case "max_length" -> MAX_LENGTH;
            case "do_not_pad", "false" -> DO_NOT_PAD;
            default -> throw new IllegalArgumentException("Unknown padding strategy '" + v
                    + "': use true/'longest', 'max_length' or false/'do_not_pad'");
        };
    }
}
