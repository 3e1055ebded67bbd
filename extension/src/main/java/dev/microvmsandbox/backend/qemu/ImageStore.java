package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.hostfs.ContentDigest;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A podman image store holding a set of image archives, on an ext4 disk the guest mounts read-only
 * as {@code /dev/vdd} and podman takes as an additional image store: a sandbox starts with its
 * images present, nothing copied or loaded. Made once per set of archives (and guest image, whose
 * podman reads it) by a VM of its own that runs nothing but {@code podman load}, and cached under
 * {@code <cache>/image-stores/<digest>.ext4} by the archives' content digests. Published by
 * rename, so a store is either whole or absent; the {@link #KEEP} most recently used are kept, and
 * any used in the last half hour.
 */
final class ImageStore {

    private static final Logger LOG = LoggerFactory.getLogger(ImageStore.class);
    static final String FOLDER = "image-stores";
    static final int KEEP = 4;
    /** Bumped whenever the way stores are made changes. */
    private static final String FORMAT = "image-store 1 overlay";

    private static final Map<String, Object> MONITORS = new ConcurrentHashMap<>();

    /** Fills an empty ext4 disk with a podman store of the archives. */
    interface Builder {
        void fill(Path disk) throws IOException;
    }

    private final Path file;
    private final String digest;

    private ImageStore(Path file, String digest) {
        this.file = file;
        this.digest = digest;
    }

    Path file() {
        return file;
    }

    /** Part of the key of every template made with this store attached. */
    String digest() {
        return digest;
    }

    /** The store for {@code archives}, filled first with {@code builder} when it is not cached. */
    static ImageStore obtain(Path cacheRoot, String guestImageFingerprint, List<Path> archives, Builder builder)
            throws IOException {
        List<String> parts = new ArrayList<>(List.of(FORMAT, guestImageFingerprint));
        long archiveBytes = 0;
        for (Path a : archives) {
            parts.add(ContentDigest.of(a));
            archiveBytes += Files.size(a);
        }
        long bytes = archiveBytes;
        String digest = ContentDigest.ofStrings(parts).substring(0, 24);
        Path dir = cacheRoot.resolve(FOLDER);
        Path disk = dir.resolve(digest + ".ext4");
        synchronized (MONITORS.computeIfAbsent(digest, d -> new Object())) {
            if (Files.isRegularFile(disk)) {
                CacheEviction.touch(CacheEviction.usedMarker(disk));
                return new ImageStore(disk, digest);
            }
            Files.createDirectories(dir);
            return KeyLock.holding(dir.resolve(digest + KeyLock.SUFFIX), () -> {
                if (!Files.isRegularFile(disk)) {
                    make(dir, disk, bytes, builder);
                    evict(dir, digest);
                }
                return new ImageStore(disk, digest);
            });
        }
    }

    private static void make(Path dir, Path disk, long archiveBytes, Builder builder) throws IOException {
        Path partial = dir.resolve(
                disk.getFileName() + ".partial-" + ProcessHandle.current().pid());
        long t0 = System.nanoTime();
        try {
            // layers unpacked take about what the archives take; room for podman's metadata on top
            ScratchDisk.create(
                    partial,
                    dev.microvmsandbox.backend.ByteSize.ofMebibytes((archiveBytes + archiveBytes / 2 >> 20) + 512));
            builder.fill(partial);
            Files.move(partial, disk, StandardCopyOption.ATOMIC_MOVE);
            CacheEviction.touch(CacheEviction.usedMarker(disk));
            LOG.info("made image store {} in {} ms", disk, (System.nanoTime() - t0) / 1_000_000);
        } finally {
            Files.deleteIfExists(partial);
        }
    }

    /**
     * Keeps the {@link #KEEP} most recently used stores and any used within {@link
     * CacheEviction#IN_USE}; removes partial files whose maker has ended, and the lock files of
     * stores no longer there.
     */
    private static void evict(Path dir, String keep) {
        try (Stream<Path> files = Files.list(dir)) {
            List<Path> all = files.toList();
            for (Path p : all) {
                String name = p.getFileName().toString();
                int at = name.indexOf(".partial-");
                if (at > 0
                        && ProcessHandle.of(Long.parseLong(name.substring(at + 9)))
                                .isEmpty()) {
                    Files.deleteIfExists(p);
                }
            }
            for (Path p :
                    new CacheEviction(KEEP, CacheEviction.IN_USE).disksToRemove(dir, System.currentTimeMillis())) {
                if (!p.getFileName().toString().startsWith(keep)) {
                    LOG.info("removing the least recently used image store {}", p);
                    Files.deleteIfExists(p);
                    Files.deleteIfExists(CacheEviction.usedMarker(p));
                }
            }
        } catch (IOException | RuntimeException e) {
            LOG.debug("cannot tidy {}: {}", dir, e.toString());
        }
        KeyLock.deleteOrphans(dir, key -> dir.resolve(key + ".ext4"));
    }
}
