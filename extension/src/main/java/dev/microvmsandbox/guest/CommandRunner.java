package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Frame;
import dev.microvmsandbox.channel.Message;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Runs the host's commands as guest processes and streams their output back. */
final class CommandRunner {

    static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

    private final Channel channel;
    private final Map<Integer, Process> running = new ConcurrentHashMap<>();

    CommandRunner(Channel channel) {
        this.channel = channel;
    }

    void start(Message.Exec exec) {
        ProcessBuilder pb =
                new ProcessBuilder(exec.argv()).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Map<String, String> env = pb.environment();
        env.clear();
        env.put("PATH", PATH);
        env.put("HOME", "/root");
        env.put("LANG", "C.UTF-8");
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
        Thread out = pump(exec.id(), Frame.Stream.STDOUT, process.getInputStream());
        Thread err = pump(exec.id(), Frame.Stream.STDERR, process.getErrorStream());
        Thread waiter = new Thread(
                () -> {
                    try {
                        int code = process.waitFor();
                        out.join();
                        err.join();
                        running.remove(exec.id());
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

    private void reply(Message message) {
        try {
            channel.send(message);
        } catch (IOException e) {
            // the host is gone; nobody to tell
        }
    }
}
