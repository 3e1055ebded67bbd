package dev.microvmsandbox.backend.qemu;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The guest's serial console: kept as a bounded file and a tail in memory, whatever the guest prints.
 */
final class ConsoleLog {

    static final int TAIL_BYTES = 16 * 1024;
    static final long FILE_LIMIT = 4L * 1024 * 1024;
    static final int MAX_LINE = 300;

    private final byte[] ring = new byte[TAIL_BYTES];
    private long total;
    private final Path file;
    private final java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);

    ConsoleLog(Path file) {
        this.file = file;
    }

    /** Copies the console until it ends, on a daemon thread. */
    void follow(InputStream console, String threadName) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[8192];
                    try (console;
                            OutputStream out = Files.newOutputStream(file)) {
                        long written = 0;
                        int n;
                        while ((n = console.read(buf)) > 0) {
                            append(buf, n);
                            if (written < FILE_LIMIT) {
                                int keep = (int) Math.min(n, FILE_LIMIT - written);
                                out.write(buf, 0, keep);
                                written += keep;
                                if (written == FILE_LIMIT) {
                                    out.write("\n[console log truncated]\n".getBytes(StandardCharsets.US_ASCII));
                                }
                                out.flush();
                            }
                        }
                    } catch (IOException e) {
                        // qemu is gone
                    } finally {
                        ended.countDown();
                    }
                },
                threadName);
        t.setDaemon(true);
        t.start();
    }

    /** Waits a moment for the console to be read to its end, so a tail taken after qemu exits is whole. */
    void awaitEnd(long millis) {
        try {
            ended.await(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private synchronized void append(byte[] buf, int n) {
        for (int i = 0; i < n; i++) {
            ring[(int) (total++ % TAIL_BYTES)] = buf[i];
        }
    }

    /** The last {@code maxLines} lines printed, cleaned of control characters. */
    synchronized String tail(int maxLines) {
        int size = (int) Math.min(total, TAIL_BYTES);
        byte[] copy = new byte[size];
        for (int i = 0; i < size; i++) {
            copy[i] = ring[(int) ((total - size + i) % TAIL_BYTES)];
        }
        String text = new String(copy, StandardCharsets.UTF_8).replaceAll("[\\x00-\\x08\\x0b-\\x1f\\x7f]", "");
        String[] lines = text.split("\n");
        int from = Math.max(0, lines.length - maxLines);
        return java.util.Arrays.stream(lines, from, lines.length)
                .map(l -> l.length() > MAX_LINE
                        ? l.substring(0, MAX_LINE) + "... [" + (l.length() - MAX_LINE) + " more characters]"
                        : l)
                .collect(java.util.stream.Collectors.joining("\n"));
    }

    Path file() {
        return file;
    }
}
