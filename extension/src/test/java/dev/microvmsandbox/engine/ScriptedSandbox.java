package dev.microvmsandbox.engine;

import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Frame;
import dev.microvmsandbox.channel.Message;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.channels.Pipe;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiConsumer;

/**
 * A sandbox without a VM: a real channel whose guest end answers {@code run-tests} with a script,
 * for the host side's timing and failure paths.
 */
final class ScriptedSandbox implements Sandbox {

    private final SandboxConfig config;
    private final Channel host;
    private final Channel guest;
    private final AtomicReference<String> death = new AtomicReference<>();
    /** Set by {@link #guestStops}: the cause a real backend decides only after the channel's end. */
    private final AtomicReference<String> pendingDeath = new AtomicReference<>();

    final AtomicReference<Message.RunTests> received = new AtomicReference<>();

    /** @param script gets the guest channel and the request, and sends what the guest would */
    ScriptedSandbox(SandboxConfig config, BiConsumer<Channel, Message.RunTests> script) {
        this.config = config;
        try {
            // java.nio pipes, not Piped*Stream: those fail once a writing thread ends
            Pipe toHost = Pipe.open();
            Pipe toGuest = Pipe.open();
            host = new Channel(
                    "host",
                    Channels.newInputStream(toHost.source()),
                    Channels.newOutputStream(toGuest.sink()),
                    Frame.MAX_PAYLOAD,
                    () -> {
                        toGuest.sink().close();
                        toHost.source().close();
                    });
            guest = new Channel(
                    "guest",
                    Channels.newInputStream(toGuest.source()),
                    Channels.newOutputStream(toHost.sink()),
                    Frame.MAX_PAYLOAD,
                    () -> {
                        toHost.sink().close();
                        toGuest.source().close();
                    });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        host.start(message -> {});
        guest.start(message -> {
            if (message instanceof Message.RunTests run) {
                received.set(run);
                Thread t = new Thread(() -> script.accept(guest, run));
                t.setDaemon(true);
                t.start();
            }
        });
    }

    static void send(Channel channel, Message message) {
        try {
            channel.send(message);
        } catch (IOException e) {
            // the host closed the sandbox
        }
    }

    static Message.TestNode node(String id, String parent, Message.NodeType type, String className, String method) {
        return new Message.TestNode(
                id,
                parent,
                method == null ? id : method + "()",
                null,
                type,
                className,
                method,
                method == null ? null : "",
                List.of());
    }

    @Override
    public String id() {
        return "scripted";
    }

    @Override
    public SandboxConfig config() {
        return config;
    }

    @Override
    public Channel channel() {
        return host;
    }

    @Override
    public String acceleration() {
        return "none";
    }

    @Override
    public String consoleTail() {
        return "[ 0.1] scripted console line";
    }

    @Override
    public Optional<String> deathCause() {
        return Optional.ofNullable(death.get());
    }

    /** The cause of a guest-side stop is known only to whoever waits for it, as with a real VM. */
    @Override
    public Optional<String> awaitDeathCause() {
        String pending = pendingDeath.get();
        if (pending != null) {
            death.compareAndSet(null, pending);
        }
        return deathCause();
    }

    /**
     * The guest stops on its own: its end of the channel closes after what it sent, so the host
     * reads all of it and then the end; the cause is decided only after that.
     */
    void guestStops(String cause) {
        pendingDeath.set(cause);
        guest.close();
    }

    void die(String cause) {
        death.compareAndSet(null, cause);
        host.close();
        guest.close();
    }

    @Override
    public void close() {
        die("closed by the host");
    }
}
