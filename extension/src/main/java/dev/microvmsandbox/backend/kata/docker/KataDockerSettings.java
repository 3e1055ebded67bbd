package dev.microvmsandbox.backend.kata.docker;

import dev.microvmsandbox.backend.kata.VmBoundary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Function;

/**
 * The {@code kata-docker} backend's settings, read from configuration parameters (system
 * properties or {@code junit-platform.properties}).
 *
 * @param endpoint          the Docker Engine API: {@code unix:///path} or {@code tcp://host:port}
 * @param runtime           the runtime the sandbox container runs with
 * @param image             the sandbox image by name, if the user names one
 * @param imageArchive      an archive of the sandbox image to load when the engine lacks it
 * @param allowNoVmBoundary whether a runtime without a VM may run the sandbox
 */
record KataDockerSettings(
        String endpoint,
        String runtime,
        Optional<String> image,
        Optional<Path> imageArchive,
        boolean allowNoVmBoundary) {

    static final String PREFIX = "microvm.sandbox.kata.";
    static final String ENDPOINT = PREFIX + "dockerHost";
    static final String RUNTIME = PREFIX + "runtime";
    static final String IMAGE = PREFIX + "image";
    static final String IMAGE_ARCHIVE = PREFIX + "imageArchive";
    static final String DEFAULT_RUNTIME = "io.containerd.kata.v2";

    /** Docker's socket, then podman's rootful one; {@code $DOCKER_HOST} before both. */
    static final List<String> USUAL_SOCKETS = List.of("/var/run/docker.sock", "/run/podman/podman.sock");

    /**
     * @throws IllegalArgumentException naming the parameter that is wrong and an example of a right value
     */
    static KataDockerSettings read(Function<String, Optional<String>> parameters, Function<String, String> env) {
        String endpoint = value(parameters, ENDPOINT).orElseGet(() -> defaultEndpoint(env));
        if (!endpoint.startsWith("unix://") && !endpoint.startsWith("tcp://")) {
            throw new IllegalArgumentException(ENDPOINT + "=" + endpoint
                    + " is wrong (not unix:// or tcp://); write it like " + ENDPOINT + "=unix:///var/run/docker.sock");
        }
        String runtime = value(parameters, RUNTIME).orElse(DEFAULT_RUNTIME);
        Optional<String> allow = value(parameters, VmBoundary.ALLOW_SETTING);
        boolean allowNoVm = false;
        if (allow.isPresent()) {
            String v = allow.get().toLowerCase(Locale.ROOT);
            if (!v.equals("true") && !v.equals("false")) {
                throw new IllegalArgumentException(VmBoundary.ALLOW_SETTING + "=" + allow.get()
                        + " is wrong (not true or false); write it like " + VmBoundary.ALLOW_SETTING + "=true");
            }
            allowNoVm = v.equals("true");
        }
        return new KataDockerSettings(
                endpoint,
                runtime,
                value(parameters, IMAGE),
                value(parameters, IMAGE_ARCHIVE).map(Path::of),
                allowNoVm);
    }

    private static String defaultEndpoint(Function<String, String> env) {
        String dockerHost = env.apply("DOCKER_HOST");
        if (dockerHost != null && !dockerHost.isBlank()) {
            return dockerHost.trim();
        }
        for (String socket : USUAL_SOCKETS) {
            if (Files.exists(Path.of(socket))) {
                return "unix://" + socket;
            }
        }
        return "unix://" + USUAL_SOCKETS.get(0);
    }

    private static Optional<String> value(Function<String, Optional<String>> parameters, String name) {
        return parameters.apply(name).map(String::trim).filter(s -> !s.isEmpty());
    }
}
