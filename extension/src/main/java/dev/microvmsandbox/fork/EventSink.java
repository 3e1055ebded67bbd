package dev.microvmsandbox.fork;

import java.io.IOException;
import java.io.OutputStream;

/** Where a fork's checked event frames go: whole frames, one call each, with the frame's opcode. */
interface EventSink {

    void frame(String opcode, byte[] bytes, int offset, int length) throws IOException;

    void flush() throws IOException;

    /** Frames written to {@code out} as they come: one fork, the plugin reading its stdout. */
    static EventSink to(OutputStream out) {
        return new EventSink() {
            @Override
            public void frame(String opcode, byte[] bytes, int offset, int length) throws IOException {
                out.write(bytes, offset, length);
            }

            @Override
            public void flush() throws IOException {
                out.flush();
            }
        };
    }
}
