package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.ByteSize;
import dev.microvmsandbox.backend.SandboxException;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The guest's only writable disk: a sparse file of the configured size holding an empty ext4, so
 * everything the guest writes is bounded by it and vanishes with it.
 */
final class ScratchDisk {

    private static final List<String> MKFS = List.of("/sbin/mkfs.ext4", "/usr/sbin/mkfs.ext4");

    private ScratchDisk() {}

    static boolean mkfsAvailable() {
        return mkfs().isPresent();
    }

    static java.util.Optional<String> mkfs() {
        return MKFS.stream().filter(p -> Files.isExecutable(Path.of(p))).findFirst();
    }

    static void create(Path file, ByteSize size) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(size.bytes());
        }
        String mkfs = mkfs().orElseThrow(() ->
                new SandboxException("mkfs.ext4 is missing. Fix: install e2fsprogs (sudo apt-get install e2fsprogs)."));
        Process p = new ProcessBuilder(
                        mkfs,
                        "-q",
                        "-F",
                        "-O",
                        "^has_journal",
                        // discard on a file punches holes, which read back as zeros, so mke2fs marks
                        // every inode table zeroed and the guest kernel's ext4lazyinit has nothing to
                        // write: with nodiscard it zeroed 128 MiB under emulation and stalled boots
                        "-E",
                        "lazy_itable_init=1,discard",
                        "-L",
                        "scratch",
                        file.toString())
                .redirectErrorStream(true)
                .start();
        try {
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new SandboxException("mkfs.ext4 did not finish within a minute");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted");
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.exitValue() != 0) {
            throw new SandboxException("mkfs.ext4 failed on the scratch disk: " + out.strip());
        }
    }
}
