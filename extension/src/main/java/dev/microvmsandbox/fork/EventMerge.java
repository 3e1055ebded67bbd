package dev.microvmsandbox.fork;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The event streams of a fork split over several sandboxes (see {@link SplitFork}), made into the one
 * stream the plugin reads: the plugin sees one fork that ran the test classes one after another, so
 * its reports are what one fork would have written.
 *
 * <p>A part's frames pass while it holds the stream. A part takes the stream with its first frame
 * when nobody holds it, and gives it back when it is outside a test set again ({@code testset-starting}
 * and {@code testset-completed} nest): a test set is never interleaved with another part's frames.
 * Frames of the other parts wait in their part's queue, in order, and pass, oldest head first, when
 * the stream is free. While the queues hold {@value #QUEUE_BYTES} bytes in all, a part's writer (its
 * guest's stdout) waits until there is room or the part holds the stream, so the launcher's memory
 * is bounded however many parts there are (one frame may pass the bound when nothing else waits). A
 * part that ends inside a test set (its fork died) gives the stream back.
 *
 * <p>A part's {@code bye} does not pass: the part's fork waits for the plugin's acknowledgement before
 * it exits, so {@link Part} answers it with {@link CommandFanOut#BYE_ACK} itself; {@link #sayBye} sends
 * one {@code bye} once every part said it. Thread-safe: one writer per part.
 */
final class EventMerge {

    static final long QUEUE_BYTES = 32L << 20;

    private final OutputStream plugin;
    private final long queueBytes;
    private final List<Part> parts = new ArrayList<>();
    private Part holder;
    private long sequence;
    private long queued;
    private byte[] bye;

    EventMerge(OutputStream plugin) {
        this(plugin, QUEUE_BYTES);
    }

    /** @param queueBytes how much of the parts' events may wait in all before their writers wait too */
    EventMerge(OutputStream plugin, long queueBytes) {
        this.plugin = plugin;
        this.queueBytes = queueBytes;
    }

    /**
     * @param byeAck answers the part's {@code bye} (writes the acknowledgement to its fork's stdin)
     */
    synchronized Part part(String name, Runnable byeAck) {
        Part p = new Part(name, byeAck);
        parts.add(p);
        return p;
    }

    /** Whether every part ended after saying {@code bye}, and there was at least one. */
    synchronized boolean allSaidBye() {
        return !parts.isEmpty() && parts.stream().allMatch(p -> p.ended && p.saidBye);
    }

    /** Sends the one {@code bye} for all parts, once {@link #allSaidBye}. */
    synchronized void sayBye() throws IOException {
        if (!allSaidBye()) {
            throw new IllegalStateException("not every part said bye");
        }
        plugin.write(bye);
        plugin.flush();
    }

    private void accept(Part p, String opcode, byte[] frame) throws IOException {
        if (opcode.equals("bye")) {
            if (bye == null) {
                bye = frame;
            }
            p.saidBye = true;
            p.byeAck.run();
            return;
        }
        while (true) {
            if (holder == null) {
                handOver();
            }
            if (holder == null && p.queue.isEmpty()) {
                holder = p;
            }
            if (holder == p) {
                // the holder's queue is empty: handOver drains it before anything else of its passes
                pass(p, opcode, frame);
                if (holder == null) {
                    handOver();
                }
                return;
            }
            if (queued == 0 || queued + frame.length <= queueBytes) {
                p.queue.add(new Queued(sequence++, opcode, frame));
                queued += frame.length;
                return;
            }
            try {
                wait();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new InterruptedIOException("interrupted while the part's events waited for the stream");
            }
        }
    }

    /** Writes a frame of the holder; gives the stream back when the holder is outside a test set. */
    private void pass(Part p, String opcode, byte[] frame) throws IOException {
        plugin.write(frame);
        if (opcode.equals("testset-starting")) {
            p.depth++;
        } else if (opcode.equals("testset-completed") && p.depth > 0) {
            p.depth--;
        }
        if (p.depth == 0) {
            holder = null;
        }
    }

    /** While nobody holds the stream: the part whose queue head is oldest takes it and drains its queue. */
    private void handOver() throws IOException {
        try {
            while (holder == null) {
                Part next = null;
                for (Part p : parts) {
                    if (!p.queue.isEmpty() && (next == null || p.queue.peek().sequence < next.queue.peek().sequence)) {
                        next = p;
                    }
                }
                if (next == null) {
                    return;
                }
                holder = next;
                while (holder == next && !next.queue.isEmpty()) {
                    Queued q = next.queue.poll();
                    queued -= q.frame.length;
                    pass(next, q.opcode, q.frame);
                }
                if (holder == next && next.ended) {
                    holder = null;
                }
            }
        } finally {
            notifyAll();
        }
    }

    private synchronized void end(Part p) throws IOException {
        p.ended = true;
        if (holder == p) {
            holder = null;
        }
        handOver();
    }

    /** One part's stream: its fork's checked frames go in here. */
    final class Part implements EventSink {
        private final String name;
        private final Runnable byeAck;
        private final ArrayDeque<Queued> queue = new ArrayDeque<>();
        private int depth;
        private boolean ended;
        private boolean saidBye;

        private Part(String name, Runnable byeAck) {
            this.name = name;
            this.byeAck = byeAck;
        }

        @Override
        public void frame(String opcode, byte[] bytes, int offset, int length) throws IOException {
            synchronized (EventMerge.this) {
                if (ended) {
                    throw new IOException(name + " has ended");
                }
                accept(this, opcode, Arrays.copyOfRange(bytes, offset, offset + length));
            }
        }

        @Override
        public void flush() throws IOException {
            synchronized (EventMerge.this) {
                plugin.flush();
            }
        }

        /** The part's fork has exited: what it queued still passes, in order. */
        void end() throws IOException {
            EventMerge.this.end(this);
        }

        @Override
        public String toString() {
            return name;
        }
    }

    private record Queued(long sequence, String opcode, byte[] frame) {}
}
