package dev.microvmsandbox.backend;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A host folder shown read-only inside the guest.
 *
 * @param hostPath  an existing host directory
 * @param guestPath an absolute path in the guest, under which the folder appears
 */
public record Mount(Path hostPath, String guestPath) {

    public Mount {
        Objects.requireNonNull(hostPath, "hostPath");
        if (guestPath == null || !guestPath.startsWith("/") || guestPath.contains("..") || guestPath.contains(",")) {
            throw new IllegalArgumentException("guest path must be absolute, without '..' or ',': " + guestPath);
        }
    }

    /** Parses {@code HOST_DIR:GUEST_DIR}. */
    public static Mount parse(String spec) {
        int colon = spec.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("'" + spec + "' is not a mount; write it like /srv/data:/data");
        }
        return new Mount(Path.of(spec.substring(0, colon)), spec.substring(colon + 1));
    }
}
