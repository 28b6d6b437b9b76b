package io.transformers4j.modeling;

import ai.djl.Device;
import io.transformers4j.hub.HubOptions;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Options of {@code fromPretrained}: Python's {@code torch_dtype}, {@code device_map} (one device), hub arguments
 * ({@code revision}, {@code local_files_only}, {@code token}, {@code cache_dir}) and config overrides.
 *
 * @param dtype "float32" (default, like Python), "float16", "bfloat16", or "auto" (the config's torch_dtype)
 * @param strict when true, missing or unexpected checkpoint keys fail the load instead of being logged
 */
public record LoadOptions(String dtype, Device device, HubOptions hub, boolean strict, Map<String, Object> configOverrides) {

    public static LoadOptions defaults() {
        return new LoadOptions("float32", Device.cpu(), HubOptions.defaults(), false, Map.of());
    }

    public LoadOptions withDtype(String d) { return new LoadOptions(d, device, hub, strict, configOverrides); }
    public LoadOptions withDevice(Device d) { return new LoadOptions(dtype, d, hub, strict, configOverrides); }
    public LoadOptions withHub(HubOptions h) { return new LoadOptions(dtype, device, h, strict, configOverrides); }
    public LoadOptions withRevision(String r) { return withHub(hub.withRevision(r)); }
    public LoadOptions withLocalFilesOnly(boolean b) { return withHub(hub.withLocalFilesOnly(b)); }
    public LoadOptions withStrict(boolean s) { return new LoadOptions(dtype, device, hub, s, configOverrides); }

    /** Adds a config.json override, like {@code from_pretrained(..., num_labels=3)}. */
    public LoadOptions withConfig(String key, Object value) {
        Map<String, Object> m = new LinkedHashMap<>(configOverrides);
        m.put(key, value);
        return new LoadOptions(dtype, device, hub, strict, m);
    }
}
