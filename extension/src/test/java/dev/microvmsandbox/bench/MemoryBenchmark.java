package dev.microvmsandbox.bench;

import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.EngineFilter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherConfig;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * Prints the host memory (the qemu process's resident set) of a 3 GiB sandbox: idle, while a test
 * holds 1 GiB in the guest's JVM, and idle again after the test let it go. Once for a booted
 * sandbox, which has a balloon that reports freed pages, and once for one restored from a template,
 * which has none (see {@code QemuCommandLine.BALLOON}), in one run.
 *
 * <p>Run: {@code mvn -pl extension -Pbench test-compile exec:exec@memory} (from the repository root).
 */
public final class MemoryBenchmark {

    /** How long each idle spell lasts: the guest reports freed pages after 2 s, in batches. */
    static final long IDLE_MILLIS = 30_000;

    private static final String TEMPLATES = "microvm.sandbox.templates";

    public static void main(String[] args) throws Exception {
        System.out.println("host RSS of the sandbox's qemu, MiB (anonymous + file-backed)");
        System.out.printf("%-34s %16s %16s %16s%n", "sandbox", "idle", "holding 1 GiB", "idle after");
        boolean[] modes =
                args.length > 0 && args[0].equals("booted") ? new boolean[] {false} : new boolean[] {false, true};
        for (boolean templates : modes) {
            System.setProperty(TEMPLATES, Boolean.toString(templates));
            Run run = run();
            System.out.printf(
                    "%-34s %16s %16s %16s%n",
                    templates ? "restored from a template (no balloon)" : "booted (balloon)",
                    run.at("idlesBefore"),
                    run.peakDuring("holdsOneGibibyteAndLetsItGo"),
                    run.at("idlesAfter"));
        }
    }

    private static Run run() throws InterruptedException {
        Launcher launcher = LauncherFactory.create(LauncherConfig.builder()
                .enablePostDiscoveryFilterAutoRegistration(true)
                .build());
        Run run = new Run();
        Thread sampler = new Thread(run::sample, "rss-sampler");
        sampler.setDaemon(true);
        sampler.start();
        launcher.execute(
                LauncherDiscoveryRequestBuilder.request()
                        .filters(EngineFilter.includeEngines("microvm-sandbox"))
                        .selectors(selectClass(MemoryBenchFixture.class), selectClass(MemoryBenchIdleFixture.class))
                        .build(),
                run);
        sampler.interrupt();
        sampler.join();
        if (!run.failures.isEmpty()) {
            throw new IllegalStateException("the memory benchmark's classes failed: " + run.failures);
        }
        return run;
    }

    /** One resident-set reading of one qemu process, in KiB. */
    private record Sample(long nanos, long pid, long anonKib, long fileKib) {
        long totalKib() {
            return anonKib + fileKib;
        }

        @Override
        public String toString() {
            return String.format("%d (%d + %d)", totalKib() >> 10, anonKib >> 10, fileKib >> 10);
        }
    }

    private static final class Run implements TestExecutionListener {
        final List<Sample> samples = new CopyOnWriteArrayList<>();
        final Map<String, long[]> spans = new ConcurrentHashMap<>();
        final List<String> failures = new CopyOnWriteArrayList<>();

        void sample() {
            while (!Thread.currentThread().isInterrupted()) {
                ProcessHandle.current()
                        .descendants()
                        .filter(p -> p.info().command().orElse("").contains("qemu-system"))
                        .forEach(p -> read(p.pid()));
                try {
                    Thread.sleep(500);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private void read(long pid) {
            long anon = -1;
            long file = -1;
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                    if (line.startsWith("RssAnon:")) {
                        anon = kib(line);
                    } else if (line.startsWith("RssFile:")) {
                        file = kib(line);
                    }
                }
            } catch (IOException e) {
                return; // gone
            }
            if (anon >= 0 && file >= 0) {
                samples.add(new Sample(System.nanoTime(), pid, anon, file));
            }
        }

        private static long kib(String line) {
            return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }

        @Override
        public void executionStarted(TestIdentifier id) {
            method(id).ifPresent(m -> spans.put(m, new long[] {System.nanoTime(), Long.MAX_VALUE}));
        }

        @Override
        public void executionFinished(TestIdentifier id, TestExecutionResult result) {
            method(id).ifPresent(m -> spans.get(m)[1] = System.nanoTime());
            if (result.getStatus() != TestExecutionResult.Status.SUCCESSFUL) {
                failures.add(id.getDisplayName() + ": "
                        + result.getThrowable().map(Throwable::toString).orElse("?"));
            }
        }

        private static java.util.Optional<String> method(TestIdentifier id) {
            return id.getSource().filter(s -> s instanceof MethodSource).map(s -> ((MethodSource) s).getMethodName());
        }

        /** The last reading before the test method ended. */
        String at(String method) {
            List<Sample> in = during(method);
            return in.isEmpty() ? "no reading" : in.get(in.size() - 1).toString();
        }

        /** The largest reading while the test method ran. */
        String peakDuring(String method) {
            return during(method).stream()
                    .max(java.util.Comparator.comparingLong(Sample::totalKib))
                    .map(Sample::toString)
                    .orElse("no reading");
        }

        private List<Sample> during(String method) {
            long[] span = spans.get(method);
            if (span == null) {
                throw new IllegalStateException(method + " never ran");
            }
            List<Sample> in = new ArrayList<>();
            for (Sample s : samples) {
                if (s.nanos() >= span[0] && s.nanos() <= span[1]) {
                    in.add(s);
                }
            }
            return in;
        }
    }
}
