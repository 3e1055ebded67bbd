package dev.microvmsandbox.backend.qemu;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;

/**
 * Mirrors chosen host files and folders into one staging folder under their absolute paths
 * ({@code /root/.m2/x.jar} becomes {@code STAGE/root/.m2/x.jar}), which the guest mounts read-only and
 * links into its own root, so each appears in the guest where the host has it, and nothing else of the
 * host does. Files are hard-linked where the file system allows (copied otherwise); folders are walked
 * and symbolic links are neither followed nor copied.
 */
final class HostPathStaging {

    /** Where the guest mounts the staging folder; every staged path is linked from here into the root. */
    static final String GUEST_DIR = "/run/msb/host";

    static final String TAG = "msb-host";

    /** Roots of the guest that a host path must not cover: the guest's own kernel interfaces and ours. */
    private static final List<String> RESERVED = List.of("/proc", "/sys", "/dev", "/run/msb");

    private HostPathStaging() {}

    /**
     * Stages {@code paths} into {@code stage}; paths that do not exist are passed over.
     *
     * @return how many files were staged
     * @throws IllegalArgumentException for a path under a reserved guest folder
     */
    static int stage(List<Path> paths, Path stage) throws IOException {
        for (Path p : paths) {
            for (String reserved : RESERVED) {
                if (p.startsWith(reserved)) {
                    throw new IllegalArgumentException("the host path " + p + " cannot be shown in the guest: "
                            + reserved + " is the guest's own");
                }
            }
        }
        Files.createDirectories(stage);
        int[] files = {0};
        for (Path p : paths) {
            if (!Files.exists(p)) {
                continue;
            }
            // the guest sees the content under the name the host uses, not where a link of the host points
            Path source = p.toRealPath();
            Path target = stage.resolve(p.toString().substring(1));
            if (Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
                Files.walkFileTree(source, new SimpleFileVisitor<>() {
                    @Override
                    public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                        Files.createDirectories(
                                target.resolve(source.relativize(dir).toString()));
                        return FileVisitResult.CONTINUE;
                    }

                    @Override
                    public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                        if (attrs.isRegularFile()
                                && link(
                                        file,
                                        target.resolve(source.relativize(file).toString()))) {
                            files[0]++;
                        }
                        return FileVisitResult.CONTINUE;
                    }
                });
            } else if (Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
                Files.createDirectories(target.getParent());
                if (link(source, target)) {
                    files[0]++;
                }
            }
        }
        return files[0];
    }

    /** @return false when the target was staged already (two paths that overlap) */
    private static boolean link(Path source, Path target) throws IOException {
        try {
            Files.createLink(target, source);
            return true;
        } catch (FileAlreadyExistsException e) {
            return false;
        } catch (IOException | UnsupportedOperationException e) {
            try {
                Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                return true;
            } catch (FileAlreadyExistsException again) {
                return false;
            }
        }
    }

    /**
     * The guest's shell lines that mount the staging folder and link each staged file into the root at
     * its own path, making the folders on the way (on the guest's own disk, so they stay writable).
     */
    static String guestLayout() {
        return "mkdir -p " + GUEST_DIR + " && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro "
                + TAG + " " + GUEST_DIR + " && cp -rs --remove-destination " + GUEST_DIR + "/. /\n";
    }
}
