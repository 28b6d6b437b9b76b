package io.transformers4j.generation;

/** The decoding strategy a {@link GenerationConfig} selects. Port of Python's {@code GenerationMode}. */
public enum GenerationMode {
    CONTRASTIVE_SEARCH("contrastive_search"),
    GREEDY_SEARCH("greedy_search"),
    SAMPLE("sample"),
    ASSISTED_GENERATION("assisted_generation"),
    BEAM_SEARCH("beam_search"),
    BEAM_SAMPLE("beam_sample"),
    CONSTRAINED_BEAM_SEARCH("constrained_beam_search"),
    GROUP_BEAM_SEARCH("group_beam_search");

    private final String value;

    GenerationMode(String value) {
        this.value = value;
    }

    /** Python's string value, e.g. {@code "beam_search"}. */
    public String value() {
        return value;
    }
}
