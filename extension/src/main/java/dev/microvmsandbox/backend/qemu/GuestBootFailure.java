package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.SandboxException;

/**
 * A guest that did not come up: qemu ended, the kernel or the bootstrap failed, or the agent did
 * not connect in time. A template is made by such a boot too, so a template build that ends in
 * one fails its sandbox as a plain boot would, instead of booting the same guest a second time.
 */
final class GuestBootFailure extends SandboxException {

    private static final long serialVersionUID = 1L;

    GuestBootFailure(String message) {
        super(message);
    }
}
