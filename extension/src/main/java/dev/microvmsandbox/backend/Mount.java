package dev.microvmsandbox.backend;

import java.nio.file.Path;
import java.util.Objects;
import org.apiguardian.api.API;

/**
 * A host folder shown read-only inside the guest.
 *
 * @param hostPath  an existing host directory
 * @param guestPath an absolute path in the guest, under which the folder appears
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record Mount(Path hostPath, String guestPath) {

    private static final java.util.regex.Pattern GUEST_PATH =
            java.util.regex.Pattern.compile("/[A-Za-z0-9._/-]{1,255}");

    public Mount {
        Objects.requireNonNull(hostPath, "hostPath");
        if (guestPath == null || !GUEST_PATH.matcher(guestPath).matches() || guestPath.contains("..")) {
            throw new IllegalArgumentException(
                    "guest path must be absolute, of letters, digits and ._-/ only, without '..': " + guestPath);
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
