package dev.microvmsandbox.backend.kata;

import java.util.List;
import java.util.Locale;
import org.apiguardian.api.API;

/**
 * Whether a container runtime puts a virtual machine between the sandbox and the host. Only a
 * VM runtime gives the sandbox its own kernel; the Kata backends refuse any other unless
 * {@value #ALLOW_SETTING}{@code =true} says that running without a VM boundary is intended (for
 * trying the backend out and for this project's own tests, never for untrusted code).
 *
 * @param runtime the runtime's name as the engine or cluster knows it
 *                ({@code io.containerd.kata.v2}, {@code kata}, {@code crun}, a RuntimeClass)
 * @param vm      whether the name is one of a VM runtime
 */
@API(status = API.Status.INTERNAL)
public record VmBoundary(String runtime, boolean vm) {

    /** The setting, a configuration parameter, that lets a runtime without a VM run the sandbox. */
    public static final String ALLOW_SETTING = "microvm.sandbox.kata.allowNoVmBoundary";

    /**
     * Parts of the names VM runtimes go by: Kata Containers ({@code io.containerd.kata.v2},
     * {@code kata-qemu}, {@code kata-clh}, {@code kata-fc}), Firecracker's containerd runtime
     * ({@code aws.firecracker}) and libkrun ({@code krun}). runc, crun, youki and gVisor's runsc
     * share or emulate the host kernel's interface in a process: no VM.
     */
    private static final List<String> VM_RUNTIME_MARKS = List.of("kata", "firecracker", "krun");

    public static VmBoundary of(String runtime) {
        String name = runtime == null ? "" : runtime.toLowerCase(Locale.ROOT);
        return new VmBoundary(
                runtime, !name.isBlank() && VM_RUNTIME_MARKS.stream().anyMatch(name::contains));
    }

    /** One line for the log and for {@code Sandbox.acceleration()}: which boundary the sandbox has. */
    public String describe() {
        return vm
                ? "boundary: a VM with its own kernel (runtime " + runtime + ")"
                : "boundary: NONE, runtime " + runtime + " shares the host's kernel (allowed by " + ALLOW_SETTING
                        + "=true; not for untrusted code)";
    }

    /** Why the backends refuse this runtime, and what to do, for a runtime that is not a VM one. */
    public String refusal(String runtimeSetting, String example) {
        return "runtime " + runtime + " is not a VM runtime: the sandbox would share the host's kernel, "
                + "so there would be no VM boundary between the tests and the host. Fix: set " + runtimeSetting
                + " to a Kata Containers runtime (" + example + "), or, to try the backend without that "
                + "boundary (never for untrusted code), set " + ALLOW_SETTING + "=true";
    }
}
