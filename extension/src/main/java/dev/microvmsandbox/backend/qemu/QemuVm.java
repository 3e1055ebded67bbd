package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Mount;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.TimeLimit;
import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Message;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** One QEMU microVM and the guest agent in it. */
final class QemuVm implements Sandbox {

    private static final Logger LOG = LoggerFactory.getLogger(QemuVm.class);
    private static final AtomicInteger NAMES = new AtomicInteger();
    private static final ScheduledExecutorService TIMERS =
            java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "microvm-sandbox-timer");
                t.setDaemon(true);
                return t;
            });
    private static final int CONSOLE_LINES = 40;
    /**
     * How long qemu may take to exit once it has to (the host killed it, or its channel ended):
     * the kernel reaps a killed process at once, so only a host in trouble needs more, and no
     * verdict depends on it.
     */
    static final Duration EXIT_GRACE = Duration.ofSeconds(30);

    private final String id = "vm" + NAMES.incrementAndGet();
    private final SandboxConfig config;
    private final AcceleratorProbe.Choice accel;
    private final RunDirectory runDir;
    private final ConsoleLog console;
    private final StopCause stop = new StopCause();
    private final CompletableFuture<Message.Ready> ready = new CompletableFuture<>();
    private volatile Process process;
    private volatile Channel channel;
    private volatile ScheduledFuture<?> timeout;

    private QemuVm(SandboxConfig config, AcceleratorProbe.Choice accel, RunDirectory runDir) {
        this.config = config;
        this.accel = accel;
        this.runDir = runDir;
        this.console = new ConsoleLog(runDir.resolve("console.log"));
    }

    static QemuVm boot(String qemuBinary, SandboxConfig config, GuestImage image, AcceleratorProbe.Choice accel) {
        RunDirectory runDir = RunDirectory.create();
        QemuVm vm = new QemuVm(config, accel, runDir);
        try {
            vm.start(qemuBinary, image);
            return vm;
        } catch (RuntimeException e) {
            vm.close();
            throw e;
        }
    }

    private void start(String qemuBinary, GuestImage image) {
        long t0 = System.nanoTime();
        try {
            ScratchDisk.create(runDir.resolve(QemuCommandLine.SCRATCH_DISK), config.disk());
            List<String> jvm = new ArrayList<>(List.of(
                    "-XX:+UseSerialGC",
                    "-XX:TieredStopAtLevel=1",
                    "-Xshare:auto",
                    "-XX:MaxRAMPercentage=50",
                    "-Djava.io.tmpdir=/tmp"));
            config.systemProperties().forEach((k, v) -> jvm.add(ClasspathStaging.quoted("-D" + k + "=" + v)));
            ClasspathStaging.stage(
                    config.classpath(), runDir.resolve(QemuCommandLine.CLASSPATH_DIR), jvm, config.env());
            if (!config.hostPaths().isEmpty()) {
                int files = HostPathStaging.stage(config.hostPaths(), runDir.resolve(QemuCommandLine.HOST_DIR));
                LOG.debug("{}: {} host files staged for the guest", id, files);
            }
            List<Path> mountSources =
                    config.mounts().stream().map(Mount::hostPath).toList();
            List<String> args = QemuCommandLine.build(qemuBinary, accel, config, image, runDir.path(), mountSources);
            LOG.debug("{}: {}", id, String.join(" ", args));
            process = QemuLauncher.start(args, runDir.path());
        } catch (IOException e) {
            throw new SandboxException("could not start qemu for sandbox " + id + ": " + e.getMessage(), e);
        }
        console.follow(process.getInputStream(), id + "-console", new ConsoleLog.Reader() {
            @Override
            public void line(String line) {
                stop.consoleLine(line);
            }

            @Override
            public void ended() {
                stop.consoleEnded();
            }
        });
        process.onExit().thenAccept(p -> stop.qemuExited(p.exitValue()));
        stop.decision().thenAccept(this::stopped);
        timeout = TIMERS.schedule(
                () -> kill(
                        StopCause.HostAction.TIMEOUT,
                        "the sandbox's timeout of " + TimeLimit.format(config.timeout()) + " passed"),
                config.timeout().toMillis(),
                TimeUnit.MILLISECONDS);
        long deadline = System.nanoTime() + config.bootTimeout().toNanos();
        channel = connect(deadline);
        stop.channelOpened();
        channel.start(new Channel.Receiver() {
            @Override
            public void message(Message message) {
                if (message instanceof Message.Ready r) {
                    ready.complete(r);
                } else if (message instanceof Message.Hello h) {
                    LOG.debug("{}: agent up, kernel {}, java {}", id, h.kernel(), h.javaVersion());
                }
            }

            @Override
            public void closed(String reason) {
                channelClosed(reason);
                ready.completeExceptionally(new SandboxException(reason));
            }
        });
        try {
            Message.Ready r = ready.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            LOG.info(
                    "{}: ready in {} ms ({}; podman API {})",
                    id,
                    (System.nanoTime() - t0) / 1_000_000,
                    accel.reason(),
                    r.podmanVersion());
        } catch (TimeoutException e) {
            kill(
                    StopCause.HostAction.NOT_READY,
                    "the guest was not ready within " + TimeLimit.format(config.bootTimeout()));
            throw bootFailure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            kill(StopCause.HostAction.NOT_READY, "interrupted while waiting for the guest to be ready");
            throw bootFailure();
        } catch (ExecutionException e) {
            // the channel ended before the guest was ready: the VM is going down, its cause says why
            throw bootFailure();
        }
        configureGuest();
    }

    /** Limits and mounts that need a running guest. */
    private void configureGuest() {
        StringBuilder script = new StringBuilder("set -e\n");
        script.append("echo ").append(config.pids()).append(" > /proc/sys/kernel/threads-max\n");
        if (!config.hostPaths().isEmpty()) {
            script.append(HostPathStaging.guestLayout());
        }
        for (int i = 0; i < config.mounts().size(); i++) {
            String guestPath = config.mounts().get(i).guestPath();
            script.append("mkdir -p '")
                    .append(guestPath)
                    .append("' && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,ro msb-m")
                    .append(i)
                    .append(" '")
                    .append(guestPath)
                    .append("'\n");
        }
        // part of the boot, so bounded like it: a slow host slows both alike
        CommandResult r = exec(Command.shell(script.toString()).withTimeout(config.bootTimeout()));
        if (!r.succeeded()) {
            close();
            throw new SandboxException(
                    "setting up sandbox " + id + " failed: " + r.stderr().strip());
        }
    }

    private Channel connect(long deadline) {
        Path socket = runDir.resolve(QemuCommandLine.CHANNEL_SOCKET);
        while (System.nanoTime() < deadline && process.isAlive()) {
            try {
                SocketChannel sc = SocketChannel.open(StandardProtocolFamily.UNIX);
                try {
                    sc.connect(UnixDomainSocketAddress.of(socket));
                    return new Channel(id, inputOf(sc), outputOf(sc), HostLimits.MAX_FRAME, sc);
                } catch (IOException e) {
                    sc.close();
                }
                Thread.sleep(20);
            } catch (IOException e) {
                throw new SandboxException("cannot open a socket: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill(StopCause.HostAction.NOT_READY, "interrupted while waiting for qemu to open the channel socket");
                throw bootFailure();
            }
        }
        if (process.isAlive()) {
            kill(
                    StopCause.HostAction.NOT_READY,
                    "qemu did not open the channel socket within " + TimeLimit.format(config.bootTimeout()));
        }
        throw bootFailure();
    }

    /** Why the boot failed, once the VM is down and its console read to the end. */
    private SandboxException bootFailure() {
        String cause = awaitDeathCause().orElse("unknown cause");
        return new SandboxException("sandbox " + id + " failed to boot: " + cause
                + "\n--- guest console (last lines; full log was " + console.file() + ") ---\n" + consoleTail());
    }

    @Override
    public String id() {
        return id;
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
        return accel.reason();
    }

    /** The qemu process, for measurements. */
    ProcessHandle qemuProcess() {
        return process.toHandle();
    }

    @Override
    public String consoleTail() {
        return console.tail(CONSOLE_LINES);
    }

    @Override
    public Optional<String> deathCause() {
        return stop.decided();
    }

    /**
     * Waits for the verdict. Callers ask once the channel has failed, when qemu is exiting or
     * killed; one that still runs after {@link #EXIT_GRACE} has stopped answering and is killed.
     */
    @Override
    public Optional<String> awaitDeathCause() {
        try {
            return Optional.of(stop.decision().get(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS));
        } catch (TimeoutException stillRunning) {
            kill(
                    StopCause.HostAction.CHANNEL_LOST,
                    "the guest stopped answering and qemu did not exit within " + TimeLimit.format(EXIT_GRACE));
            try {
                return Optional.of(stop.decision().get(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS));
            } catch (TimeoutException | ExecutionException e) {
                LOG.warn("{}: qemu did not exit after SIGKILL", id);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        } catch (ExecutionException e) {
            LOG.warn("{}: deciding why the VM stopped failed", id, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return deathCause();
    }

    /**
     * The channel to the guest ended. If the guest broke the protocol the host stops the VM;
     * otherwise qemu closed the socket because it is exiting, and its exit says why.
     */
    private void channelClosed(String reason) {
        Channel.End how = channel.end().orElse(Channel.End.OTHER_SIDE);
        if (how == Channel.End.PROTOCOL_VIOLATION) {
            kill(StopCause.HostAction.PROTOCOL_VIOLATION, "the guest broke the channel protocol (" + reason + ")");
        } else if (how == Channel.End.RECEIVER_FAILURE) {
            kill(
                    StopCause.HostAction.PROTOCOL_VIOLATION,
                    "the host could not take what the guest sent (" + reason + ")");
        }
        stop.channelEnded();
    }

    /** The verdict is in: say it, unless the owner closed a healthy VM. */
    private void stopped(String cause) {
        cancelTimeout();
        if (!stop.closedByOwnerOnly()) {
            LOG.warn("{}: {}", id, cause);
        }
    }

    /** The host stops the VM for {@code cause}. */
    private void kill(StopCause.HostAction action, String cause) {
        stop.hostActed(action, cause);
        destroy();
    }

    @Override
    public void close() {
        stop.hostActed(StopCause.HostAction.CLOSED, "the sandbox was closed by its owner");
        destroy();
        Process p = process;
        if (p != null) {
            try {
                p.onExit().get(EXIT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("{}: interrupted while waiting for qemu to exit", id);
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("{}: qemu did not exit after SIGKILL", id);
            }
        }
        runDir.close();
    }

    private void cancelTimeout() {
        ScheduledFuture<?> t = timeout;
        if (t != null) {
            t.cancel(false);
        }
    }

    /** Closes the channel first, so the reader sees this side's close, not the end of a killed qemu. */
    private void destroy() {
        cancelTimeout();
        Channel c = channel;
        if (c != null) {
            c.close();
        }
        Process p = process;
        if (p != null && p.isAlive()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
    }

    private static InputStream inputOf(SocketChannel sc) {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return sc.read(ByteBuffer.wrap(b, off, len));
            }
        };
    }

    private static OutputStream outputOf(SocketChannel sc) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                ByteBuffer buf = ByteBuffer.wrap(b, off, len);
                while (buf.hasRemaining()) {
                    sc.write(buf);
                }
            }
        };
    }
}
