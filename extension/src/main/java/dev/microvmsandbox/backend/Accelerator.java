package dev.microvmsandbox.backend;

/** How the VM's CPU is provided. */
public enum Accelerator {
    /** KVM where the host has usable KVM, TCG emulation otherwise. */
    AUTO,
    /** Hardware virtualisation only; fails when KVM is not usable. */
    KVM,
    /** QEMU's software emulation: works everywhere, slow, and by QEMU's own policy no security boundary. */
    TCG
}
