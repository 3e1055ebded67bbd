package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.Accelerator;
import dev.microvmsandbox.backend.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/** Decides between KVM and TCG for this host, and explains the choice in one line. */
final class AcceleratorProbe {

    /** The accelerator QEMU gets, and the sentence that explains why. */
    record Choice(Accelerator accelerator, String reason) {
        boolean isKvm() {
            return accelerator == Accelerator.KVM;
        }
    }

    static final String TCG_WARNING = "TCG emulation is slow and, by QEMU's own security policy, no security boundary";
    /** How to get usable KVM. */
    static final String ENABLE_KVM_ONLY = "enable hardware virtualisation (on a cloud VM: nested virtualisation; "
            + "on a laptop: VT-x/AMD-V in the firmware), make /dev/kvm read-writable for this user";

    /** How to get usable KVM, or to run without it. */
    static final String ENABLE_KVM = ENABLE_KVM_ONLY + ", or set microvm.sandbox.accelerator=tcg to run emulated";

    private final Path root;

    AcceleratorProbe(Path root) {
        this.root = root;
    }

    AcceleratorProbe() {
        this(Path.of("/"));
    }

    /** Why KVM cannot be used here, or empty when it can. */
    Optional<String> kvmProblem() {
        Path kvm = root.resolve("dev/kvm");
        if (!Files.exists(kvm)) {
            return Optional.of("/dev/kvm does not exist");
        }
        if (!Files.isReadable(kvm) || !Files.isWritable(kvm)) {
            return Optional.of("/dev/kvm is not read-writable for this user");
        }
        if (Files.exists(root.resolve("sys/module/kvm_pvm"))) {
            return Optional.of("/dev/kvm is a PVM host (kvm_pvm), which runs only PVM-built guest kernels");
        }
        try {
            String cpuinfo = Files.readString(root.resolve("proc/cpuinfo"));
            if (!cpuinfo.matches("(?s).*\\bflags\\s*:.*\\b(vmx|svm)\\b.*")) {
                return Optional.of("the CPU shows no vmx/svm flag");
            }
        } catch (IOException e) {
            return Optional.of("cannot read /proc/cpuinfo: " + e.getMessage());
        }
        return Optional.empty();
    }

    Choice choose(Accelerator wanted, boolean requireHardwareIsolation) {
        Optional<String> problem = kvmProblem();
        Choice choice = switch (wanted) {
            case TCG -> new Choice(Accelerator.TCG, "TCG because microvm.sandbox.accelerator=tcg");
            case KVM -> {
                if (problem.isPresent()) {
                    throw new SandboxException(
                            "KVM was asked for but is not usable: " + problem.get() + ". Fix: " + ENABLE_KVM + ".");
                }
                yield new Choice(Accelerator.KVM, "KVM because microvm.sandbox.accelerator=kvm");
            }
            case AUTO ->
                problem.map(p -> new Choice(Accelerator.TCG, "TCG because " + p))
                        .orElseGet(() -> new Choice(Accelerator.KVM, "KVM because /dev/kvm is usable"));
        };
        if (requireHardwareIsolation && !choice.isKvm()) {
            throw new SandboxException("refusing to run: microvm.sandbox.requireKvm=true but this sandbox would use "
                    + choice.reason() + ", and " + TCG_WARNING + ". Fix: "
                    + ENABLE_KVM_ONLY + ".");
        }
        return choice;
    }
}
