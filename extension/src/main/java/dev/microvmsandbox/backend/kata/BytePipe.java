package dev.microvmsandbox.backend.kata;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import org.apiguardian.api.API;

/**
 * A bounded in-memory pipe between threads: what is written to {@link #sink()} is read from
 * {@link #source()} in order. A writer blocks while {@code capacity} bytes wait unread, so a fast
 * side slows down to the other's pace instead of filling memory.
 *
 * <p>Unlike {@link java.io.PipedInputStream}, any thread may write and read, and a thread that
 * ends does not break the pipe: only {@link #close()} (end of stream for the reader) and
 * {@link #fail(String)} (an error for both sides) do.
 */
@API(status = API.Status.INTERNAL)
public final class BytePipe {

    private final long capacity;
    private final Deque<byte[]> chunks = new ArrayDeque<>();
    private long buffered;
    private int offset;
    private boolean closed;
    private String failure;

    public BytePipe(long capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("capacity must be positive");
        }
        this.capacity = capacity;
    }

    /** Where the writing side writes; closing it ends the reader's stream once it has read everything. */
    public OutputStream sink() {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                write(new byte[] {(byte) b}, 0, 1);
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                put(Arrays.copyOfRange(b, off, off + len));
            }

            @Override
            public void close() {
                BytePipe.this.close();
            }
        };
    }

    /** Where the reading side reads. */
    public InputStream source() {
        return new InputStream() {
            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return take(b, off, len);
            }

            @Override
            public int available() {
                synchronized (BytePipe.this) {
                    return (int) Math.min(Integer.MAX_VALUE, buffered);
                }
            }

            @Override
            public void close() {
                fail("the reading side closed the pipe");
            }
        };
    }

    /** No more bytes will come: the reader gets the end of the stream after what is buffered. */
    public synchronized void close() {
        closed = true;
        notifyAll();
    }

    /** Breaks the pipe: both sides get an {@link IOException} with {@code reason} from now on. */
    public synchronized void fail(String reason) {
        if (failure == null) {
            failure = reason;
        }
        chunks.clear();
        buffered = 0;
        notifyAll();
    }

    private synchronized void put(byte[] bytes) throws IOException {
        int at = 0;
        while (at < bytes.length) {
            while (failure == null && !closed && buffered >= capacity) {
                await();
            }
            if (failure != null) {
                throw new IOException("pipe broken: " + failure);
            }
            if (closed) {
                throw new IOException("pipe closed");
            }
            int n = (int) Math.min(bytes.length - at, capacity - buffered);
            chunks.addLast(at == 0 && n == bytes.length ? bytes : Arrays.copyOfRange(bytes, at, at + n));
            buffered += n;
            at += n;
            notifyAll();
        }
    }

    private synchronized int take(byte[] b, int off, int len) throws IOException {
        if (len == 0) {
            return 0;
        }
        while (failure == null && chunks.isEmpty() && !closed) {
            await();
        }
        if (failure != null) {
            throw new IOException("pipe broken: " + failure);
        }
        if (chunks.isEmpty()) {
            return -1;
        }
        int copied = 0;
        while (copied < len && !chunks.isEmpty()) {
            byte[] head = chunks.peekFirst();
            int n = Math.min(len - copied, head.length - offset);
            System.arraycopy(head, offset, b, off + copied, n);
            copied += n;
            offset += n;
            if (offset == head.length) {
                chunks.removeFirst();
                offset = 0;
            }
        }
        buffered -= copied;
        notifyAll();
        return copied;
    }

    private void await() throws InterruptedIOException {
        try {
            wait();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted while waiting on a pipe");
        }
    }
}
