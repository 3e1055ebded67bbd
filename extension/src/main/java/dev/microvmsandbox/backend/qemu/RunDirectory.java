package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.ProcessStart;
import dev.microvmsandbox.hostfs.FileTree;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
            // "pid start-seconds start-ticks": readers that know only the first two fields still work
            Files.writeString(
                    dir.resolve(OWNER),
                    self.pid() + " " + startSeconds(self) + " "
                            + ProcessStart.ticks(self.pid()).orElse(-1L));
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
        cleanUpAfterDeadOwners(base());
    }

    static void cleanUpAfterDeadOwners(Path base) {
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
            if (ownerAlive(Files.readString(dir.resolve(OWNER)).trim().split(" "))) {
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

    /**
     * Whether the process that wrote the owner line still runs, and is the same process, not a
     * later one given the same pid. The start time in clock ticks since boot is exact; the one
     * in seconds is derived from the boot time, which a JVM reads once and which moves when the
     * clock is stepped, so two JVMs may disagree on it: it is the fallback for owner lines
     * written without ticks.
     */
    static boolean ownerAlive(String[] owner) {
        long pid = Long.parseLong(owner[0]);
        Optional<ProcessHandle> handle = ProcessHandle.of(pid);
        if (handle.isEmpty() || !handle.get().isAlive()) {
            return false;
        }
        if (owner.length > 2 && Long.parseLong(owner[2]) >= 0) {
            Optional<Long> ticks = ProcessStart.ticks(pid);
            if (ticks.isPresent()) {
                return ticks.get() == Long.parseLong(owner[2]);
            }
        }
        return startSeconds(handle.get()) == Long.parseLong(owner[1]);
    }

    /** The qemu process recorded in the folder, if it still runs and is really ours. */
    static Optional<ProcessHandle> qemuOf(Path dir) {
        try {
            long pid = Long.parseLong(Files.readString(dir.resolve(QEMU_PID)).trim());
            return ProcessHandle.of(pid)
                    .filter(p -> p.info()
                            .commandLine()
                            .map(c -> c.contains(dir.toString()))
                            .orElse(false));
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

    /** When the process started, in whole seconds since the epoch. */
    private static long startSeconds(ProcessHandle p) {
        return p.info().startInstant().map(i -> i.toEpochMilli() / 1000).orElse(0L);
    }

    static void deleteTree(Path root) {
        try {
            FileTree.delete(root);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", root, e.toString());
        }
    }
}
