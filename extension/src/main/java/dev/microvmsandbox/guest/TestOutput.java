package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Message;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BiConsumer;

/**
 * The guest JVM's {@code System.out} and {@code System.err}: what is printed goes to the host as
 * it is printed, as {@link Message.TestPrinted} events of the test or container running at that
 * moment, so the host can print it while the same test runs there. That keeps a class's
 * {@code @BeforeAll} output ahead of its first test and stdout and stderr in the order they were
 * written, which JUnit's own capture (released when a node finishes) does not.
 *
 * <p>Output while nothing runs is dropped; a node's output past {@link #LIMIT} is dropped too (the
 * host keeps less and says so in the report).
 */
final class TestOutput {

    /** Largest piece sent at once, in bytes. */
    static final int CHUNK = GuestTestListener.MAX_TEXT;
    /** Most output sent per node: a little more than the host keeps, so the host sees the overflow. */
    static final long LIMIT = (16L << 20) + (64 << 10);
    /** Output older than this goes out with the next line end instead of waiting for a full chunk. */
    static final long LINGER_NANOS = 200_000_000L;

    private static final TestOutput INSTANCE = new TestOutput();

    private final Deque<Target> running = new ArrayDeque<>();
    private final ByteArrayOutputStream pending = new ByteArrayOutputStream();
    private Message.Output pendingStream;
    private long pendingSince;
    private byte lastByte;

    /** Where one node's output goes: {@code send(stream, text)}. */
    static final class Target {
        private final BiConsumer<Message.Output, String> send;
        private long sent;

        Target(BiConsumer<Message.Output, String> send) {
            this.send = send;
        }
    }

    /** Makes {@code System.out} and {@code System.err} this router's. */
    static void install() {
        System.setOut(INSTANCE.stream(Message.Output.STDOUT));
        System.setErr(INSTANCE.stream(Message.Output.STDERR));
    }

    static TestOutput instance() {
        return INSTANCE;
    }

    PrintStream stream(Message.Output name) {
        return new PrintStream(
                new OutputStream() {
                    @Override
                    public void write(int b) {
                        write(new byte[] {(byte) b}, 0, 1);
                    }

                    @Override
                    public void write(byte[] b, int off, int len) {
                        TestOutput.this.write(name, b, off, len);
                    }
                },
                true,
                StandardCharsets.UTF_8);
    }

    /** A node started: what is printed from now on is its own, until it or a child ends. */
    synchronized void started(Target target) {
        flush(true);
        running.push(target);
    }

    /** A node ended: send what it printed that has not gone yet. */
    synchronized void finished(Target target) {
        flush(true);
        running.remove(target);
    }

    synchronized void write(Message.Output stream, byte[] b, int off, int len) {
        if (running.isEmpty()) {
            return;
        }
        if (pendingStream != null && pendingStream != stream) {
            flush(true);
        }
        if (pending.size() == 0) {
            pendingSince = System.nanoTime();
        }
        pendingStream = stream;
        for (int at = off; at < off + len; ) {
            int n = Math.min(off + len - at, CHUNK - pending.size());
            pending.write(b, at, n);
            at += n;
            if (pending.size() >= CHUNK) {
                flush(false);
            }
        }
        if (len > 0) {
            lastByte = b[off + len - 1];
        }
        if (lastByte == '\n' && System.nanoTime() - pendingSince > LINGER_NANOS) {
            flush(true);
        }
    }

    /** Sends what is pending; unless {@code all}, a character cut at the chunk's end waits for its last bytes. */
    private void flush(boolean all) {
        byte[] bytes = pending.toByteArray();
        pending.reset();
        if (bytes.length == 0) {
            return;
        }
        int end = all ? bytes.length : completeUtf8Prefix(bytes);
        pending.write(bytes, end, bytes.length - end);
        pendingSince = System.nanoTime();
        Target target = running.peek();
        if (target == null || target.sent >= LIMIT) {
            return;
        }
        int n = (int) Math.min(end, LIMIT - target.sent);
        target.sent += n;
        target.send.accept(pendingStream, new String(bytes, 0, n, StandardCharsets.UTF_8));
    }

    /** The length of the longest prefix that does not end inside a UTF-8 sequence. */
    static int completeUtf8Prefix(byte[] bytes) {
        int n = bytes.length;
        for (int back = 1; back <= Math.min(3, n); back++) {
            int b = bytes[n - back] & 0xff;
            if (b < 0x80) {
                return n;
            }
            if (b >= 0xc0) {
                int length = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
                return back < length ? n - back : n;
            }
        }
        return n;
    }
}
