package dev.microvmsandbox.containerimage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.microvmsandbox.WaitBounds;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Exports through docker-java from a real podman: {@code podman system service} on a socket of
 * its own, with vfs storage in a temporary root so the host's images are neither read nor changed.
 * Skipped where podman is not installed ({@code sandbox-image/install-host.sh} installs it).
 */
class HostPodmanExportTest {

    private static final String NAME = "localhost/msb-test/hello:1";

    @TempDir
    static Path root;

    private static Process service;
    private static String endpoint;
    private static String imageId;

    @BeforeAll
    static void startPodman() throws Exception {
        Path podman = onPath("podman");
        if (podman == null) {
            return; // each test says why it is skipped, which a class-level assumption would not show
        }
        Path archive = root.resolve("hello.tar");
        Files.write(archive, helloImage(NAME));
        CommandOutput load = podman(podman, "load", "-i", archive.toString());
        assertThat(load.exit()).as("podman load: %s", load.text()).isZero();
        imageId = podman(podman, "image", "inspect", "--format", "{{.Id}}", NAME)
                .text()
                .strip();

        Path socket = root.resolve("podman.sock");
        List<String> command = new ArrayList<>(globalOptions(podman));
        command.addAll(List.of("system", "service", "--time=0", "unix://" + socket));
        service = new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(root.resolve("service.log").toFile())
                .start();
        long deadline = System.nanoTime() + WaitBounds.HOST_STEP.toNanos();
        while (System.nanoTime() < deadline && !Files.exists(socket) && service.isAlive()) {
            Thread.sleep(100);
        }
        assertThat(socket)
                .as("podman system service: %s", Files.readString(root.resolve("service.log")))
                .exists();
        endpoint = "unix://" + socket;
    }

    @AfterAll
    static void stopPodman() throws InterruptedException {
        if (service != null) {
            service.destroy();
            if (!service.waitFor(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS)) {
                service.destroyForcibly();
            }
        }
    }

    @BeforeEach
    void needsPodman() {
        assumeTrue(endpoint != null, "podman is not installed on this host; sandbox-image/install-host.sh installs it");
    }

    private ImageSources sources(Path tmp) {
        return new ImageSources(tmp.resolve("project"), tmp.resolve("cache"), List.of(endpoint));
    }

    @Test
    void exportsFromPodmanOnceThenUsesTheCache(@TempDir Path tmp) throws IOException {
        ImageSources s = sources(tmp);
        ImageArchive a = s.resolve(NAME);
        assertThat(a.format()).isEqualTo(ImageArchive.Format.DOCKER_ARCHIVE);
        assertThat(a.names()).containsExactly(NAME);
        assertThat(a.file().getParent()).isEqualTo(tmp.resolve("cache/host-images/" + imageId));
        assertThat(a.origin()).isEqualTo("exported from " + endpoint);
        FileTime exported = Files.getLastModifiedTime(a.file());

        ImageArchive again = s.resolve(NAME);
        assertThat(again.file()).isEqualTo(a.file());
        assertThat(again.origin()).isEqualTo("exported from " + endpoint + " (cached)");
        assertThat(Files.getLastModifiedTime(again.file())).isEqualTo(exported);
    }

    @Test
    void saysPodmanHasNoSuchImage(@TempDir Path tmp) {
        assertThatThrownBy(() -> sources(tmp).resolve("localhost/msb-test/absent:1"))
                .hasMessageContaining("Docker API at " + endpoint + ": no image named localhost/msb-test/absent:1");
    }

    // ---- a one-file image, made here so the test needs nothing built beforehand ------------

    /** A docker-archive with one layer holding {@code /hello}, valid enough for {@code podman load}. */
    static byte[] helloImage(String tag) throws IOException {
        byte[] layer = ImageSourcesTest.tar(Map.of("hello", "hello from a layer\n"));
        String diffId = "sha256:" + sha256(layer);
        byte[] config = ("{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/hello\"]},"
                        + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}")
                .getBytes(StandardCharsets.UTF_8);
        String configName = sha256(config) + ".json";
        Map<String, byte[]> files = new LinkedHashMap<>();
        files.put("layer.tar", layer);
        files.put(configName, config);
        files.put(
                "manifest.json",
                ("[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"" + tag + "\"]," + "\"Layers\":[\"layer.tar\"]}]")
                        .getBytes(StandardCharsets.UTF_8));
        return ImageSourcesTest.tarOf(files);
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    // ---- podman on its own storage --------------------------------------------------------

    private record CommandOutput(int exit, String text) {}

    private static List<String> globalOptions(Path podman) {
        return List.of(
                podman.toString(),
                "--root",
                root.resolve("storage").toString(),
                "--runroot",
                root.resolve("run").toString(),
                "--tmpdir",
                root.resolve("libpod").toString(),
                "--storage-driver",
                "vfs",
                "--cgroup-manager",
                "cgroupfs",
                "--events-backend",
                "none");
    }

    private static CommandOutput podman(Path podman, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(globalOptions(podman));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(WaitBounds.scaled(Duration.ofMinutes(2)).toMillis(), TimeUnit.MILLISECONDS)) {
            p.destroyForcibly();
            throw new IOException("timed out: " + command);
        }
        return new CommandOutput(p.exitValue(), out);
    }

    private static Path onPath(String program) {
        for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            Path p = Path.of(dir, program);
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        return null;
    }
}
