package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Frame;
import dev.microvmsandbox.channel.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.apiguardian.api.API;

/**
 * The process the bootstrap starts in the guest: it serves the host's requests (commands, files,
 * test runs) over the virtio-serial port named {@value #PORT_NAME}, or, in a container, over its
 * standard input and the output the bootstrap names ({@code --stdio FD}; stdout without one).
 *
 * <p>It trusts the host and nothing else; it is the only user of the port. One host connection
 * is one session: the agent says {@link Message.Hello}, the host sends {@link Message.Attach},
 * the agent answers {@link Message.Ready} once podman answers too. A session that ends after
 * {@link Message.Freeze} is followed by the next one, in the guest restored from the snapshot the
 * host took meanwhile; any other end ends the agent.
 */
@API(status = API.Status.INTERNAL)
public final class GuestAgent {

    static final String PORT_NAME = "msb.0";
    static final String VERSION = "2";
    /** What the agent prints on the console once a frozen session's host has gone. */
    static final String FROZEN_LINE = "MSB-FROZEN";
    /** The guest console, kept for the agent's own few diagnostics. */
    private static final java.io.PrintStream CONSOLE = System.err;

    private final Channel channel;
    private final CommandRunner commands;
    private final FileTransfers files;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile TestRuns tests;
    private volatile boolean frozen;

    GuestAgent(Channel channel) {
        this.channel = channel;
        this.commands = new CommandRunner(channel);
        this.files = new FileTransfers(channel);
    }

    public static void main(String[] args) throws Exception {
        long jvmUp = GuestUptime.millis();
        // before any test class (and so any Testcontainers class) is loaded
        TestcontainersEnvironment.apply();
        // tells the host-side engine and filter, which are on this classpath too, to stay out of the way
        System.setProperty("microvm.sandbox.guest", "true");
        boolean stdio = args.length > 0 && args[0].equals("--stdio");
        Channel channel = stdio ? stdioChannel(args.length > 1 ? args[1] : null) : portChannel();
        // tests' output reaches the host through events only, never the slow serial console
        TestOutput.install();
        Map<String, Long> steps = GuestUptime.bootstrapSteps(Path.of(GuestUptime.STEPS_FILE));
        steps.put("jvm", jvmUp);
        while (new GuestAgent(channel).serve(steps, stdio) && !stdio) {
            // frozen for a template: the next session is a restored clone's. The host saves the guest
            // only after this line, so the template holds a guest that has seen its host go; saved
            // before, a clone's guest could take its new host for the old one and never say hello
            CONSOLE.println("msb: " + FROZEN_LINE);
            CONSOLE.flush();
            channel = portChannel();
            steps = new java.util.LinkedHashMap<>();
        }
        System.exit(0);
    }

    /**
     * Serves one host connection. Over stdio (a container, started with everything it needs) no
     * {@link Message.Attach} comes: the agent says it is ready once podman answers.
     *
     * @return whether it ended frozen, so a next connection follows
     */
    boolean serve(Map<String, Long> steps, boolean stdio) throws InterruptedException, IOException {
        steps.put("hello", GuestUptime.millis());
        // a port whose host side is not connected blocks writes until it is: in a guest saved as a
        // template this is where the agent waits for the host of the sandbox restored from it
        channel.send(new Message.Hello(
                VERSION, System.getProperty("os.version"), System.getProperty("java.version"), steps));
        channel.start(new Channel.Receiver() {
            @Override
            public void message(Message message) {
                handle(message);
            }

            @Override
            public void data(int stream, byte[] bytes) {
                // data for a request that already ended: nothing wants it
            }

            @Override
            public void closed(String reason) {
                stopped.countDown();
            }
        });
        if (stdio) {
            inBackground("ready", () -> {
                try {
                    PodmanProbe.awaitReady(channel, new AttachSteps());
                } catch (IOException e) {
                    CONSOLE.println("agent: cannot say the sandbox is ready: " + e.getMessage());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        stopped.await();
        commands.killAll();
        return frozen;
    }

    private void handle(Message message) {
        if (message instanceof Message.Exec exec) {
            commands.start(exec);
        } else if (message instanceof Message.Signal signal) {
            commands.signal(signal);
        } else if (message instanceof Message.PutFile put) {
            files.receive(put);
        } else if (message instanceof Message.GetFile get) {
            files.send(get);
        } else if (message instanceof Message.RunTests run) {
            tests().start(run);
        } else if (message instanceof Message.Attach attach) {
            inBackground("attach", () -> attach(attach));
        } else if (message instanceof Message.Freeze freeze) {
            inBackground("freeze", () -> freeze(freeze));
        } else {
            CONSOLE.println("agent: ignoring unexpected " + message.getClass().getSimpleName());
        }
    }

    /** Made on first use: its JUnit classes come from the test classpath, which exists only once attached. */
    private TestRuns tests() {
        TestRuns t = tests;
        if (t == null) {
            synchronized (this) {
                if (tests == null) {
                    tests = new TestRuns(channel);
                }
                t = tests;
            }
        }
        return t;
    }

    private void attach(Message.Attach attach) {
        try {
            AttachSteps steps = new AttachSteps();
            if (attach.epochMillis() > 0) {
                CloneIdentity.take(attach.epochMillis(), attach.entropy());
                steps.done("identity");
            }
            if (attach.classpath()) {
                ClasspathShare.attach();
                steps.done("classpath");
                // again, now that the test class path (and Testcontainers, if the tests use it) is
                // there: the pull policy for preloaded images is named only where Testcontainers is
                TestcontainersEnvironment.apply();
                steps.done("testcontainers");
            }
            try {
                SandboxSetup.apply(attach.threadsMax(), attach.setup());
                steps.done("setup");
            } catch (IOException e) {
                // the sandbox's configuration, not the guest: the host ends this VM and says why
                channel.send(new Message.SetupFailed(e.getMessage()));
                return;
            }
            PodmanProbe.awaitReady(channel, steps);
        } catch (IOException | RuntimeException e) {
            // the host learns it from the console and the VM's end, as for any failed start
            CONSOLE.println("msb: MSB-FAIL attach: " + e.getMessage());
            CONSOLE.flush();
            System.exit(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void freeze(Message.Freeze freeze) {
        String error = null;
        int warmed = 0;
        long warmMillis = 0;
        try {
            PodmanProbe.warm();
            long warmStart = System.nanoTime();
            warmed = warmJupiter();
            warmMillis = (System.nanoTime() - warmStart) / 1_000_000;
            if (ClasspathShare.mounted(Path.of(ClasspathShare.DIR))) {
                error = "the classpath share is mounted; a guest that saw a host's classpath is no template";
            } else {
                Process sync = new ProcessBuilder("sync").start();
                sync.waitFor();
                frozen = true;
            }
        } catch (IOException | RuntimeException e) {
            error = "cannot freeze: " + e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            error = "interrupted";
        }
        try {
            channel.send(new Message.Frozen(freeze.id(), error, warmed, warmMillis));
        } catch (IOException e) {
            frozen = false;
        }
    }

    /**
     * Runs {@link JupiterWarmup} with the guest image's JUnit and returns how many of its tests
     * passed; best effort, since a template without it only runs its first class slower. A full
     * collection then unloads the warm-up's classes.
     */
    private static int warmJupiter() {
        List<Path> jars = JupiterWarmup.debianJars(JupiterWarmup.DEBIAN_JARS);
        if (jars.isEmpty()) {
            CONSOLE.println("msb: the guest image has no JUnit of its own; the template is not warmed for JUnit");
            return 0;
        }
        int passed = 0;
        try {
            passed = JupiterWarmup.run(jars);
        } catch (IOException | RuntimeException e) {
            CONSOLE.println("msb: JUnit warm-up failed, the template is saved without it: " + e);
        }
        System.gc();
        return passed;
    }

    private static void inBackground(String name, Runnable task) {
        Thread t = new Thread(task, "agent-" + name);
        t.setDaemon(true);
        t.start();
    }

    private static Channel portChannel() throws IOException {
        Path device = findPort();
        RandomAccessFile port = new RandomAccessFile(device.toFile(), "rw");
        InputStream in = new InputStream() {
            @Override
            public int read() throws IOException {
                return port.read();
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return port.read(b, off, len);
            }
        };
        OutputStream out = new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                port.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                port.write(b, off, len);
            }
        };
        return new Channel("agent", in, out, Frame.MAX_PAYLOAD, port);
    }

    /**
     * The channel on stdin and {@code outputFd}: a descriptor of its own keeps what the JVM itself
     * prints on stdout (warnings, a crash report) out of the channel's byte stream.
     */
    private static Channel stdioChannel(String outputFd) throws IOException {
        OutputStream out;
        if (outputFd == null) {
            out = new java.io.FileOutputStream(java.io.FileDescriptor.out);
            System.setOut(System.err);
        } else if (outputFd.matches("[0-9]{1,4}")) {
            // append: never truncate what the descriptor names (a pipe here)
            out = new java.io.FileOutputStream("/proc/self/fd/" + outputFd, true);
        } else {
            throw new IOException("--stdio takes a file descriptor number, not " + outputFd);
        }
        return new Channel(
                "agent", new java.io.FileInputStream(java.io.FileDescriptor.in), out, Frame.MAX_PAYLOAD, out);
    }

    /** With no udev there is no /dev/virtio-ports link: the port's name is in sysfs. */
    private static Path findPort() throws IOException {
        Path ports = Path.of("/sys/class/virtio-ports");
        try (Stream<Path> entries = Files.list(ports)) {
            for (Path p : (Iterable<Path>) entries::iterator) {
                Path name = p.resolve("name");
                if (Files.isReadable(name) && Files.readString(name).trim().equals(PORT_NAME)) {
                    return Path.of("/dev", p.getFileName().toString());
                }
            }
        }
        throw new IOException("no virtio-serial port named " + PORT_NAME + " under " + ports);
    }
}
