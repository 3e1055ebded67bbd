package dev.microvmsandbox.engine;

import dev.microvmsandbox.MicroVmSandbox;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import java.time.Duration;
import dev.microvmsandbox.image.ImageSources;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sandboxes of one engine execution: one per distinct configuration shared by the per-run
 * classes, one of its own for each per-class class. Closing it destroys all of them.
 */
final class Sandboxes implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Sandboxes.class);
    /** A shared VM outlives many classes; each class's own limit is enforced by the engine, this only bounds the VM. */
    static final Duration SHARED_LIFETIME = Duration.ofHours(12);
    /** A per-class VM gets the class's limit plus time to boot and report. */
    static final Duration PER_CLASS_SLACK = Duration.ofMinutes(5);

    private final Function<SandboxConfig, Sandbox> starter;
    private final Map<SandboxConfig, Sandbox> shared = new HashMap<>();
    private final Map<SandboxConfig, RuntimeException> failedBoots = new HashMap<>();
    private final Map<Sandbox, Set<String>> loadedImages = new HashMap<>();

    Sandboxes(Function<SandboxConfig, Sandbox> starter) {
        this.starter = starter;
    }

    /**
     * @throws RuntimeException why the sandbox could not start; a configuration that failed to
     *                          boot once is not tried again in this run
     */
    synchronized Sandbox acquire(SandboxSettings settings) {
        if (settings.isolation() == MicroVmSandbox.Isolation.PER_CLASS) {
            return starter.apply(settings.config().withTimeout(settings.classTimeout().plus(PER_CLASS_SLACK)));
        }
        // images are loaded per class into whichever shared VM it gets, so they do not split the VMs
        SandboxConfig config = settings.config().withTimeout(SHARED_LIFETIME).withImages(List.of());
        RuntimeException failed = failedBoots.get(config);
        if (failed != null) {
            throw failed;
        }
        Sandbox sandbox = shared.get(config);
        if (sandbox != null && isDead(sandbox)) {
            LOG.info("sandbox {} died ({}); starting another", sandbox.id(), sandbox.deathCause().orElse("channel closed"));
            sandbox.close();
            loadedImages.remove(sandbox);
            shared.remove(config);
            sandbox = null;
        }
        if (sandbox == null) {
            try {
                sandbox = starter.apply(config);
            } catch (RuntimeException e) {
                failedBoots.put(config, e);
                throw e;
            }
            shared.put(config, sandbox);
        }
        return sandbox;
    }

    /**
     * Loads the class's images into its sandbox, skipping those an earlier class already loaded.
     *
     * @throws dev.microvmsandbox.backend.SandboxException naming every source tried for an image that was not found
     */
    void preloadImages(Sandbox sandbox, List<String> images, Path projectDir) {
        List<String> missing;
        synchronized (this) {
            missing = new ArrayList<>(images);
            missing.removeAll(loadedImages.getOrDefault(sandbox, Set.of()));
        }
        if (missing.isEmpty()) {
            return;
        }
        ImageSources.preload(sandbox, missing, projectDir).forEach(p -> LOG.info("loaded {} into sandbox {} in {} ms",
                p.archive().source(), sandbox.id(), p.copyMillis() + p.loadMillis()));
        synchronized (this) {
            loadedImages.computeIfAbsent(sandbox, s -> new HashSet<>()).addAll(missing);
        }
    }

    /** A class is done with its sandbox. */
    synchronized void release(Sandbox sandbox, SandboxSettings settings) {
        if (settings.isolation() == MicroVmSandbox.Isolation.PER_CLASS) {
            sandbox.close();
            loadedImages.remove(sandbox);
        }
    }

    /** Destroys a sandbox whose class overran its time or whose guest misbehaved. */
    synchronized void kill(Sandbox sandbox) {
        sandbox.close();
        shared.values().remove(sandbox);
        loadedImages.remove(sandbox);
    }

    static boolean isDead(Sandbox sandbox) {
        return sandbox.deathCause().isPresent() || !sandbox.channel().isOpen();
    }

    @Override
    public synchronized void close() {
        for (Sandbox sandbox : shared.values()) {
            try {
                sandbox.close();
            } catch (RuntimeException e) {
                LOG.warn("closing sandbox {}: {}", sandbox.id(), e.toString());
            }
        }
        shared.clear();
    }
}
