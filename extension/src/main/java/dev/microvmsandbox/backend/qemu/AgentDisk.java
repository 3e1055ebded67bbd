package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.hostfs.ContentDigest;
import dev.microvmsandbox.hostfs.FileTree;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The guest agent's own jars and JVM options on a small read-only ext4 disk, the guest's third
 * block device, mounted at {@value #GUEST_DIR}; the bootstrap starts the agent from it. Being a
 * disk rather than a share, it stays attached when a guest is saved as a template, and it holds
 * nothing of any test classpath: the agent takes that from the classpath share when a host
 * attaches. Cached under {@code <cache>/agent-disks/} by the digest of everything on it; the
 * {@link #KEEP} most recently used are kept, and any used in the last half hour.
 */
final class AgentDisk {

    static final String GUEST_DIR = "/run/msb/agent";
    static final String ARGS_FILE = "agent.args";
    /** Bumped whenever what this class writes changes. */
    private static final String FORMAT = "agent-disk 1";

    private static final String FOLDER = "agent-disks";
    /** Agent disks kept besides those used in the last half hour. */
    static final int KEEP = 4;

    /**
     * The agent JVM's options: one collector thread and C1 only (JVM work dominates under
     * emulation), a heap that shrinks to what is live at each full collection rather than over
     * four of them (see {@code IdleHeap} in the guest), a class path that can grow when the host
     * attaches, and the random seeds a restored guest replaces (see {@code CloneIdentity}).
     */
    static final List<String> JVM_OPTIONS = List.of(
            "-XX:+UseSerialGC",
            "-XX:-ShrinkHeapInSteps",
            "-XX:TieredStopAtLevel=1",
            "-Xshare:auto",
            "-XX:MaxRAMPercentage=50",
            "-Djava.io.tmpdir=/tmp",
            "--add-opens=java.base/jdk.internal.loader=ALL-UNNAMED",
            "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
            "--add-opens=java.base/java.util=ALL-UNNAMED");

    private final Path file;
    private final String digest;

    private AgentDisk(Path file, String digest) {
        this.file = file;
        this.digest = digest;
    }

    Path file() {
        return file;
    }

    /** Digest of the disk's content: part of every template key. */
    String digest() {
        return digest;
    }

    /** The disk for the agent running from {@code classpath}, made first if it is not cached. */
    static AgentDisk forClasspath(Path cacheRoot, List<Path> classpath) throws IOException {
        List<String> parts = new ArrayList<>(List.of(FORMAT));
        parts.addAll(JVM_OPTIONS);
        List<Path> entries = new ArrayList<>();
        for (Path entry : classpath) {
            if (Files.exists(entry)) {
                entries.add(entry);
                parts.add(entry.getFileName().toString());
                parts.add(ContentDigest.of(entry));
            }
        }
        String digest = ContentDigest.ofStrings(parts).substring(0, 24);
        Path dir = cacheRoot.resolve(FOLDER);
        Path disk = dir.resolve(digest + ".ext4");
        if (Files.isRegularFile(disk)) {
            CacheEviction.touch(CacheEviction.usedMarker(disk));
        } else {
            Files.createDirectories(dir);
            make(dir, disk, entries);
            evict(dir, disk);
        }
        return new AgentDisk(disk, digest);
    }

    /**
     * Keeps the {@link #KEEP} most recently used disks and any used within {@link
     * CacheEviction#IN_USE}: one is made per agent build, so a host that upgrades the library, or
     * builds it, would gather them. A use is noted in a marker beside the disk, whose own time stays
     * as made: a template's key holds it.
     */
    private static void evict(Path dir, Path made) {
        try {
            for (Path p :
                    new CacheEviction(KEEP, CacheEviction.IN_USE).disksToRemove(dir, System.currentTimeMillis())) {
                if (!p.equals(made)) {
                    Files.deleteIfExists(p);
                    Files.deleteIfExists(CacheEviction.usedMarker(p));
                }
            }
        } catch (IOException e) {
            // the cache only grows
        }
    }

    /**
     * Puts {@code image} in place as {@code disk} unless another maker did first, whose disk is kept:
     * it is as good, and a template made meanwhile holds its size and time in its key, which a
     * replaced file would orphan.
     */
    static void publish(Path image, Path disk) throws IOException {
        try {
            Files.createLink(disk, image); // link(2) never replaces
        } catch (FileAlreadyExistsException e) {
            // another maker's disk is there: keep it
        } catch (UnsupportedOperationException | IOException e) {
            if (!Files.exists(disk)) {
                try {
                    Files.move(image, disk);
                } catch (FileAlreadyExistsException again) {
                    // published meanwhile: keep it
                }
            }
        }
    }

    /** Builds the disk in a folder of its own, then puts it into place (see {@link #publish}). */
    private static void make(Path dir, Path disk, List<Path> entries) throws IOException {
        Path work = Files.createTempDirectory(dir, "make-");
        try {
            Path tree = Files.createDirectory(work.resolve("tree"));
            List<String> guestEntries = new ArrayList<>();
            int n = 0;
            for (Path entry : entries) {
                String name = String.format(
                        "%03d-%s",
                        n++, ClasspathStaging.safeName(entry.getFileName().toString()));
                copy(entry, tree.resolve(name));
                guestEntries.add(GUEST_DIR + "/" + name);
            }
            List<String> args = new ArrayList<>(JVM_OPTIONS);
            args.add("-cp");
            args.add(String.join(":", guestEntries));
            args.add(ClasspathStaging.AGENT_MAIN);
            Files.write(tree.resolve(ARGS_FILE), args, StandardCharsets.UTF_8);
            Path image = work.resolve("agent.ext4");
            mkfs(tree, image);
            publish(image, disk);
        } finally {
            FileTree.delete(work);
        }
    }

    private static void mkfs(Path tree, Path image) throws IOException {
        long bytes;
        long files;
        try (Stream<Path> walk = Files.walk(tree)) {
            List<Path> all = walk.toList();
            files = all.size();
            bytes = 0;
            for (Path p : all) {
                bytes += Files.isRegularFile(p) ? Files.size(p) : 0;
            }
        }
        long kib = bytes / 1024 + bytes / 5120 + 8192;
        String mkfs = ScratchDisk.mkfs()
                .orElseThrow(() -> new SandboxException(
                        "mkfs.ext4 is missing. Fix: install e2fsprogs (sudo apt-get install e2fsprogs)."));
        Process p = new ProcessBuilder(
                        mkfs,
                        "-q",
                        "-F",
                        "-O",
                        "^has_journal",
                        "-m",
                        "0",
                        "-N",
                        Long.toString(files + 64),
                        "-L",
                        "msb-agent",
                        "-d",
                        tree.toString(),
                        image.toString(),
                        kib + "k")
                .redirectErrorStream(true)
                .start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
                p.destroyForcibly();
                throw new SandboxException("making the agent disk with mkfs.ext4 -d failed: " + out
                        + ". Fix: e2fsprogs 1.43 or newer (sudo apt-get install e2fsprogs).");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while making the agent disk");
        }
    }

    /** Copies a jar, or a class folder's regular files (links are neither followed nor copied). */
    private static void copy(Path source, Path target) throws IOException {
        if (!Files.isDirectory(source, LinkOption.NOFOLLOW_LINKS)) {
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
            return;
        }
        Files.walkFileTree(source, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path d, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(target.resolve(source.relativize(d).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) throws IOException {
                if (attrs.isRegularFile()) {
                    Files.copy(f, target.resolve(source.relativize(f).toString()), StandardCopyOption.COPY_ATTRIBUTES);
                }
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
