package dev.microvmsandbox.guestimage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.microvmsandbox.WaitBounds;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Builds, rebuilds and their lock, with a stand-in for build.sh that takes half a second. */
class ImageBuildTest {

    @TempDir
    Path tmp;

    private Path cache;
    private Path builds;
    private Path failFlag;
    private String previousRepo;

    @BeforeEach
    void fakeRecipe() throws IOException {
        cache = tmp.resolve("cache");
        builds = tmp.resolve("builds");
        failFlag = tmp.resolve("fail");
        Path script = tmp.resolve("repo/sandbox-image/build.sh");
        Files.createDirectories(script.getParent());
        // what the real script does, in miniature: print-dir, build into a partial folder, manifest, rename
        Files.writeString(script, """
                #!/bin/bash
                set -euo pipefail
                OUT=$MICROVM_SANDBOX_CACHE/guest/fakehash
                if [ -f "$OUT/manifest.json" ]; then echo "$OUT"; exit 0; fi
                if [ "${1:-}" = --print-dir ]; then echo "$OUT"; exit 1; fi
                if [ -e '%s' ]; then echo "the build broke" >&2; exit 7; fi
                echo x >> '%s'; n=$(wc -l < '%s')
                echo "[fake] build $n" >&2
                sleep 0.5
                WORK=$OUT.partial.$$
                mkdir -p "$WORK/images"
                for f in vmlinux initrd.img rootfs.ext4 images/busybox.tar; do echo "$f of build $n" > "$WORK/$f"; done
                files=$(cd "$WORK" && for f in vmlinux initrd.img rootfs.ext4 images/*.tar; do
                    printf '%%s"%%s":{"bytes":%%s,"sha256":"%%s"}' "${sep:-}" "$f" "$(stat -c %%s "$f")" "$(sha256sum < "$f" | cut -d' ' -f1)"; sep=,
                done)
                echo "{\\"files\\":{$files}}" > "$WORK/manifest.json"
                mkdir -p "$(dirname "$OUT")"
                mv -T "$WORK" "$OUT"
                echo "$OUT"
                """.formatted(failFlag, builds, builds));
        previousRepo =
                System.setProperty("microvm.sandbox.repo", tmp.resolve("repo").toString());
    }

    @AfterEach
    void restore() {
        if (previousRepo == null) {
            System.clearProperty("microvm.sandbox.repo");
        } else {
            System.setProperty("microvm.sandbox.repo", previousRepo);
        }
    }

    private long buildCount() throws IOException {
        return Files.exists(builds) ? Files.readAllLines(builds).size() : 0;
    }

    private List<String> cacheEntries() throws IOException {
        try (Stream<Path> all = Files.walk(cache, 2)) {
            return all.map(p -> cache.relativize(p).toString())
                    .filter(s -> !s.isEmpty())
                    .sorted()
                    .toList();
        }
    }

    @Test
    void aFirstBuildRunsTheScriptOnceAndIsThenReused() throws IOException {
        Path dir = new ImageBuild(cache).build();
        assertThat(dir).isEqualTo(cache.resolve("guest/fakehash"));
        new GuestImage(dir, false).verify(GuestImage.Verification.FULL);
        assertThat(new ImageBuild(cache).build()).isEqualTo(dir);
        assertThat(buildCount()).isEqualTo(1);
        assertThat(new ImageBuild(cache).locate()).hasValue(new ImageBuild.Location(dir, true));
    }

    @Test
    void twoThreadsNeedingTheImageAtOnceBuildItOnce() throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Path> first = pool.submit(() -> new ImageBuild(cache).build());
            Future<Path> second = pool.submit(() -> new ImageBuild(cache).build());
            assertThat(first.get(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS))
                    .isEqualTo(second.get(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS));
            assertThat(buildCount()).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRebuildReplacesTheImageInPlaceWhileOpenFilesOfTheOldOneStayReadable() throws IOException {
        Path dir = new ImageBuild(cache).build();
        try (FileChannel running = FileChannel.open(dir.resolve("rootfs.ext4"))) {
            assertThat(new ImageBuild(cache).rebuild(Instant.now())).isEqualTo(dir);

            assertThat(buildCount()).isEqualTo(2);
            assertThat(Files.readString(dir.resolve("rootfs.ext4"))).isEqualTo("rootfs.ext4 of build 2\n");
            new GuestImage(dir, false).verify(GuestImage.Verification.FULL);
            ByteBuffer old = ByteBuffer.allocate(100);
            running.read(old, 0);
            assertThat(new String(old.array(), 0, old.position(), StandardCharsets.UTF_8))
                    .as("a qemu started from the old image keeps reading it")
                    .isEqualTo("rootfs.ext4 of build 1\n");
        }
        assertThat(cacheEntries())
                .as("nothing staged or set aside is left")
                .containsExactly("build.lock", "guest", "guest/fakehash");
    }

    @Test
    void aRebuildAskedForBeforeTheLastOneWasPublishedIsNotRepeated() throws IOException {
        Instant asked = Instant.now();
        new ImageBuild(cache).build();
        new ImageBuild(cache).rebuild(asked);
        assertThat(buildCount())
                .as("another JVM rebuilt while this one waited for the lock")
                .isEqualTo(1);
        new ImageBuild(cache).rebuild(Instant.now());
        assertThat(buildCount()).isEqualTo(2);
    }

    @Test
    void aFolderLeftWithoutItsManifestIsBuiltAgain() throws IOException {
        Path dir = Files.createDirectories(cache.resolve("guest/fakehash"));
        Files.writeString(dir.resolve("rootfs.ext4"), "half");
        assertThat(new ImageBuild(cache).build()).isEqualTo(dir);
        assertThat(Files.readString(dir.resolve("rootfs.ext4"))).isEqualTo("rootfs.ext4 of build 1\n");
    }

    @Test
    void leftoversOfAKilledRebuildAreRemovedByTheNextLockHolder() throws IOException {
        Files.createDirectories(cache.resolve("rebuild-99999/guest/fakehash"));
        Files.createDirectories(cache.resolve("guest/fakehash.replaced-99999"));
        new ImageBuild(cache).build();
        assertThat(cacheEntries()).containsExactly("build.lock", "guest", "guest/fakehash");
    }

    @Test
    void aFailedRebuildLeavesThePublishedImageInPlace() throws IOException {
        Path dir = new ImageBuild(cache).build();
        Files.writeString(failFlag, "");
        assertThatThrownBy(() -> new ImageBuild(cache).rebuild(Instant.now()))
                .hasMessageContaining("build.sh exited with 7");
        assertThat(Files.readString(dir.resolve("rootfs.ext4"))).isEqualTo("rootfs.ext4 of build 1\n");
        assertThat(cacheEntries()).containsExactly("build.lock", "guest", "guest/fakehash");
    }
}
