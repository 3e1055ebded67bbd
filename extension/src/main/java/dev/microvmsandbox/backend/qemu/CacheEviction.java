package dev.microvmsandbox.backend.qemu;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * Which entries of a host cache (templates, image stores, agent disks) go: all but the {@code
 * keep} most recently used, except those used within {@code inUse}, which another build on this
 * host may be about to start a VM from. A host running several builds at once may therefore hold
 * more for a while.
 */
record CacheEviction(int keep, Duration inUse) {

    /** How long a used entry is spared, however many there are. */
    static final Duration IN_USE = Duration.ofMinutes(30);

    /** A cache entry and when it was last used, read once per eviction. */
    record Entry<T>(T item, long lastUsedMillis) {}

    /** The entries to remove, least recently used last. */
    <T> List<T> toRemove(List<Entry<T>> entries, long nowMillis) {
        long recent = nowMillis - inUse.toMillis();
        List<Entry<T>> byUse = entries.stream()
                .sorted(Comparator.comparingLong((Entry<T> e) -> e.lastUsedMillis())
                        .reversed())
                .toList();
        return byUse.subList(Math.min(keep, byUse.size()), byUse.size()).stream()
                .filter(e -> e.lastUsedMillis() < recent)
                .map(Entry::item)
                .toList();
    }

    /**
     * The disk files ({@code *.ext4}) of {@code dir} to remove, each last used when its {@link
     * #usedMarker} says, or when it was made.
     */
    List<Path> disksToRemove(Path dir, long nowMillis) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            List<Entry<Path>> disks = files.filter(
                            p -> p.getFileName().toString().endsWith(".ext4"))
                    .map(p -> new Entry<>(p, lastUsedMillis(usedMarker(p), p)))
                    .toList();
            return toRemove(disks, nowMillis);
        }
    }

    /** Where a use of the disk file {@code disk} is noted: beside it, so its own time stays as made. */
    static Path usedMarker(Path disk) {
        return disk.resolveSibling(disk.getFileName().toString().replace(".ext4", ".used"));
    }

    /** Notes a use of an entry as {@code marker}'s modification time (made if missing). */
    static void touch(Path marker) {
        try {
            if (!Files.exists(marker)) {
                Files.createFile(marker);
            }
            Files.setLastModifiedTime(marker, FileTime.from(Instant.now()));
        } catch (IOException e) {
            // eviction order only
        }
    }

    /** When an entry was last used: {@code marker}'s modification time, else {@code fallback}'s, else never. */
    static long lastUsedMillis(Path marker, Path fallback) {
        try {
            return Files.exists(marker)
                    ? Files.getLastModifiedTime(marker).toMillis()
                    : Files.getLastModifiedTime(fallback).toMillis();
        } catch (IOException e) {
            return 0;
        }
    }
}
