package dev.microvmsandbox.guest;

import java.util.LinkedHashMap;
import java.util.Map;

/** How long each step of an attach took, in milliseconds, in the order they ran: for the host's breakdown. */
final class AttachSteps {

    private final Map<String, Long> millis = new LinkedHashMap<>();
    private long since = System.nanoTime();

    /** The step {@code name} ended now; it began when the one before it ended. */
    void done(String name) {
        long now = System.nanoTime();
        millis.put(name, (now - since) / 1_000_000);
        since = now;
    }

    Map<String, Long> millis() {
        return Map.copyOf(millis);
    }
}
