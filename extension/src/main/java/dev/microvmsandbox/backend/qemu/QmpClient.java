package dev.microvmsandbox.backend.qemu;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A QEMU Machine Protocol connection: one JSON command at a time, its answer awaited with a
 * bound, asynchronous events skipped. Only what saving and restoring a guest needs.
 */
final class QmpClient implements AutoCloseable {

    private static final int MAX_LINE = 1 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String END = "\u0000end";

    private final SocketChannel socket;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();

    private QmpClient(SocketChannel socket) {
        this.socket = socket;
        Thread reader = new Thread(this::readLines, "qmp-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** Connects to the QMP socket qemu serves, retrying until {@code within} passes, and negotiates. */
    static QmpClient connect(Path socketFile, Duration within, ProcessHandle qemu) throws IOException {
        long deadline = System.nanoTime() + within.toNanos();
        IOException last = null;
        while (System.nanoTime() < deadline && qemu.isAlive()) {
            SocketChannel sc = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                sc.connect(UnixDomainSocketAddress.of(socketFile));
                QmpClient client = new QmpClient(sc);
                client.next(Duration.ofSeconds(30)); // the greeting
                client.execute("qmp_capabilities", Map.of(), Duration.ofSeconds(30));
                return client;
            } catch (IOException e) {
                sc.close();
                last = e;
            }
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while connecting to qemu's monitor");
            }
        }
        throw new IOException("qemu's monitor socket " + socketFile + " did not answer"
                + (last != null ? ": " + last.getMessage() : ""));
    }

    /** Runs a command and returns its {@code return} value; an {@code error} answer throws with its text. */
    JsonNode execute(String command, Map<String, ?> arguments, Duration timeout) throws IOException {
        ObjectNode request = JSON.createObjectNode().put("execute", command);
        if (!arguments.isEmpty()) {
            request.set("arguments", JSON.valueToTree(arguments));
        }
        byte[] bytes = (JSON.writeValueAsString(request) + "\n").getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
            socket.write(buf);
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            JsonNode answer = next(Duration.ofNanos(Math.max(1, deadline - System.nanoTime())));
            if (answer.has("return")) {
                return answer.get("return");
            }
            if (answer.has("error")) {
                throw new IOException("qemu refused " + command + ": "
                        + answer.get("error").path("desc").asText());
            }
            // an event: not the answer
        }
    }

    private JsonNode next(Duration timeout) throws IOException {
        String line;
        try {
            line = lines.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for qemu's monitor");
        }
        if (line == null) {
            throw new IOException("qemu's monitor did not answer within " + timeout.toSeconds() + " s");
        }
        if (line == END) {
            lines.offer(END);
            throw new IOException("qemu's monitor closed the connection");
        }
        return JSON.readTree(line);
    }

    private void readLines() {
        ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
        ByteArrayOutputStream line = new ByteArrayOutputStream();
        try {
            while (socket.read(buf) >= 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    byte b = buf.get();
                    if (b == '\n') {
                        String text = line.toString(StandardCharsets.UTF_8).strip();
                        if (!text.isEmpty()) {
                            lines.offer(text);
                        }
                        line.reset();
                    } else if (line.size() < MAX_LINE) {
                        line.write(b);
                    }
                }
                buf.clear();
            }
        } catch (IOException e) {
            // closed
        } finally {
            lines.offer(END);
        }
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
