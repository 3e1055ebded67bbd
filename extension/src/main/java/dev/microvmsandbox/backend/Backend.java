package dev.microvmsandbox.backend;

import dev.microvmsandbox.backend.qemu.QemuBackend;

/**
 * Makes sandboxes. The QEMU backend is the default; others (Kata through a container runtime,
 * Kata on Kubernetes) fit the same shape: boot with limits, a channel to the guest agent, files in
 * and out, destroy.
 */
public interface Backend {

    /** A short name: {@code qemu}. */
    String name();

    /** Whether this backend can run here, and if not, exactly what to do about it. */
    Availability availability();

    /**
     * Boots a sandbox and waits until its guest agent is ready.
     *
     * @throws SandboxException with a message naming the fix when the host cannot run it, and the
     *                          guest's console tail when the guest failed to boot
     */
    Sandbox start(SandboxConfig config);

    /** The default backend: QEMU with KVM where usable, TCG emulation otherwise. */
    static Backend qemu() {
        return QemuBackend.create();
    }

    /**
     * The result of a host check.
     *
     * @param usable  whether {@link #start} can succeed
     * @param report  one line per check, each saying what was found and, if wrong, the fix
     */
    record Availability(boolean usable, java.util.List<String> report) {
    }
}
