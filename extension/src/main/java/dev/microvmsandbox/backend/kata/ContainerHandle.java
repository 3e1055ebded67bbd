package dev.microvmsandbox.backend.kata;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import org.apiguardian.api.API;

/**
 * One started sandbox container (a Docker container or a Pod's container) with its main
 * process's stdio attached: what a Kata backend hands to {@link ContainerSandbox}.
 */
@API(status = API.Status.INTERNAL)
public interface ContainerHandle {

    /** The container's or Pod's name, for logs and messages. */
    String name();

    /** The container's stdin: first the host's files, then the channel to the agent. */
    OutputStream stdin();

    /** The container's stdout: the agent's side of the channel, nothing else. */
    InputStream stdout();

    /** Completes, with the engine's words on how, once the container has stopped. */
    CompletableFuture<String> stopped();

    /** Removes the container (or Pod) and everything it wrote. Idempotent; never throws. */
    void destroy();
}
