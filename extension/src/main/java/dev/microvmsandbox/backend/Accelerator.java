package dev.microvmsandbox.backend;

import org.apiguardian.api.API;

/** How the VM's CPU is provided. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public enum Accelerator {
    /** KVM where the host has usable KVM, TCG emulation otherwise. */
    AUTO,
    /** Hardware virtualisation only; fails when KVM is not usable. */
    KVM,
    /** QEMU's software emulation: works everywhere, slow, and by QEMU's own policy no security boundary. */
    TCG
}
