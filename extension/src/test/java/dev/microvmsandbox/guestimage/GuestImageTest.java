package dev.microvmsandbox.guestimage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.backend.SandboxException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A damaged guest image is named as such, with the file that differs and the fix. */
class GuestImageTest {

    @TempDir
    Path dir;

    @BeforeEach
    void writeImage() throws IOException {
        writeImage(dir);
        System.setProperty(GuestImage.IMAGE_PROPERTY, dir.toString());
    }

    @AfterEach
    void clear() {
        System.clearProperty(GuestImage.IMAGE_PROPERTY);
        System.clearProperty(GuestImage.VERIFY_PROPERTY);
    }

    /** An image of small random files and the manifest build.sh would write for them. */
    static void writeImage(Path dir) throws IOException {
        Random random = new Random(42);
        StringBuilder files = new StringBuilder();
        for (String name : new String[] {"vmlinux", "initrd.img", "rootfs.ext4", "images/busybox.tar"}) {
            byte[] content = new byte[4096 + random.nextInt(4096)];
            random.nextBytes(content);
            Path file = dir.resolve(name);
            Files.createDirectories(file.getParent());
            Files.write(file, content);
            files.append(files.length() == 0 ? "" : ",")
                    .append(String.format(
                            "\n  \"%s\":{\"bytes\":%d,\"sha256\":\"%s\"}",
                            name, content.length, ImageManifest.sha256(file)));
        }
        Files.writeString(
                dir.resolve("manifest.json"), "{\"hash\":\"test\",\"rootfsBytes\":1,\n \"files\":{" + files + "}}\n");
    }

    static void flipOneBit(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ 0x01);
        }
    }

    /** File times are coarse: a write right after a check may leave the time as it was. */
    static void touchLater(Path file) throws IOException {
        Files.setLastModifiedTime(
                file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 2000));
    }

    @Test
    void anIntactImageResolves() {
        assertThat(GuestImage.resolve().directory()).isEqualTo(dir);
        assertThatCode(() -> GuestImage.resolve().verify(GuestImage.Verification.FULL))
                .doesNotThrowAnyException();
    }

    @Test
    void aTruncatedFileFailsTheCheapCheckWithSizes() throws IOException {
        long size = Files.size(dir.resolve("rootfs.ext4"));
        try (RandomAccessFile f =
                new RandomAccessFile(dir.resolve("rootfs.ext4").toFile(), "rw")) {
            f.setLength(size - 100);
        }
        assertThatThrownBy(GuestImage::resolve)
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("the guest image in " + dir + " is corrupt: rootfs.ext4 is " + (size - 100)
                        + " bytes, its manifest says " + size)
                .hasMessageContaining("Fix: replace it with a good copy, or unset microvm.sandbox.image");
    }

    @Test
    void aMissingArchiveFailsTheCheapCheck() throws IOException {
        Files.delete(dir.resolve("images/busybox.tar"));
        assertThatThrownBy(GuestImage::resolve).hasMessageContaining("is corrupt: images/busybox.tar is missing");
    }

    @Test
    void aMissingKernelIsNoImageAtAll() throws IOException {
        Files.delete(dir.resolve("vmlinux"));
        assertThatThrownBy(GuestImage::resolve).hasMessageContaining("holds no complete guest image");
    }

    @Test
    void aFlippedBitPassesTheCheapCheckAndFailsTheFullOne() throws IOException {
        flipOneBit(dir.resolve("rootfs.ext4"), 1080);
        GuestImage image = GuestImage.resolve();
        assertThatThrownBy(() -> image.verify(GuestImage.Verification.FULL))
                .hasMessageContaining("is corrupt: rootfs.ext4 sha256 differs from its manifest");

        System.setProperty(GuestImage.VERIFY_PROPERTY, "full");
        assertThatThrownBy(GuestImage::resolve).hasMessageContaining("rootfs.ext4 sha256 differs from its manifest");
    }

    @Test
    void aBootFailureFromACorruptImageSaysSoAndKeepsTheBootFailure() throws IOException {
        GuestImage image = GuestImage.resolve();
        SandboxException boot =
                new SandboxException("sandbox vm1 failed to boot: MSB-FAIL initramfs: mount root image /dev/vda");
        assertThat(image.explainBootFailure(boot))
                .as("an intact image explains nothing")
                .isSameAs(boot);

        flipOneBit(dir.resolve("vmlinux"), 7);
        touchLater(dir.resolve("vmlinux"));
        SandboxException explained = image.explainBootFailure(boot);
        assertThat(explained.getMessage())
                .startsWith(
                        "the guest image in " + dir + " is corrupt: vmlinux sha256 differs from its manifest. Fix: ")
                .contains("The failed boot: sandbox vm1 failed to boot: MSB-FAIL");
        assertThat(explained).hasCause(boot);
    }

    @Test
    void aPassedFullCheckIsRememberedUntilAFileChanges() throws IOException {
        GuestImage image = GuestImage.resolve();
        image.verify(GuestImage.Verification.FULL);
        Path initrd = dir.resolve("initrd.img");
        flipOneBit(initrd, 0);
        touchLater(initrd);
        assertThatThrownBy(() -> image.verify(GuestImage.Verification.FULL))
                .hasMessageContaining("initrd.img sha256 differs");
    }

    @Test
    void anImageInTheCacheNamesTheRebuildCommand() throws IOException {
        flipOneBit(dir.resolve("rootfs.ext4"), 0);
        assertThatThrownBy(() -> new GuestImage(dir, false).verify(GuestImage.Verification.FULL))
                .hasMessageContaining("rootfs.ext4 sha256 differs from its manifest. Fix: rebuild it with "
                        + "mvn -q -pl extension exec:java -Dexec.args=\"image --rebuild\"")
                .hasMessageContaining("-Dmicrovm.sandbox.image.rebuild=true");
    }

    @Test
    void aManifestOfAnOlderBuildIsCheckedBySize() throws IOException {
        long rootfs = Files.size(dir.resolve("rootfs.ext4"));
        Files.writeString(
                dir.resolve("manifest.json"),
                String.format(
                        "{\"rootfsBytes\":%d,\"vmlinuxBytes\":%d,\"initrdBytes\":%d}",
                        rootfs, Files.size(dir.resolve("vmlinux")), Files.size(dir.resolve("initrd.img"))));
        flipOneBit(dir.resolve("rootfs.ext4"), 0);
        assertThatCode(() -> GuestImage.resolve().verify(GuestImage.Verification.FULL))
                .doesNotThrowAnyException();

        Files.writeString(
                dir.resolve("manifest.json"),
                String.format("{\"rootfsBytes\":%d,\"vmlinuxBytes\":1,\"initrdBytes\":1}", rootfs));
        assertThatThrownBy(GuestImage::resolve).hasMessageContaining("vmlinux is");
    }

    @Test
    void anUnreadableManifestIsNamed() throws IOException {
        Files.writeString(dir.resolve("manifest.json"), "{\"files\":");
        assertThatThrownBy(GuestImage::resolve).hasMessageContaining("is corrupt: manifest.json is not valid JSON");
        Files.writeString(dir.resolve("manifest.json"), "{\"files\":{\"vmlinux\":{\"bytes\":1,\"sha256\":\"00\"}}}");
        assertThatThrownBy(GuestImage::resolve).hasMessageContaining("manifest.json does not list initrd.img");
        Files.writeString(
                dir.resolve("manifest.json"), "{\"files\":{\"../etc/passwd\":{\"bytes\":1,\"sha256\":\"00\"}}}");
        assertThatThrownBy(GuestImage::resolve).hasMessageContaining("names a file outside the image");
    }

    @Test
    void aWrongVerifyValueSaysWhatIsAllowed() {
        System.setProperty(GuestImage.VERIFY_PROPERTY, "paranoid");
        assertThatThrownBy(GuestImage::resolve).hasMessageContaining("is not one of sizes, full");
    }
}
