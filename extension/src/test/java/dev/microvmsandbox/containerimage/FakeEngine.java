package dev.microvmsandbox.containerimage;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URLDecoder;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Docker API that knows a few images, on a unix socket or loopback TCP: answers image
 * inspect and export the way Docker and podman do, and records every request path.
 */
final class FakeEngine implements AutoCloseable {

    private static final Pattern IMAGE_CALL = Pattern.compile("^(?:/v[0-9.]+)?/images/(.+)/(json|get)$");

    /** One image: what inspect answers and what export streams ({@code endless}: then zeros until the client hangs up). */
    record Image(String id, long size, byte[] archive, boolean endless) {
        Image(String id, long size, byte[] archive) {
            this(id, size, archive, false);
        }
    }

    private final ServerSocketChannel server;
    private final String endpoint;
    private final Map<String, Image> images = new ConcurrentHashMap<>();
    final List<String> requests = new CopyOnWriteArrayList<>();
    /** When set, every answer is this status with this body (an engine in trouble). */
    volatile String failWith;

    volatile int failStatus;

    private FakeEngine(ServerSocketChannel server, String endpoint) {
        this.server = server;
        this.endpoint = endpoint;
        Thread t = new Thread(this::serve, "fake-engine");
        t.setDaemon(true);
        t.start();
    }

    static FakeEngine onUnixSocket(Path socket) throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open(StandardProtocolFamily.UNIX);
        s.bind(UnixDomainSocketAddress.of(socket));
        return new FakeEngine(s, "unix://" + socket);
    }

    static FakeEngine onLoopback() throws IOException {
        ServerSocketChannel s = ServerSocketChannel.open();
        s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
        int port = ((InetSocketAddress) s.getLocalAddress()).getPort();
        return new FakeEngine(s, "tcp://127.0.0.1:" + port);
    }

    String endpoint() {
        return endpoint;
    }

    /** Adds an image under {@code name}, as a Docker engine would know it. */
    FakeEngine with(String name, Image image) {
        images.put(name, image);
        return this;
    }

    long exports() {
        return requests.stream().filter(r -> r.endsWith("/get")).count();
    }

    private void serve() {
        while (server.isOpen()) {
            try (SocketChannel c = server.accept()) {
                InputStream in = Channels.newInputStream(c);
                String line = new String(readHead(in), StandardCharsets.US_ASCII).split("\r\n")[0];
                String path = URLDecoder.decode(line.split(" ")[1].replaceFirst("\\?.*", ""), StandardCharsets.UTF_8);
                requests.add(path);
                answer(path, Channels.newOutputStream(c));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void answer(String path, OutputStream out) throws IOException {
        if (failWith != null) {
            send(out, failStatus, ("{\"message\":\"" + failWith + "\"}").getBytes(StandardCharsets.UTF_8), false);
            return;
        }
        Matcher m = IMAGE_CALL.matcher(path);
        Image image = m.matches() ? images.get(m.group(1)) : null;
        if (image == null) {
            send(
                    out,
                    404,
                    ("{\"message\":\"No such image: " + (m.matches() ? m.group(1) : path) + "\"}")
                            .getBytes(StandardCharsets.UTF_8),
                    false);
        } else if (m.group(2).equals("json")) {
            send(
                    out,
                    200,
                    ("{\"Id\":\"sha256:" + image.id() + "\",\"Size\":" + image.size() + "}")
                            .getBytes(StandardCharsets.UTF_8),
                    false);
        } else {
            send(out, 200, image.archive(), true, image.endless());
        }
    }

    /** HTTP/1.1 with Connection: close; an export goes chunked, as both engines stream it. */
    private static void send(OutputStream out, int status, byte[] body, boolean chunked) throws IOException {
        send(out, status, body, chunked, false);
    }

    private static void send(OutputStream out, int status, byte[] body, boolean chunked, boolean endless)
            throws IOException {
        String head = "HTTP/1.1 " + status + " X\r\nConnection: close\r\nContent-Type: "
                + (chunked ? "application/x-tar" : "application/json")
                + (chunked ? "\r\nTransfer-Encoding: chunked" : "\r\nContent-Length: " + body.length) + "\r\n\r\n";
        out.write(head.getBytes(StandardCharsets.US_ASCII));
        if (!chunked) {
            out.write(body);
        } else {
            for (int off = 0; off < body.length; off += 4096) {
                int n = Math.min(4096, body.length - off);
                out.write((Integer.toHexString(n) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(body, off, n);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            byte[] zeros = new byte[1 << 16];
            while (endless) {
                out.write((Integer.toHexString(zeros.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                out.write(zeros);
                out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
            }
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        out.flush();
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        int state = 0;
        while (state < 4 && (c = in.read()) >= 0) {
            b.write(c);
            state = (c == '\r' && state % 2 == 0) || (c == '\n' && state % 2 == 1) ? state + 1 : 0;
        }
        return b.toByteArray();
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
