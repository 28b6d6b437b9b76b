package io.transformers4j.generation;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;

/**
 * Beam search's stopping rule (Python's {@code early_stopping}: {@code True}, {@code False} or {@code "never"}).
 * TRUE stops once {@code num_beams} hypotheses are finished; FALSE uses the heuristic on the current length;
 * NEVER stops only when no better hypothesis can exist (canonical beam search).
 */
public enum EarlyStopping {
    TRUE, FALSE, NEVER;

    public static EarlyStopping of(boolean b) {
        return b ? TRUE : FALSE;
    }

    /** From the JSON value; anything but true, false or "never" raises Python's message. */
    public static EarlyStopping fromJson(JsonNode n) {
        if (n == null || n.isNull()) {
            return FALSE;
        }
        if (n.isBoolean()) {
            return of(n.asBoolean());
        }
        if (n.isTextual() && n.asText().equals("never")) {
            return NEVER;
        }
        throw new IllegalArgumentException("`early_stopping` must be a boolean or 'never', but is "
                + (n.isTextual() ? n.asText() : n.toString()) + ".");
    }

    public JsonNode toJson() {
        return this == NEVER ? TextNode.valueOf("never") : BooleanNode.valueOf(this == TRUE);
    }

    @Override
    public String toString() {
        return this == NEVER ? "never" : this == TRUE ? "True" : "False";
    }
}
