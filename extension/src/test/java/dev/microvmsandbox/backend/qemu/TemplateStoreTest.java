package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store's publishing, damage checks, clean-up and eviction. The builder here writes the three
 * files a saved guest consists of instead of booting one: this isolates the store's file logic;
 * {@code TemplateIT} restores real guests.
 */
class TemplateStoreTest {

    @TempDir
    Path cache;

    private final AtomicInteger builds = new AtomicInteger();

    private final TemplateStore.Builder builder = folder -> {
        builds.incrementAndGet();
        Files.writeString(folder.resolve(Template.MEMORY), "memory " + builds.get());
        Files.writeString(folder.resolve(Template.STATE), "state " + builds.get());
        Files.writeString(folder.resolve(Template.SCRATCH), "scratch");
    };

    private static TemplateKey key(String memory) {
        return new TemplateKey(Map.of("format", TemplateKey.FORMAT, "memory", memory));
    }

    @Test
    void buildsATemplateOnceAndThenRestoresFromIt() throws IOException {
        TemplateStore store = new TemplateStore(cache);
        Template first = store.obtain(key("2048M"), builder);
        Template second = store.obtain(key("2048M"), builder);

        assertThat(builds).hasValue(1);
        assertThat(second.directory()).isEqualTo(first.directory());
        assertThat(Files.readString(second.state())).isEqualTo("state 1");
        assertThat(second.problem(key("2048M"))).isEmpty();
    }

    @Test
    void neverUsesATemplateMadeForAnotherConfiguration() throws IOException {
        TemplateStore store = new TemplateStore(cache);
        Template small = store.obtain(key("1024M"), builder);
        Template large = store.obtain(key("2048M"), builder);

        assertThat(builds).hasValue(2);
        assertThat(large.directory()).isNotEqualTo(small.directory());
        assertThat(small.problem(key("2048M"))).get().asString().contains("another configuration");
    }

    @Test
    void rebuildsATemplateWhoseDeviceStateChanged() throws IOException {
        TemplateStore store = new TemplateStore(cache);
        Template t = store.obtain(key("2048M"), builder);
        t.state().toFile().setWritable(true);
        Files.writeString(t.state(), "state X");
        Files.setLastModifiedTime(
                t.state(),
                Files.readAttributes(t.memory(), java.nio.file.attribute.BasicFileAttributes.class)
                        .lastModifiedTime());

        assertThat(t.problem(key("2048M"))).isPresent();
        Template again = store.obtain(key("2048M"), builder);
        assertThat(builds).hasValue(2);
        assertThat(Files.readString(again.state())).isEqualTo("state 2");
    }

    @Test
    void rebuildsATemplateWithAMissingFile() throws IOException {
        TemplateStore store = new TemplateStore(cache);
        Template t = store.obtain(key("2048M"), builder);
        Files.delete(t.memory());

        store.obtain(key("2048M"), builder);
        assertThat(builds).hasValue(2);
    }

    @Test
    void aBuildThatFailsLeavesNothing() {
        TemplateStore store = new TemplateStore(cache);
        assertThatThrownBy(() -> store.obtain(key("2048M"), folder -> {
                    Files.writeString(folder.resolve(Template.MEMORY), "half");
                    throw new IOException("the guest died");
                }))
                .hasMessageContaining("the guest died");
        assertThat(entries(store.root())).allMatch(name -> name.endsWith(".lock"));
    }

    @Test
    void removesWhatAKilledBuildLeftAndNeverTrustsIt() throws IOException {
        TemplateStore store = new TemplateStore(cache);
        TemplateKey key = key("2048M");
        // a build whose JVM died after writing every file, even a manifest, but before publishing
        Path partial = Files.createDirectories(store.root().resolve(key.hash() + ".partial-999999999-1"));
        builder.build(partial);
        new Template(partial).seal(key, 1);

        new TemplateStore(cache).removeLeftovers();
        assertThat(partial).doesNotExist();
        store.obtain(key, builder);
        assertThat(builds).hasValue(2);
    }

    @Test
    void keepsOnlyTheMostRecentlyUsedTemplates() throws IOException, InterruptedException {
        // no time counts as "in use" here: eviction by count alone
        TemplateStore store = new TemplateStore(cache, Duration.ZERO);
        for (int i = 0; i < TemplateStore.KEEP + 2; i++) {
            store.obtain(key(i + "M"), builder);
            Thread.sleep(20);
        }
        List<String> kept =
                entries(store.root()).stream().filter(n -> !n.endsWith(".lock")).toList();
        assertThat(kept)
                .hasSize(TemplateStore.KEEP)
                .doesNotContain(key("0M").hash(), key("1M").hash());
        // the evicted templates' lock files went with them
        List<String> locked = entries(store.root()).stream()
                .filter(n -> n.endsWith(KeyLock.SUFFIX))
                .map(n -> n.substring(0, n.length() - KeyLock.SUFFIX.length()))
                .toList();
        assertThat(locked).containsExactlyInAnyOrderElementsOf(kept);
    }

    @Test
    void neverEvictsATemplateUsedWithinTheInUseTime() throws IOException {
        // another JVM may be restoring from each of these, or comparing it with what it saved
        TemplateStore store = new TemplateStore(cache);
        for (int i = 0; i < TemplateStore.KEEP + 2; i++) {
            store.obtain(key(i + "M"), builder);
        }
        List<String> kept =
                entries(store.root()).stream().filter(n -> !n.endsWith(".lock")).toList();
        assertThat(kept)
                .hasSize(TemplateStore.KEEP + 2)
                .contains(key("0M").hash(), key("1M").hash());
    }

    private static List<String> entries(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).toList();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
