package dev.microvmsandbox.backend.kata.kubernetes;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;

/**
 * Through the engine, chosen by {@code microvm.sandbox.backend=kata-kubernetes}: two classes whose
 * sandboxes are far larger than this host's memory get their Pods at the same time, because Pods
 * take the cluster's memory, not the host's, and {@code parallel.maxSandboxes} alone bounds them.
 * fabric8's mock API server in CRUD mode stands in for the cluster (no API server can run here);
 * the test plays the scheduler, which finds no room for either Pod, so both classes fail with
 * Kubernetes' reason.
 */
class ClusterParallelismTest {

    private static final String A = "dev.microvmsandbox.fixtures.ClusterFixtureA";
    private static final String B = "dev.microvmsandbox.fixtures.ClusterFixtureB";
    private static final Map<String, String> CLIENT_PROPERTIES = Map.of(
            "kubernetes.auth.tryKubeConfig", "false",
            "kubernetes.auth.tryServiceAccount", "false",
            "kubernetes.namespace", "sandboxes");

    private KubernetesMockServer server;
    private KubernetesClient client;

    @BeforeEach
    void startApiServer() {
        server = new KubernetesMockServer(
                new Context(), new MockWebServer(), new HashMap<>(), new KubernetesCrudDispatcher(), false);
        server.init();
        client = server.createClient();
        CLIENT_PROPERTIES.forEach(System::setProperty);
        System.setProperty("kubernetes.master", client.getMasterUrl().toString());
    }

    @AfterEach
    void stopApiServer() {
        CLIENT_PROPERTIES.keySet().forEach(System::clearProperty);
        System.clearProperty("kubernetes.master");
        client.close();
        server.destroy();
    }

    @Test
    void podsLargerThanThisHostStartTogetherUpToTheSetting() throws Exception {
        CompletableFuture<Boolean> together = CompletableFuture.supplyAsync(this::failBothOnceBothExist);
        EngineExecutionResults results = EngineTestKit.engine("microvm-sandbox")
                .selectors(selectClass(A), selectClass(B))
                .configurationParameter("microvm.sandbox.backend", "kata-kubernetes")
                .configurationParameter("microvm.sandbox.kubernetes.image", "registry.example/sandbox:1")
                .configurationParameter("microvm.sandbox.kubernetes.runtimeClass", "kata")
                .configurationParameter("microvm.sandbox.parallel.enabled", "true")
                .configurationParameter("microvm.sandbox.parallel.maxSandboxes", "2")
                .execute();

        assertThat(together.get(5, TimeUnit.MINUTES))
                .as("both Pods existed at once")
                .isTrue();
        List<Throwable> failures = results.containerEvents().failed().stream()
                .map(e -> e.getRequiredPayload(TestExecutionResult.class)
                        .getThrowable()
                        .orElseThrow())
                .toList();
        assertThat(failures)
                .hasSize(2)
                .allSatisfy(t -> assertThat(t.getMessage())
                        .contains("Unschedulable: 0/3 nodes are available: 3 Insufficient memory.")
                        .contains("the Pod asks for 256g of memory"));
    }

    /** The scheduler: once both Pods are there, neither fits anywhere. */
    private boolean failBothOnceBothExist() {
        while (true) {
            List<Pod> pods = client.pods().inNamespace("sandboxes").list().getItems();
            if (pods.size() == 2) {
                for (Pod pod : pods) {
                    client.pods()
                            .inNamespace("sandboxes")
                            .resource(new PodBuilder(pod)
                                    .withStatus(new PodStatusBuilder()
                                            .withPhase("Pending")
                                            .withConditions(new PodConditionBuilder()
                                                    .withType("PodScheduled")
                                                    .withStatus("False")
                                                    .withReason("Unschedulable")
                                                    .withMessage("0/3 nodes are available: 3 Insufficient memory.")
                                                    .build())
                                            .build())
                                    .build())
                            .updateStatus();
                }
                return true;
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }
}
