package dev.microvmsandbox.backend.qemu;

/** What the host accepts from a guest. */
final class HostLimits {

    /** Largest frame payload read from a guest: bigger ones are a protocol violation. */
    static final int MAX_FRAME = 1 << 20;

    /** Longest guest text (an error it reports) put into a host message. */
    static final int MAX_GUEST_TEXT = 2000;

    /** {@code text} from the guest, no longer than {@link #MAX_GUEST_TEXT}, {@linkplain #clean cleaned}. */
    static String guestText(String text) {
        if (text == null) {
            return "(nothing)";
        }
        String cut = text.length() > MAX_GUEST_TEXT ? text.substring(0, MAX_GUEST_TEXT) + "..." : text;
        return clean(cut).strip();
    }

    /** Guest text without control characters (ESC sequences lose their ESC), newlines and tabs kept. */
    static String clean(String text) {
        StringBuilder kept = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n' || (c >= 0x20 && c != 0x7f) || c == '\t') {
                kept.append(c);
            }
        }
        return kept.toString();
    }

    private HostLimits() {}
}
