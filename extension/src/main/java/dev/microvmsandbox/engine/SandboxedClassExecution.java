package dev.microvmsandbox.engine;

import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.TimeLimit;
import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Message;
import dev.microvmsandbox.containerimage.ImageArchive;
import dev.microvmsandbox.containerimage.ImageSources;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.platform.engine.EngineExecutionListener;
import org.junit.platform.engine.TestExecutionResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one sandboxed class: gets it a sandbox, asks the guest agent to run it, and replays what
 * comes back on the engine's thread until the guest says it is done, the sandbox dies or the
 * class's time is up.
 */
final class SandboxedClassExecution {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxedClassExecution.class);
    /** Events waiting for the engine thread; a guest that outruns it this far is flooding and loses its sandbox. */
    static final int INBOX_CAPACITY = 50_000;

    private final SandboxedClassDescriptor descriptor;
    private final Sandboxes sandboxes;
    private final Map<String, String> guestConfiguration;
    private final EngineExecutionListener listener;
    private final PrintStream out;
    private final PrintStream err;

    SandboxedClassExecution(
            SandboxedClassDescriptor descriptor,
            Sandboxes sandboxes,
            Map<String, String> guestConfiguration,
            EngineExecutionListener listener,
            PrintStream out,
            PrintStream err) {
        this.descriptor = descriptor;
        this.sandboxes = sandboxes;
        this.guestConfiguration = guestConfiguration;
        this.listener = listener;
        this.out = out;
        this.err = err;
    }

    void run() {
        if (descriptor.settingsError().isPresent()) {
            failClass(new IllegalArgumentException(descriptor.settingsError().get()));
            return;
        }
        if (descriptor.classpathProblem().isPresent()) {
            failClass(new SandboxException(descriptor.classpathProblem().get()));
            return;
        }
        SandboxedClassDescriptor.GuestSelection selection = descriptor.guestSelection();
        if (selection.isEmpty()) {
            // filters left none of its tests; the platform normally prunes such a class before it gets here
            return;
        }
        SandboxSettings settings = descriptor.settings().orElseThrow();
        ImageSources sources = ImageSources.forProject(Path.of(System.getProperty("user.dir")));
        List<ImageArchive> images;
        try {
            // before the VM boots: a missing image costs no boot
            images = sources.resolve(settings.images());
        } catch (RuntimeException e) {
            failClass(e);
            return;
        }
        Progress progress = new Progress(err);
        Sandbox sandbox;
        Progress.Step boot = progress.step("starting a sandbox for " + descriptor.className() + " ("
                + settings.config().memory() + " memory, " + settings.config().cpus() + " vCPUs)");
        try {
            sandbox = sandboxes.acquire(settings, images);
        } catch (RuntimeException e) {
            failClass(
                    e instanceof SandboxException
                            ? e
                            : new SandboxException(
                                    "the sandbox for " + descriptor.className() + " could not start: " + e, e));
            return;
        } finally {
            boot.close();
        }
        try {
            sandboxes.preloadImages(sandbox, images, sources, progress);
        } catch (RuntimeException e) {
            sandboxes.release(sandbox, settings);
            failClass(e);
            return;
        }
        progress.ready("sandbox " + sandbox.id() + " ready for " + descriptor.className());
        GuestRun run = new GuestRun(descriptor);
        GuestEventAdapter adapter = new GuestEventAdapter(run, listener, out, err);
        try {
            replay(sandbox, settings.classTimeout(), selection, adapter);
        } finally {
            if (run.violationCount() > 0 || !run.openDescendants(descriptor).isEmpty()) {
                // a guest that broke the protocol or left tests running serves no other class
                sandboxes.kill(sandbox);
            } else {
                sandboxes.release(sandbox, settings);
            }
        }
        adapter.finishClass();
        if (run.violationCount() > 0) {
            LOG.warn(
                    "{}: protocol violation by the guest ({} in all), first: {}",
                    descriptor.className(),
                    run.violationCount(),
                    run.violations().get(0));
        }
    }

    private void replay(
            Sandbox sandbox,
            Duration timeout,
            SandboxedClassDescriptor.GuestSelection selection,
            GuestEventAdapter adapter) {
        Channel channel = sandbox.channel();
        int id = channel.nextId();
        BlockingQueue<Object> inbox = new ArrayBlockingQueue<>(INBOX_CAPACITY);
        AtomicBoolean flooded = new AtomicBoolean();
        channel.route(id, new Channel.Receiver() {
            @Override
            public void message(Message message) {
                if (!flooded.get() && !inbox.offer(message)) {
                    flooded.set(true);
                }
            }

            @Override
            public void closed(String reason) {
                // never blocks the channel's reader; a full inbox at the end is a flood like any other
                if (!inbox.offer(new Closed(reason))) {
                    flooded.set(true);
                }
            }
        });
        long deadline = System.nanoTime() + timeout.toNanos();
        try {
            channel.send(new Message.RunTests(
                    id, selection.classNames(), selection.methods(), selection.uniqueIds(), guestConfiguration));
            while (true) {
                if (flooded.get()) {
                    sandboxes.kill(sandbox);
                    adapter.abort(stopped(sandbox, "the guest sent events faster than the host could take them"));
                    return;
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    sandboxes.kill(sandbox);
                    adapter.abort(stopped(
                            sandbox,
                            "the timeout of " + TimeLimit.format(timeout) + " for " + descriptor.className()
                                    + " passed"));
                    return;
                }
                Object next = inbox.poll(left, TimeUnit.NANOSECONDS);
                if (next instanceof Message.TestEvent event) {
                    adapter.handle(event);
                } else if (next instanceof Message.RunDone done) {
                    adapter.runDone(done.error());
                    return;
                } else if (next instanceof Closed closed) {
                    // every event the guest sent before its channel ended has been handled; the VM is going
                    // down, and why is decided from all the guest said, not from which end arrived first
                    adapter.abort(stopped(
                            sandbox,
                            sandbox.awaitDeathCause().orElse("the channel to the guest closed: " + closed.reason())));
                    return;
                } else if (next != null) {
                    LOG.warn(
                            "{}: unexpected {} in a test run; dropped it",
                            descriptor.className(),
                            next.getClass().getSimpleName());
                }
            }
        } catch (IOException e) {
            adapter.abort(stopped(
                    sandbox,
                    sandbox.awaitDeathCause().orElse("could not send the test run to the guest: " + e.getMessage())));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            sandboxes.kill(sandbox);
            adapter.abort(stopped(sandbox, "the host run was interrupted"));
        } finally {
            channel.unroute(id);
        }
    }

    /** The class's tests cannot finish: {@code cause}, and the guest console's last lines. */
    private static SandboxException stopped(Sandbox sandbox, String cause) {
        StringBuilder message = new StringBuilder(cause);
        String console = sandbox.consoleTail();
        if (console != null && !console.isBlank()) {
            message.append("\nlast lines of the guest console of sandbox ")
                    .append(sandbox.id())
                    .append(":\n")
                    .append(console);
        }
        return new SandboxException(message.toString());
    }

    private void failClass(Throwable cause) {
        listener.executionStarted(descriptor);
        listener.executionFinished(descriptor, TestExecutionResult.failed(cause));
    }

    private record Closed(String reason) {}
}
