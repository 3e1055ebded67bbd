package dev.microvmsandbox.backend.kata.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.kata.ContainerRecipe;
import dev.microvmsandbox.backend.kata.RunOwner;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStateBuilder;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.EventListBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMixedDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.fabric8.mockwebserver.ServerRequest;
import io.fabric8.mockwebserver.ServerResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@code kata-kubernetes} backend against fabric8's mock API server in CRUD mode. A Kubernetes
 * API server cannot run on the build machine, so this mock stands in for it: it stores and returns
 * what the backend creates, and the test plays the scheduler and the kubelet by writing Pod status.
 * What a mock cannot show (a node pulling the image, Kata starting the VM, the attach session) is
 * left to a real cluster; {@code PodManifestKubePlayIT} runs the same Pod with podman.
 */
class KataKubernetesBackendTest {

    static final String NAMESPACE = "sandboxes";
    static final String IMAGE = "registry.example/microvm-sandbox/sandbox:1";

    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void startApiServer() {
        // one map: the server records expectations where the dispatcher looks for them
        Map<ServerRequest, Queue<ServerResponse>> expectations = new HashMap<>();
        server = new KubernetesMockServer(
                new Context(), new MockWebServer(), expectations, new KubernetesMixedDispatcher(expectations), false);
        server.init();
        client = server.createClient();
        client.resource(new RuntimeClassBuilder()
                        .withNewMetadata()
                        .withName("kata")
                        .endMetadata()
                        .withHandler("kata-qemu")
                        .build())
                .create();
    }

    @AfterEach
    void stopApiServer() {
        client.close();
        server.destroy();
    }

    private KataKubernetesBackend backend(Map<String, String> extra) {
        Map<String, String> settings = new HashMap<>(
                Map.of("microvm.sandbox.kubernetes.image", IMAGE, "microvm.sandbox.kubernetes.namespace", NAMESPACE));
        settings.putAll(extra);
        return new KataKubernetesBackend(
                KataKubernetesSettings.read(name -> Optional.ofNullable(settings.get(name))), null, () -> client);
    }

    private static SandboxConfig config() {
        return SandboxConfig.defaults()
                .withMemory("1g")
                .withCpus(2)
                .withTimeout(Duration.ofMinutes(10))
                .withBootTimeout(Duration.ofMinutes(2));
    }

    @Test
    void thePodCarriesTheRecipeFieldByField() throws Exception {
        CompletableFuture<Throwable> start = startInBackground(backend(Map.of()), config());
        Pod pod = awaitPod();

        assertThat(pod.getMetadata().getNamespace()).isEqualTo(NAMESPACE);
        assertThat(pod.getMetadata().getLabels())
                .containsEntry("app.kubernetes.io/managed-by", "microvm-sandbox")
                .containsEntry(RunOwner.RUN, RunOwner.current().run())
                .containsEntry(RunOwner.HOST, RunOwner.current().host())
                .containsEntry(
                        RunOwner.PID, Long.toString(ProcessHandle.current().pid()))
                .containsEntry(RunOwner.START, Long.toString(RunOwner.current().startTicks()));
        var spec = pod.getSpec();
        assertThat(spec.getRuntimeClassName()).isEqualTo("kata");
        assertThat(spec.getAutomountServiceAccountToken()).isFalse();
        assertThat(spec.getEnableServiceLinks()).isFalse();
        assertThat(spec.getHostNetwork()).isFalse();
        assertThat(spec.getHostPID()).isFalse();
        assertThat(spec.getHostIPC()).isFalse();
        assertThat(spec.getRestartPolicy()).isEqualTo("Never");
        assertThat(spec.getActiveDeadlineSeconds())
                .isEqualTo(Duration.ofMinutes(12).toSeconds());
        assertThat(spec.getVolumes()).as("no volume at all, so no host path").isEmpty();
        assertThat(spec.getInitContainers()).isEmpty();
        assertThat(spec.getContainers()).hasSize(1);
        Container c = spec.getContainers().get(0);
        assertThat(c.getName()).isEqualTo("sandbox");
        assertThat(c.getImage()).isEqualTo(IMAGE);
        assertThat(c.getArgs()).containsExactly("--agent");
        assertThat(c.getCommand()).as("the image's entrypoint, the bootstrap").isEmpty();
        assertThat(c.getStdin()).isTrue();
        assertThat(c.getStdinOnce()).isTrue();
        assertThat(c.getTty()).isFalse();
        assertThat(c.getEnv()).as("nothing of the host's environment").isEmpty();
        assertThat(c.getVolumeMounts()).isEmpty();
        assertThat(c.getSecurityContext().getPrivileged()).isFalse();
        assertThat(c.getSecurityContext().getCapabilities().getAdd())
                .containsExactlyElementsOf(ContainerRecipe.CAPABILITIES)
                .containsExactly(
                        "SYS_ADMIN",
                        "SYS_RESOURCE",
                        "NET_ADMIN",
                        "MKNOD",
                        "SETUID",
                        "SETGID",
                        "SYS_CHROOT",
                        "NET_RAW",
                        "SYS_PTRACE");
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).isEmpty();
        Map<String, Quantity> limits = c.getResources().getLimits();
        assertThat(Quantity.getAmountInBytes(limits.get("memory")).longValueExact())
                .isEqualTo(1L << 30);
        assertThat(limits.get("cpu").getAmount()).isEqualTo("2");
        assertThat(Quantity.getAmountInBytes(limits.get("ephemeral-storage")).longValueExact())
                .isEqualTo(8L << 30);
        assertThat(c.getResources().getRequests()).isEqualTo(limits);

        schedulerSays(
                pod,
                s -> s.withPhase("Pending")
                        .withConditions(new PodConditionBuilder()
                                .withType("PodScheduled")
                                .withStatus("False")
                                .withReason("Unschedulable")
                                .withMessage("0/3 nodes are available: 3 Insufficient memory.")
                                .build()));
        assertThat(start.get(60, TimeUnit.SECONDS)).isInstanceOf(SandboxException.class);
        assertThat(client.pods().inNamespace(NAMESPACE).list().getItems())
                .as("a Pod that cannot start is deleted")
                .isEmpty();
    }

    @Test
    void anUnschedulablePodFailsWithTheSchedulersReasonAndWhatToDo() throws Exception {
        CompletableFuture<Throwable> start = startInBackground(backend(Map.of()), config());
        schedulerSays(
                awaitPod(),
                s -> s.withPhase("Pending")
                        .withConditions(new PodConditionBuilder()
                                .withType("PodScheduled")
                                .withStatus("False")
                                .withReason("Unschedulable")
                                .withMessage("0/3 nodes are available: 3 Insufficient memory.")
                                .build()));
        assertThat(start.get(60, TimeUnit.SECONDS))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("Unschedulable: 0/3 nodes are available: 3 Insufficient memory.")
                .hasMessageContaining("Fix: lower microvm.sandbox.memory or microvm.sandbox.cpus")
                .hasMessageContaining("the Pod asks for 1g of memory and 2 CPUs")
                .hasMessageContaining("kubectl describe pod msb-");
    }

    @Test
    void anImageThatCannotBePulledFailsWithKubernetesReasonAndWhereToPushIt() throws Exception {
        CompletableFuture<Throwable> start = startInBackground(backend(Map.of()), config());
        schedulerSays(
                awaitPod(),
                s -> s.withPhase("Pending")
                        .withContainerStatuses(new ContainerStatusBuilder()
                                .withName("sandbox")
                                .withState(new ContainerStateBuilder()
                                        .withNewWaiting()
                                        .withReason("ImagePullBackOff")
                                        .withMessage("Back-off pulling image \"" + IMAGE + "\"")
                                        .endWaiting()
                                        .build())
                                .build()));
        assertThat(start.get(60, TimeUnit.SECONDS))
                .hasMessageContaining("cannot pull the sandbox image " + IMAGE + ": ImagePullBackOff: Back-off pulling")
                .hasMessageContaining("push the sandbox image (the archive of image --oci)")
                .hasMessageContaining("microvm.sandbox.kubernetes.imagePullSecret");
    }

    @Test
    void aMissingRuntimeClassIsTheApiServersRefusalWithHowToInstallKata() {
        server.expect()
                .post()
                .withPath("/api/v1/namespaces/" + NAMESPACE + "/pods")
                .andReturn(
                        403,
                        new StatusBuilder()
                                .withStatus("Failure")
                                .withCode(403)
                                .withReason("Forbidden")
                                .withMessage(
                                        "pods \"msb-x-1\" is forbidden: pod rejected: RuntimeClass \"kata\" not found")
                                .build())
                .always();
        assertThat(startInBackground(backend(Map.of()), config()).join())
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("the cluster has no RuntimeClass kata")
                .hasMessageContaining("pod rejected: RuntimeClass \"kata\" not found")
                .hasMessageContaining("kata-deploy");
    }

    @Test
    void aNodeWithoutTheRuntimeHandlerFailsWithItsEvent() throws Exception {
        CompletableFuture<Throwable> start = startInBackground(backend(Map.of()), config());
        Pod pod = awaitPod();
        String name = pod.getMetadata().getName();
        // the real API server filters events by involvedObject.name; the mock's CRUD store does not
        server.expect()
                .get()
                .withPath("/api/v1/namespaces/" + NAMESPACE + "/events?fieldSelector=involvedObject.name%3D" + name)
                .andReturn(
                        200,
                        new EventListBuilder()
                                .addToItems(new EventBuilder()
                                        .withNewMetadata()
                                        .withName(name + ".1")
                                        .withNamespace(NAMESPACE)
                                        .endMetadata()
                                        .withNewInvolvedObject()
                                        .withKind("Pod")
                                        .withName(name)
                                        .endInvolvedObject()
                                        .withType("Warning")
                                        .withReason("FailedCreatePodSandBox")
                                        .withMessage(
                                                "Failed to create pod sandbox: rpc error: no runtime for \"kata-qemu\" "
                                                        + "is configured")
                                        .build())
                                .build())
                .always();
        schedulerSays(pod, s -> s.withPhase("Pending"));
        assertThat(start.get(60, TimeUnit.SECONDS))
                .hasMessageContaining("the node cannot start the sandbox Pod " + name + " with RuntimeClass kata")
                .hasMessageContaining("no runtime for \"kata-qemu\" is configured")
                .hasMessageContaining("install Kata Containers on the nodes");
    }

    @Test
    void aPodThatEndsBeforeItsGuestIsReadySaysHowItEnded() throws Exception {
        CompletableFuture<Throwable> start = startInBackground(backend(Map.of()), config());
        schedulerSays(
                awaitPod(),
                s -> s.withPhase("Failed")
                        .withContainerStatuses(new ContainerStatusBuilder()
                                .withName("sandbox")
                                .withState(new ContainerStateBuilder()
                                        .withNewTerminated()
                                        .withExitCode(137)
                                        .withReason("OOMKilled")
                                        .endTerminated()
                                        .build())
                                .build()));
        assertThat(start.get(60, TimeUnit.SECONDS))
                .hasMessageContaining("ended before its guest was ready: exited with status 137 (OOMKilled)")
                .hasMessageContaining("more memory than its limit");
    }

    @Test
    void theLeftoversOfAnInterruptedRunAreDeletedAndLiveRunsKeepTheirPods() throws Exception {
        // the API server stamps creation times itself: the sweep looks from two days after them
        Instant now = Instant.now().plus(Duration.ofDays(2));
        long hour = 3600;
        long month = Duration.ofDays(30).toSeconds();
        Process ended = new ProcessBuilder("true").start();
        ended.waitFor();
        Map<String, String> deadOwner = new HashMap<>(RunOwner.current().labels());
        deadOwner.put(RunOwner.PID, Long.toString(ended.pid()));
        Map<String, String> elsewhere = new HashMap<>(RunOwner.current().labels());
        elsewhere.put(RunOwner.HOST, "another-ci-runner");

        createPod("dead-owner", deadOwner, "Running", month, null);
        createPod("ended-long-ago", elsewhere, "Failed", month, now.minusSeconds(600));
        createPod("ended-just-now", elsewhere, "Failed", month, now.minusSeconds(5));
        createPod("pending-for-days", elsewhere, "Pending", hour, null);
        createPod("live-here", RunOwner.current().labels(), "Running", month, null);
        createPod("live-elsewhere", elsewhere, "Running", month, null);
        createPod("not-ours", Map.of("app", "web"), "Failed", hour, now.minus(Duration.ofDays(1)));

        List<String> deleted = LeftoverPods.sweep(client, NAMESPACE, now);

        assertThat(deleted).containsExactlyInAnyOrder("dead-owner", "ended-long-ago", "pending-for-days");
        assertThat(client.pods().inNamespace(NAMESPACE).list().getItems())
                .extracting(p -> p.getMetadata().getName())
                .containsExactlyInAnyOrder("ended-just-now", "live-here", "live-elsewhere", "not-ours");
    }

    @Test
    void availabilitySaysWhatIsMissing() {
        Backend unconfigured =
                new KataKubernetesBackend(KataKubernetesSettings.read(name -> Optional.empty()), null, () -> client);
        assertThat(unconfigured.availability().usable()).isFalse();
        assertThat(unconfigured.availability().problems())
                .singleElement()
                .asString()
                .contains("not configured")
                .contains("microvm.sandbox.kubernetes.image");

        assertThat(backend(Map.of()).availability().usable()).isTrue();
        assertThat(backend(Map.of()).availability().report())
                .anyMatch(l -> l.contains("RuntimeClass kata (handler kata-qemu)"))
                .anyMatch(l -> l.contains("boundary: a VM with its own kernel (runtime kata-qemu)"));

        assertThat(backend(Map.of("microvm.sandbox.kubernetes.runtimeClass", "gone"))
                        .availability()
                        .problems())
                .anyMatch(p -> p.contains("the cluster has no RuntimeClass gone"));

        client.resource(new RuntimeClassBuilder()
                        .withNewMetadata()
                        .withName("kata-but-runc")
                        .endMetadata()
                        .withHandler("runc")
                        .build())
                .create();
        assertThat(backend(Map.of("microvm.sandbox.kubernetes.runtimeClass", "kata-but-runc"))
                        .availability()
                        .problems())
                .as("the handler decides, not the name")
                .anyMatch(p -> p.contains("runtime runc is not a VM runtime"));
        assertThat(backend(Map.of()).usesHostMemory()).isFalse();
    }

    private CompletableFuture<Throwable> startInBackground(KataKubernetesBackend backend, SandboxConfig config) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                backend.start(config).close();
                return null;
            } catch (RuntimeException e) {
                return e;
            }
        });
    }

    private Pod awaitPod() throws InterruptedException {
        while (true) {
            List<Pod> pods = client.pods().inNamespace(NAMESPACE).list().getItems();
            if (!pods.isEmpty()) {
                return pods.get(0);
            }
            Thread.sleep(50);
        }
    }

    /** Plays the scheduler and kubelet: writes the Pod's status. */
    private void schedulerSays(Pod pod, UnaryOperator<PodStatusBuilder> status) {
        PodStatus s = status.apply(new PodStatusBuilder()).build();
        client.pods()
                .inNamespace(NAMESPACE)
                .resource(new PodBuilder(pod).withStatus(s).build())
                .updateStatus();
    }

    private void createPod(
            String name, Map<String, String> labels, String phase, long deadlineSeconds, Instant finished) {
        PodStatusBuilder status = new PodStatusBuilder().withPhase(phase);
        if (finished != null) {
            status.withContainerStatuses(new ContainerStatusBuilder()
                    .withName("sandbox")
                    .withState(new ContainerStateBuilder()
                            .withNewTerminated()
                            .withExitCode(0)
                            .withFinishedAt(finished.toString())
                            .endTerminated()
                            .build())
                    .build());
        }
        Pod pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(NAMESPACE)
                .withLabels(labels)
                .endMetadata()
                .withNewSpec()
                .withActiveDeadlineSeconds(deadlineSeconds)
                .addNewContainer()
                .withName("sandbox")
                .withImage(IMAGE)
                .endContainer()
                .endSpec()
                .withStatus(status.build())
                .build();
        client.pods().inNamespace(NAMESPACE).resource(pod).create();
    }
}
