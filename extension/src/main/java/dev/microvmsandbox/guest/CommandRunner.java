package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Frame;
import dev.microvmsandbox.channel.Message;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.function.Consumer;

/** Runs the host's commands as guest processes and streams their output back. */
final class CommandRunner {

    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    /** What the bootstrap gives the agent about podman and Testcontainers (Ryuk's switch is read from nowhere else). */
    static final List<String> CONTAINER_ENV = List.of(
            PodmanProbe.SOCKET_ENV, "DOCKER_HOST", "TESTCONTAINERS_RYUK_DISABLED", "TESTCONTAINERS_CHECKS_DISABLE");

    /** Where the bootstrap mounts a host Java home, which the agent then runs on; commands find the same java. */
    static final Path HOST_JAVA_BIN = Path.of("/run/msb/jdk/bin");

    private final Channel channel;
    private final Map<Integer, Process> running = new ConcurrentHashMap<>();

    CommandRunner(Channel channel) {
        this.channel = channel;
    }

    void start(Message.Exec exec) {
        ProcessBuilder pb = new ProcessBuilder(exec.argv());
        if (!exec.stdin()) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", Files.isExecutable(HOST_JAVA_BIN.resolve("java")) ? HOST_JAVA_BIN + ":" + PATH : PATH);
        env.put("HOME", "/root");
        env.put("LANG", "C.UTF-8");
        // the guest's container engine as the agent sees it: a test JVM started this way finds podman too
        for (String name : CONTAINER_ENV) {
            String value = System.getenv(name);
            if (value != null) {
                env.put(name, value);
            }
        }
        if (exec.env() != null) {
            env.putAll(exec.env());
        }
        if (exec.cwd() != null) {
            pb.directory(new File(exec.cwd()));
        }
        Process process;
        try {
            process = pb.start();
        } catch (IOException | RuntimeException e) {
            reply(new Message.Exited(exec.id(), -1, e.getMessage()));
            return;
        }
        running.put(exec.id(), process);
        StdinFeed feed = exec.stdin()
                ? new StdinFeed(process.getOutputStream(), "exec-" + exec.id() + "-stdin", this::signal)
                : null;
        if (feed != null) {
            // still on the channel's reader thread: the route is in place before any stdin frame is read
            channel.route(exec.id(), feed);
        }
        Thread out = pump(exec.id(), Frame.Stream.STDOUT, process.getInputStream());
        Thread err = pump(exec.id(), Frame.Stream.STDERR, process.getErrorStream());
        Thread waiter = new Thread(
                () -> {
                    try {
                        int code = process.waitFor();
                        out.join();
                        err.join();
                        running.remove(exec.id());
                        if (feed != null) {
                            channel.unroute(exec.id());
                            feed.closed("the process ended");
                        }
                        reply(new Message.Exited(exec.id(), code, null));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                },
                "exec-" + exec.id());
        waiter.setDaemon(true);
        waiter.start();
    }

    void signal(Message.Signal signal) {
        Process p = running.get(signal.id());
        if (p == null) {
            return;
        }
        boolean force = signal.signal() == 9;
        p.descendants().forEach(d -> {
            if (force) {
                d.destroyForcibly();
            } else {
                d.destroy();
            }
        });
        if (force) {
            p.destroyForcibly();
        } else {
            p.destroy();
        }
    }

    void killAll() {
        running.values().forEach(p -> {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        });
    }

    private Thread pump(int id, int stream, InputStream in) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[32 * 1024];
                    try (in) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            channel.sendData(id, stream, buf, 0, n);
                        }
                    } catch (IOException e) {
                        // the process or the channel is gone; the exit status still follows
                    }
                },
                "exec-" + id + "-" + stream);
        t.setDaemon(true);
        t.start();
        return t;
    }

    /**
     * Feeds the host's stdin frames to a process. The channel's reader thread only queues them; a
     * thread of its own writes, so a process that stops reading its input blocks nothing else. It is
     * the route of the command's id, so the command's signals reach it too: it passes them on.
     */
    private static final class StdinFeed implements Channel.Receiver {
        private static final byte[] END = new byte[0];
        private final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
        private final Consumer<Message.Signal> signals;

        StdinFeed(OutputStream stdin, String name, Consumer<Message.Signal> signals) {
            this.signals = signals;
            Thread writer = new Thread(
                    () -> {
                        try (stdin) {
                            for (byte[] chunk = queue.take(); chunk != END; chunk = queue.take()) {
                                stdin.write(chunk);
                                stdin.flush();
                            }
                        } catch (IOException e) {
                            // the process closed its input or ended
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    },
                    name);
            writer.setDaemon(true);
            writer.start();
        }

        @Override
        public void message(Message message) {
            if (message instanceof Message.Signal signal) {
                signals.accept(signal);
            }
        }

        @Override
        public void data(int stream, byte[] bytes) {
            if (stream == Frame.Stream.STDIN && bytes.length > 0) {
                queue.add(bytes);
            }
        }

        @Override
        public void end(int stream) {
            if (stream == Frame.Stream.STDIN) {
                queue.add(END);
            }
        }

        @Override
        public void closed(String reason) {
            queue.add(END);
        }
    }

    private void reply(Message message) {
        try {
            channel.send(message);
        } catch (IOException e) {
            // the host is gone; nobody to tell
        }
    }
}
