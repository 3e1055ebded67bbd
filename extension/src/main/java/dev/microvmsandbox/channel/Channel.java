package dev.microvmsandbox.channel;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Both ends of the host-guest link: {@link Frame}s over one byte stream, multiplexed by request id.
 *
 * <p>One reader thread decodes frames and hands each to the {@link Receiver} routed for its id
 * (or the fallback receiver). Frames the protocol does not allow close the channel with the
 * reason; every receiver then learns it through {@link Receiver#closed}. Receivers run on the
 * reader thread and must not block.
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class Channel implements AutoCloseable {

    /**
     * Looked up on first use only: a guest agent saved in a template has logged nothing, so SLF4J
     * binds later, to whatever provider the test classpath brings, as in a JVM that started with it.
     */
    private static final class Log {
        static final Logger LOG = LoggerFactory.getLogger(Channel.class);
    }

    private static final int CHUNK = 64 * 1024;

    /** Gets what arrives for one request. */
    public interface Receiver {
        void message(Message message);

        default void data(int stream, byte[] bytes) {}

        default void end(int stream) {}

        /** The channel closed; {@code reason} says why. No more calls follow. */
        default void closed(String reason) {}
    }

    /** How a channel ended; known before any receiver hears of it. */
    public enum End {
        /** The other side closed its end or the stream broke, between frames or inside one. */
        OTHER_SIDE,
        /** The other side sent what the protocol does not allow, so this side closed the channel. */
        PROTOCOL_VIOLATION,
        /** A receiver on this side failed on what arrived, so this side closed the channel. */
        RECEIVER_FAILURE,
        /** This side closed it. */
        THIS_SIDE
    }

    private final String name;
    private final DataInputStream in;
    private final OutputStream out;
    private final int maxInboundPayload;
    private final MessageCodec codec = new MessageCodec();
    private final Map<Integer, Receiver> routes = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private final AtomicReference<Closing> closing = new AtomicReference<>();
    private final Object writeLock = new Object();
    private final AutoCloseable resource;
    private volatile Receiver fallback;

    /**
     * @param maxInboundPayload the largest frame payload accepted from the peer
     * @param resource          closed together with the channel (the socket or device)
     */
    public Channel(String name, InputStream in, OutputStream out, int maxInboundPayload, AutoCloseable resource) {
        this.name = name;
        this.in = new DataInputStream(new BufferedInputStream(in, CHUNK));
        this.out = new BufferedOutputStream(out, CHUNK);
        this.maxInboundPayload = Math.min(maxInboundPayload, Frame.MAX_PAYLOAD);
        this.resource = resource;
        this.fallback = message ->
                Log.LOG.debug("{}: unrouted {}", name, message.getClass().getSimpleName());
    }

    /** Starts the reader thread; {@code fallback} gets every frame whose id has no route. */
    public void start(Receiver fallback) {
        this.fallback = Objects.requireNonNull(fallback);
        Thread reader = new Thread(this::readLoop, name + "-reader");
        reader.setDaemon(true);
        reader.start();
    }

    /** A fresh request id, never 0. */
    public int nextId() {
        int id;
        do {
            id = ids.incrementAndGet();
        } while (id == 0);
        return id;
    }

    public void route(int id, Receiver receiver) {
        routes.put(id, receiver);
        Closing c = closing.get();
        if (c != null && routes.remove(id) != null) {
            receiver.closed(c.reason());
        }
    }

    public void unroute(int id) {
        routes.remove(id);
    }

    public void send(Message message) throws IOException {
        write(new Frame(Frame.Kind.MESSAGE, Frame.Stream.NONE, message.id(), codec.encode(message)));
    }

    /** Sends bytes in frames of at most 64 KiB. */
    public void sendData(int id, int stream, byte[] bytes, int offset, int length) throws IOException {
        for (int at = offset; at < offset + length; at += CHUNK) {
            int n = Math.min(CHUNK, offset + length - at);
            write(Frame.data(id, stream, bytes, at, n));
        }
    }

    public void sendEnd(int id, int stream) throws IOException {
        write(Frame.end(id, stream));
    }

    public boolean isOpen() {
        return closing.get() == null;
    }

    /** Why the channel closed, once it has. */
    public Optional<String> closeReason() {
        return Optional.ofNullable(closing.get()).map(Closing::reason);
    }

    /** How the channel ended, once it has. */
    public Optional<End> end() {
        return Optional.ofNullable(closing.get()).map(Closing::end);
    }

    @Override
    public void close() {
        shutDown(End.THIS_SIDE, "closed by this side");
    }

    private void write(Frame frame) throws IOException {
        Closing c = closing.get();
        if (c != null) {
            throw new IOException("channel closed: " + c.reason());
        }
        synchronized (writeLock) {
            frame.writeTo(out);
            out.flush();
        }
    }

    private void readLoop() {
        End how = End.OTHER_SIDE;
        String reason = "the other side closed the channel";
        try {
            Frame frame;
            while ((frame = Frame.readFrom(in, maxInboundPayload)) != null) {
                dispatch(frame);
            }
        } catch (ProtocolException e) {
            how = End.PROTOCOL_VIOLATION;
            reason = "protocol violation: " + e.getMessage();
            Log.LOG.warn("{}: {}", name, reason);
        } catch (IOException e) {
            if (isOpen()) {
                reason = "channel broken: " + e.getMessage();
            }
        } catch (RuntimeException e) {
            how = End.RECEIVER_FAILURE;
            reason = "receiver failed: " + e;
            Log.LOG.warn("{}: {}", name, reason, e);
        }
        shutDown(how, reason);
    }

    private void dispatch(Frame frame) throws ProtocolException {
        Receiver receiver = frame.id() == 0 ? fallback : routes.getOrDefault(frame.id(), fallback);
        switch (frame.kind()) {
            case MESSAGE -> {
                Message message = codec.decode(frame.payload());
                if (message.id() != frame.id()) {
                    throw new ProtocolException("message id " + message.id() + " in a frame for id " + frame.id());
                }
                receiver.message(message);
            }
            case DATA -> receiver.data(frame.stream(), frame.payload());
            case END -> receiver.end(frame.stream());
        }
    }

    private void shutDown(End how, String reason) {
        if (!closing.compareAndSet(null, new Closing(how, reason))) {
            return;
        }
        try {
            resource.close();
        } catch (Exception e) {
            Log.LOG.debug("{}: closing: {}", name, e.toString());
        }
        // the fallback is the channel's owner: it learns first, so it can record a better cause
        safely(() -> fallback.closed(reason));
        for (Integer id : routes.keySet()) {
            Receiver r = routes.remove(id);
            if (r != null) {
                safely(() -> r.closed(reason));
            }
        }
    }

    private void safely(Runnable r) {
        try {
            r.run();
        } catch (RuntimeException e) {
            Log.LOG.warn("{}: receiver failed on close", name, e);
        }
    }

    private record Closing(End end, String reason) {}
}
