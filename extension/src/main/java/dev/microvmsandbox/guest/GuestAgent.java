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
import java.util.concurrent.CountDownLatch;
import java.util.stream.Stream;
import org.apiguardian.api.API;

/**
 * The process the bootstrap starts in the guest: it serves the host's requests (commands, files,
 * test runs) over the virtio-serial port named {@value #PORT_NAME}, or, in a container, over its
 * standard input and the output the bootstrap names ({@code --stdio FD}; stdout without one).
 *
 * <p>It trusts the host and nothing else; it is the only user of the port.
 */
@API(status = API.Status.INTERNAL)
public final class GuestAgent {

    static final String PORT_NAME = "msb.0";
    static final String VERSION = "1";
    /** The guest console, kept for the agent's own few diagnostics. */
    private static final java.io.PrintStream CONSOLE = System.err;

    private final Channel channel;
    private final CommandRunner commands;
    private final FileTransfers files;
    private final TestRuns tests;
    private final CountDownLatch stopped = new CountDownLatch(1);

    GuestAgent(Channel channel) {
        this.channel = channel;
        this.commands = new CommandRunner(channel);
        this.files = new FileTransfers(channel);
        this.tests = new TestRuns(channel);
    }

    public static void main(String[] args) throws Exception {
        // before any test class (and so any Testcontainers class) is loaded
        TestcontainersEnvironment.apply();
        // tells the host-side engine and filter, which are on this classpath too, to stay out of the way
        System.setProperty("microvm.sandbox.guest", "true");
        Channel channel = args.length > 0 && args[0].equals("--stdio")
                ? stdioChannel(args.length > 1 ? args[1] : null)
                : portChannel();
        // tests' output reaches the host through events only, never the slow serial console
        TestOutput.install();
        GuestAgent agent = new GuestAgent(channel);
        agent.run();
        System.exit(0);
    }

    void run() throws InterruptedException, IOException {
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
        channel.send(new Message.Hello(VERSION, System.getProperty("os.version"), System.getProperty("java.version")));
        PodmanProbe.awaitReadyInBackground(channel);
        stopped.await();
        commands.killAll();
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
            tests.start(run);
        } else {
            CONSOLE.println("agent: ignoring unexpected " + message.getClass().getSimpleName());
        }
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
