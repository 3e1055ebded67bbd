package dev.microvmsandbox.backend.kata.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.selection.BackendSelection;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.api.model.node.v1.RuntimeClassBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The Kubernetes client as the packaged jar carries it (relocated, without the model jars of API
 * groups nothing uses) against fabric8's mock API server over HTTP, the mock standing in for a
 * cluster that cannot run here: the client starts, finds its HTTP client through the service
 * loader, reads a RuntimeClass, creates a Pod and reads its status. Failsafe runs this against the
 * packaged jar; the mock and the client the test itself uses are the plain fabric8 classes.
 */
class KubernetesRelocationIT {

    @Test
    void theRelocatedClientCreatesThePodAndReadsWhyItCannotRun() throws Exception {
        KubernetesMockServer server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        Map<String, String> properties = Map.of(
                "kubernetes.master", "http://localhost:" + server.getPort(),
                "kubernetes.auth.tryKubeConfig", "false",
                "kubernetes.auth.tryServiceAccount", "false",
                "kubernetes.namespace", "sandboxes");
        properties.forEach(System::setProperty);
        try (KubernetesClient client = server.createClient()) {
            client.resource(new RuntimeClassBuilder()
                            .withNewMetadata()
                            .withName("kata")
                            .endMetadata()
                            .withHandler("kata-qemu")
                            .build())
                    .create();
            Map<String, String> settings = Map.of(
                    BackendSelection.PARAMETER,
                    "kata-kubernetes",
                    "microvm.sandbox.kubernetes.image",
                    "registry.example/sandbox:1");
            Backend backend = BackendSelection.standard().choose(name -> Optional.ofNullable(settings.get(name)));
            assertThat(backend.getClass().getName()).isEqualTo(KataKubernetesBackend.class.getName());

            assertThat(backend.availability().report())
                    .as("read through the relocated client")
                    .anyMatch(l -> l.contains("RuntimeClass kata (handler kata-qemu)"));

            CompletableFuture<Throwable> start = CompletableFuture.supplyAsync(() -> {
                try {
                    backend.start(SandboxConfig.defaults().withBootTimeout(Duration.ofMinutes(2)))
                            .close();
                    return null;
                } catch (RuntimeException e) {
                    return e;
                }
            });
            Pod pod = null;
            while (pod == null) {
                List<Pod> pods = client.pods().inNamespace("sandboxes").list().getItems();
                pod = pods.isEmpty() ? null : pods.get(0);
                Thread.sleep(50);
            }
            assertThat(pod.getSpec().getRuntimeClassName()).isEqualTo("kata");
            client.pods()
                    .inNamespace("sandboxes")
                    .resource(new PodBuilder(pod)
                            .withStatus(new PodStatusBuilder()
                                    .withPhase("Pending")
                                    .withConditions(new PodConditionBuilder()
                                            .withType("PodScheduled")
                                            .withStatus("False")
                                            .withReason("Unschedulable")
                                            .withMessage("0/1 nodes are available: 1 Insufficient cpu.")
                                            .build())
                                    .build())
                            .build())
                    .updateStatus();
            assertThat(start.get(60, TimeUnit.SECONDS))
                    .isInstanceOf(SandboxException.class)
                    .hasMessageContaining("Unschedulable: 0/1 nodes are available: 1 Insufficient cpu.");
        } finally {
            properties.keySet().forEach(System::clearProperty);
            server.destroy();
        }
    }
}
