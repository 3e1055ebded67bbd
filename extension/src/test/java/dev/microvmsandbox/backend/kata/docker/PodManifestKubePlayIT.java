package dev.microvmsandbox.backend.kata.docker;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.kata.ContainerRecipe;
import dev.microvmsandbox.backend.kata.kubernetes.KataKubernetesBackend;
import dev.microvmsandbox.guestimage.SandboxImageArchive;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The Pod manifest the {@code kata-kubernetes} backend creates, played by podman
 * ({@code podman kube play}) against the host's own podman: the sandbox image starts in the Pod's
 * shape (non-privileged, the recipe's capabilities, its limits) and its bootstrap gets podman to
 * answer inside. podman 4.3 ignores {@code stdin: true}, so the bootstrap then finds no files on
 * its stdin and says so; the agent over the same container contract is {@code KataDockerIT}'s.
 */
class PodManifestKubePlayIT {

    private static final SandboxConfig CONFIG = SandboxConfig.defaults().withMemory("1g");

    @Test
    void theGeneratedPodBringsTheBootstrapToReady() throws Exception {
        Path runDir = Files.createTempDirectory("msb-kube-play-");
        try (HostPodman podman = HostPodman.start(Path.of("target/host-podman/storage"), runDir)) {
            SandboxImageArchive archive = SandboxImageArchive.resolve();
            if (!podman.podman("images", "--format", "{{.Repository}}:{{.Tag}}").contains(archive.imageName())) {
                podman.podman("load", "-i", archive.archive().toString());
            }
            Map<String, String> settings = Map.of("microvm.sandbox.kubernetes.image", archive.imageName());
            String manifest =
                    KataKubernetesBackend.podManifest(name -> Optional.ofNullable(settings.get(name)), CONFIG);
            Path file = Files.writeString(runDir.resolve("sandbox-pod.yaml"), manifest);
            String podName = manifest.lines()
                    .filter(l -> l.startsWith("  name: "))
                    .map(l -> l.substring("  name: ".length()).replace("\"", "").strip())
                    .findFirst()
                    .orElseThrow();
            String container = podName + "-" + ContainerRecipe.NAME;
            try {
                podman.podman("kube", "play", "--network", "none", file.toString());
                String logs = "";
                long deadline =
                        System.currentTimeMillis() + CONFIG.bootTimeout().toMillis();
                while (!logs.contains("MSB-READY") && System.currentTimeMillis() < deadline) {
                    Thread.sleep(200);
                    logs = podman.podman("logs", container);
                }
                System.out.println("bootstrap in the played Pod:\n" + logs);
                assertThat(logs).as("the bootstrap's console").contains("MSB-READY");
                assertThat(logs).doesNotContain("cannot delegate").doesNotContain("cannot remount");

                assertThat(podman.podman("inspect", "--format", "{{.HostConfig.Privileged}}", container)
                                .strip())
                        .isEqualTo("false");
                assertThat(podman.podman("inspect", "--format", "{{.HostConfig.Memory}}", container)
                                .strip())
                        .isEqualTo(Long.toString(1L << 30));
                String caps = podman.podman("inspect", "--format", "{{.EffectiveCaps}}", container);
                List<String> expected = ContainerRecipe.CAPABILITIES.stream()
                        // a capability this host's own bounding set lacks cannot reach any container
                        .filter(c -> !c.equals("SYS_RESOURCE")
                                || HostEngineConditions.ofThisHost().hasCapability(24))
                        .toList();
                for (String cap : expected) {
                    assertThat(caps).as("effective capabilities").contains("CAP_" + cap);
                }
            } finally {
                podman.podman("pod", "rm", "-f", podName);
            }
        } finally {
            try (Stream<Path> files = Files.walk(runDir)) {
                files.sorted(Comparator.reverseOrder()).map(Path::toFile).forEach(File::delete);
            }
        }
    }
}
