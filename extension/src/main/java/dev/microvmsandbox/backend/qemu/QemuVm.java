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
import java.util.concurrent.atomic.AtomicReference;
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

    private final String id = "vm" + NAMES.incrementAndGet();
    private final SandboxConfig config;
    private final AcceleratorProbe.Choice accel;
    private final RunDirectory runDir;
    private final ConsoleLog console;
    private final AtomicReference<String> deathCause = new AtomicReference<>();
    private final CompletableFuture<Message.Ready> ready = new CompletableFuture<>();
    private volatile Process process;
    private volatile Channel channel;
    private volatile boolean closing;
    private ScheduledFuture<?> timeout;

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
        console.follow(process.getInputStream(), id + "-console");
        process.onExit().thenAccept(p -> die(stopCause(p)));
        timeout = TIMERS.schedule(
                () -> die("the sandbox's timeout of " + TimeLimit.format(config.timeout()) + " passed"),
                config.timeout().toMillis(),
                TimeUnit.MILLISECONDS);
        long deadline = System.nanoTime() + config.bootTimeout().toNanos();
        channel = connect(deadline);
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
                dieOfChannelLoss(reason);
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
            die("the guest was not ready within " + TimeLimit.format(config.bootTimeout()));
            throw bootFailure();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            die("interrupted while waiting for the guest to be ready");
            throw bootFailure();
        } catch (ExecutionException e) {
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
        CommandResult r = exec(Command.shell(script.toString()).withTimeout(Duration.ofMinutes(1)));
        if (!r.succeeded()) {
            close();
            throw new SandboxException(
                    "setting up sandbox " + id + " failed: " + r.stderr().strip());
        }
    }

    private Channel connect(long deadline) {
        Path socket = runDir.resolve(QemuCommandLine.CHANNEL_SOCKET);
        while (System.nanoTime() < deadline && deathCause.get() == null) {
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
                break;
            }
        }
        die(deathCause.get() != null ? deathCause.get() : "qemu did not open the channel socket in time");
        throw bootFailure();
    }

    private SandboxException bootFailure() {
        return new SandboxException("sandbox " + id + " failed to boot: "
                + deathCause().orElse("unknown cause") + "\n--- guest console (last lines; full log was "
                + console.file() + ") ---\n" + consoleTail());
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
        return Optional.ofNullable(deathCause.get());
    }

    private String stopCause(Process p) {
        console.awaitEnd(2000);
        // a panic's first line is followed by a long trace: look at all the console still holds
        return GuestStop.explain(p.exitValue(), console.tail(Integer.MAX_VALUE));
    }

    /**
     * The channel usually ends because the VM is going down (a crash, the agent exiting); when qemu
     * exits soon after, its cause says more than the closed socket.
     */
    private void dieOfChannelLoss(String reason) {
        Process p = process;
        try {
            p.onExit().get(3, TimeUnit.SECONDS);
            die(stopCause(p));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            die(reason);
        } catch (ExecutionException | TimeoutException stillRunning) {
            die(reason);
        }
    }

    /** Records why the VM died (first cause wins) and destroys it. */
    void die(String cause) {
        if (!closing && deathCause.compareAndSet(null, cause)) {
            LOG.warn("{}: {}", id, cause);
        }
        destroy();
    }

    @Override
    public void close() {
        closing = true;
        destroy();
        Process p = process;
        if (p != null) {
            try {
                p.onExit().get(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                LOG.warn("{}: interrupted while waiting for qemu to exit", id);
            } catch (ExecutionException | TimeoutException e) {
                LOG.warn("{}: qemu did not exit after SIGKILL", id);
            }
        }
        runDir.close();
    }

    private void destroy() {
        if (timeout != null) {
            timeout.cancel(false);
        }
        Process p = process;
        if (p != null && p.isAlive()) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        Channel c = channel;
        if (c != null) {
            c.close();
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
