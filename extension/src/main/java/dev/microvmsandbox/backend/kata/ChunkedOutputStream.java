package dev.microvmsandbox.backend.kata;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * The framing in which the bootstrap's {@code receive_files} reads the host's files from the
 * container's stdin: chunks of {@code "<length>\n"} followed by that many bytes, and {@code "0\n"}
 * at the end. A shell can read it without reading past it ({@code read} for the length line,
 * {@code head -c} for the bytes), which a bare tar stream does not allow: tar reads ahead and
 * would swallow the channel that follows on the same stream.
 *
 * <p>{@link #finish()} writes the end mark and leaves the underlying stream open for the channel.
 */
final class ChunkedOutputStream extends OutputStream {

    static final int CHUNK = 1 << 20;

    private final OutputStream out;
    private final byte[] buffer = new byte[CHUNK];
    private int used;
    private boolean finished;

    ChunkedOutputStream(OutputStream out) {
        this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        if (finished) {
            throw new IOException("the files were already sent");
        }
        while (len > 0) {
            int n = Math.min(len, CHUNK - used);
            System.arraycopy(b, off, buffer, used, n);
            used += n;
            off += n;
            len -= n;
            if (used == CHUNK) {
                emit();
            }
        }
    }

    @Override
    public void flush() throws IOException {
        emit();
        out.flush();
    }

    /** Sends what is buffered and the end mark; the underlying stream stays open. */
    void finish() throws IOException {
        if (!finished) {
            emit();
            out.write("0\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            finished = true;
        }
    }

    /** Finishes; never closes the underlying stream, which carries the channel next. */
    @Override
    public void close() throws IOException {
        finish();
    }

    private void emit() throws IOException {
        if (used > 0) {
            out.write((used + "\n").getBytes(StandardCharsets.US_ASCII));
            out.write(buffer, 0, used);
            used = 0;
        }
    }
}
