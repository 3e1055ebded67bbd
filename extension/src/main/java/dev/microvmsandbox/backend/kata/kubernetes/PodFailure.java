package dev.microvmsandbox.backend.kata.kubernetes;

import io.fabric8.kubernetes.api.model.ContainerStateTerminated;
import io.fabric8.kubernetes.api.model.ContainerStateWaiting;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Why a sandbox Pod cannot start, in Kubernetes' own words, and what to do about it: the
 * scheduler finds no node, the image cannot be pulled, the RuntimeClass does not exist or its
 * handler is missing on the node, the account may not create Pods, the Pod ended early.
 */
final class PodFailure {

    static final String RBAC_FIX = "bind the Role from the README's Kubernetes section (pods: create, get, list, "
            + "delete; pods/attach: create) to the account the tests run as";

    private static final Set<String> IMAGE_PULL =
            Set.of("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "ErrImageNeverPull");
    private static final Set<String> CONTAINER_CREATE =
            Set.of("CreateContainerConfigError", "CreateContainerError", "RunContainerError");

    private PodFailure() {}

    /** What the API server's refusal to create the Pod means. */
    static String ofCreate(KubernetesClientException e, String namespace, String runtimeClass) {
        String said = said(e);
        if (said.contains("RuntimeClass")) {
            return "Kubernetes refused the sandbox Pod: the cluster has no RuntimeClass " + runtimeClass
                    + " (Kubernetes says: " + said + "). Fix: install Kata Containers on the cluster (kata-deploy "
                    + "creates its RuntimeClasses), then set " + KataKubernetesSettings.RUNTIME_CLASS
                    + " to one that kubectl get runtimeclass lists";
        }
        if (e.getCode() == 401) {
            return "Kubernetes does not accept the client's credentials (Kubernetes says: " + said
                    + "). Fix: check the kubeconfig (KUBECONFIG, ~/.kube/config) or the service account the tests run as";
        }
        if (e.getCode() == 403) {
            return "Kubernetes does not let this account create the sandbox Pod in namespace " + namespace
                    + " (Kubernetes says: " + said + "). Fix: " + RBAC_FIX;
        }
        if (e.getCode() == 404) {
            return "Kubernetes has no namespace " + namespace + " (Kubernetes says: " + said + "). Fix: create it, "
                    + "or set " + KataKubernetesSettings.NAMESPACE;
        }
        return "Kubernetes refused the sandbox Pod (Kubernetes says: " + said + ")";
    }

    /**
     * Why {@code pod} will not become ready, if its status already says so; {@code events} are the
     * Pod's events, newest last (empty where they cannot be read).
     */
    static Optional<String> ofStatus(Pod pod, List<Event> events, KataKubernetesSettings settings, String resources) {
        String name = pod.getMetadata().getName();
        String describe =
                " (kubectl describe pod " + name + " -n " + pod.getMetadata().getNamespace() + ")";
        var status = pod.getStatus();
        if (status == null) {
            return Optional.empty();
        }
        for (PodCondition c : nullSafe(status.getConditions())) {
            if ("PodScheduled".equals(c.getType())
                    && "False".equals(c.getStatus())
                    && "Unschedulable".equals(c.getReason())) {
                return Optional.of("Kubernetes cannot schedule the sandbox Pod " + name + ": Unschedulable: "
                        + c.getMessage()
                        + ". Fix: lower microvm.sandbox.memory or microvm.sandbox.cpus (the Pod asks for "
                        + resources + "), or add nodes with room that run RuntimeClass " + settings.runtimeClass()
                        + describe);
            }
        }
        for (ContainerStatus cs : nullSafe(status.getContainerStatuses())) {
            ContainerStateWaiting waiting =
                    cs.getState() == null ? null : cs.getState().getWaiting();
            if (waiting != null && IMAGE_PULL.contains(waiting.getReason())) {
                return Optional.of("Kubernetes cannot pull the sandbox image "
                        + settings.image().orElse("?") + ": "
                        + waiting.getReason() + ": " + waiting.getMessage()
                        + ". Fix: push the sandbox image (the archive "
                        + "of image --oci) to a registry the nodes reach and set " + KataKubernetesSettings.IMAGE
                        + " to it; for a private registry also set " + KataKubernetesSettings.IMAGE_PULL_SECRET
                        + describe);
            }
            if (waiting != null && CONTAINER_CREATE.contains(waiting.getReason())) {
                return Optional.of("Kubernetes cannot create the sandbox container: " + waiting.getReason() + ": "
                        + waiting.getMessage() + describe);
            }
            ContainerStateTerminated ended =
                    cs.getState() == null ? null : cs.getState().getTerminated();
            if (ended != null) {
                return Optional.of("the sandbox Pod " + name + " ended before its guest was ready: " + terminated(ended)
                        + describe);
            }
        }
        if ("Failed".equals(status.getPhase()) || "Succeeded".equals(status.getPhase())) {
            return Optional.of(
                    "the sandbox Pod " + name + " ended before its guest was ready: phase " + status.getPhase()
                            + (status.getReason() == null ? "" : ", " + status.getReason() + ": " + status.getMessage())
                            + describe);
        }
        for (Event e : events) {
            if ("FailedCreatePodSandBox".equals(e.getReason())) {
                return Optional.of("the node cannot start the sandbox Pod " + name + " with RuntimeClass "
                        + settings.runtimeClass() + ": FailedCreatePodSandBox: " + e.getMessage()
                        + ". Fix: install Kata "
                        + "Containers on the nodes this RuntimeClass selects (kata-deploy), or set "
                        + KataKubernetesSettings.RUNTIME_CLASS + describe);
            }
        }
        return Optional.empty();
    }

    /** How a sandbox container ended, from its terminated state. */
    static String terminated(ContainerStateTerminated ended) {
        StringBuilder s = new StringBuilder("exited with status " + ended.getExitCode());
        if (ended.getReason() != null) {
            s.append(" (").append(ended.getReason()).append(')');
        }
        if ("OOMKilled".equals(ended.getReason())) {
            s.append(", killed for using more memory than its limit");
        }
        if (ended.getMessage() != null && !ended.getMessage().isBlank()) {
            s.append(": ").append(ended.getMessage().strip());
        }
        return s.toString();
    }

    private static String said(KubernetesClientException e) {
        if (e.getStatus() != null && e.getStatus().getMessage() != null) {
            return e.getStatus().getMessage();
        }
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse("").strip();
    }

    private static <T> List<T> nullSafe(List<T> list) {
        return list == null ? List.of() : list;
    }
}
