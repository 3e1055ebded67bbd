package dev.microvmsandbox.backend.qemu;

/** What the host accepts from a guest. */
final class HostLimits {

    /** Largest frame payload read from a guest: bigger ones are a protocol violation. */
    static final int MAX_FRAME = 1 << 20;

    private HostLimits() {}
}
