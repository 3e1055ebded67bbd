package dev.microvmsandbox.engine;

import dev.microvmsandbox.MicroVmSandbox;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.containerimage.ImageArchive;
import dev.microvmsandbox.containerimage.ImageSources;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandboxes of one engine execution. Per-run classes share VMs: one per distinct
 * configuration while classes run one after another, more when classes run in parallel (a VM
 * serves one class at a time). A per-class class gets a VM of its own. Closing it destroys all.
 */
final class Sandboxes implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Sandboxes.class);
    /** A shared VM outlives many classes; each class's own limit is enforced by the engine, this only bounds the VM. */
    static final Duration SHARED_LIFETIME = Duration.ofHours(12);
    /** A per-class VM gets the class's limit plus time to boot and report. */
    static final Duration PER_CLASS_SLACK = Duration.ofMinutes(5);

    private final Function<SandboxConfig, Sandbox> starter;
    /** Shared VMs no class is using, by configuration. */
    private final Map<SandboxConfig, Deque<Sandbox>> idle = new HashMap<>();
    /** Every shared VM still alive, idle or in use, with its configuration. */
    private final Map<Sandbox, SandboxConfig> shared = new HashMap<>();

    private final Map<SandboxConfig, RuntimeException> failedBoots = new HashMap<>();
    private final Map<Sandbox, Set<String>> loadedImages = new HashMap<>();

    Sandboxes(Function<SandboxConfig, Sandbox> starter) {
        this.starter = starter;
    }

    /**
     * A sandbox for one class, for its use alone until {@link #release}. Boots happen outside the
     * lock, so classes running in parallel boot their VMs in parallel.
     *
     * A per-class sandbox starts with the class's images ({@code images}, resolved on the host), so
     * the backend can hand it a store that already holds them; a shared one gets each class's
     * images when that class runs ({@link #preloadImages}).
     *
     * @throws RuntimeException why the sandbox could not start; a shared configuration that failed
     *                          to boot once is not tried again in this run
     */
    Sandbox acquire(SandboxSettings settings, List<ImageArchive> images) {
        if (settings.isolation() == MicroVmSandbox.Isolation.PER_CLASS) {
            return starter.apply(settings.config()
                    .withTimeout(settings.classTimeout().plus(PER_CLASS_SLACK))
                    .withImages(images.stream().map(ImageArchive::file).toList()));
        }
        SandboxConfig config = sharedConfig(settings);
        synchronized (this) {
            RuntimeException failed = failedBoots.get(config);
            if (failed != null) {
                throw failed;
            }
            Deque<Sandbox> free = idle.getOrDefault(config, new ArrayDeque<>());
            for (Sandbox sandbox = free.poll(); sandbox != null; sandbox = free.poll()) {
                if (!isDead(sandbox)) {
                    return sandbox;
                }
                LOG.info(
                        "sandbox {} died ({}); starting another",
                        sandbox.id(),
                        sandbox.deathCause().orElse("channel closed"));
                discard(sandbox);
            }
        }
        Sandbox sandbox;
        try {
            sandbox = starter.apply(config);
        } catch (RuntimeException e) {
            synchronized (this) {
                failedBoots.put(config, e);
            }
            throw e;
        }
        synchronized (this) {
            shared.put(sandbox, config);
        }
        return sandbox;
    }

    /** Images are loaded per class into whichever shared VM it gets, so they do not split the VMs. */
    private static SandboxConfig sharedConfig(SandboxSettings settings) {
        return settings.config().withTimeout(SHARED_LIFETIME);
    }

    /**
     * Loads the class's images, resolved on the host before its VM booted, into its sandbox,
     * skipping those it started with and those an earlier class already loaded there.
     *
     * @throws dev.microvmsandbox.backend.SandboxException when podman in the guest cannot load one
     */
    void preloadImages(Sandbox sandbox, List<ImageArchive> archives, ImageSources sources, Progress progress) {
        List<ImageArchive> missing = new ArrayList<>();
        synchronized (this) {
            Set<String> loaded = loadedImages.getOrDefault(sandbox, Set.of());
            archives.stream()
                    .filter(a -> !loaded.contains(a.source()))
                    .filter(a -> !sandbox.startedWithImages().contains(a.file()))
                    .forEach(missing::add);
        }
        if (missing.isEmpty()) {
            return;
        }
        long bytes = missing.stream().mapToLong(ImageArchive::bytes).sum();
        String what = missing.size() == 1 ? "image " + missing.get(0).source() : missing.size() + " images";
        Progress.Step load =
                progress.step("loading " + what + " (" + (bytes >> 20) + " MiB) into sandbox " + sandbox.id());
        try {
            sources.preload(sandbox, missing)
                    .forEach(p -> LOG.info(
                            "loaded {} into sandbox {} in {} ms",
                            p.archive().source(),
                            sandbox.id(),
                            p.copyMillis() + p.loadMillis()));
        } finally {
            load.close();
        }
        synchronized (this) {
            Set<String> loaded = loadedImages.computeIfAbsent(sandbox, s -> new HashSet<>());
            missing.forEach(a -> loaded.add(a.source()));
        }
    }

    /** A class is done with its sandbox: a per-class one is destroyed, a shared one serves the next class. */
    synchronized void release(Sandbox sandbox, SandboxSettings settings) {
        SandboxConfig config = shared.get(sandbox);
        if (config == null) {
            sandbox.close();
            loadedImages.remove(sandbox);
        } else if (isDead(sandbox)) {
            discard(sandbox);
        } else {
            idle.computeIfAbsent(config, c -> new ArrayDeque<>()).push(sandbox);
        }
    }

    /** Destroys a sandbox whose class overran its time or whose guest misbehaved. */
    synchronized void kill(Sandbox sandbox) {
        discard(sandbox);
    }

    private void discard(Sandbox sandbox) {
        sandbox.close();
        SandboxConfig config = shared.remove(sandbox);
        if (config != null && idle.containsKey(config)) {
            idle.get(config).remove(sandbox);
        }
        loadedImages.remove(sandbox);
    }

    static boolean isDead(Sandbox sandbox) {
        return sandbox.deathCause().isPresent() || !sandbox.channel().isOpen();
    }

    @Override
    public synchronized void close() {
        for (Sandbox sandbox : shared.keySet()) {
            try {
                sandbox.close();
            } catch (RuntimeException e) {
                LOG.warn("closing sandbox {}: {}", sandbox.id(), e.toString());
            }
        }
        shared.clear();
        idle.clear();
        loadedImages.clear();
    }
}
