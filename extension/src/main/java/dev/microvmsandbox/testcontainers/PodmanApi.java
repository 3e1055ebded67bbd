package dev.microvmsandbox.testcontainers;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The two calls of the Docker API the pull policy needs (list images, tag one), made over the
 * unix socket Testcontainers uses, with the JDK alone: the docker-java of the test classpath is
 * the user's, whatever version it is, and this library's own copy is relocated.
 *
 * <p>HTTP/1.0 with one request per connection, so the answer is the rest of the stream (no
 * chunked encoding), read up to {@link #MAX_ANSWER_BYTES}.
 */
final class PodmanApi {

    static final int MAX_ANSWER_BYTES = 16 << 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path socket;

    PodmanApi(Path socket) {
        this.socket = socket;
    }

    /** An API at {@code unix:///path}; other endpoints are not the sandbox's podman. */
    static PodmanApi at(URI dockerHost) {
        if (dockerHost == null || !"unix".equals(dockerHost.getScheme()) || dockerHost.getPath() == null) {
            throw new IllegalStateException(
                    "Testcontainers talks to " + dockerHost + ", not to the sandbox's podman socket (unix:///...)");
        }
        return new PodmanApi(Path.of(dockerHost.getPath()));
    }

    List<PreloadedImages.Local> images() throws IOException {
        JsonNode list = JSON.readTree(call("GET", "/images/json", 200));
        if (!list.isArray()) {
            throw new IOException("GET /images/json did not answer a list");
        }
        List<PreloadedImages.Local> images = new ArrayList<>();
        for (JsonNode image : list) {
            List<String> names = new ArrayList<>();
            image.path("RepoTags").forEach(t -> {
                if (t.isTextual()) {
                    names.add(t.asText());
                }
            });
            if (image.path("Id").isTextual() && !names.isEmpty()) {
                images.add(new PreloadedImages.Local(image.path("Id").asText(), names));
            }
        }
        return images;
    }

    void tag(String imageId, String repository, String tag) throws IOException {
        call("POST", "/images/" + encode(imageId) + "/tag?repo=" + encode(repository) + "&tag=" + encode(tag), 201);
    }

    private byte[] call(String method, String path, int expected) throws IOException {
        byte[] answer;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            channel.connect(UnixDomainSocketAddress.of(socket));
            String request = method + " " + path + " HTTP/1.0\r\nHost: podman\r\nContent-Length: 0\r\n\r\n";
            ByteBuffer out = ByteBuffer.wrap(request.getBytes(StandardCharsets.US_ASCII));
            while (out.hasRemaining()) {
                channel.write(out);
            }
            ByteArrayOutputStream in = new ByteArrayOutputStream();
            ByteBuffer buf = ByteBuffer.allocate(1 << 16);
            while (channel.read(buf) >= 0) {
                buf.flip();
                if (in.size() + buf.remaining() > MAX_ANSWER_BYTES) {
                    throw new IOException(method + " " + path + ": answer larger than " + MAX_ANSWER_BYTES + " bytes");
                }
                in.write(buf.array(), 0, buf.remaining());
                buf.clear();
            }
            answer = in.toByteArray();
        }
        int end = indexOf(answer, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        if (end < 0) {
            throw new IOException(method + " " + path + ": no HTTP answer from " + socket);
        }
        String head = new String(answer, 0, end, StandardCharsets.ISO_8859_1);
        String[] status = head.split("\r\n", 2)[0].split(" ", 3);
        byte[] body = java.util.Arrays.copyOfRange(answer, end + 4, answer.length);
        if (status.length < 2 || !status[1].equals(Integer.toString(expected))) {
            String text = new String(body, StandardCharsets.UTF_8).strip();
            throw new IOException(method + " " + path + " answered " + head.split("\r\n", 2)[0] + ": "
                    + (text.length() > 300 ? text.substring(0, 300) + "..." : text));
        }
        return body;
    }

    private static int indexOf(byte[] data, byte[] pattern) {
        outer:
        for (int i = 0; i + pattern.length <= data.length; i++) {
            for (int j = 0; j < pattern.length; j++) {
                if (data[i + j] != pattern[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }
}
