package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Message;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Tells the host the sandbox is ready once podman's Docker API answers {@code /_ping}. */
final class PodmanProbe {

    static final String SOCKET_ENV = "SANDBOX_PODMAN_SOCKET";
    static final String DEFAULT_SOCKET = "/run/podman/podman.sock";

    private PodmanProbe() {}

    static Path socket() {
        String s = System.getenv(SOCKET_ENV);
        return Path.of(s == null || s.isBlank() ? DEFAULT_SOCKET : s);
    }

    static void awaitReadyInBackground(Channel channel) {
        Thread t = new Thread(
                () -> {
                    long start = System.nanoTime();
                    while (channel.isOpen()) {
                        String version = ping(socket());
                        if (version != null) {
                            try {
                                channel.send(new Message.Ready((System.nanoTime() - start) / 1_000_000, version));
                            } catch (IOException e) {
                                return;
                            }
                            return;
                        }
                        try {
                            Thread.sleep(50);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                },
                "podman-probe");
        t.setDaemon(true);
        t.start();
    }

    /** The API version podman reports, or null while it does not answer. */
    static String ping(Path socket) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap("GET /_ping HTTP/1.0\r\nHost: d\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (ch.read(buf) > 0 && buf.hasRemaining()) {
                // read the whole short answer
            }
            String response = new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
            if (!response.startsWith("HTTP/1.") || !response.contains(" 200 ")) {
                return null;
            }
            for (String line : response.split("\r\n")) {
                if (line.regionMatches(true, 0, "Api-Version:", 0, 12)) {
                    return line.substring(12).trim();
                }
            }
            return "unknown";
        } catch (IOException e) {
            return null;
        }
    }
}
