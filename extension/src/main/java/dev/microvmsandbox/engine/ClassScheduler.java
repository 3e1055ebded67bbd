package dev.microvmsandbox.engine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.ToLongFunction;
import org.junit.platform.engine.ConfigurationParameters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the sandboxed classes of one execution: one after another on the engine's thread, or
 * several at once, each in its own VM, where parallel execution is on and the host's memory has
 * room for another VM.
 *
 * <p>Parallel execution follows {@code microvm.sandbox.parallel.enabled}, which defaults to
 * Jupiter's own {@code junit.jupiter.execution.parallel.enabled}. At most
 * {@code microvm.sandbox.parallel.maxSandboxes} classes run at once (default: half the host's
 * processors, since a VM has 2 vCPUs by default), and a class starts only while the memory of the
 * VMs already running plus its own fits in what the host had available when the run began.
 */
final class ClassScheduler {

    private static final Logger LOG = LoggerFactory.getLogger(ClassScheduler.class);
    static final String ENABLED = SandboxSettings.PREFIX + "parallel.enabled";
    static final String MAX_SANDBOXES = SandboxSettings.PREFIX + "parallel.maxSandboxes";
    static final String JUPITER_ENABLED = "junit.jupiter.execution.parallel.enabled";
    /** Kept free for the host itself when budgeting VM memory. */
    static final long HOST_RESERVE = 1L << 30;

    private final int maxParallel;
    private final LongSupplier availableMemory;
    private final String error;

    ClassScheduler(int maxParallel, LongSupplier availableMemory, String error) {
        this.maxParallel = maxParallel;
        this.availableMemory = availableMemory;
        this.error = error;
    }

    static ClassScheduler from(ConfigurationParameters parameters) {
        String enabledText = parameters
                .get(ENABLED)
                .or(() -> parameters.get(JUPITER_ENABLED))
                .orElse("false")
                .trim();
        if (!enabledText.equalsIgnoreCase("true") && !enabledText.equalsIgnoreCase("false")) {
            return invalid(
                    ENABLED + "=" + enabledText + " is wrong (not true or false); write it like " + ENABLED + "=true");
        }
        int max = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
        Optional<String> maxText =
                parameters.get(MAX_SANDBOXES).map(String::trim).filter(s -> !s.isEmpty());
        if (maxText.isPresent()) {
            try {
                max = Integer.parseInt(maxText.get());
            } catch (NumberFormatException e) {
                max = 0;
            }
            if (max < 1) {
                return invalid(MAX_SANDBOXES + "=" + maxText.get() + " is wrong (not a whole number of at least 1); "
                        + "write it like " + MAX_SANDBOXES + "=2");
            }
        }
        return new ClassScheduler(
                Boolean.parseBoolean(enabledText.toLowerCase(Locale.ROOT)) ? max : 1,
                ClassScheduler::memAvailable,
                null);
    }

    private static ClassScheduler invalid(String error) {
        return new ClassScheduler(1, () -> -1, error);
    }

    /** Why no class may run, if a parameter of this scheduler is wrong. */
    Optional<String> problem() {
        return Optional.ofNullable(error);
    }

    int maxParallel() {
        return maxParallel;
    }

    /**
     * Runs {@code body} for every class and returns when all are done.
     *
     * @param memoryOf the memory a class's VM takes, in bytes
     */
    <T> void run(List<T> classes, ToLongFunction<T> memoryOf, Consumer<T> body) {
        if (maxParallel == 1 || classes.size() < 2) {
            classes.forEach(body);
            return;
        }
        long available = availableMemory.getAsLong();
        long budget = available < 0 ? Long.MAX_VALUE : Math.max(0, available - HOST_RESERVE);
        LOG.info(
                "running up to {} sandboxed classes at once{}",
                maxParallel,
                budget == Long.MAX_VALUE ? "" : " within " + (budget >> 20) + " MiB of VM memory");
        AtomicInteger threads = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(maxParallel, r -> {
            Thread t = new Thread(r, "microvm-sandbox-class-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        MemoryBudget memory = new MemoryBudget(budget, maxParallel);
        List<Future<?>> running = new ArrayList<>();
        try {
            for (T cls : classes) {
                long need = memoryOf.applyAsLong(cls);
                memory.reserve(need);
                running.add(pool.submit(() -> {
                    try {
                        body.accept(cls);
                    } finally {
                        memory.free(need);
                    }
                }));
            }
            for (Future<?> f : running) {
                f.get();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            running.forEach(f -> f.cancel(true));
        } catch (ExecutionException e) {
            throw new IllegalStateException("a sandboxed class's execution failed on the host", e.getCause());
        } finally {
            pool.shutdown();
        }
    }

    /** MemAvailable from /proc/meminfo, or -1 where there is none. */
    static long memAvailable() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemAvailable:")) {
                    String[] parts = line.trim().split("\\s+");
                    return Long.parseLong(parts[1]) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("no MemAvailable: {}", e.toString());
        }
        return -1;
    }

    /** Classes at once and their VMs' memory; the first class always gets to run, however big. */
    static final class MemoryBudget {
        private final long budget;
        private final int maxClasses;
        private long reserved;
        private int classes;

        MemoryBudget(long budget, int maxClasses) {
            this.budget = budget;
            this.maxClasses = maxClasses;
        }

        synchronized void reserve(long bytes) throws InterruptedException {
            while (classes > 0 && (classes >= maxClasses || reserved + bytes > budget)) {
                wait();
            }
            classes++;
            reserved += bytes;
        }

        synchronized void free(long bytes) {
            classes--;
            reserved -= bytes;
            notifyAll();
        }
    }
}
