package dev.microvmsandbox.backend.kata.kubernetes;

import dev.microvmsandbox.backend.ByteSize;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.kata.ContainerRecipe;
import dev.microvmsandbox.backend.kata.RunOwner;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import java.util.Map;

/**
 * The Pod of one sandbox: the sandbox image in the Kata RuntimeClass, non-privileged with the
 * recipe's capabilities, resource limits equal to its requests (Kata sizes the VM from the limits
 * and delegates the io controller only then), no service account token, no host path, no host
 * namespace, stdin kept open for the host's files and the channel and closed after the first
 * attach ends, so a Pod whose host went away stops by itself. {@code activeDeadlineSeconds} ends
 * it at the latest when its sandbox's time is over, even if nobody is left to delete it.
 */
final class SandboxPod {

    private SandboxPod() {}

    static Pod build(
            String name, String namespace, KataKubernetesSettings settings, SandboxConfig config, RunOwner owner) {
        String image = settings.image().orElseThrow();
        Map<String, Quantity> limits = Map.of(
                "memory", mebibytes(config.memory()),
                "cpu", new Quantity(Integer.toString(config.cpus())),
                "ephemeral-storage", mebibytes(config.disk()));
        PodBuilder pod = new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .withNamespace(namespace)
                .withLabels(owner.labels())
                .endMetadata()
                .withNewSpec()
                .withRuntimeClassName(settings.runtimeClass())
                .withRestartPolicy("Never")
                .withAutomountServiceAccountToken(false)
                .withEnableServiceLinks(false)
                .withHostNetwork(false)
                .withHostPID(false)
                .withHostIPC(false)
                .withActiveDeadlineSeconds(
                        config.timeout().plus(config.bootTimeout()).toSeconds())
                .withTerminationGracePeriodSeconds(5L)
                .addNewContainer()
                .withName(ContainerRecipe.NAME)
                .withImage(image)
                .withImagePullPolicy("IfNotPresent")
                .withArgs(ContainerRecipe.ARGUMENTS)
                .withStdin(true)
                .withStdinOnce(true)
                .withTty(false)
                .withNewSecurityContext()
                .withPrivileged(false)
                .withNewCapabilities()
                .withAdd(ContainerRecipe.CAPABILITIES)
                .endCapabilities()
                .endSecurityContext()
                .withNewResources()
                .withLimits(limits)
                .withRequests(limits)
                .endResources()
                .endContainer()
                .endSpec();
        settings.imagePullSecret()
                .ifPresent(
                        secret -> pod.editSpec().addNewImagePullSecret(secret).endSpec());
        return pod.build();
    }

    /** {@code 2048Mi}: sizes come in whole mebibytes at least, and read as Kubernetes writes them. */
    private static Quantity mebibytes(ByteSize size) {
        return new Quantity(size.mebibytes() + "Mi");
    }
}
