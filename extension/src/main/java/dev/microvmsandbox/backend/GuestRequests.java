package dev.microvmsandbox.backend;

import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Frame;
import dev.microvmsandbox.channel.Message;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/** Commands and file copies over a sandbox's channel: the host half of the guest agent's requests. */
final class GuestRequests {

    private static final int SIGKILL = 9;
    private static final Duration KILL_GRACE = Duration.ofSeconds(30);

    private final Sandbox sandbox;
    private final Channel channel;

    GuestRequests(Sandbox sandbox) {
        this.sandbox = sandbox;
        this.channel = sandbox.channel();
    }

    CommandResult exec(Command command) {
        int id = channel.nextId();
        long limit =
                command.outputLimit().orElse(sandbox.config().outputLimit()).bytes();
        BoundedBuffer out = new BoundedBuffer(
                limit,
                command.stdoutListener().orElse(null),
                command.stdoutSink().orElse(null));
        BoundedBuffer err = new BoundedBuffer(
                limit,
                command.stderrListener().orElse(null),
                command.stderrSink().orElse(null));
        CompletableFuture<Message.Exited> exited = new CompletableFuture<>();
        channel.route(id, new Channel.Receiver() {
            @Override
            public void message(Message message) {
                if (message instanceof Message.Exited e) {
                    exited.complete(e);
                }
            }

            @Override
            public void data(int stream, byte[] bytes) {
                BoundedBuffer target = stream == Frame.Stream.STDERR ? err : out;
                if (!target.append(bytes)) {
                    // the sink refused more: the command's output has nowhere to go
                    sendQuietly(new Message.Signal(id, SIGKILL));
                }
            }

            @Override
            public void closed(String reason) {
                exited.completeExceptionally(new ChannelEnded(reason));
            }
        });
        try {
            Map<String, String> env = new LinkedHashMap<>(sandbox.config().env());
            env.putAll(command.env());
            send(new Message.Exec(
                    id,
                    command.argv(),
                    env,
                    command.workingDirectory().orElse(null),
                    command.stdin().isPresent()));
            command.stdin().ifPresent(in -> pumpStdin(id, in, exited));
            boolean timedOut = false;
            Message.Exited result;
            Duration timeout = command.timeout().orElse(sandbox.config().timeout());
            try {
                result = exited.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                timedOut = true;
                send(new Message.Signal(id, SIGKILL));
                result = exited.get(KILL_GRACE.toMillis(), TimeUnit.MILLISECONDS);
            }
            if (result.error() != null) {
                throw new SandboxException("'" + command + "' could not start in the guest: " + result.error());
            }
            return new CommandResult(
                    result.exitCode(), out.text(), err.text(), timedOut, out.truncated || err.truncated);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException e) {
            throw failed("'" + command + "' passed its timeout of "
                    + TimeLimit.format(command.timeout().orElse(sandbox.config().timeout()))
                    + " and the guest did not end it within " + KILL_GRACE.toSeconds() + " s of SIGKILL");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while running '" + command + "'");
        } finally {
            channel.unroute(id);
        }
    }

    /**
     * Copies {@code in} to the command's stdin on a thread of its own until {@code in} ends (then the
     * guest closes the command's input) or the command has exited. A read that blocks past the exit
     * keeps only this daemon thread.
     */
    private void pumpStdin(int id, InputStream in, CompletableFuture<Message.Exited> exited) {
        Thread pump = new Thread(
                () -> {
                    byte[] buf = new byte[16 * 1024];
                    try {
                        int n;
                        while (!exited.isDone() && (n = in.read(buf)) >= 0) {
                            if (n > 0 && !exited.isDone()) {
                                channel.sendData(id, Frame.Stream.STDIN, buf, 0, n);
                            }
                        }
                        if (!exited.isDone()) {
                            channel.sendEnd(id, Frame.Stream.STDIN);
                        }
                    } catch (IOException e) {
                        // the channel closed or the source failed: the command's own end reports it
                    }
                },
                sandbox.id() + "-exec-" + id + "-stdin");
        pump.setDaemon(true);
        pump.start();
    }

    private void sendQuietly(Message message) {
        try {
            channel.send(message);
        } catch (IOException e) {
            // the channel is gone; its closing ends the command
        }
    }

    void copyIn(Path hostFile, String guestPath, int mode) {
        int id = channel.nextId();
        CompletableFuture<Message.FileDone> done = new CompletableFuture<>();
        channel.route(id, fileReceiver(done, null));
        try (InputStream in = Files.newInputStream(hostFile)) {
            send(new Message.PutFile(id, guestPath, mode));
            byte[] buf = new byte[64 * 1024];
            int n;
            while ((n = in.read(buf)) > 0 && !done.isDone()) {
                sendData(id, buf, n);
            }
            sendData(id, buf, -1);
            Message.FileDone result = done.get(sandbox.config().timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (result.error() != null) {
                throw new SandboxException(
                        "copying " + hostFile + " to the guest's " + guestPath + " failed: " + result.error());
            }
        } catch (IOException e) {
            // reading the host file: the channel's own failures are turned into the sandbox's cause on the spot
            throw new UncheckedIOException(e);
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException | InterruptedException e) {
            throw failed("copying " + hostFile + " into the guest did not finish");
        } finally {
            channel.unroute(id);
        }
    }

    long copyOut(String guestPath, Path hostFile, long maxBytes) {
        int id = channel.nextId();
        CompletableFuture<Message.FileDone> done = new CompletableFuture<>();
        Path partial = hostFile.resolveSibling(hostFile.getFileName() + ".partial");
        long[] received = {0};
        try {
            try (OutputStream out = Files.newOutputStream(partial)) {
                receiveFile(id, guestPath, maxBytes, done, out, received);
            }
            Files.move(partial, hostFile, StandardCopyOption.REPLACE_EXISTING);
            return received[0];
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            channel.unroute(id);
            try {
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // best effort: the partial file is in the caller's own folder
            }
        }
    }

    /** Writes what the guest sends of {@code guestPath} to {@code out}, counting it in {@code received[0]}. */
    private void receiveFile(
            int id,
            String guestPath,
            long maxBytes,
            CompletableFuture<Message.FileDone> done,
            OutputStream out,
            long[] received) {
        try {
            channel.route(id, fileReceiver(done, bytes -> {
                received[0] += bytes.length;
                if (received[0] > maxBytes) {
                    done.completeExceptionally(new SandboxException(
                            "the guest's " + guestPath + " is larger than the limit of " + maxBytes + " bytes"));
                    return;
                }
                try {
                    out.write(bytes);
                } catch (IOException e) {
                    done.completeExceptionally(new UncheckedIOException(e));
                }
            }));
            send(new Message.GetFile(id, guestPath, maxBytes));
            Message.FileDone result = done.get(sandbox.config().timeout().toMillis(), TimeUnit.MILLISECONDS);
            if (result.error() != null) {
                throw new SandboxException("copying the guest's " + guestPath + " failed: " + result.error());
            }
        } catch (ExecutionException e) {
            throw unwrap(e);
        } catch (TimeoutException | InterruptedException e) {
            throw failed("copying " + guestPath + " out of the guest did not finish");
        }
    }

    private Channel.Receiver fileReceiver(CompletableFuture<Message.FileDone> done, Consumer<byte[]> sink) {
        return new Channel.Receiver() {
            @Override
            public void message(Message message) {
                if (message instanceof Message.FileDone d) {
                    done.complete(d);
                }
            }

            @Override
            public void data(int stream, byte[] bytes) {
                if (sink != null && stream == Frame.Stream.FILE && !done.isDone()) {
                    sink.accept(bytes);
                }
            }

            @Override
            public void closed(String reason) {
                done.completeExceptionally(new ChannelEnded(reason));
            }
        };
    }

    private void send(Message message) {
        try {
            channel.send(message);
        } catch (IOException e) {
            throw died(e.getMessage());
        }
    }

    /** File bytes in frames, or with {@code length} -1 the end of the file. */
    private void sendData(int id, byte[] bytes, int length) {
        try {
            if (length < 0) {
                channel.sendEnd(id, Frame.Stream.FILE);
            } else {
                channel.sendData(id, Frame.Stream.FILE, bytes, 0, length);
            }
        } catch (IOException e) {
            throw died(e.getMessage());
        }
    }

    /** The channel failed under a request: the VM is stopping, and why it stopped says more than the socket. */
    private SandboxException died(String reason) {
        String cause = sandbox.awaitDeathCause().orElse(reason);
        return new SandboxException("sandbox " + sandbox.id() + " failed: " + cause);
    }

    /** A request failed while the sandbox may still run: its cause if it has already stopped. */
    private SandboxException failed(String reason) {
        String cause = sandbox.deathCause().orElse(reason);
        return new SandboxException("sandbox " + sandbox.id() + " failed: " + cause);
    }

    private RuntimeException unwrap(ExecutionException e) {
        if (e.getCause() instanceof ChannelEnded ended) {
            return died(ended.getMessage());
        }
        return e.getCause() instanceof RuntimeException r
                ? r
                : new SandboxException(e.getCause().toString(), e.getCause());
    }

    /** Completes a request's future when the channel closes; turned into the sandbox's cause by the waiting thread. */
    private static final class ChannelEnded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        ChannelEnded(String reason) {
            super(reason, null, false, false);
        }
    }

    /**
     * Keeps at most {@code limit} bytes of a stream and says whether it dropped any; or, with a sink,
     * passes every byte on and keeps none.
     */
    private static final class BoundedBuffer {
        private final long limit;
        private final Consumer<String> listener;
        private final OutputStream sink;
        private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        private volatile boolean truncated;
        private boolean sinkFailed;

        BoundedBuffer(long limit, Consumer<String> listener, OutputStream sink) {
            this.limit = limit;
            this.listener = listener;
            this.sink = sink;
        }

        /** @return false once the sink has failed (what follows is dropped) */
        synchronized boolean append(byte[] chunk) {
            if (sink != null) {
                if (!sinkFailed) {
                    try {
                        sink.write(chunk);
                        sink.flush();
                    } catch (IOException e) {
                        sinkFailed = true;
                    }
                }
                return !sinkFailed;
            }
            long room = limit - bytes.size();
            int keep = (int) Math.max(0, Math.min(room, chunk.length));
            if (keep < chunk.length) {
                truncated = true;
            }
            if (keep > 0) {
                bytes.write(chunk, 0, keep);
                if (listener != null) {
                    listener.accept(new String(chunk, 0, keep, StandardCharsets.UTF_8));
                }
            }
            return true;
        }

        synchronized String text() {
            String s = bytes.toString(StandardCharsets.UTF_8);
            return truncated ? s + "\n[output truncated at " + limit + " bytes]\n" : s;
        }
    }
}
