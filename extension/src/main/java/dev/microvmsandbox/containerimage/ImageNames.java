package dev.microvmsandbox.containerimage;

/**
 * How podman names an image it loads. A short name is qualified differently per archive format:
 * a docker-archive's {@code redis:7} becomes {@code docker.io/library/redis:7} (Docker's rule), an
 * OCI archive's becomes {@code localhost/redis:7}; a name with a registry stays as it is.
 */
final class ImageNames {

    private ImageNames() {}

    /** {@code redis} is {@code redis:latest}; a name with a tag or digest stays. */
    static String normalizeTag(String name) {
        int slash = name.lastIndexOf('/');
        return name.indexOf(':', slash + 1) < 0 && !name.contains("@") ? name + ":latest" : name;
    }

    /** Docker's rule: {@code redis:7} is {@code docker.io/library/redis:7}. */
    static String qualify(String name) {
        String n = normalizeTag(name);
        if (hasRegistry(n)) {
            return n;
        }
        return "docker.io/" + (n.indexOf('/') < 0 ? "library/" : "") + n;
    }

    /** Podman's rule for OCI archives: {@code redis:7} is {@code localhost/redis:7}. */
    static String qualifyLocal(String name) {
        String n = normalizeTag(name);
        return hasRegistry(n) ? n : "localhost/" + n;
    }

    /** Docker's reference rule: the first path component is a registry if it looks like a host. */
    static boolean hasRegistry(String name) {
        int slash = name.indexOf('/');
        if (slash < 0) {
            return false;
        }
        String first = name.substring(0, slash);
        return first.contains(".") || first.contains(":") || first.equals("localhost");
    }
}
