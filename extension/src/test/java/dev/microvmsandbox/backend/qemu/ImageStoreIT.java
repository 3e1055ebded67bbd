package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.guestimage.GuestImage;
import dev.microvmsandbox.hostfs.ContentDigest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Sandboxes that start with their images: a store made once, attached read-only, shared. */
@ExtendWith(TemplatesOn.class)
class ImageStoreIT {

    private static final String BUSYBOX = "localhost/microvm-sandbox/busybox:latest";

    /** Images in the sandbox's own store (on its scratch disk): a loaded image would be one. */
    private static final String OWN_IMAGES =
            "find /var/lib/containers/storage/overlay-images -mindepth 1 -maxdepth 1 -type d 2>/dev/null | wc -l";

    private static String sh(Sandbox sandbox, String script) {
        CommandResult r = sandbox.exec(Command.shell(script).withTimeout(Duration.ofMinutes(3)));
        assertThat(r.exitCode()).as("%s: %s", script, r.stderr()).isZero();
        return r.stdout().strip();
    }

    @Test
    void sandboxesStartWithTheirImagesFromOneReadOnlyStore() throws Exception {
        Path busybox = GuestImage.resolve().testImages().resolve("busybox.tar");
        SandboxConfig config = SandboxConfig.defaults()
                .withMemory("1088m")
                .withCpus(1)
                .withTimeout(Duration.ofMinutes(20))
                .withImages(List.of(busybox));
        Path store;
        try (QemuVm first = (QemuVm) QemuBackend.create().start(config)) {
            assertThat(sh(first, "podman images --format '{{.Repository}}:{{.Tag}}'"))
                    .contains(BUSYBOX);
            assertThat(sh(first, OWN_IMAGES))
                    .as("images loaded into the sandbox's own store")
                    .isEqualTo("0");
            store = storeFiles().get(0);
        }
        String before = ContentDigest.of(store);
        long modified = Files.getLastModifiedTime(store).toMillis();
        try (QemuVm second = (QemuVm) QemuBackend.create().start(config)) {
            assertThat(second.timeline().isRestore()).isTrue();
            assertThat(sh(second, "podman images --format '{{.Repository}}:{{.Tag}}'"))
                    .contains(BUSYBOX);
            assertThat(sh(second, OWN_IMAGES))
                    .as("images loaded into the sandbox's own store")
                    .isEqualTo("0");
            // a container runs on the store's layers; what it writes goes to the sandbox's own disk
            assertThat(sh(second, "podman run --rm --network=none " + BUSYBOX + " sh -c 'echo hi > /x && cat /x'"))
                    .isEqualTo("hi");
            assertThat(sh(
                            second,
                            "podman rmi -f " + BUSYBOX + " >/dev/null 2>&1; podman images -q " + BUSYBOX + " | wc -l"))
                    .as("an image in the read-only store cannot be removed from inside")
                    .isNotEqualTo("0");
            assertThat(sh(second, "touch /run/msb/store/x 2>&1 || echo refused"))
                    .contains("refused");
        }
        assertThat(storeFiles()).contains(store);
        assertThat(Files.getLastModifiedTime(store).toMillis()).isEqualTo(modified);
        assertThat(ContentDigest.of(store)).isEqualTo(before);
    }

    private static List<Path> storeFiles() throws Exception {
        Path dir = GuestImage.cacheDirectory().resolve(ImageStore.FOLDER);
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".ext4"))
                    .sorted((a, b) ->
                            Long.compare(b.toFile().lastModified(), a.toFile().lastModified()))
                    .toList();
        }
    }
}
