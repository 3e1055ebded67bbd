package dev.microvmsandbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.WaitBounds;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A damaged guest image, seen from the command line: a copy of the built image in a cache of
 * its own ({@code MICROVM_SANDBOX_CACHE}), damaged, then used the way a user would.
 */
class CorruptImageIT {

    /** Where the superblock's magic number 0xEF53 sits in an ext4 image: the guest cannot mount it. */
    private static final long EXT4_MAGIC = 1024 + 0x38;

    private static final Duration NO_BOOT = WaitBounds.scaled(Duration.ofMinutes(2));

    @TempDir
    Path cache;

    private Path image;
    private Map<String, String> env;

    @BeforeEach
    void copyTheBuiltImage() throws Exception {
        env = Map.of("MICROVM_SANDBOX_CACHE", cache.toString());
        Path built = GuestImage.resolve().directory();
        // the folder is named by the recipe's hash, whichever cache it is in
        image = cache.resolve("guest").resolve(built.getFileName());
        Files.createDirectories(image.resolve("images"));
        for (String f : List.of("vmlinux", "initrd.img", "manifest.json", "images/busybox.tar")) {
            Files.copy(built.resolve(f), image.resolve(f));
        }
        // a sparse copy: the rootfs is ~650 MB of which a fifth is holes
        Process cp = new ProcessBuilder(
                        "cp", "--sparse=always", built.resolve("rootfs.ext4").toString(), image.toString())
                .inheritIO()
                .start();
        assertThat(cp.waitFor()).isZero();
    }

    private CliProcess cli(String... args) throws IOException {
        return CliProcess.start(env, args);
    }

    private static void flipOneBit(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x01);
        }
    }

    @Test
    void aTruncatedRootfsIsReportedBeforeAnythingBoots() throws Exception {
        long size = Files.size(image.resolve("rootfs.ext4"));
        try (RandomAccessFile f =
                new RandomAccessFile(image.resolve("rootfs.ext4").toFile(), "rw")) {
            f.setLength(size - 4096);
        }
        try (CliProcess run =
                cli("run", "--memory", "512m", "--boot-timeout", WaitBounds.bootTimeout(), "--", "true")) {
            assertThat(run.exitCode(NO_BOOT)).isEqualTo(3);
            assertThat(run.stderr())
                    .contains("the guest image in " + image + " is corrupt: rootfs.ext4 is " + (size - 4096)
                            + " bytes, its manifest says " + size + ". Fix: rebuild it with "
                            + "mvn -q -pl extension exec:java -Dexec.args=\"image --rebuild\"")
                    .doesNotContain("failed to boot");
        }
    }

    @Test
    void aFlippedBitInTheRootfsTurnsTheBootFailureIntoACorruptImageError() throws Exception {
        // first a good run, which leaves a template of the intact image in this cache: the damaged
        // image must not be restored from it (its guest has the old root mounted and would not notice)
        try (CliProcess good =
                cli("run", "--memory", "512m", "--boot-timeout", WaitBounds.bootTimeout(), "--", "true")) {
            assertThat(good.exitCode(WaitBounds.BOOT.plus(WaitBounds.BOOT).plus(NO_BOOT)))
                    .as(good.stderr())
                    .isZero();
        }
        flipOneBit(image.resolve("rootfs.ext4"), EXT4_MAGIC);
        try (CliProcess sizes = cli("image")) {
            assertThat(sizes.exitCode(NO_BOOT))
                    .as("the cheap check sees the right sizes: %s", sizes.stderr())
                    .isZero();
        }
        try (CliProcess run =
                cli("run", "--memory", "512m", "--boot-timeout", WaitBounds.bootTimeout(), "--", "true")) {
            assertThat(run.exitCode(WaitBounds.BOOT.plus(NO_BOOT)))
                    .as(run.stderr())
                    .isEqualTo(3);
            assertThat(run.stderr())
                    .contains("error: the guest image in " + image
                            + " is corrupt: rootfs.ext4 sha256 differs from its manifest. "
                            + "Fix: rebuild it with mvn -q -pl extension exec:java -Dexec.args=\"image --rebuild\"")
                    .contains("The failed boot: sandbox vm1 failed to boot")
                    .contains("MSB-FAIL initramfs: mount root image");
        }
        try (CliProcess verify = cli("image", "--verify")) {
            assertThat(verify.exitCode(NO_BOOT)).isEqualTo(3);
            assertThat(verify.stderr()).contains("rootfs.ext4 sha256 differs from its manifest");
        }
        try (CliProcess doctor = cli("doctor")) {
            assertThat(doctor.exitCode(NO_BOOT)).isEqualTo(1);
            assertThat(doctor.stdout())
                    .contains("FAIL  the guest image in " + image + " is corrupt: rootfs.ext4 sha256 differs");
        }
    }

    @Test
    void imageRebuildPutsAGoodImageInPlaceOfACorruptOne() throws Exception {
        flipOneBit(image.resolve("vmlinux"), 4096);
        try (CliProcess rebuild = cli("image", "--rebuild")) {
            assertThat(rebuild.exitCode(WaitBounds.IMAGE_BUILD_AND_BOOT))
                    .as(rebuild.stderr())
                    .isZero();
            assertThat(rebuild.stdout().strip()).isEqualTo(image.toString());
            assertThat(rebuild.stderr())
                    .contains("mmdebstrap done")
                    .contains("every file matches its manifest's sha256");
        }
        try (CliProcess verify = cli("image", "--verify")) {
            assertThat(verify.exitCode(NO_BOOT)).as(verify.stderr()).isZero();
        }
        try (Stream<Path> left = Files.list(cache);
                Stream<Path> guests = Files.list(cache.resolve("guest"))) {
            assertThat(left.map(p -> p.getFileName().toString())).containsExactlyInAnyOrder("build.lock", "guest");
            assertThat(guests).containsExactly(image);
        }
        assertThat(Files.readString(image.resolve("manifest.json"), StandardCharsets.UTF_8))
                .contains("\"sha256\"");
    }
}
