package dev.microvmsandbox.containerimage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.backend.SandboxException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageSourcesTest {

    @TempDir
    Path tmp;

    /** A minimal ustar writer: enough for the archive reader. */
    static byte[] tar(Map<String, String> files) throws IOException {
        Map<String, byte[]> bytes = new LinkedHashMap<>();
        files.forEach((name, text) -> bytes.put(name, text.getBytes(StandardCharsets.UTF_8)));
        return tarOf(bytes);
    }

    static byte[] tarOf(Map<String, byte[]> files) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Map.Entry<String, byte[]> f : files.entrySet()) {
            byte[] data = f.getValue();
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
        m.put(
                "index.json",
                "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\","
                        + "\"digest\":\"sha256:00\",\"size\":1,\"annotations\":{\"org.opencontainers.image.ref.name\":\"localhost/x:2\"}}]}");
        Path f = tmp.resolve("project/x.oci.tar");
        Files.createDirectories(f.getParent());
        Files.write(f, tar(m));
        ImageArchive a = sources(List.of()).resolve("oci-archive:x.oci.tar");
        assertThat(a.format()).isEqualTo(ImageArchive.Format.OCI_ARCHIVE);
        assertThat(a.names()).containsExactly("localhost/x:2");
    }

    @Test
    void podmanQualifiesShortNamesPerFormat() {
        // what podman 4.3 does on load: Docker's rule for docker-archive, localhost/ for OCI
        Path f = tmp.resolve("x.tar");
        List<String> names = List.of("redis:7", "samples/redis", "7", "quay.io/x/y:1", "localhost/z:2");
        assertThat(new ImageArchive("e", f, ImageArchive.Format.DOCKER_ARCHIVE, names, 0, "o").guestNames())
                .containsExactly(
                        "docker.io/library/redis:7",
                        "docker.io/samples/redis:latest",
                        "docker.io/library/7:latest",
                        "quay.io/x/y:1",
                        "localhost/z:2");
        assertThat(new ImageArchive("e", f, ImageArchive.Format.OCI_ARCHIVE, names, 0, "o").guestNames())
                .containsExactly(
                        "localhost/redis:7",
                        "localhost/samples/redis:latest",
                        "localhost/7:latest",
                        "quay.io/x/y:1",
                        "localhost/z:2");
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
                .hasMessageContaining("not an image archive")
                .hasMessageContaining("manifest.json");
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
        assertThatThrownBy(
                        () -> sources(List.of(missingSocket, "ftp://nowhere")).resolve("localhost/samples/redsi:7"))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("Image 'localhost/samples/redsi:7' not found. Tried:")
                .hasMessageContaining("Docker API at " + missingSocket + ": no such socket")
                .hasMessageContaining("Docker API at ftp://nowhere: unsupported endpoint")
                .hasMessageContaining("docker-archive:PATH");
    }

    @Test
    void allBadEntriesAreReportedTogether() {
        assertThatThrownBy(() -> sources(List.of()).resolve(List.of("docker-archive:a.tar", "docker-archive:b.tar")))
                .hasMessageContaining("a.tar")
                .hasMessageContaining("b.tar");
    }

    @Test
    void invalidNamesAreRefused() {
        assertThatThrownBy(() -> sources(List.of()).resolve("Not A Name")).hasMessageContaining("valid image name");
        assertThatThrownBy(() -> sources(List.of()).resolve(" ")).hasMessageContaining("empty entry");
    }

    @Test
    void defaultEndpointsPutDockerHostFirst() {
        Map<String, String> env = Map.of("DOCKER_HOST", "tcp://example:2375", "XDG_RUNTIME_DIR", "/run/user/1000");
        assertThat(ImageSources.defaultEndpoints(env::get))
                .containsExactly(
                        "tcp://example:2375",
                        "unix:///var/run/docker.sock",
                        "unix:///run/podman/podman.sock",
                        "unix:///run/user/1000/podman/podman.sock");
        assertThat(ImageSources.defaultCacheDir(Map.of("MICROVM_SANDBOX_CACHE", "/c")::get))
                .isEqualTo(Path.of("/c"));
    }

    @Test
    void qualifiesShortNamesTheWayPodmanStoresThem() {
        assertThat(ImageNames.qualify("redis:7")).isEqualTo("docker.io/library/redis:7");
        assertThat(ImageNames.qualify("bitnami/redis")).isEqualTo("docker.io/bitnami/redis:latest");
        assertThat(ImageNames.qualify("localhost/samples/redis:7")).isEqualTo("localhost/samples/redis:7");
        assertThat(ImageNames.qualify("registry:5000/x")).isEqualTo("registry:5000/x:latest");
    }

    private static byte[] exportOf(String tag) throws IOException {
        return tar(new LinkedHashMap<>(Map.of("manifest.json", dockerArchiveFiles(tag), "abc.json", "{}")));
    }

    @Test
    void exportsANameFromAHostEngineOnceThenUsesTheCache() throws Exception {
        byte[] archive = exportOf("localhost/app:1");
        String id = "ab".repeat(32);
        try (FakeEngine engine = FakeEngine.onUnixSocket(tmp.resolve("engine.sock"))
                .with("localhost/app:1", new FakeEngine.Image(id, archive.length, archive))) {
            ImageSources s = sources(List.of(engine.endpoint()));
            ImageArchive a = s.resolve("localhost/app:1");
            assertThat(a.names()).containsExactly("localhost/app:1");
            assertThat(a.file()).startsWith(tmp.resolve("cache/host-images/" + id));
            assertThat(Files.readAllBytes(a.file())).isEqualTo(archive);
            assertThat(a.origin()).isEqualTo("exported from " + engine.endpoint());
            assertThat(engine.requests).containsExactly("/images/localhost/app:1/json", "/images/localhost/app:1/get");

            ImageArchive again = s.resolve("localhost/app:1");
            assertThat(again.file()).isEqualTo(a.file());
            assertThat(again.origin()).contains("cached");
            assertThat(engine.exports()).isEqualTo(1);
            assertThat(tmp.resolve("cache/host-images/" + id)).isDirectoryNotContaining("glob:**.partial");
        }
    }

    @Test
    void aPodmanQualifiedExportIsACacheHitForTheShortName() throws Exception {
        // podman stores and exports redis:7 as docker.io/library/redis:7
        byte[] archive = exportOf("docker.io/library/app:1");
        try (FakeEngine engine = FakeEngine.onUnixSocket(tmp.resolve("podman.sock"))
                .with("app:1", new FakeEngine.Image("cd".repeat(32), archive.length, archive))) {
            ImageSources s = sources(List.of(engine.endpoint()));
            assertThat(s.resolve("app:1").names()).containsExactly("docker.io/library/app:1");
            assertThat(s.resolve("app:1").origin()).contains("cached");
            assertThat(engine.exports()).isEqualTo(1);
        }
    }

    @Test
    void exportsOverLoopbackTcp() throws Exception {
        byte[] archive = exportOf("localhost/app:1");
        try (FakeEngine engine = FakeEngine.onLoopback()
                .with("localhost/app:1", new FakeEngine.Image("ef".repeat(32), archive.length, archive))) {
            ImageArchive a = sources(List.of(engine.endpoint())).resolve("localhost/app:1");
            assertThat(a.origin()).isEqualTo("exported from " + engine.endpoint());
            assertThat(Files.readAllBytes(a.file())).isEqualTo(archive);
        }
    }

    @Test
    void triesTheNextEngineAndListsWhatEachSaid() throws Exception {
        byte[] archive = exportOf("localhost/app:1");
        Path stale = Files.createFile(tmp.resolve("stale.sock"));
        try (FakeEngine empty = FakeEngine.onUnixSocket(tmp.resolve("empty.sock"));
                FakeEngine broken = FakeEngine.onUnixSocket(tmp.resolve("broken.sock"));
                FakeEngine full = FakeEngine.onUnixSocket(tmp.resolve("full.sock"))
                        .with("localhost/app:1", new FakeEngine.Image("12".repeat(32), archive.length, archive))) {
            broken.failStatus = 500;
            broken.failWith = "storage is corrupt";
            String missing = "unix://" + tmp.resolve("none.sock");
            ImageSources s =
                    sources(List.of(missing, "unix://" + stale, empty.endpoint(), broken.endpoint(), full.endpoint()));
            assertThat(s.resolve("localhost/app:1").origin()).isEqualTo("exported from " + full.endpoint());

            assertThatThrownBy(() -> s.resolve("localhost/other:1"))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("Image 'localhost/other:1' not found. Tried:")
                    .hasMessageContaining("Docker API at " + missing + ": no such socket")
                    .hasMessageContaining("Docker API at unix://" + stale + ": ")
                    .hasMessageContaining("Docker API at " + empty.endpoint() + ": no image named localhost/other:1")
                    .hasMessageContaining(
                            "Docker API at " + broken.endpoint() + ": inspect answered HTTP 500: storage is corrupt")
                    .hasMessageContaining("Docker API at " + full.endpoint() + ": no image named localhost/other:1");
        }
    }

    @Test
    void anExportLargerThanTheImageIsCutOffAndNotCached() throws Exception {
        // an engine that never stops sending: the export must end at the limit, not drain the stream
        try (FakeEngine engine = FakeEngine.onUnixSocket(tmp.resolve("engine.sock"))
                .with(
                        "localhost/big:1",
                        new FakeEngine.Image("34".repeat(32), 1024, exportOf("localhost/big:1"), true))) {
            assertTimeoutPreemptively(
                    WaitBounds.scaled(Duration.ofSeconds(60)),
                    () -> assertThatThrownBy(
                                    () -> sources(List.of(engine.endpoint())).resolve("localhost/big:1"))
                            .hasMessageContaining(
                                    "Docker API at " + engine.endpoint() + ": export larger than 64 MiB"));
            assertThat(tmp.resolve("cache/host-images/" + "34".repeat(32))).isEmptyDirectory();
        }
    }

    @Test
    void anOversizedAnswerIsRefused() throws Exception {
        try (FakeEngine engine = FakeEngine.onUnixSocket(tmp.resolve("engine.sock"))) {
            engine.failStatus = 500;
            engine.failWith = "x".repeat((int) ContainerEngineExport.MAX_ANSWER_BYTES + 1);
            assertThatThrownBy(() -> sources(List.of(engine.endpoint())).resolve("localhost/app:1"))
                    .hasMessageContaining("Docker API at " + engine.endpoint() + ": ")
                    .hasMessageContaining("answer larger than " + ContainerEngineExport.MAX_ANSWER_BYTES);
        }
    }

    @Test
    void tlsEndpointsAreNamedAsUnsupported() {
        assertThatThrownBy(() -> sources(List.of("tcp://127.0.0.1:2376")).resolve("localhost/app:1"))
                .hasMessageContaining("Docker API at tcp://127.0.0.1:2376: TLS endpoints are not supported");
    }

    @Test
    void theExportLimitFollowsTheImageSize() {
        assertThat(ImageSources.exportLimit(100L << 20)).isEqualTo(264L << 20);
        assertThat(ImageSources.exportLimit(-1)).isEqualTo(64L << 30);
    }
}
