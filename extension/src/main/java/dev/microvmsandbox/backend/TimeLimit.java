package dev.microvmsandbox.backend;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/** Wall-clock limits written as {@code 90s}, {@code 10m}, {@code 1h} or {@code 1500ms}: parsed and printed. */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class TimeLimit {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,9})\\s*(ms|s|m|h)", Pattern.CASE_INSENSITIVE);

    private TimeLimit() {}

    /**
     * @throws IllegalArgumentException naming an example of a valid value
     */
    public static Duration parse(String text) {
        Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a duration; write it like 90s, 10m or 1h");
        }
        long n = Long.parseLong(m.group(1));
        Duration d = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "ms" -> Duration.ofMillis(n);
            case "s" -> Duration.ofSeconds(n);
            case "m" -> Duration.ofMinutes(n);
            default -> Duration.ofHours(n);
        };
        if (d.isZero()) {
            throw new IllegalArgumentException("'" + text + "' must be longer than zero; write it like 90s, 10m or 1h");
        }
        return d;
    }

    /** {@code d} the way {@link #parse} reads it: in the largest unit that divides it ({@code 2h}, {@code 90s}). */
    public static String format(Duration d) {
        long millis = d.toMillis();
        if (millis % 3_600_000 == 0) {
            return d.toHours() + "h";
        }
        if (millis % 60_000 == 0) {
            return d.toMinutes() + "m";
        }
        if (millis % 1000 == 0) {
            return d.toSeconds() + "s";
        }
        return millis + "ms";
    }
}
