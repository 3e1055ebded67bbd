package dev.microvmsandbox.image;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * A minimal Docker API client for image export: GET over a unix socket or plain TCP, only what
 * export needs; HTTP/1.0 so the server closes the connection after the body.
 */
final class DockerApi {
    private final String endpoint;
    private final SocketAddress address;
    private final Path socketFile;

    private DockerApi(String endpoint, SocketAddress address, Path socketFile) {
        this.endpoint = endpoint;
        this.address = address;
        this.socketFile = socketFile;
    }

    static DockerApi of(String endpoint) {
        if (endpoint.startsWith("unix://")) {
            Path p = Path.of(endpoint.substring("unix://".length()));
            return new DockerApi(endpoint, UnixDomainSocketAddress.of(p), p);
        }
        if (endpoint.startsWith("tcp://")) {
            URI u = URI.create(endpoint);
            if (u.getHost() == null) {
                throw new IllegalArgumentException("no host in " + endpoint);
            }
            if ("1".equals(System.getenv("DOCKER_TLS_VERIFY")) || u.getPort() == 2376) {
                throw new IllegalArgumentException("TLS endpoints are not supported; export the image with "
                        + "`docker save` and use docker-archive:PATH");
            }
            return new DockerApi(endpoint, new InetSocketAddress(u.getHost(), u.getPort() < 0 ? 2375 : u.getPort()), null);
        }
        throw new IllegalArgumentException("unsupported endpoint (want unix:// or tcp://)");
    }

    String endpoint() {
        return endpoint;
    }

    boolean exists() {
        return socketFile == null || Files.exists(socketFile);
    }

    record Response(int status, byte[] body) {
        String text(int max) {
            String s = new String(body, StandardCharsets.UTF_8).trim();
            return s.length() <= max ? s : s.substring(0, max) + "...";
        }
    }

    /**
     * GETs {@code path}; a 200 body goes to {@code sink} when given, else into the response
     * (at most {@code maxBody} bytes). Error bodies are always kept (bounded).
     */
    Response get(String path, long maxBody, OutputStream sink) throws IOException {
        try (Conn c = connect()) {
            OutputStream out = c.out();
            out.write(("GET " + path + " HTTP/1.0\r\nHost: docker\r\nUser-Agent: microvm-sandbox\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = c.in();
            String statusLine = readLine(in);
            String[] parts = statusLine.split(" ", 3);
            if (parts.length < 2 || !parts[0].startsWith("HTTP/")) {
                throw new IOException("not an HTTP answer: " + statusLine);
            }
            int status = Integer.parseInt(parts[1]);
            long length = -1;
            boolean chunked = false;
            for (String h = readLine(in); !h.isEmpty(); h = readLine(in)) {
                int colon = h.indexOf(':');
                if (colon < 0) {
                    continue;
                }
                String k = h.substring(0, colon).trim().toLowerCase(Locale.ROOT);
                String v = h.substring(colon + 1).trim();
                if (k.equals("content-length")) {
                    length = Long.parseLong(v);
                } else if (k.equals("transfer-encoding") && v.toLowerCase(Locale.ROOT).contains("chunked")) {
                    chunked = true;
                }
            }
            InputStream body = chunked ? new ChunkedInputStream(in) : length >= 0 ? new BoundedInputStream(in, length) : in;
            if (status == 200 && sink != null) {
                body.transferTo(sink);
                return new Response(status, new byte[0]);
            }
            long limit = status == 200 ? maxBody : 64 * 1024;
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            byte[] b = new byte[8192];
            int n;
            while ((n = body.read(b)) > 0) {
                if (buf.size() + n > limit) {
                    throw new IOException("answer larger than " + limit + " bytes");
                }
                buf.write(b, 0, n);
            }
            return new Response(status, buf.toByteArray());
        }
    }

    private interface Conn extends AutoCloseable {
        InputStream in();

        OutputStream out();

        @Override
        void close() throws IOException;
    }

    private Conn connect() throws IOException {
        if (address instanceof UnixDomainSocketAddress) {
            SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX);
            try {
                ch.connect(address);
            } catch (IOException e) {
                ch.close();
                throw new IOException("cannot connect: " + e.getMessage(), e);
            }
            InputStream in = Channels.newInputStream(ch);
            OutputStream out = Channels.newOutputStream(ch);
            return new Conn() {
                public InputStream in() { return in; }
                public OutputStream out() { return out; }
                public void close() throws IOException { ch.close(); }
            };
        }
        Socket s = new Socket();
        try {
            s.connect(address, 5000);
            s.setSoTimeout(600_000);
        } catch (IOException e) {
            s.close();
            throw new IOException("cannot connect: " + e.getMessage(), e);
        }
        return new Conn() {
            public InputStream in() { try { return s.getInputStream(); } catch (IOException e) { throw new IllegalStateException(e); } }
            public OutputStream out() { try { return s.getOutputStream(); } catch (IOException e) { throw new IllegalStateException(e); } }
            public void close() throws IOException { s.close(); }
        };
    }

    private static String readLine(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = b.length();
                return len > 0 && b.charAt(len - 1) == '\r' ? b.substring(0, len - 1) : b.toString();
            }
            if (b.length() > 8192) {
                throw new IOException("HTTP header line too long");
            }
            b.append((char) c);
        }
        if (b.length() == 0) {
            throw new EOFException("connection closed before the answer");
        }
        return b.toString();
    }

    private static final class BoundedInputStream extends InputStream {
        private final InputStream in;
        private long left;

        BoundedInputStream(InputStream in, long left) {
            this.in = in;
            this.left = left;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (left <= 0) {
                return -1;
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("answer ended " + left + " bytes early");
            }
            left -= n;
            return n;
        }
    }

    private static final class ChunkedInputStream extends InputStream {
        private final InputStream in;
        private long left;
        private boolean done;

        ChunkedInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (done) {
                return -1;
            }
            if (left == 0) {
                String size = readLine(in);
                int semi = size.indexOf(';');
                left = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).trim(), 16);
                if (left == 0) {
                    done = true;
                    return -1;
                }
            }
            int n = in.read(b, off, (int) Math.min(len, left));
            if (n < 0) {
                throw new EOFException("chunked answer ended early");
            }
            left -= n;
            if (left == 0) {
                readLine(in);
            }
            return n;
        }
    }
}
