package dev.microvmsandbox.backend.qemu;

/** What the host accepts from a guest. */
final class HostLimits {

    /** Largest frame payload read from a guest: bigger ones are a protocol violation. */
    static final int MAX_FRAME = 1 << 20;

    /** Longest guest text (an error it reports) put into a host message. */
    static final int MAX_GUEST_TEXT = 2000;

    /** {@code text} from the guest, no longer than {@link #MAX_GUEST_TEXT}, its control characters as '?'. */
    static String guestText(String text) {
        if (text == null) {
            return "(nothing)";
        }
        String cut = text.length() > MAX_GUEST_TEXT ? text.substring(0, MAX_GUEST_TEXT) + "..." : text;
        return cut.strip().replaceAll("[\\p{Cntrl}&&[^\\n]]", "?");
    }

    private HostLimits() {}
}
