package dev.microvmsandbox.backend.qemu;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A VM's private folder on the host (sockets, scratch disk, console log, staged classpath),
 * stamped with the JVM that owns it so the next JVM can clean up after one that was killed.
 */
final class RunDirectory implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(RunDirectory.class);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final String OWNER = "owner";
    static final String QEMU_PID = "qemu.pid";

    private final Path path;

    private RunDirectory(Path path) {
        this.path = path;
    }

    /** Unix socket paths must stay under 108 bytes, so a long temp folder is passed over for /tmp. */
    static Path base() {
        String folder = "microvm-sandbox-" + System.getProperty("user.name");
        Path preferred = Path.of(System.getProperty("java.io.tmpdir"), folder).toAbsolutePath();
        return preferred.toString().length() <= 60 ? preferred : Path.of("/tmp", folder);
    }

    static RunDirectory create() {
        try {
            Path base = base();
            Files.createDirectories(base);
            Files.setPosixFilePermissions(base, PosixFilePermissions.fromString("rwx------"));
            ProcessHandle self = ProcessHandle.current();
            Path dir = Files.createDirectory(base.resolve("vm-" + self.pid() + "-" + SEQUENCE.incrementAndGet()));
            Files.writeString(dir.resolve(OWNER), self.pid() + " " + startMillis(self));
            return new RunDirectory(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the sandbox's run folder under " + base(), e);
        }
    }

    Path path() {
        return path;
    }

    Path resolve(String name) {
        return path.resolve(name);
    }

    @Override
    public void close() {
        deleteTree(path);
    }

    /** Kills the qemu processes and removes the folders of JVMs that no longer run. */
    static void cleanUpAfterDeadOwners() {
        Path base = base();
        if (!Files.isDirectory(base)) {
            return;
        }
        try (Stream<Path> dirs = Files.list(base)) {
            dirs.filter(d -> d.getFileName().toString().startsWith("vm-")).forEach(RunDirectory::cleanIfOrphaned);
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", base, e.toString());
        }
    }

    private static void cleanIfOrphaned(Path dir) {
        try {
            String[] owner = Files.readString(dir.resolve(OWNER)).trim().split(" ");
            long pid = Long.parseLong(owner[0]);
            long start = Long.parseLong(owner[1]);
            Optional<ProcessHandle> handle = ProcessHandle.of(pid);
            if (handle.isPresent() && startMillis(handle.get()) == start) {
                return;
            }
        } catch (IOException | RuntimeException e) {
            // no or unreadable owner: a folder some JVM died creating; older than a minute means orphaned
            if (!olderThanAMinute(dir)) {
                return;
            }
        }
        qemuOf(dir).ifPresent(q -> {
            LOG.info("killing qemu {} left by a JVM that died", q.pid());
            q.destroyForcibly();
        });
        LOG.info("removing {} left by a JVM that died", dir);
        deleteTree(dir);
    }

    /** The qemu process recorded in the folder, if it still runs and is really ours. */
    static Optional<ProcessHandle> qemuOf(Path dir) {
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve(QEMU_PID)).trim());
            return ProcessHandle.of(pid).filter(p -> p.info().commandLine().map(c -> c.contains(dir.toString())).orElse(false));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static boolean olderThanAMinute(Path dir) {
        try {
            return Files.getLastModifiedTime(dir).toMillis() < System.currentTimeMillis() - 60_000;
        } catch (IOException e) {
            return false;
        }
    }

    private static long startMillis(ProcessHandle p) {
        return p.info().startInstant().map(i -> i.toEpochMilli() / 1000).orElse(0L);
    }

    static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.deleteIfExists(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                    Files.deleteIfExists(dir);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", root, e.toString());
        }
    }
}
