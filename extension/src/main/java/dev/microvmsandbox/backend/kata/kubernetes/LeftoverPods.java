package dev.microvmsandbox.backend.kata.kubernetes;

import dev.microvmsandbox.backend.kata.RunOwner;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes the sandbox Pods an interrupted run left in a namespace, once per namespace and JVM,
 * before the first sandbox Pod of this run is created there. A leftover is a Pod that
 * <ul>
 *   <li>ended (its guest stopped when its host's attach session went away) at least
 *       {@link #ENDED_GRACE} ago, so its own run has had the time to read how it ended;</li>
 *   <li>or whose owner was a process of this host that has ended;</li>
 *   <li>or that is older than its own deadline plus its boot time: a Pod that never got to run
 *       (Pending, unschedulable) has no deadline of its own.</li>
 * </ul>
 * A live run's Pods, from this host or another, are left alone.
 */
final class LeftoverPods {

    private static final Logger LOG = LoggerFactory.getLogger(LeftoverPods.class);
    static final Duration ENDED_GRACE = Duration.ofMinutes(1);
    /** Boot time allowed on top of a Pod's own deadline before it counts as stale. */
    static final Duration STALE_SLACK = Duration.ofMinutes(10);

    private static final Set<String> SWEPT = ConcurrentHashMap.newKeySet();

    private LeftoverPods() {}

    static void sweepOnce(KubernetesClient client, String namespace) {
        if (SWEPT.add(client.getMasterUrl() + " " + namespace)) {
            sweep(client, namespace, Instant.now());
        }
    }

    /** Deletes the leftovers; returns the names of the Pods deleted. */
    static List<String> sweep(KubernetesClient client, String namespace, Instant now) {
        List<String> deleted = new ArrayList<>();
        try {
            List<Pod> pods = client.pods()
                    .inNamespace(namespace)
                    .withLabel(RunOwner.MANAGED_BY, RunOwner.MANAGED_BY_VALUE)
                    .list()
                    .getItems();
            for (Pod pod : pods) {
                Optional<String> why = leftoverBecause(pod, now);
                if (why.isPresent()) {
                    String name = pod.getMetadata().getName();
                    KataKubernetesBackend.delete(client, namespace, name);
                    LOG.info("deleted sandbox Pod {} left by an interrupted run: {}", name, why.get());
                    deleted.add(name);
                }
            }
        } catch (RuntimeException e) {
            LOG.warn("could not look for sandbox Pods left by interrupted runs in {}: {}", namespace, e.toString());
        }
        return deleted;
    }

    static Optional<String> leftoverBecause(Pod pod, Instant now) {
        Optional<RunOwner> owner = RunOwner.fromLabels(pod.getMetadata().getLabels());
        if (owner.isPresent() && owner.get().endedOnThisHost()) {
            return Optional.of("its owner, process " + owner.get().pid() + " on this host, has ended");
        }
        String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
        if ("Succeeded".equals(phase) || "Failed".equals(phase)) {
            Optional<Instant> ended = endedAt(pod);
            if (ended.isEmpty() || ended.get().plus(ENDED_GRACE).isBefore(now)) {
                return Optional.of("it ended (" + phase + ")");
            }
        }
        Optional<Instant> created = instant(pod.getMetadata().getCreationTimestamp());
        Long deadline = pod.getSpec() == null ? null : pod.getSpec().getActiveDeadlineSeconds();
        if (created.isPresent()
                && deadline != null
                && created.get().plusSeconds(deadline).plus(STALE_SLACK).isBefore(now)) {
            return Optional.of("it is older than its deadline of " + deadline + " s");
        }
        return Optional.empty();
    }

    private static Optional<Instant> endedAt(Pod pod) {
        if (pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null) {
            return Optional.empty();
        }
        Optional<Instant> latest = Optional.empty();
        for (ContainerStatus cs : pod.getStatus().getContainerStatuses()) {
            if (cs.getState() != null && cs.getState().getTerminated() != null) {
                Optional<Instant> t = instant(cs.getState().getTerminated().getFinishedAt());
                if (t.isPresent() && (latest.isEmpty() || t.get().isAfter(latest.get()))) {
                    latest = t;
                }
            }
        }
        return latest;
    }

    private static Optional<Instant> instant(String timestamp) {
        if (timestamp == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Instant.parse(timestamp));
        } catch (DateTimeParseException e) {
            return Optional.empty();
        }
    }
}
