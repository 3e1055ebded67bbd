package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The agent-disk cache: made with the host's real mkfs.ext4, reused, and kept from growing. */
class AgentDiskTest {

    private static final long HOUR = 3_600_000L;

    @TempDir
    Path tmp;

    private List<String> disks(Path cache) throws Exception {
        try (Stream<Path> files = Files.list(cache.resolve("agent-disks"))) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void aNewDiskEvictsTheLeastRecentlyUsedButNotTheRecentOnes() throws Exception {
        Path cache = tmp.resolve("cache");
        Path folder = Files.createDirectories(cache.resolve("agent-disks"));
        long now = System.currentTimeMillis();
        // five disks of earlier agent builds, used 1 to 5 hours ago, and one used a minute ago
        for (int i = 1; i <= 5; i++) {
            Path old = Files.writeString(folder.resolve("old" + i + ".ext4"), "disk");
            Files.setLastModifiedTime(old, FileTime.fromMillis(now - i * HOUR));
        }
        Path recent = Files.writeString(folder.resolve("recent.ext4"), "disk");
        Files.setLastModifiedTime(recent, FileTime.fromMillis(now - 60_000L));
        Path jar = Files.writeString(tmp.resolve("agent.jar"), "not really a jar");

        AgentDisk made = AgentDisk.forClasspath(cache, List.of(jar));

        assertThat(made.file()).isRegularFile();
        // kept: the new one, the recent one, and the two most recently used of the rest
        assertThat(disks(cache))
                .containsExactlyInAnyOrder(
                        made.file().getFileName().toString(), "old1.ext4", "old2.ext4", "recent.ext4");
    }

    @Test
    void aCachedDiskIsReusedAndItsUseNotedBesideIt() throws Exception {
        Path cache = tmp.resolve("cache");
        Path jar = Files.writeString(tmp.resolve("agent.jar"), "not really a jar");
        AgentDisk first = AgentDisk.forClasspath(cache, List.of(jar));
        FileTime made = FileTime.fromMillis(System.currentTimeMillis() - 5 * HOUR);
        Files.setLastModifiedTime(first.file(), made);

        AgentDisk again = AgentDisk.forClasspath(cache, List.of(jar));

        assertThat(again.file()).isEqualTo(first.file());
        assertThat(again.digest()).isEqualTo(first.digest());
        // the disk's own time stays as made (a template's key holds it); the use is in its marker
        assertThat(Files.getLastModifiedTime(again.file())).isEqualTo(made);
        Path marker = again.file().resolveSibling(again.digest() + ".used");
        assertThat(Files.getLastModifiedTime(marker).toMillis()).isGreaterThan(System.currentTimeMillis() - HOUR);
    }

    @Test
    void aDiskAnotherMakerPublishedFirstIsKeptNotReplaced() throws Exception {
        // two JVMs made the same disk at once: the second must not replace the first, whose size and
        // time a template made meanwhile holds in its key
        Path first = Files.writeString(tmp.resolve("first.ext4"), "the first maker's disk");
        Path disk = tmp.resolve("digest.ext4");
        AgentDisk.publish(first, disk);
        FileTime published = FileTime.fromMillis(System.currentTimeMillis() - HOUR);
        Files.setLastModifiedTime(disk, published);
        Object inode = Files.readAttributes(disk, java.nio.file.attribute.BasicFileAttributes.class)
                .fileKey();

        Path second = Files.writeString(tmp.resolve("second.ext4"), "the second maker's disk");
        AgentDisk.publish(second, disk);

        assertThat(Files.readString(disk)).isEqualTo("the first maker's disk");
        assertThat(Files.getLastModifiedTime(disk)).isEqualTo(published);
        assertThat(Files.readAttributes(disk, java.nio.file.attribute.BasicFileAttributes.class)
                        .fileKey())
                .isEqualTo(inode);
    }
}
