package dev.microvmsandbox.fork;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * The plugin's commands to a fork split over several sandboxes (the launcher's stdin), read frame by
 * frame and given to every part's fork that runs: {@code :maven-surefire-command:}, the opcode (a
 * length byte, {@code :}, the name, {@code :}) and, for {@code shutdown} and {@code run-testclass}, the
 * charset (length byte and name) and one string (a 4-byte length, then the bytes), each ended by
 * {@code :}. A part that starts later first gets the commands that stay true ({@code shutdown},
 * {@code skip-since-next-test}). The plugin's {@code bye-ack} answers the merged stream's one
 * {@code bye}, which no part waits for ({@link EventMerge} acknowledges each part's own); it is
 * counted, not passed.
 */
final class CommandFanOut implements Runnable {

    static final byte[] MAGIC = ":maven-surefire-command:".getBytes(StandardCharsets.US_ASCII);
    static final byte[] BYE_ACK = frame("bye-ack");
    static final int MAX_STRING = 1 << 20;
    private static final Set<String> WITH_STRING = Set.of("shutdown", "run-testclass");
    private static final Set<String> STICKY = Set.of("shutdown", "skip-since-next-test");

    private final InputStream plugin;
    private final List<Pipe> running = new ArrayList<>();
    private final List<byte[]> sticky = new ArrayList<>();
    private final CountDownLatch byeAck = new CountDownLatch(1);

    CommandFanOut(InputStream plugin) {
        this.plugin = plugin;
    }

    static byte[] frame(String opcode) {
        byte[] op = opcode.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        out.write(op.length);
        out.write(':');
        out.writeBytes(op);
        out.write(':');
        return out.toByteArray();
    }

    /** A new part's stdin: the commands that stay true, then every command from now on. */
    synchronized Pipe open() {
        Pipe pipe = new Pipe();
        sticky.forEach(pipe::offer);
        running.add(pipe);
        return pipe;
    }

    /** Waits for the plugin's answer to the merged {@code bye}. */
    boolean awaitByeAck(Duration limit) throws InterruptedException {
        return byeAck.await(limit.toMillis(), TimeUnit.MILLISECONDS);
    }

    @Override
    public void run() {
        try {
            while (true) {
                Command c = next();
                synchronized (this) {
                    if (c.opcode.equals("bye-ack")) {
                        byeAck.countDown();
                        continue;
                    }
                    if (STICKY.contains(c.opcode)) {
                        sticky.add(c.frame);
                    }
                    running.removeIf(p -> p.closed);
                    running.forEach(p -> p.offer(c.frame));
                }
            }
        } catch (IOException e) {
            // the plugin closed our stdin (it has gone): every part's stdin ends
            synchronized (this) {
                running.forEach(Pipe::close);
            }
        }
    }

    private Command next() throws IOException {
        int matched = 0;
        while (matched < MAGIC.length) {
            int b = read();
            matched = b == MAGIC[matched] ? matched + 1 : (b == MAGIC[0] ? 1 : 0);
        }
        ByteArrayOutputStream frame = new ByteArrayOutputStream();
        frame.writeBytes(MAGIC);
        String opcode = new String(shortSegment(frame), StandardCharsets.US_ASCII);
        if (WITH_STRING.contains(opcode)) {
            shortSegment(frame);
            byte[] length = readExactly(4);
            int n = ByteBuffer.wrap(length).getInt();
            if (n < 0 || n > MAX_STRING) {
                throw new IOException("a command from the plugin declares a string of " + n + " bytes");
            }
            frame.writeBytes(length);
            expect(':', frame);
            frame.writeBytes(readExactly(n));
            expect(':', frame);
        }
        return new Command(opcode, frame.toByteArray());
    }

    /** A length byte, {@code :}, that many bytes, {@code :}; returns the bytes. */
    private byte[] shortSegment(ByteArrayOutputStream frame) throws IOException {
        int n = read();
        frame.write(n);
        expect(':', frame);
        byte[] bytes = readExactly(n);
        frame.writeBytes(bytes);
        expect(':', frame);
        return bytes;
    }

    private void expect(char c, ByteArrayOutputStream frame) throws IOException {
        int b = read();
        if (b != c) {
            throw new IOException("the plugin's command stream is not Surefire's protocol");
        }
        frame.write(b);
    }

    private byte[] readExactly(int n) throws IOException {
        byte[] bytes = plugin.readNBytes(n);
        if (bytes.length < n) {
            throw new EOFException();
        }
        return bytes;
    }

    private int read() throws IOException {
        int b = plugin.read();
        if (b < 0) {
            throw new EOFException();
        }
        return b;
    }

    private record Command(String opcode, byte[] frame) {}

    /** One part's stdin: the commands given to it, in order, until it is closed. */
    static final class Pipe extends InputStream {
        private static final byte[] END = new byte[0];
        private final LinkedBlockingQueue<byte[]> frames = new LinkedBlockingQueue<>();
        private byte[] current = new byte[0];
        private int at;
        private volatile boolean closed;

        void offer(byte[] frame) {
            if (!closed) {
                frames.add(frame);
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (len == 0) {
                return 0;
            }
            while (at == current.length) {
                if (current == END) {
                    return -1;
                }
                try {
                    current = frames.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException();
                }
                at = 0;
            }
            int n = Math.min(len, current.length - at);
            System.arraycopy(current, at, b, off, n);
            at += n;
            return n;
        }

        /** The part's fork has exited, or the plugin has gone: reads end. */
        @Override
        public void close() {
            closed = true;
            frames.add(END);
        }
    }
}
