package dev.microvmsandbox.containerimage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.qemu.QemuBackend;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Both archive formats through {@link ImageSources} into real sandboxes: the guest image's busybox
 * as a docker-archive into one, which saves it again as OCI archives (one with a full name, one
 * with a short name in its index); those into a fresh one, where the containers run under the
 * names podman gives them.
 */
class ImagePreloadIT {

    private static final String BUSYBOX = "localhost/microvm-sandbox/busybox:latest";
    private static final String OCI_NAME = "localhost/it/oci-busybox:1";
    /** A short name, as skopeo or buildah may write it into an OCI archive's index. */
    private static final String SHORT_NAME = "it/short:2";

    @TempDir
    Path project;

    private static SandboxConfig config() {
        return WaitBounds.sandboxConfig().withMemory("2g").withTimeout(WaitBounds.scaled(Duration.ofMinutes(20)));
    }

    private static CommandResult sh(Sandbox sandbox, String script) {
        return sandbox.exec(Command.shell(script).withTimeout(WaitBounds.scaled(Duration.ofMinutes(5))));
    }

    private static List<String> imageNames(Sandbox sandbox) {
        CommandResult r = sh(sandbox, "podman images --format '{{.Repository}}:{{.Tag}}'");
        assertThat(r.exitCode()).as(r.stderr()).isZero();
        return r.stdout().lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    @Test
    void anOciArchiveSavedInOneSandboxLoadsAndRunsInAFreshOne() throws IOException {
        Path images = Files.createDirectories(project.resolve("images"));
        Files.copy(GuestImage.resolve().testImages().resolve("busybox.tar"), images.resolve("busybox.tar"));
        ImageSources sources = new ImageSources(project, project.resolve("cache"), List.of());

        ImageArchive docker = sources.resolve("docker-archive:images/busybox.tar");
        assertThat(docker.format()).isEqualTo(ImageArchive.Format.DOCKER_ARCHIVE);
        Path oci = images.resolve("oci-busybox.tar");
        try (Sandbox first = QemuBackend.create().start(config())) {
            sources.preload(first, List.of(docker));
            assertThat(imageNames(first)).contains(BUSYBOX);
            CommandResult run = sh(first, "podman run --rm " + BUSYBOX + " echo from-docker-archive");
            assertThat(run.stdout()).as(run.stderr()).isEqualTo("from-docker-archive\n");

            CommandResult save = sh(
                    first,
                    "podman tag " + BUSYBOX + " " + OCI_NAME
                            + " && podman save --format oci-archive -o /tmp/oci-busybox.tar " + OCI_NAME);
            assertThat(save.exitCode()).as(save.stderr()).isZero();
            CommandResult rename = sh(
                    first,
                    "mkdir /tmp/short && tar -xf /tmp/oci-busybox.tar -C /tmp/short"
                            + " && sed -i 's#\"org.opencontainers.image.ref.name\":\"[^\"]*\"#"
                            + "\"org.opencontainers.image.ref.name\":\"" + SHORT_NAME + "\"#' /tmp/short/index.json"
                            + " && tar -cf /tmp/short.tar -C /tmp/short .");
            assertThat(rename.exitCode()).as(rename.stderr()).isZero();
            first.copyOut("/tmp/oci-busybox.tar", oci, 64L << 20);
            first.copyOut("/tmp/short.tar", images.resolve("short.tar"), 64L << 20);
        }

        ImageArchive archive = sources.resolve("oci-archive:images/oci-busybox.tar");
        assertThat(archive.format()).isEqualTo(ImageArchive.Format.OCI_ARCHIVE);
        assertThat(archive.names()).containsExactly(OCI_NAME);
        assertThat(archive.podmanReference()).isEqualTo("oci-archive:" + oci);

        ImageArchive shortName = sources.resolve("oci-archive:images/short.tar");
        assertThat(shortName.names()).containsExactly(SHORT_NAME);
        assertThat(shortName.guestNames()).containsExactly("localhost/" + SHORT_NAME);

        try (Sandbox fresh = QemuBackend.create().start(config())) {
            // preload checks that each archive's guest names exist afterwards
            List<ImageSources.Preloaded> loaded = sources.preload(fresh, List.of(archive, shortName));
            assertThat(loaded).extracting(ImageSources.Preloaded::archive).containsExactly(archive, shortName);
            // only the OCI archives' names: the docker-archive's went with the first sandbox
            assertThat(imageNames(fresh)).containsExactlyInAnyOrder(OCI_NAME, "localhost/" + SHORT_NAME);
            CommandResult run = sh(
                    fresh,
                    "podman run --rm " + OCI_NAME + " echo from-oci-archive" + " && podman run --rm " + SHORT_NAME
                            + " echo by-short-name");
            assertThat(run.stdout()).as(run.stderr()).isEqualTo("from-oci-archive\nby-short-name\n");
            assertThat(sh(fresh, "ls " + ImageSources.GUEST_DIR).stdout())
                    .as("archives are deleted once loaded")
                    .isEmpty();
        }
    }
}
