package dev.microvmsandbox;

import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.TimeLimit;
import java.time.Duration;

/**
 * Every bound this project's tests wait with comes from here: a base sized for a busy machine of
 * the development kind (2 cores, QEMU under TCG emulation, other builds running), times one
 * scale, the system property {@value #PROPERTY} (default 1; the Maven property {@code
 * test.timeScale} sets it for Surefire, Failsafe and the Invoker projects). A slower machine
 * raises the scale, never a bound. A bound only stops a test that hangs: no test asserts that
 * something finished within a time, except the run timeouts whose job that is.
 */
public final class WaitBounds {

    public static final String PROPERTY = "microvm.sandbox.test.timeScale";

    /** One VM booted to a ready guest, the guest image already built: the backend's own boot timeout. */
    public static final Duration BOOT = scaled(Duration.ofMinutes(3));

    /** The guest image built from its recipe (mmdebstrap from Debian packages), then a boot. */
    public static final Duration IMAGE_BUILD_AND_BOOT = scaled(Duration.ofMinutes(20));

    /** A host-side step that should be instant (a process reaped, a thread done, a socket up). */
    public static final Duration HOST_STEP = scaled(Duration.ofSeconds(30));

    private WaitBounds() {}

    /** The time scale; a wrong value fails the test that reads it, naming the property. */
    public static double scale() {
        String value = System.getProperty(PROPERTY, "1").trim();
        try {
            double scale = Double.parseDouble(value.isEmpty() ? "1" : value);
            if (scale >= 1 && scale <= 100) {
                return scale;
            }
        } catch (NumberFormatException e) {
            // falls through to the explanation
        }
        throw new IllegalArgumentException(
                PROPERTY + "=" + value + " is not a time scale; write it like " + PROPERTY + "=3 (1 to 100)");
    }

    /** The default sandbox configuration, with {@link #BOOT} as its boot timeout. */
    public static SandboxConfig sandboxConfig() {
        return SandboxConfig.defaults().withBootTimeout(BOOT);
    }

    /** {@link #BOOT} as the engine's {@code microvm.sandbox.bootTimeout} or the command line's {@code --boot-timeout}. */
    public static String bootTimeout() {
        return TimeLimit.format(BOOT);
    }

    /** {@code base} times the scale. */
    public static Duration scaled(Duration base) {
        return Duration.ofMillis(Math.round(base.toMillis() * scale()));
    }
}
