package dev.microvmsandbox.testcontainers;

import java.util.List;
import java.util.Locale;

/**
 * An image name taken apart the way Docker and podman read it: {@code [registry/]path[:tag][@digest]}.
 * A name without a registry is on Docker Hub ({@code docker.io}), where a one-part path is under
 * {@code library/}; a name without tag or digest means {@code :latest}.
 *
 * @param registry {@code docker.io}, {@code localhost}, {@code registry.example.com:5000}, ...
 * @param path     the repository path, {@code library/postgres} for Docker Hub's official images
 * @param tag      the tag, empty when the name has a digest and no tag
 * @param digest   {@code sha256:...}, or empty
 */
record ImageReference(String registry, String path, String tag, String digest) {

    static final String DOCKER_HUB = "docker.io";

    static ImageReference parse(String name) {
        String rest = name.trim();
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("an empty image name");
        }
        String digest = "";
        int at = rest.indexOf('@');
        if (at >= 0) {
            digest = rest.substring(at + 1);
            rest = rest.substring(0, at);
        }
        String tag = "";
        int colon = rest.lastIndexOf(':');
        if (colon > rest.lastIndexOf('/')) {
            tag = rest.substring(colon + 1);
            rest = rest.substring(0, colon);
        }
        if (tag.isEmpty() && digest.isEmpty()) {
            tag = "latest";
        }
        String registry = DOCKER_HUB;
        int slash = rest.indexOf('/');
        if (slash > 0) {
            String first = rest.substring(0, slash);
            if (first.contains(".") || first.contains(":") || first.equals("localhost")) {
                registry = first.toLowerCase(Locale.ROOT);
                rest = rest.substring(slash + 1);
            }
        }
        if (registry.equals("index.docker.io") || registry.equals("registry-1.docker.io")) {
            registry = DOCKER_HUB;
        }
        if (rest.isEmpty()) {
            throw new IllegalArgumentException("no repository in image name '" + name + "'");
        }
        if (registry.equals(DOCKER_HUB) && rest.indexOf('/') < 0) {
            rest = "library/" + rest;
        }
        return new ImageReference(registry, rest, tag, digest);
    }

    /** The fully qualified name podman lists: {@code docker.io/library/postgres:16-alpine}. */
    String canonical() {
        return registry + "/" + path + (tag.isEmpty() ? "" : ":" + tag) + (digest.isEmpty() ? "" : "@" + digest);
    }

    /** The repository without the tag, as the Docker API's tag call takes it. */
    String repository() {
        return registry + "/" + path;
    }

    /**
     * The path's components that name the image wherever it is kept: Docker Hub's {@code library/}
     * says only that the image is an official one, so it is left out.
     */
    List<String> nameSegments() {
        String p = registry.equals(DOCKER_HUB) && path.startsWith("library/") ? path.substring(8) : path;
        return List.of(p.split("/"));
    }
}
