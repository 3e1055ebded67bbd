package dev.microvmsandbox.backend.kata.kubernetes;

import dev.microvmsandbox.backend.kata.VmBoundary;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@code kata-kubernetes} backend's settings, read from configuration parameters.
 *
 * @param image             the sandbox image in a registry the cluster's nodes pull from; the backend
 *                          is not configured without it
 * @param namespace         where the sandbox Pods go; empty: the client's (kubeconfig or in-cluster)
 * @param context           the kubeconfig context; empty: the current one
 * @param runtimeClass      the RuntimeClass of the Pods, a Kata one
 * @param imagePullSecret   a Secret for a private registry, if any
 * @param allowNoVmBoundary whether a RuntimeClass that is not a VM runtime may run the sandbox
 */
record KataKubernetesSettings(
        Optional<String> image,
        Optional<String> namespace,
        Optional<String> context,
        String runtimeClass,
        Optional<String> imagePullSecret,
        boolean allowNoVmBoundary) {

    static final String PREFIX = "microvm.sandbox.kubernetes.";
    static final String IMAGE = PREFIX + "image";
    static final String NAMESPACE = PREFIX + "namespace";
    static final String CONTEXT = PREFIX + "context";
    static final String RUNTIME_CLASS = PREFIX + "runtimeClass";
    static final String IMAGE_PULL_SECRET = PREFIX + "imagePullSecret";
    static final String DEFAULT_RUNTIME_CLASS = "kata";

    /**
     * @throws IllegalArgumentException naming the parameter that is wrong and an example of a right value
     */
    static KataKubernetesSettings read(Function<String, Optional<String>> parameters) {
        Optional<String> allow = value(parameters, VmBoundary.ALLOW_SETTING);
        boolean allowNoVm = false;
        if (allow.isPresent()) {
            String v = allow.get().toLowerCase(Locale.ROOT);
            if (!v.equals("true") && !v.equals("false")) {
                throw new IllegalArgumentException(VmBoundary.ALLOW_SETTING + "=" + allow.get()
                        + " is wrong (not true or false); write it like " + VmBoundary.ALLOW_SETTING + "=true");
            }
            allowNoVm = v.equals("true");
        }
        Optional<String> namespace = value(parameters, NAMESPACE);
        if (namespace.isPresent() && !namespace.get().matches("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?")) {
            throw new IllegalArgumentException(NAMESPACE + "=" + namespace.get()
                    + " is wrong (not a namespace name); write it like " + NAMESPACE + "=ci-sandboxes");
        }
        String runtimeClass = value(parameters, RUNTIME_CLASS).orElse(DEFAULT_RUNTIME_CLASS);
        if (!runtimeClass.matches("[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?")) {
            throw new IllegalArgumentException(RUNTIME_CLASS + "=" + runtimeClass
                    + " is wrong (not a RuntimeClass name); write it like " + RUNTIME_CLASS + "=kata-qemu");
        }
        return new KataKubernetesSettings(
                value(parameters, IMAGE),
                namespace,
                value(parameters, CONTEXT),
                runtimeClass,
                value(parameters, IMAGE_PULL_SECRET),
                allowNoVm);
    }

    private static Optional<String> value(Function<String, Optional<String>> parameters, String name) {
        return parameters.apply(name).map(String::trim).filter(s -> !s.isEmpty());
    }
}
