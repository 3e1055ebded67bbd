package dev.microvmsandbox.engine;

import java.util.List;
import org.junit.platform.engine.UniqueId;

/**
 * Maps the guest's Jupiter unique ids onto host ids and back: only the engine segment differs,
 * so a host id selected again (an IDE's "rerun") names the same guest test.
 */
final class GuestIds {

    static final String GUEST_ENGINE = "junit-jupiter";
    static final int MAX_LENGTH = 4096;
    static final int MAX_SEGMENTS = 32;

    private GuestIds() {}

    /**
     * @throws IllegalArgumentException when the text is not a Jupiter unique id of a sane size
     */
    static UniqueId toHost(String guestId) {
        if (guestId == null || guestId.isEmpty() || guestId.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("unique id missing or longer than " + MAX_LENGTH);
        }
        UniqueId parsed;
        try {
            parsed = UniqueId.parse(guestId);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("not a unique id: " + e.getMessage());
        }
        List<UniqueId.Segment> segments = parsed.getSegments();
        if (segments.size() > MAX_SEGMENTS) {
            throw new IllegalArgumentException("unique id with more than " + MAX_SEGMENTS + " segments");
        }
        if (!segments.get(0).getType().equals("engine")
                || !segments.get(0).getValue().equals(GUEST_ENGINE)) {
            throw new IllegalArgumentException("unique id of another engine than " + GUEST_ENGINE);
        }
        UniqueId host = UniqueId.forEngine(MicroVmSandboxEngine.ENGINE_ID);
        for (UniqueId.Segment s : segments.subList(1, segments.size())) {
            host = host.append(s.getType(), s.getValue());
        }
        return host;
    }

    static String toGuest(UniqueId hostId) {
        UniqueId guest = UniqueId.forEngine(GUEST_ENGINE);
        List<UniqueId.Segment> segments = hostId.getSegments();
        for (UniqueId.Segment s : segments.subList(1, segments.size())) {
            guest = guest.append(s.getType(), s.getValue());
        }
        return guest.toString();
    }
}
