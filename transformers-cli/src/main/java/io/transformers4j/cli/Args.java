package io.transformers4j.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Minimal GNU-style argument parsing: {@code --name value}, {@code --name=value}, {@code --flag}, positionals. */
final class Args {
    final List<String> positionals = new ArrayList<>();
    final Map<String, String> options = new LinkedHashMap<>();

    /** Parses {@code argv}; {@code flags} are options that take no value. Unknown options fail, naming them. */
    static Args parse(String[] argv, int from, Set<String> valued, Set<String> flags) {
        Args a = new Args();
        for (int i = from; i < argv.length; i++) {
            String s = argv[i];
            if (s.equals("--")) {
                for (int j = i + 1; j < argv.length; j++) {
                    a.positionals.add(argv[j]);
                }
                break;
            }
            if (s.startsWith("--") && s.length() > 2) {
                String name = s.substring(2);
                String value = null;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                }
                if (flags.contains(name)) {
                    a.options.put(name, value == null ? "true" : value);
                } else if (valued.contains(name)) {
                    if (value == null) {
                        if (i + 1 >= argv.length) {
                            throw new UsageException("option --" + name + " needs a value");
                        }
                        value = argv[++i];
                    }
                    a.options.put(name, value);
                } else {
                    throw new UsageException("unknown option --" + name);
                }
            } else {
                a.positionals.add(s);
            }
        }
        return a;
    }

    String get(String name, String dflt) {
        return options.getOrDefault(name, dflt);
    }

    boolean flag(String name) {
        return Boolean.parseBoolean(options.getOrDefault(name, "false"));
    }

    int getInt(String name, int dflt) {
        String v = options.get(name);
        if (v == null) {
            return dflt;
        }
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, got '" + v + "'");
        }
    }

    /** A mistake in the command line: printed with the usage, exit code 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }
}
