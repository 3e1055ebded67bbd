package dev.microvmsandbox.backend.kata;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.stream.Collectors;
import org.apiguardian.api.API;

/**
 * The last bytes a sandbox container wrote to its stderr (the bootstrap's lines, podman's and the
 * JVM's complaints): its console, kept for error reports. Bounded whatever the guest writes.
 */
@API(status = API.Status.INTERNAL)
public final class ConsoleTail {

    static final int TAIL_BYTES = 16 * 1024;
    static final int MAX_LINE = 300;

    private final byte[] ring = new byte[TAIL_BYTES];
    private long total;

    /** Adds what the container wrote. */
    public synchronized void append(byte[] bytes, int offset, int length) {
        for (int i = 0; i < length; i++) {
            ring[(int) (total++ % TAIL_BYTES)] = bytes[offset + i];
        }
    }

    /** The last {@code maxLines} lines, without control characters, long lines cut. */
    public synchronized String tail(int maxLines) {
        int size = (int) Math.min(total, TAIL_BYTES);
        byte[] copy = new byte[size];
        for (int i = 0; i < size; i++) {
            copy[i] = ring[(int) ((total - size + i) % TAIL_BYTES)];
        }
        String text = new String(copy, StandardCharsets.UTF_8).replaceAll("[\\x00-\\x08\\x0b-\\x1f\\x7f]", "");
        String[] lines = text.split("\n");
        int from = Math.max(0, lines.length - maxLines);
        return Arrays.stream(lines, from, lines.length)
                .map(l -> l.length() > MAX_LINE
                        ? l.substring(0, MAX_LINE) + "... [" + (l.length() - MAX_LINE) + " more characters]"
                        : l)
                .collect(Collectors.joining("\n"));
    }
}
