package dev.microvmsandbox.backend.kata.kubernetes;

import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.TimeLimit;
import dev.microvmsandbox.backend.kata.ConsoleTail;
import dev.microvmsandbox.backend.kata.ContainerSandbox;
import dev.microvmsandbox.backend.kata.RunOwner;
import dev.microvmsandbox.backend.kata.VmBoundary;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClass;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.utils.Serialization;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kata-kubernetes} backend: one Pod per sandbox in a Kubernetes cluster, in a Kata
 * RuntimeClass ({@code kata} by default), so each sandbox is a VM with its own kernel on whichever
 * node has room: how a test run outgrows one host. The Pod runs the sandbox image from a registry
 * the user names ({@code microvm.sandbox.kubernetes.image}; the backend is not configured without
 * it), non-privileged with the recipe's capabilities, with resource limits, no service account
 * token and no host path ({@link SandboxPod}); the host's files and the channel go over an attach
 * session ({@link AttachedPod}).
 *
 * <p>Pods carry the labels of their run ({@link RunOwner}) and are deleted when their sandbox
 * closes (a per-class sandbox when its class ends, a per-run one when the run ends); the Pods an
 * interrupted run left are found and deleted by the next ({@link LeftoverPods}). A Pod that cannot
 * start fails its class with Kubernetes' own reason and what to do ({@link PodFailure}).
 *
 * <p>The cluster comes from the kubeconfig ({@code KUBECONFIG}, {@code ~/.kube/config}, context
 * {@code microvm.sandbox.kubernetes.context}) or, inside a Pod, its service account.
 */
@API(status = API.Status.INTERNAL)
public final class KataKubernetesBackend implements Backend {

    public static final String NAME = "kata-kubernetes";

    private static final Logger LOG = LoggerFactory.getLogger(KataKubernetesBackend.class);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final Map<String, KubernetesClient> CLIENTS = new ConcurrentHashMap<>();
    private static final long POLL_MILLIS = 500;
    private static final long EVENTS_EVERY_MILLIS = 5000;
    static final String RUNTIME_CLASS_EXAMPLE = KataKubernetesSettings.RUNTIME_CLASS + "=kata-qemu";

    private final KataKubernetesSettings settings;
    private final String settingsError;
    private final Supplier<KubernetesClient> clients;

    KataKubernetesBackend(KataKubernetesSettings settings, String settingsError, Supplier<KubernetesClient> clients) {
        this.settings = settings;
        this.settingsError = settingsError;
        this.clients = clients;
    }

    /** The backend as the run's configuration parameters describe it; its client is made on first use. */
    public static KataKubernetesBackend create(Function<String, Optional<String>> parameters) {
        try {
            KataKubernetesSettings settings = KataKubernetesSettings.read(parameters);
            return new KataKubernetesBackend(settings, null, () -> sharedClient(settings.context()));
        } catch (IllegalArgumentException e) {
            return new KataKubernetesBackend(null, e.getMessage(), () -> {
                throw new IllegalStateException("no client for wrong settings");
            });
        }
    }

    /**
     * The Pod manifest (YAML) this backend would create for a sandbox with {@code config}, for
     * review, for {@code kubectl apply --dry-run=server}, or for {@code podman kube play}.
     *
     * @throws IllegalArgumentException when a setting is wrong or no image is named
     */
    public static String podManifest(Function<String, Optional<String>> parameters, SandboxConfig config) {
        KataKubernetesSettings settings = KataKubernetesSettings.read(parameters);
        if (settings.image().isEmpty()) {
            throw new IllegalArgumentException("name the sandbox image: -D" + KataKubernetesSettings.IMAGE
                    + "=REGISTRY/microvm-sandbox/sandbox:TAG");
        }
        Pod pod = SandboxPod.build(
                "msb-" + RunOwner.current().run() + "-1",
                settings.namespace().orElse("default"),
                settings,
                config,
                RunOwner.current());
        return Serialization.asYaml(pod);
    }

    /** One client per cluster and context in a JVM: clients are thread-safe and hold connections. */
    private static KubernetesClient sharedClient(Optional<String> context) {
        Config config = Config.autoConfigure(context.orElse(null));
        return CLIENTS.computeIfAbsent(
                config.getMasterUrl() + " " + context.orElse(""),
                key -> new KubernetesClientBuilder().withConfig(config).build());
    }

    @Override
    public String name() {
        return NAME;
    }

    /** The Pods run on the cluster's nodes: this host's memory does not bound how many run at once. */
    @Override
    public boolean usesHostMemory() {
        return false;
    }

    @Override
    public Availability availability() {
        List<String> report = new ArrayList<>();
        if (settingsError != null) {
            report.add(Availability.FAIL + "  " + settingsError);
            return new Availability(false, report);
        }
        if (settings.image().isEmpty()) {
            report.add(Availability.FAIL + "  not configured: " + KataKubernetesSettings.IMAGE + " names no sandbox "
                    + "image. Fix: push the sandbox image (image --oci builds its archive) to a registry the cluster "
                    + "pulls from and set " + KataKubernetesSettings.IMAGE + " to it.");
            return new Availability(false, report);
        }
        KubernetesClient client;
        String namespace;
        try {
            client = clients.get();
            namespace = namespace(client);
            client.pods()
                    .inNamespace(namespace)
                    .list(new ListOptionsBuilder().withLimit(1L).build());
            report.add("ok    cluster: " + client.getMasterUrl() + ", namespace " + namespace);
        } catch (KubernetesClientException e) {
            report.add(Availability.FAIL + "  " + PodFailure.ofCreate(e, "?", settings.runtimeClass()) + ".");
            return new Availability(false, report);
        } catch (RuntimeException e) {
            report.add(Availability.FAIL + "  no Kubernetes cluster reachable (" + e.getMessage() + "). Fix: set "
                    + "KUBECONFIG or " + KataKubernetesSettings.CONTEXT + ", or run inside the cluster.");
            return new Availability(false, report);
        }
        boolean usable = true;
        Optional<String> handler = Optional.empty();
        try {
            RuntimeClass rc = client.resources(RuntimeClass.class)
                    .withName(settings.runtimeClass())
                    .get();
            if (rc == null) {
                usable = false;
                report.add(Availability.FAIL + "  the cluster has no RuntimeClass " + settings.runtimeClass()
                        + ". Fix: install Kata Containers (kata-deploy), or set " + KataKubernetesSettings.RUNTIME_CLASS
                        + " to one kubectl get runtimeclass lists.");
            } else {
                handler = Optional.ofNullable(rc.getHandler());
                report.add("ok    RuntimeClass " + settings.runtimeClass() + " (handler " + rc.getHandler() + ")");
            }
        } catch (KubernetesClientException e) {
            report.add("WARN  cannot read RuntimeClass " + settings.runtimeClass() + " (" + e.getCode()
                    + "); the first Pod shows whether it exists");
        }
        VmBoundary boundary = boundary(handler);
        if (!boundary.vm() && !settings.allowNoVmBoundary()) {
            usable = false;
            report.add(Availability.FAIL + "  "
                    + boundary.refusal(KataKubernetesSettings.RUNTIME_CLASS, RUNTIME_CLASS_EXAMPLE) + ".");
        } else {
            report.add((boundary.vm() ? "ok    " : "WARN  ") + boundary.describe());
        }
        report.add("ok    sandbox image: " + settings.image().get());
        return new Availability(usable, report);
    }

    private VmBoundary boundary(Optional<String> handler) {
        // the handler is what the node runs; a RuntimeClass's name alone could say anything
        return VmBoundary.of(handler.orElse(settings.runtimeClass()));
    }

    @Override
    public Sandbox start(SandboxConfig config) {
        if (settingsError != null) {
            throw new SandboxException(settingsError);
        }
        if (settings.image().isEmpty()) {
            throw new SandboxException(KataKubernetesSettings.IMAGE + " names no sandbox image. Fix: push the sandbox "
                    + "image (image --oci builds its archive) to a registry the cluster pulls from and set "
                    + KataKubernetesSettings.IMAGE + " to it.");
        }
        KubernetesClient client = clients.get();
        String namespace = namespace(client);
        VmBoundary boundary = boundary(handlerOf(client));
        if (!boundary.vm()) {
            if (config.requireHardwareIsolation()) {
                throw new SandboxException("the sandbox must run in a VM (hardware isolation was required), but "
                        + boundary.refusal(KataKubernetesSettings.RUNTIME_CLASS, RUNTIME_CLASS_EXAMPLE));
            }
            if (!settings.allowNoVmBoundary()) {
                throw new SandboxException(
                        boundary.refusal(KataKubernetesSettings.RUNTIME_CLASS, RUNTIME_CLASS_EXAMPLE));
            }
        }
        LeftoverPods.sweepOnce(client, namespace);
        String name = "msb-" + RunOwner.current().run() + "-" + SEQUENCE.incrementAndGet();
        Pod pod = SandboxPod.build(name, namespace, settings, config, RunOwner.current());
        try {
            client.pods().inNamespace(namespace).resource(pod).create();
        } catch (KubernetesClientException e) {
            throw new SandboxException(PodFailure.ofCreate(e, namespace, settings.runtimeClass()) + ".");
        }
        if (boundary.vm()) {
            LOG.info("sandbox Pod {}/{}: {}", namespace, name, boundary.describe());
        } else {
            LOG.warn("sandbox Pod {}/{}: {}", namespace, name, boundary.describe());
        }
        try {
            awaitRunning(client, namespace, name, config);
            ConsoleTail console = new ConsoleTail();
            AttachedPod attached = AttachedPod.attach(client, namespace, name, console);
            return ContainerSandbox.start(attached, config, boundary, console);
        } catch (RuntimeException e) {
            delete(client, namespace, name);
            if (e instanceof SandboxException s) {
                throw s;
            }
            throw new SandboxException("the sandbox Pod " + namespace + "/" + name + " failed: " + e.getMessage(), e);
        }
    }

    private Optional<String> handlerOf(KubernetesClient client) {
        try {
            RuntimeClass rc = client.resources(RuntimeClass.class)
                    .withName(settings.runtimeClass())
                    .get();
            return rc == null ? Optional.empty() : Optional.ofNullable(rc.getHandler());
        } catch (KubernetesClientException e) {
            return Optional.empty();
        }
    }

    private String namespace(KubernetesClient client) {
        return settings.namespace()
                .or(() -> Optional.ofNullable(client.getNamespace()))
                .orElse("default");
    }

    /** Waits until the Pod runs, failing as soon as its status says it will not. */
    private void awaitRunning(KubernetesClient client, String namespace, String name, SandboxConfig config) {
        long start = System.currentTimeMillis();
        long deadline = start + config.bootTimeout().toMillis();
        long nextEvents = start + EVENTS_EVERY_MILLIS;
        List<Event> events = List.of();
        String resources = config.memory() + " of memory and " + config.cpus() + " CPUs";
        while (true) {
            Pod pod = client.pods().inNamespace(namespace).withName(name).get();
            if (pod == null) {
                throw new SandboxException(
                        "the sandbox Pod " + namespace + "/" + name + " was deleted while it started");
            }
            long now = System.currentTimeMillis();
            if (now >= nextEvents) {
                events = eventsOf(client, namespace, name);
                nextEvents = now + EVENTS_EVERY_MILLIS;
            }
            Optional<String> failure = PodFailure.ofStatus(pod, events, settings, resources);
            if (failure.isPresent()) {
                throw new SandboxException(failure.get() + ".");
            }
            if (pod.getStatus() != null
                    && "Running".equals(pod.getStatus().getPhase())
                    && pod.getStatus().getContainerStatuses() != null
                    && pod.getStatus().getContainerStatuses().stream()
                            .allMatch(
                                    cs -> cs.getState() != null && cs.getState().getRunning() != null)) {
                LOG.debug("{}: running after {} ms", name, now - start);
                return;
            }
            if (now > deadline) {
                List<Event> last = eventsOf(client, namespace, name);
                throw new SandboxException("the sandbox Pod " + namespace + "/" + name + " was not running within "
                        + TimeLimit.format(config.bootTimeout()) + " (phase "
                        + (pod.getStatus() == null ? "unknown" : pod.getStatus().getPhase()) + ")"
                        + (last.isEmpty()
                                ? ""
                                : "; its last events: "
                                        + String.join(
                                                "; ",
                                                last.stream()
                                                        .skip(Math.max(0, last.size() - 5))
                                                        .map(e -> e.getReason() + ": " + e.getMessage())
                                                        .toList()))
                        + ". Fix: kubectl describe pod " + name + " -n " + namespace + " says what it waits for.");
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SandboxException("interrupted while the sandbox Pod " + name + " started");
            }
        }
    }

    /** The Pod's events, oldest first; empty where the account may not read them. */
    private static List<Event> eventsOf(KubernetesClient client, String namespace, String name) {
        try {
            return client
                    .v1()
                    .events()
                    .inNamespace(namespace)
                    .withField("involvedObject.name", name)
                    .list()
                    .getItems()
                    .stream()
                    .sorted(Comparator.comparing(e -> String.valueOf(e.getLastTimestamp())))
                    .toList();
        } catch (KubernetesClientException e) {
            return List.of();
        }
    }

    /** Deletes a sandbox Pod at once; never throws. */
    static void delete(KubernetesClient client, String namespace, String name) {
        try {
            client.pods()
                    .inNamespace(namespace)
                    .withName(name)
                    .withGracePeriod(0)
                    .delete();
        } catch (RuntimeException e) {
            LOG.warn("could not delete sandbox Pod {}/{}: {}", namespace, name, e.toString());
        }
    }
}
