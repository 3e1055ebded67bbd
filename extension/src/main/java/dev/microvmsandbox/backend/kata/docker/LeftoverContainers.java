package dev.microvmsandbox.backend.kata.docker;

import com.github.dockerjava.api.model.Container;
import dev.microvmsandbox.backend.kata.RunOwner;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the sandbox containers an interrupted run left on an engine, once per engine and JVM,
 * before the first sandbox starts there. A leftover is a container whose owner (its labels) was a
 * process of this host that has ended, or one that stopped or never started and is older than any
 * sandbox may live. A live run's containers, here or on another host, are left alone.
 */
final class LeftoverContainers {

    private static final Logger LOG = LoggerFactory.getLogger(LeftoverContainers.class);
    /** Longer than any sandbox lives (the engine's shared sandboxes end after 12 hours). */
    static final Duration STALE_AFTER = Duration.ofHours(13);

    private static final Set<String> SWEPT = ConcurrentHashMap.newKeySet();
    private static final Set<String> NOT_RUNNING = Set.of("created", "exited", "dead");

    private LeftoverContainers() {}

    static void sweepOnce(DockerEngine engine) {
        if (SWEPT.add(engine.endpoint())) {
            sweep(engine);
        }
    }

    static void sweep(DockerEngine engine) {
        try {
            for (Container c : engine.managedContainers()) {
                leftoverBecause(c, Instant.now()).ifPresent(why -> {
                    if (engine.remove(c.getId())) {
                        LOG.info("removed sandbox container {} left by an interrupted run: {}", name(c), why);
                    }
                });
            }
        } catch (RuntimeException e) {
            LOG.warn("could not look for sandbox containers left by interrupted runs: {}", e.toString());
        }
    }

    /** Why {@code c} is a leftover, if it is one. */
    static Optional<String> leftoverBecause(Container c, Instant now) {
        Optional<RunOwner> owner = RunOwner.fromLabels(c.getLabels());
        if (owner.isPresent() && owner.get().endedOnThisHost()) {
            return Optional.of("its owner, process " + owner.get().pid() + " on this host, has ended");
        }
        Long created = c.getCreated();
        if (c.getState() != null
                && NOT_RUNNING.contains(c.getState())
                && created != null
                && Instant.ofEpochSecond(created).plus(STALE_AFTER).isBefore(now)) {
            return Optional.of("it is " + c.getState() + " and older than " + STALE_AFTER.toHours() + " hours");
        }
        return Optional.empty();
    }

    private static String name(Container c) {
        List<String> names = c.getNames() == null ? List.of() : List.of(c.getNames());
        return names.isEmpty() ? c.getId() : names.get(0).replaceFirst("^/", "");
    }
}
