package dev.microvmsandbox.engine;

import java.io.PrintStream;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What a person waiting for a first sandboxed class sees: one line per slow step of getting a
 * class its sandbox (the boot, the image load with its size), then one line when the sandbox is
 * ready, on the console whatever the logging setup (a test classpath without an slf4j binding
 * shows no log at all). A step that ends within {@link #QUIET} prints nothing, and a sandbox
 * whose steps all did prints no ready line either: a class served by a running VM is silent.
 *
 * <p>Lines start with {@value #PREFIX} and go to the stream the engine was given (the test JVM's
 * standard error), so reports that keep test output keep them too.
 */
final class Progress {

    /** Steps shorter than this print nothing: a boot under KVM, a VM reused, images loaded before. */
    static final Duration QUIET = Duration.ofSeconds(3);

    static final String PREFIX = "[microvm-sandbox] ";

    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "microvm-sandbox-progress");
        t.setDaemon(true);
        return t;
    });

    private final PrintStream console;
    private final Duration quiet;
    private final LongSupplier nanoTime;
    private final long start;
    private boolean spoke;

    Progress(PrintStream console) {
        this(console, QUIET, System::nanoTime);
    }

    Progress(PrintStream console, Duration quiet, LongSupplier nanoTime) {
        this.console = console;
        this.quiet = quiet;
        this.nanoTime = nanoTime;
        this.start = nanoTime.getAsLong();
    }

    /**
     * A step under way: {@code line} is printed once the step has taken {@link #QUIET}, unless it
     * ended before.
     */
    Step step(String line) {
        Step step = new Step(line);
        step.timer = TIMER.schedule(step::speak, quiet.toNanos(), TimeUnit.NANOSECONDS);
        return step;
    }

    /** The sandbox is ready: says so, with the time it took, if any step was slow enough to be shown. */
    synchronized void ready(String line) {
        if (spoke) {
            print(line + " after " + seconds(nanoTime.getAsLong() - start));
        }
    }

    private synchronized void print(String line) {
        spoke = true;
        console.println(PREFIX + line);
        console.flush();
    }

    static String seconds(long nanos) {
        return String.format(Locale.ROOT, "%.1f s", nanos / 1e9);
    }

    /** One step; {@link #close} ends it. */
    final class Step implements AutoCloseable {
        private final String line;
        private ScheduledFuture<?> timer;
        private boolean done;

        private Step(String line) {
            this.line = line;
        }

        private void speak() {
            synchronized (Progress.this) {
                if (!done) {
                    print(line);
                }
            }
        }

        @Override
        public void close() {
            synchronized (Progress.this) {
                done = true;
            }
            timer.cancel(false);
        }
    }
}
