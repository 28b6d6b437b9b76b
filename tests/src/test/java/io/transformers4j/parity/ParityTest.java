package io.transformers4j.parity;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * One dynamic test per reference case under {@code tests/fixtures} (or the folder named by the system property
 * {@code transformers4j.fixtures}). Unsupported architectures are reported as skipped, with their name.
 */
class ParityTest {

    @TestFactory
    Stream<DynamicTest> fixtures() throws IOException {
        Path root = Path.of(System.getProperty("transformers4j.fixtures", "fixtures"));
        return FixtureCase.discover(root).stream().map(dir -> DynamicTest.dynamicTest(
                root.relativize(dir).toString(), () -> {
                    ParityRunner.Result r = ParityRunner.run(dir);
                    switch (r.status()) {
                        case PASS -> { }
                        case SKIP -> Assumptions.abort(r.message());
                        default -> fail(r.message());
                    }
                }));
    }
}
