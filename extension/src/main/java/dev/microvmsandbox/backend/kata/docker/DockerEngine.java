package dev.microvmsandbox.backend.kata.docker;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.api.model.Container;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import dev.microvmsandbox.backend.kata.RunOwner;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A Docker Engine API (Docker 23+ or podman's) reached with docker-java: what the
 * {@code kata-docker} backend asks of it. Two clients share the endpoint: one whose calls answer
 * within {@link #CALL_TIMEOUT}, one without a response timeout for what streams for as long as a
 * sandbox lives (attach, wait) or as long as a big image takes (load, pull).
 */
final class DockerEngine implements AutoCloseable {

    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    static final Duration CALL_TIMEOUT = Duration.ofMinutes(2);
    private static final int REMOVE_ATTEMPTS = 5;

    private static final Map<String, DockerEngine> SHARED = new ConcurrentHashMap<>();

    private final String endpoint;
    private final Path socket;
    private final DockerClient calls;
    private final DockerClient streams;

    private DockerEngine(String endpoint) {
        this.endpoint = endpoint;
        this.socket = endpoint.startsWith("unix://") ? Path.of(endpoint.substring("unix://".length())) : null;
        // built from the endpoint alone: the user's ~/.docker-java.properties and DOCKER_* variables
        // must not send the sandbox to an engine other than the one the settings name
        DockerClientConfig config = new DefaultDockerClientConfig.Builder()
                .withDockerHost(endpoint)
                .withDockerTlsVerify(false)
                .build();
        this.calls = client(config, CALL_TIMEOUT);
        this.streams = client(config, null);
    }

    /** The engine at {@code endpoint}, one per endpoint and JVM (its clients are thread-safe). */
    static DockerEngine at(String endpoint) {
        return SHARED.computeIfAbsent(endpoint, DockerEngine::new);
    }

    private static DockerClient client(DockerClientConfig config, Duration responseTimeout) {
        URI host = config.getDockerHost();
        DockerHttpClient http = new ZerodepDockerHttpClient.Builder()
                .dockerHost(host)
                .connectionTimeout(CONNECT_TIMEOUT)
                .responseTimeout(responseTimeout)
                .build();
        return DockerClientImpl.getInstance(config, http);
    }

    String endpoint() {
        return endpoint;
    }

    /** False when the endpoint is a unix socket that does not exist: nothing to ask. */
    boolean socketPresent() {
        return socket == null || Files.exists(socket);
    }

    DockerClient calls() {
        return calls;
    }

    DockerClient streams() {
        return streams;
    }

    Info info() {
        return calls.infoCmd().exec();
    }

    /** The engine's product and version, as its {@code /version} names them ("Podman Engine 4.3.1"). */
    String product() {
        var version = calls.versionCmd().exec();
        String name = version.getComponents() == null || version.getComponents().isEmpty()
                ? "Docker Engine"
                : version.getComponents().get(0).getName();
        return name + " " + version.getVersion() + " (API " + version.getApiVersion() + ")";
    }

    boolean hasImage(String name) {
        try {
            calls.inspectImageCmd(name).exec();
            return true;
        } catch (NotFoundException e) {
            return false;
        }
    }

    /** Loads an image archive (docker-archive or OCI layout; the sandbox archive is both). */
    void load(Path archive) throws IOException {
        try (InputStream in = Files.newInputStream(archive)) {
            streams.loadImageCmd(in).exec();
        }
    }

    /** Every container this library made on this engine, running or not. */
    List<Container> managedContainers() {
        return calls.listContainersCmd()
                .withShowAll(true)
                .withLabelFilter(Map.of(RunOwner.MANAGED_BY, RunOwner.MANAGED_BY_VALUE))
                .exec();
    }

    /**
     * Removes a container and its anonymous volumes, running or not; false if it was already gone.
     * A container that is stopping by itself at that moment makes the engine refuse ("container
     * state improper"); it is asked again a few times.
     */
    boolean remove(String id) {
        for (int attempt = 1; ; attempt++) {
            try {
                calls.removeContainerCmd(id)
                        .withForce(true)
                        .withRemoveVolumes(true)
                        .exec();
                return true;
            } catch (NotFoundException e) {
                return false;
            } catch (DockerException e) {
                if (attempt >= REMOVE_ATTEMPTS) {
                    throw e;
                }
                try {
                    Thread.sleep(500L * attempt);
                } catch (InterruptedException interrupted) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    Optional<String> stateOf(String id) {
        try {
            var state = calls.inspectContainerCmd(id).exec().getState();
            if (state == null) {
                return Optional.empty();
            }
            StringBuilder s = new StringBuilder("exited with status " + state.getExitCodeLong());
            if (Boolean.TRUE.equals(state.getOOMKilled())) {
                s.append(", killed for using more memory than its limit (OOMKilled)");
            }
            if (state.getError() != null && !state.getError().isBlank()) {
                s.append(", engine error: ").append(state.getError());
            }
            return Optional.of(s.toString());
        } catch (NotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public void close() throws IOException {
        SHARED.remove(endpoint, this);
        calls.close();
        streams.close();
    }
}
