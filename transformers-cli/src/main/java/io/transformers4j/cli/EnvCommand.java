package io.transformers4j.cli;

import ai.djl.engine.Engine;
import io.transformers4j.hub.HubOptions;
import io.transformers4j.torch.Torch;
import java.io.PrintStream;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code transformers env}: what {@code transformers-cli env} prints, for bug reports. */
final class EnvCommand {
    private EnvCommand() {}

    static Map<String, String> collect() {
        Map<String, String> m = new LinkedHashMap<>();
        Package p = EnvCommand.class.getPackage();
        m.put("transformers4j version", p.getImplementationVersion() == null ? "0.1.0-SNAPSHOT" : p.getImplementationVersion());
        m.put("Ported from", "Python transformers 4.39");
        m.put("Platform", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        m.put("Java version", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", "
                + System.getProperty("java.vendor") + ")");
        m.put("DJL version", Engine.getDjlVersion());
        Torch.ensureThreadReady();
        Engine engine = Engine.getEngine("PyTorch");
        m.put("LibTorch version", engine.getVersion());
        m.put("LibTorch location", ai.djl.pytorch.jni.LibUtils.getLibtorchPath());
        m.put("GPUs visible", Integer.toString(engine.getGpuCount()));
        m.put("Default device", engine.defaultDevice().toString());
        m.put("Intra-op threads", Integer.toString(Torch.numThreads()));
        m.put("CPU cores", Integer.toString(Runtime.getRuntime().availableProcessors()));
        m.put("Max heap", (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        HubOptions hub = HubOptions.defaults();
        m.put("Hub cache", hub.cacheDir().toString());
        m.put("Hub endpoint", hub.endpoint());
        m.put("Offline (HF_HUB_OFFLINE)", Boolean.toString(hub.localFilesOnly()));
        m.put("Token set", Boolean.toString(hub.token() != null));
        return m;
    }

    static int run(PrintStream out) {
        out.println();
        out.println("Copy-and-paste the text below in your GitHub issue and FILL OUT the two last points.");
        out.println();
        collect().forEach((k, v) -> out.println("- " + k + ": " + v));
        out.println("- Using GPU in script?: <fill in>");
        out.println("- Using distributed or parallel set-up in script?: <fill in>");
        out.println();
        return 0;
    }
}
