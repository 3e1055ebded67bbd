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

    ConsoleLog(Path file) {
        this.file = file;
    }

    /** What the console says, line by line, and its end. */
    interface Reader {
        /** One line, control characters removed, cut at {@value ConsoleLog#MAX_LINE} characters. */
        void line(String line);

        /** The console reached its end (qemu exited): no line follows. */
        void ended();
    }

    /** Copies the console until it ends, on a daemon thread, handing each line to {@code reader}. */
    void follow(InputStream console, String threadName, Reader reader) {
        Thread t = new Thread(
                () -> {
                    byte[] buf = new byte[8192];
                    Lines lines = new Lines(reader);
                    try (console;
                            OutputStream out = Files.newOutputStream(file)) {
                        long written = 0;
                        int n;
                        while ((n = console.read(buf)) > 0) {
                            append(buf, n);
                            lines.feed(buf, n);
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
                        lines.end();
                        reader.ended();
                    }
                },
                threadName);
        t.setDaemon(true);
        t.start();
    }

    /** Splits the byte stream into bounded lines: a guest that never prints a newline costs no memory. */
    private static final class Lines {
        private final Reader reader;
        private final byte[] line = new byte[MAX_LINE];
        private int length;

        Lines(Reader reader) {
            this.reader = reader;
        }

        void feed(byte[] buf, int n) {
            for (int i = 0; i < n; i++) {
                if (buf[i] == '\n') {
                    emit();
                } else if (length < line.length) {
                    line[length++] = buf[i];
                }
            }
        }

        void end() {
            if (length > 0) {
                emit();
            }
        }

        private void emit() {
            reader.line(HostLimits.clean(new String(line, 0, length, StandardCharsets.UTF_8)));
            length = 0;
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
        String text = HostLimits.clean(new String(copy, StandardCharsets.UTF_8));
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
