package dev.microvmsandbox.image;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.backend.SandboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.Channels;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSourcesTest {

    @TempDir
    Path tmp;

    /** A minimal ustar writer: enough for the archive reader. */
    static byte[] tar(Map<String, String> files) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, String> f : files.entrySet()) {
            byte[] data = f.getValue().getBytes(StandardCharsets.UTF_8);
            byte[] h = new byte[512];
            put(h, 0, f.getKey());
            put(h, 100, "0000644");
            put(h, 108, "0000000");
            put(h, 116, "0000000");
            put(h, 124, String.format("%011o", data.length));
            put(h, 136, "00000000000");
            h[156] = '0';
            put(h, 257, "ustar");
            put(h, 263, "00");
            for (int i = 148; i < 156; i++) {
                h[i] = ' ';
            }
            long sum = 0;
            for (byte b : h) {
                sum += b & 0xff;
            }
            put(h, 148, String.format("%06o", sum));
            h[154] = 0;
            out.write(h);
            out.write(data);
            out.write(new byte[(512 - data.length % 512) % 512]);
        }
        out.write(new byte[1024]);
        return out.toByteArray();
    }

    private static void put(byte[] h, int off, String s) {
        byte[] b = s.getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(b, 0, h, off, b.length);
    }

    static String dockerArchiveFiles(String tag) {
        return "[{\"Config\":\"abc.json\",\"RepoTags\":[\"" + tag + "\"],\"Layers\":[\"l/layer.tar\"]}]";
    }

    private Path writeDockerArchive(Path file, String tag) throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("./abc.json", "{}");
        m.put("./l/layer.tar", "not really a layer");
        m.put("./manifest.json", dockerArchiveFiles(tag));
        Files.createDirectories(file.getParent());
        Files.write(file, tar(m));
        return file;
    }

    private ImageSources sources(List<String> endpoints) {
        return new ImageSources(tmp.resolve("project"), tmp.resolve("cache"), endpoints);
    }

    @Test
    void dockerArchiveRelativeToTheProjectDirectory() throws IOException {
        Path f = writeDockerArchive(tmp.resolve("project/target/sample-images/redis.tar"), "localhost/samples/redis:7");
        ImageArchive a = sources(List.of()).resolve("docker-archive:target/sample-images/redis.tar");
        assertThat(a.file()).isEqualTo(f);
        assertThat(a.format()).isEqualTo(ImageArchive.Format.DOCKER_ARCHIVE);
        assertThat(a.names()).containsExactly("localhost/samples/redis:7");
        assertThat(a.podmanReference()).isEqualTo("docker-archive:" + f);
    }

    @Test
    void absolutePathsStayAbsolute() throws IOException {
        Path f = writeDockerArchive(tmp.resolve("elsewhere/x.tar"), "a/b:1");
        assertThat(sources(List.of()).resolve("docker-archive:" + f).file()).isEqualTo(f);
    }

    @Test
    void ociArchiveIsDetectedByItsIndex() throws IOException {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}");
        m.put("index.json", "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                + "\"digest\":\"sha256:00\",\"size\":1,\"annotations\":{\"org.opencontainers.image.ref.name\":\"localhost/x:2\"}}]}");
        Path f = tmp.resolve("project/x.oci.tar");
        Files.createDirectories(f.getParent());
        Files.write(f, tar(m));
        ImageArchive a = sources(List.of()).resolve("oci-archive:x.oci.tar");
        assertThat(a.format()).isEqualTo(ImageArchive.Format.OCI_ARCHIVE);
        assertThat(a.names()).containsExactly("localhost/x:2");
    }

    @Test
    void missingArchiveSaysWhereItLooked() {
        assertThatThrownBy(() -> sources(List.of()).resolve("docker-archive:target/none.tar"))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("Tried:")
                .hasMessageContaining(tmp.resolve("project/target/none.tar").toString())
                .hasMessageContaining("relative to the project directory");
    }

    @Test
    void aFileThatIsNoImageArchiveIsRefused() throws IOException {
        Path f = tmp.resolve("project/notes.tar");
        Files.createDirectories(f.getParent());
        Files.write(f, tar(Map.of("readme.txt", "hi")));
        assertThatThrownBy(() -> sources(List.of()).resolve("docker-archive:notes.tar"))
                .hasMessageContaining("not an image archive").hasMessageContaining("manifest.json");
        Files.writeString(f, "plain text, not a tar at all ".repeat(40));
        assertThatThrownBy(() -> sources(List.of()).resolve("docker-archive:notes.tar"))
                .hasMessageContaining("not a tar archive");
    }

    @Test
    void aPathWithoutPrefixGetsAHint() {
        assertThatThrownBy(() -> sources(List.of()).resolve("target/redis.tar"))
                .hasMessageContaining("docker-archive:target/redis.tar");
    }

    @Test
    void anUnknownNameListsEveryEngineTried() {
        String missingSocket = "unix://" + tmp.resolve("docker.sock");
        assertThatThrownBy(() -> sources(List.of(missingSocket, "ftp://nowhere")).resolve("localhost/samples/redsi:7"))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("Image 'localhost/samples/redsi:7' not found. Tried:")
                .hasMessageContaining("Docker API at " + missingSocket + ": no such socket")
                .hasMessageContaining("Docker API at ftp://nowhere: unsupported endpoint")
                .hasMessageContaining("docker-archive:PATH");
    }

    @Test
    void allBadEntriesAreReportedTogether() {
        assertThatThrownBy(() -> sources(List.of()).resolve(List.of("docker-archive:a.tar", "docker-archive:b.tar")))
                .hasMessageContaining("a.tar").hasMessageContaining("b.tar");
    }

    @Test
    void invalidNamesAreRefused() {
        assertThatThrownBy(() -> sources(List.of()).resolve("Not A Name")).hasMessageContaining("valid image name");
        assertThatThrownBy(() -> sources(List.of()).resolve(" ")).hasMessageContaining("empty entry");
    }

    @Test
    void defaultEndpointsPutDockerHostFirst() {
        Map<String, String> env = Map.of("DOCKER_HOST", "tcp://example:2375", "XDG_RUNTIME_DIR", "/run/user/1000");
        assertThat(ImageSources.defaultEndpoints(env::get)).containsExactly("tcp://example:2375",
                "unix:///var/run/docker.sock", "unix:///run/podman/podman.sock", "unix:///run/user/1000/podman/podman.sock");
        assertThat(ImageSources.defaultCacheDir(Map.of("MICROVM_SANDBOX_CACHE", "/c")::get)).isEqualTo(Path.of("/c"));
    }

    @Test
    void qualifiesShortNamesTheWayPodmanStoresThem() {
        assertThat(ImageSources.qualify("redis:7")).isEqualTo("docker.io/library/redis:7");
        assertThat(ImageSources.qualify("bitnami/redis")).isEqualTo("docker.io/bitnami/redis:latest");
        assertThat(ImageSources.qualify("localhost/samples/redis:7")).isEqualTo("localhost/samples/redis:7");
        assertThat(ImageSources.qualify("registry:5000/x")).isEqualTo("registry:5000/x:latest");
    }

    /** A fake Docker API on a unix socket: inspect and export, each request recorded. */
    @Test
    void exportsANameFromAHostEngineOnceThenUsesTheCache() throws Exception {
        Path sock = tmp.resolve("engine.sock");
        byte[] archive = tar(new LinkedHashMap<>(Map.of("manifest.json", dockerArchiveFiles("localhost/app:1"),
                "abc.json", "{}")));
        String id = "sha256:" + "ab".repeat(32);
        List<String> requests = new CopyOnWriteArrayList<>();
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(sock));
            Thread t = new Thread(() -> {
                while (server.isOpen()) {
                    try (SocketChannel c = server.accept()) {
                        InputStream in = Channels.newInputStream(c);
                        String request = new String(readHead(in), StandardCharsets.US_ASCII).split("\r\n")[0];
                        requests.add(request);
                        OutputStream out = Channels.newOutputStream(c);
                        if (request.contains("/images/localhost/app:1/json")) {
                            byte[] body = ("{\"Id\":\"" + id + "\"}").getBytes(StandardCharsets.UTF_8);
                            out.write(("HTTP/1.0 200 OK\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(body);
                        } else if (request.contains("/images/get?names=localhost%2Fapp%3A1")) {
                            // chunked, to exercise the decoder
                            out.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                            int half = archive.length / 2;
                            out.write((Integer.toHexString(half) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(archive, 0, half);
                            out.write(("\r\n" + Integer.toHexString(archive.length - half) + "\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(archive, half, archive.length - half);
                            out.write("\r\n0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                        } else {
                            byte[] body = "{\"message\":\"No such image\"}".getBytes(StandardCharsets.UTF_8);
                            out.write(("HTTP/1.0 404 Not Found\r\nContent-Length: " + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                            out.write(body);
                        }
                        out.flush();
                    } catch (IOException e) {
                        return;
                    }
                }
            });
            t.setDaemon(true);
            t.start();

            ImageSources s = sources(List.of("unix://" + sock));
            ImageArchive a = s.resolve("localhost/app:1");
            assertThat(a.names()).containsExactly("localhost/app:1");
            assertThat(a.file()).startsWith(tmp.resolve("cache/host-images/" + "ab".repeat(32)));
            assertThat(Files.readAllBytes(a.file())).isEqualTo(archive);
            assertThat(requests).hasSize(2);

            ImageArchive again = s.resolve("localhost/app:1");
            assertThat(again.file()).isEqualTo(a.file());
            assertThat(again.origin()).contains("cached");
            assertThat(requests).hasSize(3).noneMatch(r -> r.contains("/images/get") && requests.indexOf(r) == 2);

            assertThatThrownBy(() -> s.resolve("localhost/other:1"))
                    .hasMessageContaining("Docker API at unix://" + sock + ": no image named localhost/other:1");
        }
    }

    private static byte[] readHead(InputStream in) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        int c;
        while ((c = in.read()) >= 0) {
            b.write(c);
            byte[] x = b.toByteArray();
            int n = x.length;
            if (n >= 4 && x[n - 4] == '\r' && x[n - 3] == '\n' && x[n - 2] == '\r' && x[n - 1] == '\n') {
                break;
            }
        }
        return b.toByteArray();
    }
}
