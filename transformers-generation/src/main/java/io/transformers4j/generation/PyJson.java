package io.transformers4j.generation;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * Writes JSON exactly as Python's {@code json.dumps(obj, indent=2, sort_keys=True)} does (the format of
 * generation_config.json): {@code ": "} separators, one array element per line, ASCII escapes, Python float repr.
 */
final class PyJson {
    private PyJson() {}

    static String dumps(JsonNode node, boolean sortKeys) {
        StringBuilder sb = new StringBuilder();
        write(sb, node, 0, sortKeys);
        return sb.toString();
    }

    private static void write(StringBuilder sb, JsonNode n, int level, boolean sortKeys) {
        if (n == null || n.isNull() || n.isMissingNode()) {
            sb.append("null");
        } else if (n.isBoolean()) {
            sb.append(n.asBoolean() ? "true" : "false");
        } else if (n.isIntegralNumber()) {
            sb.append(n.bigIntegerValue().toString());
        } else if (n.isNumber()) {
            double d = n.asDouble();
            sb.append(Double.isNaN(d) ? "NaN" : Double.isInfinite(d) ? (d > 0 ? "Infinity" : "-Infinity")
                    : GenUtil.pyFloat(d));
        } else if (n.isTextual()) {
            string(sb, n.asText());
        } else if (n.isArray()) {
            if (n.size() == 0) {
                sb.append("[]");
                return;
            }
            sb.append("[\n");
            for (int i = 0; i < n.size(); i++) {
                indent(sb, level + 1);
                write(sb, n.get(i), level + 1, sortKeys);
                sb.append(i + 1 < n.size() ? ",\n" : "\n");
            }
            indent(sb, level);
            sb.append(']');
        } else if (n.isObject()) {
            if (n.size() == 0) {
                sb.append("{}");
                return;
            }
            List<String> names = new ArrayList<>();
            for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
                names.add(it.next());
            }
            if (sortKeys) {
                Collections.sort(names);
            }
            sb.append("{\n");
            for (int i = 0; i < names.size(); i++) {
                indent(sb, level + 1);
                string(sb, names.get(i));
                sb.append(": ");
                write(sb, n.get(names.get(i)), level + 1, sortKeys);
                sb.append(i + 1 < names.size() ? ",\n" : "\n");
            }
            indent(sb, level);
            sb.append('}');
        } else {
            sb.append(n.toString());
        }
    }

    private static void indent(StringBuilder sb, int level) {
        sb.append("  ".repeat(level));
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\b' -> sb.append("\\b");
                case '\f' -> sb.append("\\f");
                default -> {
                    if (c < 0x20 || c > 0x7e) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
