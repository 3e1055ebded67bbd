package dev.microvmsandbox.backend.kata.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.model.Frame;
import com.github.dockerjava.api.model.WaitResponse;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.kata.BytePipe;
import dev.microvmsandbox.backend.kata.ConsoleTail;
import dev.microvmsandbox.backend.kata.ContainerHandle;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sandbox container on a Docker Engine API, created, attached (stdin, stdout and stderr of its
 * main process, the bootstrap) and started in that order, so nothing it writes is missed and its
 * stdin is open before it reads. The container's stdin is "once": when this side's attach
 * connection ends (the sandbox is closed, or this JVM dies) the guest sees the end of its channel
 * and stops.
 */
final class AttachedContainer implements ContainerHandle {

    private static final Logger LOG = LoggerFactory.getLogger(AttachedContainer.class);
    /** Bytes buffered between the engine's stream and the channel, each way. */
    static final long PIPE_BYTES = 4L << 20;

    private final DockerEngine engine;
    private final String id;
    private final String name;
    private final ConsoleTail console;
    private final BytePipe stdin = new BytePipe(PIPE_BYTES);
    private final BytePipe stdout = new BytePipe(PIPE_BYTES);
    private final CompletableFuture<String> stopped = new CompletableFuture<>();
    private final AtomicBoolean destroyed = new AtomicBoolean();
    private final Output output = new Output();

    private AttachedContainer(DockerEngine engine, String id, String name, ConsoleTail console) {
        this.engine = engine;
        this.id = id;
        this.name = name;
        this.console = console;
    }

    /**
     * Creates, attaches and starts the container {@code create} describes.
     *
     * @throws SandboxException saying what the engine refused and what to do; nothing is left behind
     */
    static AttachedContainer start(
            DockerEngine engine, CreateContainerCmd create, String name, ConsoleTail console, String runtimeHelp) {
        String id;
        try {
            id = create.withName(name).exec().getId();
        } catch (DockerException | IllegalArgumentException e) {
            throw new SandboxException("the engine at " + engine.endpoint()
                    + " could not create the sandbox container: " + firstLine(e) + runtimeHelp);
        }
        AttachedContainer container = new AttachedContainer(engine, id, name, console);
        try {
            container.attachAndStart();
            return container;
        } catch (RuntimeException e) {
            container.destroy();
            if (e instanceof SandboxException s) {
                throw s;
            }
            throw new SandboxException("the engine at " + engine.endpoint() + " could not start the sandbox container "
                    + name + ": " + firstLine(e) + runtimeHelp);
        }
    }

    private void attachAndStart() {
        engine.streams()
                .attachContainerCmd(id)
                .withStdIn(stdin.source())
                .withStdOut(true)
                .withStdErr(true)
                .withFollowStream(true)
                .withLogs(false)
                .exec(output);
        try {
            if (!output.awaitStarted(DockerEngine.CALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
                throw new SandboxException("the engine at " + engine.endpoint() + " did not attach to the sandbox "
                        + "container within " + DockerEngine.CALL_TIMEOUT.toSeconds() + " s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while attaching to the sandbox container");
        }
        engine.calls().startContainerCmd(id).exec();
        engine.streams().waitContainerCmd(id).exec(new ResultCallback.Adapter<WaitResponse>() {
            @Override
            public void onNext(WaitResponse response) {
                stoppedNow();
            }

            @Override
            public void onError(Throwable throwable) {
                stopped.complete("the engine stopped reporting on it: " + firstLine(throwable));
            }

            @Override
            public void onComplete() {
                stoppedNow();
            }
        });
    }

    private void stoppedNow() {
        if (!stopped.isDone()) {
            stopped.complete(engine.stateOf(id).orElse("removed"));
        }
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public OutputStream stdin() {
        return stdin.sink();
    }

    @Override
    public InputStream stdout() {
        return stdout.source();
    }

    @Override
    public CompletableFuture<String> stopped() {
        return stopped;
    }

    @Override
    public void destroy() {
        if (!destroyed.compareAndSet(false, true)) {
            return;
        }
        // end of stdin first: the hijacked stream's pump thread then ends quietly
        stdin.close();
        try {
            output.close();
        } catch (IOException | RuntimeException e) {
            LOG.debug("{}: closing the attach stream: {}", name, e.toString());
        }
        try {
            engine.remove(id);
        } catch (RuntimeException e) {
            LOG.warn("{}: could not remove container {}: {}", name, id, firstLine(e));
        }
        stdout.close();
        stopped.complete("removed");
    }

    static String firstLine(Throwable t) {
        String m = t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
        return m.lines().findFirst().orElse("").strip();
    }

    /** The engine's multiplexed stream: stdout into the channel's pipe, stderr into the console. */
    private final class Output extends ResultCallback.Adapter<Frame> {
        @Override
        public void onNext(Frame frame) {
            byte[] payload = frame.getPayload();
            if (payload == null || payload.length == 0) {
                return;
            }
            switch (frame.getStreamType()) {
                case STDERR -> {
                    console.append(payload, 0, payload.length);
                    if (LOG.isDebugEnabled()) {
                        LOG.debug(
                                "{} stderr: {}",
                                name,
                                new String(payload, java.nio.charset.StandardCharsets.UTF_8).strip());
                    }
                }
                case STDOUT, RAW -> {
                    try {
                        stdout.sink().write(payload);
                    } catch (IOException e) {
                        // the sandbox is gone: what the guest still writes has no reader
                    }
                }
                default -> {}
            }
        }

        @Override
        public void onError(Throwable throwable) {
            if (!destroyed.get()) {
                LOG.debug("{}: attach stream failed: {}", name, firstLine(throwable));
            }
            stdout.close();
        }

        @Override
        public void onComplete() {
            stdout.close();
        }
    }
}
