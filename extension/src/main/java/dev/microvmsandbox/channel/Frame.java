package dev.microvmsandbox.channel;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
import org.apiguardian.api.API;

/**
 * One unit on the channel's single byte stream: a 10-byte header then the payload.
 *
 * <pre>
 *   u8 kind | u8 stream | i32 id | i32 length | payload[length]
 * </pre>
 *
 * {@code kind} is {@link Kind#MESSAGE} (a JSON {@link Message}), {@link Kind#DATA} (raw bytes
 * of one stream of request {@code id}) or {@link Kind#END} (that stream has ended). Payloads are
 * bounded: a reader refuses a frame longer than its limit before reading it.
 *
 * @param kind    what the payload is
 * @param stream  which stream of the request the bytes belong to (see {@link Stream})
 * @param id      the request the frame belongs to, 0 for none
 * @param payload the bytes
 */
@API(status = API.Status.INTERNAL)
public record Frame(Kind kind, int stream, int id, byte[] payload) {

    public static final int HEADER_BYTES = 10;
    /** Largest payload anybody writes; readers may be stricter. */
    public static final int MAX_PAYLOAD = 1 << 20;

    /** What a frame carries. */
    public enum Kind {
        MESSAGE(1),
        DATA(2),
        END(3);

        final int code;

        Kind(int code) {
            this.code = code;
        }

        static Kind of(int code) throws ProtocolException {
            for (Kind k : values()) {
                if (k.code == code) {
                    return k;
                }
            }
            throw new ProtocolException("unknown frame kind " + code);
        }
    }

    /** Stream numbers inside a request. */
    public static final class Stream {
        public static final int NONE = 0;
        public static final int STDIN = 0;
        public static final int STDOUT = 1;
        public static final int STDERR = 2;
        public static final int FILE = 3;

        private Stream() {}
    }

    public static Frame data(int id, int stream, byte[] bytes, int offset, int length) {
        return new Frame(Kind.DATA, stream, id, Arrays.copyOfRange(bytes, offset, offset + length));
    }

    public static Frame end(int id, int stream) {
        return new Frame(Kind.END, stream, id, new byte[0]);
    }

    void writeTo(OutputStream out) throws IOException {
        byte[] header = new byte[HEADER_BYTES];
        header[0] = (byte) kind.code;
        header[1] = (byte) stream;
        putInt(header, 2, id);
        putInt(header, 6, payload.length);
        out.write(header);
        out.write(payload);
    }

    /**
     * Reads one frame, or returns {@code null} at a clean end of stream.
     *
     * @throws ProtocolException when the header is invalid or announces more than {@code maxPayload}
     * @throws EOFException      when the stream ends inside a frame: the other side stopped (a VM
     *                           that crashed or powered off mid-write), which breaks no rule
     */
    static Frame readFrom(DataInputStream in, int maxPayload) throws IOException {
        int first = in.read();
        if (first < 0) {
            return null;
        }
        Kind kind = Kind.of(first);
        int stream = in.readUnsignedByte();
        int id = in.readInt();
        int length = in.readInt();
        if (length < 0 || length > maxPayload) {
            throw new ProtocolException(
                    "frame of " + Integer.toUnsignedString(length) + " bytes exceeds the limit of " + maxPayload);
        }
        if (stream > Stream.FILE) {
            throw new ProtocolException("unknown stream " + stream);
        }
        byte[] payload = new byte[length];
        try {
            in.readFully(payload);
        } catch (EOFException e) {
            throw new EOFException("the stream ended inside a frame");
        }
        return new Frame(kind, stream, id, payload);
    }

    private static void putInt(byte[] b, int at, int v) {
        b[at] = (byte) (v >>> 24);
        b[at + 1] = (byte) (v >>> 16);
        b[at + 2] = (byte) (v >>> 8);
        b[at + 3] = (byte) v;
    }
}
