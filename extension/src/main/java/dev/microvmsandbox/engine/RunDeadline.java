package dev.microvmsandbox.engine;

import dev.microvmsandbox.backend.TimeLimit;
import java.time.Duration;
import java.util.Optional;
import org.junit.platform.engine.ConfigurationParameters;

/**
 * The wall-clock limit of a whole engine run ({@code microvm.sandbox.runTimeout}, default 2h):
 * classes that would start after it fail at once instead of running. A class already running is
 * bounded by its own timeout.
 */
final class RunDeadline {

    static final String PARAMETER = SandboxSettings.PREFIX + "runTimeout";
    static final Duration DEFAULT = Duration.ofHours(2);

    private final long deadlineNanos;
    private final String description;
    private final String error;

    private RunDeadline(Duration limit, String description, String error) {
        this.deadlineNanos = System.nanoTime() + limit.toNanos();
        this.description = description;
        this.error = error;
    }

    static RunDeadline from(ConfigurationParameters parameters) {
        Optional<String> value = parameters.get(PARAMETER).filter(v -> !v.isBlank());
        if (value.isEmpty()) {
            return new RunDeadline(DEFAULT, "2h", null);
        }
        try {
            return new RunDeadline(TimeLimit.parse(value.get()), value.get().trim(), null);
        } catch (IllegalArgumentException e) {
            return new RunDeadline(
                    Duration.ZERO,
                    value.get(),
                    PARAMETER + "=" + value.get() + " is wrong (" + e.getMessage() + "); write it like " + PARAMETER
                            + "=2h");
        }
    }

    /** Why no more classes may start, if that is so. */
    Optional<String> problem() {
        if (error != null) {
            return Optional.of(error);
        }
        if (System.nanoTime() - deadlineNanos >= 0) {
            return Optional.of("the run's timeout of " + description + " (" + PARAMETER + ") passed");
        }
        return Optional.empty();
    }
}
