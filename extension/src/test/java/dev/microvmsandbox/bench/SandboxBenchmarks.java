package dev.microvmsandbox.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.qemu.QemuBackend;
import dev.microvmsandbox.containerimage.ImageSources;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.reporting.ReportEntry;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Prints the numbers the README quotes:
 * <ul>
 *   <li>per-class overhead: a trivial class plain vs sandboxed, boot included and excluded;</li>
 *   <li>nested containers: Redis started with podman directly and through Testcontainers in the guest;</li>
 *   <li>image preload time per MiB.</li>
 * </ul>
 * Run: {@code mvn -pl extension -Pbench test-compile exec:exec@sandbox} (from the repository root;
 * {@code -Dsandbox.only=class} for the first part only).
 */
public final class SandboxBenchmarks {

    /** With an argument other than {@code all}, only that part: {@code class}, {@code containers} or {@code preload}. */
    public static void main(String[] args) throws Exception {
        List<String> all = List.of("class", "containers", "preload");
        String only = args.length > 0 ? args[0] : "all";
        if (!only.equals("all") && !all.contains(only)) {
            throw new IllegalArgumentException("unknown part " + only + "; use class, containers or preload");
        }
        List<String> parts = only.equals("all") ? all : List.of(only);
        if (parts.contains("class")) {
            classOverhead();
        }
        if (parts.contains("containers") || parts.contains("preload")) {
            Path redis = redisArchive();
            if (parts.contains("containers")) {
                nestedContainers(redis);
            }
            if (parts.contains("preload")) {
                preloadPerMiB(redis);
            }
        }
    }

    private static void classOverhead() {
        long plain = run("junit-jupiter", false, TrivialBenchFixture.class).totalMillis();
        Timings sandboxed = run("microvm-sandbox", true, TrivialBenchFixture.class, TrivialBenchFixtureAgain.class);
        long first = sandboxed.classMillis.get(TrivialBenchFixture.class.getName());
        long second = sandboxed.classMillis.get(TrivialBenchFixtureAgain.class.getName());
        System.out.printf("trivial class, plain on the host:             %6d ms%n", plain);
        System.out.printf(
                "trivial class, sandboxed, boot included:      %6d ms (whole engine run: %d ms)%n",
                sandboxed.totalMillis() - second, sandboxed.totalMillis());
        System.out.printf("trivial class, sandboxed, VM already running: %6d ms%n", second);
        System.out.printf("  (first class's own time after the boot:     %6d ms)%n", first);
        System.out.printf(
                "  (engine run before the first class started:  %6d ms, after the last class ended: %d ms)%n",
                sandboxed.beforeFirstClassMillis(), sandboxed.afterLastClassMillis());
    }

    private static void nestedContainers(Path redis) throws IOException {
        Path target = Path.of(System.getProperty("user.dir"), "target", "bench-images", "redis.tar");
        Files.createDirectories(target.getParent());
        Files.copy(redis, target, StandardCopyOption.REPLACE_EXISTING);
        Timings t = run("microvm-sandbox", true, ContainerStartBenchFixture.class);
        if (!t.failures.isEmpty()) {
            throw new IllegalStateException("the container benchmark failed: " + t.failures);
        }
        Matcher m = Pattern.compile("BENCH (\\S+)=(\\d+)").matcher(t.output);
        while (m.find()) {
            System.out.printf("nested Redis, %-28s %6s ms%n", m.group(1) + ":", m.group(2));
        }
    }

    private static void preloadPerMiB(Path redis) {
        try (Sandbox sandbox = QemuBackend.create().start(SandboxConfig.defaults())) {
            ImageSources.Preloaded p = ImageSources.preload(sandbox, List.of("docker-archive:" + redis), Path.of("/"))
                    .get(0);
            System.out.printf(
                    "image preload (%d MiB): copy %d ms + podman load %d ms = %.0f ms/MiB%n",
                    p.archive().bytes() >> 20, p.copyMillis(), p.loadMillis(), p.millisPerMiB());
        }
    }

    /** The quickstart's Redis image, built by sandbox-image/samples/build.sh (cached). */
    static Path redisArchive() throws IOException, InterruptedException {
        Path repo = Path.of(System.getProperty("microvm.sandbox.repo", ".."));
        Process p = new ProcessBuilder(
                        "bash", repo.resolve("sandbox-image/samples/build.sh").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("sandbox-image/samples/build.sh failed");
        }
        return Path.of(out.substring(out.lastIndexOf('\n') + 1)).resolve("redis.tar");
    }

    private static Timings run(String engine, boolean sandboxFilter, Class<?>... classes) {
        Launcher launcher = LauncherFactory.create(LauncherConfig.builder()
                .enablePostDiscoveryFilterAutoRegistration(sandboxFilter)
                .build());
        LauncherDiscoveryRequestBuilder request =
                LauncherDiscoveryRequestBuilder.request().filters(EngineFilter.includeEngines(engine));
        for (Class<?> c : classes) {
            request.selectors(selectClass(c.getName()));
        }
        LauncherDiscoveryRequest built = request.build();
        Timings timings = new Timings();
        timings.runStarted = System.nanoTime();
        launcher.execute(built, timings);
        timings.runEnded = System.nanoTime();
        return timings;
    }

    private static final class Timings implements TestExecutionListener {
        final Map<String, Long> started = new ConcurrentHashMap<>();
        final Map<String, Long> classMillis = new ConcurrentHashMap<>();
        final List<String> failures = new ArrayList<>();
        final StringBuffer output = new StringBuffer();
        long runStarted;
        long runEnded;
        volatile long firstClassStarted;
        volatile long lastClassEnded;

        long totalMillis() {
            return (runEnded - runStarted) / 1_000_000;
        }

        long beforeFirstClassMillis() {
            return (firstClassStarted - runStarted) / 1_000_000;
        }

        long afterLastClassMillis() {
            return (runEnded - lastClassEnded) / 1_000_000;
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            long now = System.nanoTime();
            started.put(id.getUniqueId(), now);
            if (firstClassStarted == 0
                    && id.getSource().filter(s -> s instanceof ClassSource).isPresent()) {
                firstClassStarted = now;
            }
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            Long t0 = started.get(id.getUniqueId());
            id.getSource()
                    .filter(s -> s instanceof ClassSource)
                    .map(s -> ((ClassSource) s).getClassName())
                    .ifPresent(name -> {
                        lastClassEnded = System.nanoTime();
                        classMillis.put(name, (lastClassEnded - t0) / 1_000_000);
                    });
            if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                failures.add(id.getDisplayName() + ": "
                        + result.getThrowable().map(Throwable::toString).orElse("?"));
            }
        }

        @Override
        public void reportingEntryPublished(TestIdentifier id, ReportEntry entry) {
            entry.getKeyValuePairs().forEach((k, v) -> {
                if (k.equals("stdout")) {
                    output.append(v);
                }
            });
        }
    }
}
