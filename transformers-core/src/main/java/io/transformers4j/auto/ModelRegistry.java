package io.transformers4j.auto;

import io.transformers4j.config.PretrainedConfig;
import io.transformers4j.modeling.ModelClass;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.TreeSet;

/** The families found on the class path through {@link ServiceLoader}, indexed by model_type and class name. */
public final class ModelRegistry {

    private static volatile Map<String, ModelFamily> families;

    private ModelRegistry() {}

    public static Map<String, ModelFamily> families() {
        Map<String, ModelFamily> f = families;
        if (f == null) {
            synchronized (ModelRegistry.class) {
                if (families == null) {
                    Map<String, ModelFamily> m = new LinkedHashMap<>();
                    for (ModelFamily family : ServiceLoader.load(ModelFamily.class)) {
                        m.put(family.modelType(), family);
                    }
                    families = m;
                }
                f = families;
            }
        }
        return f;
    }

    /** The family of {@code modelType}; the error lists the supported ones. */
    public static ModelFamily family(String modelType) {
        ModelFamily f = families().get(modelType);
        if (f == null) {
            throw new IllegalArgumentException("Unrecognized model_type '" + modelType + "'. Supported model types: "
                    + String.join(", ", new TreeSet<>(families().keySet())));
        }
        return f;
    }

    /** The model class named {@code architecture} ("BertForMaskedLM"), searching every family. */
    public static ModelClass<?, ?> modelClass(String architecture) {
        for (ModelFamily f : families().values()) {
            for (ModelClass<?, ?> c : f.modelClasses()) {
                if (c.name().equals(architecture)) {
                    return c;
                }
            }
        }
        TreeSet<String> known = new TreeSet<>();
        families().values().forEach(f -> f.modelClasses().forEach(c -> known.add(c.name())));
        throw new IllegalArgumentException("Unknown architecture '" + architecture + "'. Supported: " + known);
    }

    /** The class {@code task}'s Auto class picks for {@code config}. */
    public static ModelClass<?, ?> forTask(PretrainedConfig config, AutoTask task) {
        ModelFamily f = family(config.modelType());
        ModelClass<?, ?> c = f.autoClasses().get(task);
        if (c == null) {
            throw new IllegalArgumentException("Unrecognized configuration class " + config.getClass().getSimpleName()
                    + " for " + task.pythonName() + ". Model type '" + config.modelType() + "' supports: "
                    + f.autoClasses().keySet().stream().map(AutoTask::pythonName).toList());
        }
        return c;
    }
}
