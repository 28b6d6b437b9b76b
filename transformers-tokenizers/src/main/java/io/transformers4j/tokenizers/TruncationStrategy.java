package io.transformers4j.tokenizers;

/** Python's {@code TruncationStrategy}: {@code truncation=True} is LONGEST_FIRST. */
public enum TruncationStrategy {
    DO_NOT_TRUNCATE, LONGEST_FIRST, ONLY_FIRST, ONLY_SECOND;

    /** Parses Python's spellings: true/"longest_first", "only_first", "only_second", false/"do_not_truncate". */
    public static TruncationStrategy of(Object v) {
        if (v == null || Boolean.FALSE.equals(v)) {
            return DO_NOT_TRUNCATE;
        }
        if (Boolean.TRUE.equals(v)) {
            return LONGEST_FIRST;
        }
        if (v instanceof TruncationStrategy t) {
            return t;
        }
        return switch (v.toString()) {
            case "longest_first", "true" -> LONGEST_FIRST;
            case "only_first" -> ONLY_FIRST;
            case "only_second" -> ONLY_SECOND;
            case "do_not_truncate", "false" -> DO_NOT_TRUNCATE;
            default -> throw new IllegalArgumentException("Unknown truncation strategy '" + v
                    + "': use true/'longest_first', 'only_first', 'only_second' or false/'do_not_truncate'");
        };
    }
}
