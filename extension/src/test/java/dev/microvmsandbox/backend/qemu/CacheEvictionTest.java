package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Which cache entries go: pure logic, and the marker files it reads. */
class CacheEvictionTest {

    private static final long NOW = 10_000_000L;
    private static final long MINUTE = 60_000L;

    private static CacheEviction.Entry<String> used(String name, long minutesAgo) {
        return new CacheEviction.Entry<>(name, NOW - minutesAgo * MINUTE);
    }

    @Test
    void removesAllButTheMostRecentlyUsed() {
        CacheEviction policy = new CacheEviction(2, Duration.ofMinutes(30));
        List<String> gone =
                policy.toRemove(List.of(used("d", 300), used("a", 40), used("c", 200), used("b", 100)), NOW);

        assertThat(gone).containsExactly("c", "d");
    }

    @Test
    void sparesEveryEntryUsedWithinTheInUseWindowHoweverManyThereAre() {
        CacheEviction policy = new CacheEviction(1, Duration.ofMinutes(30));
        List<String> gone = policy.toRemove(List.of(used("a", 1), used("b", 10), used("c", 29), used("d", 31)), NOW);

        assertThat(gone).containsExactly("d");
    }

    @Test
    void removesNothingWhileThereAreNoMoreThanItKeeps() {
        CacheEviction policy = new CacheEviction(4, Duration.ZERO);

        assertThat(policy.toRemove(List.of(used("a", 500), used("b", 900)), NOW))
                .isEmpty();
    }

    @Test
    void aTouchIsTheLastUseAndAnEntryWithoutMarkerFallsBackToItsOwnTime(@TempDir Path dir) throws Exception {
        Path entry = Files.writeString(dir.resolve("entry"), "x");
        Files.setLastModifiedTime(entry, java.nio.file.attribute.FileTime.fromMillis(1_000_000L));
        Path marker = dir.resolve("entry.used");

        assertThat(CacheEviction.lastUsedMillis(marker, entry)).isEqualTo(1_000_000L);
        long before = System.currentTimeMillis() - 2000;
        CacheEviction.touch(marker);
        assertThat(CacheEviction.lastUsedMillis(marker, entry)).isGreaterThanOrEqualTo(before);
        assertThat(CacheEviction.lastUsedMillis(dir.resolve("none"), dir.resolve("neither")))
                .isZero();
    }
}
