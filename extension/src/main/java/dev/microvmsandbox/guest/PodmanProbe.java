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

    /**
     * Waits until podman's API answers, then tells the host the sandbox is ready, with how long the
     * attach's steps took, this wait the last of them.
     */
    static void awaitReady(Channel channel, AttachSteps steps) throws IOException, InterruptedException {
        long start = System.nanoTime();
        while (channel.isOpen()) {
            String version = ping(socket());
            if (version != null) {
                steps.done("podman");
                channel.send(new Message.Ready(
                        (System.nanoTime() - start) / 1_000_000, version, GuestUptime.millis(), steps.millis()));
                return;
            }
            Thread.sleep(50);
        }
    }

    /**
     * Asks podman what a first client asks (version, info, images, containers), so a guest saved as
     * a template has podman's own start-up work behind it.
     */
    static void warm() {
        for (String path : java.util.List.of("/version", "/info", "/images/json", "/containers/json?all=true")) {
            get(socket(), path);
        }
    }

    /** The API version podman reports, or null while it does not answer. */
    static String ping(Path socket) {
        String response = get(socket, "/_ping");
        if (response == null || !response.startsWith("HTTP/1.") || !response.contains(" 200 ")) {
            return null;
        }
        for (String line : response.split("\r\n")) {
            if (line.regionMatches(true, 0, "Api-Version:", 0, 12)) {
                return line.substring(12).trim();
            }
        }
        return "unknown";
    }

    /** The first 4 KiB of podman's answer to {@code GET path}, the rest read and dropped; null if it does not answer. */
    static String get(Path socket, String path) {
        try (SocketChannel ch = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            ch.connect(UnixDomainSocketAddress.of(socket));
            ch.write(ByteBuffer.wrap(
                    ("GET " + path + " HTTP/1.0\r\nHost: d\r\n\r\n").getBytes(StandardCharsets.US_ASCII)));
            ByteBuffer buf = ByteBuffer.allocate(4096);
            ByteBuffer rest = ByteBuffer.allocate(64 * 1024);
            while (ch.read(buf.hasRemaining() ? buf : rest.clear()) >= 0) {
                // HTTP/1.0: the server closes the connection after its answer
            }
            return new String(buf.array(), 0, buf.position(), StandardCharsets.US_ASCII);
        } catch (IOException e) {
            return null;
        }
    }
}
