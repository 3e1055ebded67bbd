package dev.microvmsandbox.backend;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apiguardian.api.API;

/**
 * An amount of memory or disk, written the way people write it: {@code 512m}, {@code 2g}, {@code 1536MiB}.
 *
 * @param bytes the amount in bytes, positive
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record ByteSize(long bytes) {

    private static final Pattern FORMAT = Pattern.compile("(\\d{1,12})\\s*([kmgt]?)(i?b)?", Pattern.CASE_INSENSITIVE);

    public ByteSize {
        if (bytes <= 0) {
            throw new IllegalArgumentException("size must be positive, was " + bytes);
        }
    }

    public static ByteSize ofMebibytes(long mebibytes) {
        return new ByteSize(Math.multiplyExact(mebibytes, 1024L * 1024));
    }

    /**
     * Parses {@code 512m}, {@code 2g}, {@code 2GiB}, {@code 1048576} (bytes).
     *
     * @throws IllegalArgumentException naming an example of a valid value
     */
    public static ByteSize parse(String text) {
        Matcher m = FORMAT.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("'" + text + "' is not a size; write it like 512m or 2g");
        }
        long number = Long.parseLong(m.group(1));
        int shift = switch (m.group(2).toLowerCase(Locale.ROOT)) {
            case "k" -> 10;
            case "m" -> 20;
            case "g" -> 30;
            case "t" -> 40;
            default -> 0;
        };
        if (number == 0 || Long.numberOfLeadingZeros(number) <= shift) {
            throw new IllegalArgumentException("'" + text + "' is out of range; write it like 512m or 2g");
        }
        return new ByteSize(number << shift);
    }

    public long mebibytes() {
        return bytes >> 20;
    }

    @Override
    public String toString() {
        if (bytes % (1L << 30) == 0) {
            return (bytes >> 30) + "g";
        }
        if (bytes % (1L << 20) == 0) {
            return (bytes >> 20) + "m";
        }
        return Long.toString(bytes);
    }
}
