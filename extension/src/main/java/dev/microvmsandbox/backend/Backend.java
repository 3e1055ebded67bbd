package dev.microvmsandbox.backend;

import java.util.List;
import org.apiguardian.api.API;

/**
 * Makes sandboxes. The QEMU backend is the default; others (Kata through a container runtime,
 * Kata on Kubernetes) fit the same shape: boot with limits, a channel to the guest agent, files in
 * and out, destroy.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public interface Backend {

    /** A short name, the one {@code microvm.sandbox.backend} takes: {@code qemu}. */
    String name();

    /**
     * Whether this backend can run here, and if not, exactly what to do about it. Cheap enough to
     * ask before every run: it looks, it does not boot.
     */
    Availability availability();

    /**
     * Boots a sandbox and waits until its guest agent is ready.
     *
     * @throws SandboxException with a message naming the fix when the host cannot run it, and the
     *                          guest's console tail when the guest failed to boot
     */
    Sandbox start(SandboxConfig config);

    /**
     * Whether this backend's sandboxes take this host's memory, so that the engine counts them
     * against what the host has when classes run in parallel; a cluster's sandboxes do not.
     */
    default boolean usesHostMemory() {
        return true;
    }

    /**
     * The result of a host check.
     *
     * @param usable  whether {@link #start} can succeed
     * @param report  one line per check, each saying what was found and, if wrong, the fix
     */
    record Availability(boolean usable, List<String> report) {

        public Availability {
            report = List.copyOf(report);
        }

        /** The report's lines that make the backend unusable, without their {@code FAIL} mark. */
        public List<String> problems() {
            return report.stream()
                    .filter(line -> line.startsWith(FAIL))
                    .map(line -> line.substring(FAIL.length()).strip())
                    .toList();
        }

        /** How a report line that makes the backend unusable begins. */
        public static final String FAIL = "FAIL";
    }
}
