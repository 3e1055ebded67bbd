package dev.microvmsandbox.fork;

import java.io.OutputStream;
import java.io.PrintStream;
import java.util.Arrays;

/**
 * The launcher's stderr, which Surefire prints line by line to the build's console (its stdout is the
 * event stream and never carries text). Two writers share it: the launcher's own progress lines and
 * the guest fork's stderr, relayed as whole lines of at most {@value #MAX_LINE} bytes and at most
 * {@value #MAX_TOTAL} bytes in all, so neither can split the other's line and the guest cannot flood
 * the build log.
 */
final class LauncherConsole {

    static final String PREFIX = "[microvm-sandbox] ";
    static final int MAX_LINE = 16 * 1024;
    static final long MAX_TOTAL = 16L << 20;

    private final PrintStream err;
    private long relayed;
    private boolean floodNoted;

    LauncherConsole(PrintStream err) {
        this.err = err;
    }

    /** One line of the launcher's own. */
    synchronized void say(String message) {
        err.println(PREFIX + message);
        err.flush();
    }

    /** A stream whose bytes are relayed as the guest fork's stderr lines. */
    OutputStream guestStderr() {
        return new OutputStream() {
            private final byte[] line = new byte[MAX_LINE];
            private int length;

            @Override
            public void write(int b) {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] bytes, int offset, int count) {
                for (int i = offset; i < offset + count; i++) {
                    byte b = bytes[i];
                    if (b == '\n') {
                        emit();
                    } else {
                        line[length++] = b;
                        if (length == MAX_LINE) {
                            emit();
                        }
                    }
                }
            }

            @Override
            public void close() {
                if (length > 0) {
                    emit();
                }
            }

            private void emit() {
                relay(Arrays.copyOf(line, length));
                length = 0;
            }
        };
    }

    private synchronized void relay(byte[] line) {
        if (relayed + line.length > MAX_TOTAL) {
            if (!floodNoted) {
                floodNoted = true;
                say("the fork's stderr passed " + (MAX_TOTAL >> 20) + " MiB; the rest of it is dropped");
            }
            return;
        }
        relayed += line.length + 1;
        byte[] whole = Arrays.copyOf(line, line.length + 1);
        whole[line.length] = '\n';
        // one write: PrintStream locks per call, so another writer's line cannot land inside this one
        err.write(whole, 0, whole.length);
        err.flush();
    }
}
