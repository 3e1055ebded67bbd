package dev.microvmsandbox.backend.qemu;

import dev.microvmsandbox.backend.SandboxException;

/**
 * A guest that came up but could not take this sandbox's own setup (its thread limit, its shares'
 * mounts). The configuration is at fault, not a template: a restore that ends in one keeps its
 * template, and no boot is tried, which would meet the same setup.
 */
final class SandboxSetupFailure extends SandboxException {

    private static final long serialVersionUID = 1L;

    SandboxSetupFailure(String message) {
        super(message);
    }
}
