package dev.microvmsandbox.backend.kata;

import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.TimeLimit;
import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Message;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox whose guest is a container started from the sandbox image: the same bootstrap and
 * guest agent as in the QEMU VM, reached over the container's attached stdio instead of a
 * virtio-serial port. The backend that started the container gives a {@link ContainerHandle}; this
 * class sends the host's files, speaks the channel, enforces the timeouts and destroys the
 * container when the sandbox ends.
 */
@API(status = API.Status.INTERNAL)
public final class ContainerSandbox implements Sandbox {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerSandbox.class);
    private static final ScheduledExecutorService TIMERS = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "microvm-sandbox-container-timer");
        t.setDaemon(true);
        return t;
    });
    private static final int CONSOLE_LINES = 40;
    /** Largest frame payload read from a guest: bigger ones are a protocol violation. */
    static final int MAX_FRAME = 1 << 20;
    /** How long a container may take to stop after its channel closed before the closed channel is the cause. */
    private static final long STOP_GRACE_MILLIS = 3000;

    private static final Pattern AGENT_EXIT = Pattern.compile("MSB-AGENT-EXIT (-?\\d+)");
    private static final Pattern FAILURE = Pattern.compile("MSB-FAIL ([^\\n]{0,200})");

    /** The guest agent JVM's options: the QEMU guest's, less what only pays under emulation. */
    public static final List<String> JVM_OPTIONS = List.of(
            "-XX:+UseSerialGC",
            "-XX:-ShrinkHeapInSteps",
            "-Xshare:auto",
            "-XX:MaxRAMPercentage=50",
            "-Djava.io.tmpdir=/tmp");

    private final ContainerHandle container;
    private final SandboxConfig config;
    private final VmBoundary boundary;
    private final ConsoleTail console;
    private final AtomicReference<String> deathCause = new AtomicReference<>();
    private final CompletableFuture<Message.Ready> ready = new CompletableFuture<>();
    private volatile Channel channel;
    private volatile boolean closing;
    private ScheduledFuture<?> timeout;

    private ContainerSandbox(
            ContainerHandle container, SandboxConfig config, VmBoundary boundary, ConsoleTail console) {
        this.container = container;
        this.config = config;
        this.boundary = boundary;
        this.console = console;
    }

    /**
     * Sends the files, connects the channel and waits for the agent to be ready.
     *
     * @param console what the container writes to stderr, appended by the backend as it arrives
     * @throws SandboxException with the container's last stderr lines when the guest did not get ready;
     *                          the container is destroyed then
     */
    public static ContainerSandbox start(
            ContainerHandle container, SandboxConfig config, VmBoundary boundary, ConsoleTail console) {
        ContainerSandbox sandbox = new ContainerSandbox(container, config, boundary, console);
        try {
            sandbox.boot();
            return sandbox;
        } catch (RuntimeException e) {
            sandbox.close();
            throw e;
        }
    }

    private void boot() {
        long t0 = System.nanoTime();
        container.stopped().thenAccept(how -> die(explain(how)));
        timeout = TIMERS.schedule(
                () -> die("the sandbox's timeout of " + TimeLimit.format(config.timeout()) + " passed"),
                config.timeout().toMillis(),
                TimeUnit.MILLISECONDS);
        ScheduledFuture<?> bootWatch = TIMERS.schedule(
                () -> {
                    if (!ready.isDone()) {
                        die("the guest was not ready within " + TimeLimit.format(config.bootTimeout()));
                    }
                },
                config.bootTimeout().toMillis(),
                TimeUnit.MILLISECONDS);
        try {
            long bytes = GuestFiles.send(config, JVM_OPTIONS, container.stdin());
            LOG.debug("{}: {} MiB of files sent", container.name(), bytes >> 20);
            channel = new Channel(container.name(), container.stdout(), container.stdin(), MAX_FRAME, () -> {});
            channel.start(new Channel.Receiver() {
                @Override
                public void message(Message message) {
                    if (message instanceof Message.Ready r) {
                        ready.complete(r);
                    } else if (message instanceof Message.Hello h) {
                        LOG.debug("{}: agent up, kernel {}, java {}", container.name(), h.kernel(), h.javaVersion());
                    }
                }

                @Override
                public void closed(String reason) {
                    dieOfChannelLoss(reason);
                    ready.completeExceptionally(new SandboxException(reason));
                }
            });
            Message.Ready r = ready.get(config.bootTimeout().toMillis(), TimeUnit.MILLISECONDS);
            LOG.info(
                    "{}: ready in {} ms ({}; podman API {})",
                    container.name(),
                    (System.nanoTime() - t0) / 1_000_000,
                    boundary.describe(),
                    r.podmanVersion());
        } catch (IOException e) {
            die(deathCause().orElse("sending the host's files failed: " + e.getMessage()));
            throw bootFailure();
        } catch (TimeoutException e) {
            die("the guest was not ready within " + TimeLimit.format(config.bootTimeout()));
            throw bootFailure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            die("interrupted while waiting for the guest to be ready");
            throw bootFailure();
        } catch (ExecutionException e) {
            throw bootFailure();
        } finally {
            bootWatch.cancel(false);
        }
        configureGuest();
    }

    /**
     * The process limit as in the VM: {@code threads-max} of the sandbox's own kernel. Without a VM
     * that kernel is the host's, so the container runtime's pids limit is all there is.
     */
    private void configureGuest() {
        if (!boundary.vm()) {
            return;
        }
        CommandResult r = exec(Command.shell("echo " + config.pids() + " > /proc/sys/kernel/threads-max")
                .withTimeout(Duration.ofMinutes(1)));
        if (!r.succeeded()) {
            close();
            throw new SandboxException("setting up sandbox " + container.name() + " failed: "
                    + r.stderr().strip());
        }
    }

    private SandboxException bootFailure() {
        return new SandboxException("sandbox " + container.name() + " failed to start: "
                + deathCause().orElse("unknown cause") + "\n--- the container's stderr (last lines) ---\n"
                + consoleTail());
    }

    @Override
    public String id() {
        return container.name();
    }

    @Override
    public SandboxConfig config() {
        return config;
    }

    @Override
    public Channel channel() {
        return channel;
    }

    @Override
    public String acceleration() {
        return boundary.describe();
    }

    @Override
    public String consoleTail() {
        return console.tail(CONSOLE_LINES);
    }

    @Override
    public Optional<String> deathCause() {
        return Optional.ofNullable(deathCause.get());
    }

    /** The channel usually ends because the container is stopping; its exit then says more. */
    private void dieOfChannelLoss(String reason) {
        try {
            die(explain(container.stopped().get(STOP_GRACE_MILLIS, TimeUnit.MILLISECONDS)));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            die(reason);
        } catch (ExecutionException | TimeoutException stillRunning) {
            die(reason);
        }
    }

    /** Why the container stopped, from the engine's words and the bootstrap's last lines. */
    String explain(String how) {
        String tail = console.tail(Integer.MAX_VALUE);
        Matcher agent = AGENT_EXIT.matcher(tail);
        String status = null;
        while (agent.find()) {
            status = agent.group(1);
        }
        if (status != null) {
            return "the sandbox container stopped: the guest's test JVM exited with status " + status
                    + " (System.exit, Runtime.halt or a JVM crash in the guest) (" + how + ")";
        }
        Matcher failure = FAILURE.matcher(tail);
        if (failure.find()) {
            return "the sandbox container stopped: the guest failed to start: "
                    + failure.group(1).strip() + " (" + how + ")";
        }
        return "the sandbox container stopped (" + how + ")";
    }

    /** Records why the sandbox died (first cause wins) and destroys it. */
    void die(String cause) {
        if (!closing && deathCause.compareAndSet(null, cause)) {
            LOG.warn("{}: {}", container.name(), cause);
        }
        destroy();
    }

    @Override
    public void close() {
        closing = true;
        destroy();
    }

    private void destroy() {
        if (timeout != null) {
            timeout.cancel(false);
        }
        Channel c = channel;
        if (c != null) {
            c.close();
        }
        container.destroy();
    }
}
