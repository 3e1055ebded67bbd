package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.ProcessStart;
import dev.microvmsandbox.hostfs.FileTree;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The host's saved guests, under {@code <cache>/templates/<key>/}. A template is built in a
 * folder of its own ({@code <key>.partial-<pid>-<start ticks>}) and published by renaming that
 * folder once it is sealed, so a reader finds either a whole template or none; one that a killed
 * JVM left half-made is never at a template's path, and the next store removes it. Builds of one
 * key are serialised across JVMs by a {@link KeyLock} and within a JVM by a monitor; a template
 * found damaged is discarded and built again. At most {@link #KEEP} templates are kept, the least
 * recently used going first, except those used within {@link #IN_USE}.
 */
final class TemplateStore {

    private static final Logger LOG = LoggerFactory.getLogger(TemplateStore.class);
    static final String FOLDER = "templates";
    static final int KEEP = 6;
    private static final String PARTIAL = ".partial-";
    private static final Map<String, Object> MONITORS = new ConcurrentHashMap<>();
    private static final AtomicBoolean CLEANED = new AtomicBoolean();

    /** Boots a guest and saves it into the folder it is given. */
    interface Builder {
        void build(Path folder) throws IOException;
    }

    /**
     * A template used this recently is never evicted, however many there are: another build on
     * this host may be restoring from it or comparing it with what it saved.
     */
    static final Duration IN_USE = CacheEviction.IN_USE;

    private final Path root;
    private final Duration inUse;

    TemplateStore(Path cacheRoot) {
        this(cacheRoot, IN_USE);
    }

    TemplateStore(Path cacheRoot, Duration inUse) {
        this.root = cacheRoot.resolve(FOLDER);
        this.inUse = inUse;
    }

    Path root() {
        return root;
    }

    /**
     * The template for {@code key}, built first with {@code builder} when there is none or the one
     * there is damaged.
     */
    Template obtain(TemplateKey key, Builder builder) throws IOException {
        prepareRoot();
        String hash = key.hash();
        synchronized (MONITORS.computeIfAbsent(hash, h -> new Object())) {
            Optional<Template> found = usable(key);
            if (found.isPresent()) {
                return found.get();
            }
            return KeyLock.holding(root.resolve(hash + KeyLock.SUFFIX), () -> {
                Optional<Template> built = usable(key);
                return built.isPresent() ? built.get() : build(key, builder);
            });
        }
    }

    /** Removes the template for {@code key}: a restore from it failed. */
    void discard(TemplateKey key, String reason) {
        Path dir = root.resolve(key.hash());
        LOG.warn("discarding template {}: {}", dir, reason);
        remove(dir);
    }

    private Optional<Template> usable(TemplateKey key) {
        Template t = new Template(root.resolve(key.hash()));
        if (!Files.isDirectory(t.directory())) {
            return Optional.empty();
        }
        Optional<String> problem = t.sealed() ? t.problem(key) : Optional.of("it was never sealed");
        if (problem.isPresent()) {
            discard(key, "damaged (" + problem.get() + "); building it again");
            return Optional.empty();
        }
        t.touch();
        return Optional.of(t);
    }

    private Template build(TemplateKey key, Builder builder) throws IOException {
        String owner = ProcessHandle.current().pid() + "-"
                + ProcessStart.ticks(ProcessHandle.current().pid()).orElse(0L);
        Path partial = root.resolve(key.hash() + PARTIAL + owner);
        removeAbandoned(key.hash());
        remove(partial);
        Files.createDirectories(partial);
        long t0 = System.nanoTime();
        try {
            builder.build(partial);
            Template made = new Template(partial);
            made.seal(key, (System.nanoTime() - t0) / 1_000_000);
            Path target = root.resolve(key.hash());
            Files.move(partial, target, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("saved template {} in {} ms", target, (System.nanoTime() - t0) / 1_000_000);
            Template published = new Template(target);
            published.touch();
            evict(key.hash());
            return published;
        } finally {
            remove(partial);
        }
    }

    /**
     * Removes the partial builds of this key whose JVM has ended (killed while it built): never
     * used, they only hold disk. Runs under the key's lock, so no live build of this host is among them.
     */
    private void removeAbandoned(String hash) {
        try (Stream<Path> dirs = Files.list(root)) {
            dirs.filter(d -> d.getFileName().toString().startsWith(hash + PARTIAL))
                    .filter(d -> !ownerAlive(d.getFileName().toString().substring((hash + PARTIAL).length())))
                    .forEach(d -> {
                        LOG.info("removing {}: the build that made it was killed", d);
                        remove(d);
                    });
        } catch (IOException e) {
            LOG.warn("could not look for abandoned template builds in {}: {}", root, e.toString());
        }
    }

    /** Whether the JVM named by "pid-startTicks" still runs (the start time tells a reused pid apart). */
    private static boolean ownerAlive(String owner) {
        String[] parts = owner.split("-", 2);
        try {
            long pid = Long.parseLong(parts[0]);
            long ticks = parts.length > 1 ? Long.parseLong(parts[1]) : 0L;
            return ProcessHandle.of(pid).isPresent()
                    && ProcessStart.ticks(pid)
                            .map(t -> ticks == 0L || t == ticks)
                            .orElse(true);
        } catch (NumberFormatException e) {
            return true; // not ours to judge: leave it
        }
    }

    /**
     * Keeps the {@link #KEEP} most recently used templates, and every one used within {@link
     * #IN_USE}: a host running several builds at once may hold more for a while. The lock files of
     * templates no longer there go too.
     */
    private void evict(String keep) {
        try (Stream<Path> dirs = Files.list(root)) {
            List<CacheEviction.Entry<Template>> complete = dirs.filter(Files::isDirectory)
                    .filter(d -> !d.getFileName().toString().contains("."))
                    .map(Template::new)
                    .map(t -> new CacheEviction.Entry<>(t, t.lastUsedMillis()))
                    .toList();
            for (Template t : new CacheEviction(KEEP, inUse).toRemove(complete, System.currentTimeMillis())) {
                if (!t.directory().getFileName().toString().equals(keep)) {
                    LOG.info("removing the least recently used template {}", t.directory());
                    remove(t.directory());
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", root, e.toString());
        }
        KeyLock.deleteOrphans(root, root::resolve);
    }

    private void prepareRoot() throws IOException {
        if (!Files.isDirectory(root)) {
            Files.createDirectories(root);
            Files.setPosixFilePermissions(root, PosixFilePermissions.fromString("rwx------"));
        }
        if (CLEANED.compareAndSet(false, true)) {
            removeLeftovers();
        }
    }

    /** Partial folders whose JVM has ended were left by a build that was killed; none of it is trusted. */
    void removeLeftovers() {
        try (Stream<Path> dirs = Files.list(root)) {
            for (Path d : (Iterable<Path>) dirs::iterator) {
                String name = d.getFileName().toString();
                if (name.contains(".removed-")) {
                    remove(d);
                    continue;
                }
                int at = name.indexOf(PARTIAL);
                if (at < 0) {
                    continue;
                }
                if (!ownerAlive(name.substring(at + PARTIAL.length()))) {
                    LOG.info("removing {}, left by a template build that did not finish", d);
                    remove(d);
                }
            }
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", root, e.toString());
        }
    }

    /** Renames the folder aside first, so no reader finds it half-deleted, then deletes it. */
    private static void remove(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        if (dir.getFileName().toString().contains(".removed-")) {
            try {
                FileTree.delete(dir);
            } catch (IOException e) {
                LOG.debug("could not remove {}: {}", dir, e.toString());
            }
            return;
        }
        Path aside = dir.resolveSibling(dir.getFileName() + ".removed-" + System.nanoTime());
        try {
            Files.move(dir, aside, StandardCopyOption.ATOMIC_MOVE);
            FileTree.delete(aside);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", dir, e.toString());
        }
    }
}
