package dev.microvmsandbox.containerimage;

import dev.microvmsandbox.backend.Command;
import dev.microvmsandbox.backend.CommandResult;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.hostfs.CacheDirectory;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.regex.Pattern;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves {@code @MicroVmSandbox(images = ...)} entries on the host and loads them into a
 * sandbox's podman store.
 *
 * <p>An entry is one of
 * <ul>
 *   <li>{@code docker-archive:PATH} or {@code oci-archive:PATH}: an image archive file, PATH
 *       relative to the project directory (or absolute);</li>
 *   <li>an image name ({@code localhost/samples/redis:7}, {@code redis:7}): exported through the
 *       Docker API of a container engine on the host ({@code $DOCKER_HOST}, then the usual Docker
 *       and podman sockets), cached under {@code <cache>/host-images/<image id>/} so a second run
 *       does not export again.</li>
 * </ul>
 * Inside the guest the image keeps the names stored in its archive.
 *
 * <p>Typical use by the engine: {@link #resolve(List)} before the VM boots (fail fast, no VM
 * wasted on a typo), then {@link #preload(Sandbox, List)} once it is ready.
 */
@API(status = API.Status.INTERNAL)
public final class ImageSources {

    private static final Logger LOG = LoggerFactory.getLogger(ImageSources.class);

    /** Where archives wait in the guest until podman has loaded them. */
    public static final String GUEST_DIR = "/tmp/images";
    /** Docker image reference: [host[:port]/]path[:tag][@digest], lower-case path. */
    private static final Pattern IMAGE_NAME = Pattern.compile(
            "^(?:[a-zA-Z0-9.-]+(?::[0-9]+)?/)?[a-z0-9]+(?:[._-][a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"
                    + "(?::[\\w][\\w.-]{0,127})?(?:@sha256:[0-9a-f]{64})?$");

    private final Path projectDir;
    private final Path cacheDir;
    private final List<String> engineEndpoints;

    /**
     * @param projectDir       archive paths are relative to it (the Maven {@code basedir})
     * @param cacheDir         holds exported archives ({@code host-images/} below it)
     * @param engineEndpoints  Docker API endpoints to try for image names, in order
     *                         ({@code unix:///path} or {@code tcp://host:port})
     */
    public ImageSources(Path projectDir, Path cacheDir, List<String> engineEndpoints) {
        this.projectDir = projectDir.toAbsolutePath().normalize();
        this.cacheDir = cacheDir.toAbsolutePath().normalize();
        this.engineEndpoints = List.copyOf(engineEndpoints);
    }

    /** Sources for a project, with the default cache and the host's usual engine sockets. */
    public static ImageSources forProject(Path projectDir) {
        return new ImageSources(projectDir, defaultCacheDir(System::getenv), defaultEndpoints(System::getenv));
    }

    /** {@code $MICROVM_SANDBOX_CACHE}, else {@code ~/.cache/microvm-sandbox}. */
    static Path defaultCacheDir(Function<String, String> env) {
        return CacheDirectory.root(env);
    }

    /**
     * {@code $DOCKER_HOST} first (what the user's docker CLI uses), then Docker's socket,
     * podman's rootful and rootless sockets.
     */
    static List<String> defaultEndpoints(Function<String, String> env) {
        Set<String> e = new LinkedHashSet<>();
        String dockerHost = env.apply("DOCKER_HOST");
        if (dockerHost != null && !dockerHost.isBlank()) {
            e.add(dockerHost.trim());
        }
        e.add("unix:///var/run/docker.sock");
        e.add("unix:///run/podman/podman.sock");
        String xdg = env.apply("XDG_RUNTIME_DIR");
        if (xdg != null && !xdg.isBlank()) {
            e.add("unix://" + Path.of(xdg, "podman", "podman.sock"));
        }
        return List.copyOf(e);
    }

    // ---- resolution (host, before the VM) -------------------------------------------------

    /**
     * Resolves every entry; all failures are collected and reported together.
     *
     * @throws SandboxException naming each entry that could not be resolved and what was tried
     */
    public List<ImageArchive> resolve(List<String> images) {
        List<ImageArchive> found = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (String image : images) {
            try {
                found.add(resolve(image));
            } catch (SandboxException e) {
                errors.add(e.getMessage());
            }
        }
        if (!errors.isEmpty()) {
            throw new SandboxException(String.join("\n", errors));
        }
        return found;
    }

    /** Resolves one entry; see the class comment for the forms it takes. */
    public ImageArchive resolve(String image) {
        String entry = image == null ? "" : image.trim();
        if (entry.isEmpty()) {
            throw new SandboxException("@MicroVmSandbox(images): an empty entry; give docker-archive:PATH, "
                    + "oci-archive:PATH or an image name");
        }
        for (ImageArchive.Format f : ImageArchive.Format.values()) {
            if (entry.startsWith(f.prefix() + ":")) {
                return resolveArchive(entry, entry.substring(f.prefix().length() + 1));
            }
        }
        if (entry.endsWith(".tar")
                || entry.endsWith(".tar.gz")
                || entry.startsWith("/")
                || entry.startsWith("./")
                || entry.startsWith("../")
                || entry.startsWith("~")) {
            throw new SandboxException("@MicroVmSandbox(images) entry '" + entry + "' looks like a file: write it as "
                    + "docker-archive:" + entry + " (or oci-archive:" + entry + "), relative to " + projectDir);
        }
        if (!IMAGE_NAME.matcher(entry).matches()) {
            throw new SandboxException("@MicroVmSandbox(images) entry '" + entry + "' is neither docker-archive:PATH, "
                    + "oci-archive:PATH nor a valid image name");
        }
        return resolveName(entry);
    }

    private ImageArchive resolveArchive(String entry, String pathText) {
        if (pathText.isBlank()) {
            throw new SandboxException("@MicroVmSandbox(images) entry '" + entry + "' has no path");
        }
        Path path = projectDir.resolve(pathText).normalize();
        if (!Files.exists(path)) {
            throw new SandboxException("Image '" + entry + "' not found. Tried:\n  - archive file " + path
                    + " (relative to the project directory " + projectDir + "): no such file\n"
                    + "Make it with `podman save -o " + pathText + " NAME` or `docker save -o " + pathText
                    + " NAME`, or build it first (the sample projects run sandbox-image/samples/build.sh).");
        }
        if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
            throw new SandboxException("Image '" + entry + "': " + path + " is not a readable file");
        }
        try {
            ImageArchive a = ImageArchive.inspect(entry, path, "archive file");
            if (a.names().isEmpty()) {
                LOG.warn("{}: the archive stores no image name; podman will load it untagged", entry);
            } else if (!a.guestNames().equals(a.names())) {
                LOG.info("{}: the archive names {}; podman will call it {}", entry, a.names(), a.guestNames());
            }
            return a;
        } catch (IOException e) {
            throw new SandboxException(
                    "Image '" + entry + "': " + path + " is not an image archive: " + e.getMessage());
        }
    }

    private ImageArchive resolveName(String name) {
        List<String> tried = new ArrayList<>();
        for (String endpoint : engineEndpoints) {
            ContainerEngineExport engine;
            try {
                engine = ContainerEngineExport.of(endpoint, System.getenv());
            } catch (IllegalArgumentException e) {
                tried.add("Docker API at " + endpoint + ": " + e.getMessage());
                continue;
            }
            try (engine) {
                if (!engine.present()) {
                    tried.add("Docker API at " + endpoint + ": no such socket");
                    continue;
                }
                ImageArchive a = export(engine, name);
                if (a != null) {
                    return a;
                }
                tried.add("Docker API at " + endpoint + ": no image named " + name);
            } catch (IOException e) {
                tried.add("Docker API at " + endpoint + ": " + e.getMessage());
            }
        }
        if (engineEndpoints.isEmpty()) {
            tried.add("no container engine endpoint configured");
        }
        StringBuilder m = new StringBuilder("Image '" + name + "' not found. Tried:\n");
        for (String t : tried) {
            m.append("  - ").append(t).append('\n');
        }
        m.append("The sandbox has no network and pulls nothing. Load the image into Docker or podman on this host, "
                + "or give an archive instead: images = \"docker-archive:PATH\" (relative to " + projectDir
                + "), made with `docker save -o PATH " + name + "`.");
        return fail(m.toString());
    }

    private static ImageArchive fail(String message) {
        throw new SandboxException(message);
    }

    /** Inspects the image (for its id), then exports it unless an export of that id is cached. */
    private ImageArchive export(ContainerEngineExport engine, String name) throws IOException {
        ContainerEngineExport.Image image = engine.inspect(name).orElse(null);
        if (image == null) {
            return null;
        }
        Path dir = cacheDir.resolve("host-images").resolve(image.id());
        Path file = dir.resolve(safeFileName(name) + ".tar");
        String origin = "exported from " + engine.endpoint();
        if (Files.isRegularFile(file)) {
            try {
                ImageArchive cached = ImageArchive.inspect(name, file, origin + " (cached)");
                if (carries(cached, name)) {
                    LOG.info("image {}: cached export {}", name, file);
                    return cached;
                }
            } catch (IOException e) {
                LOG.warn("image {}: ignoring a broken cached export {}: {}", name, file, e.getMessage());
            }
        }
        Files.createDirectories(dir);
        long limit = exportLimit(image.size());
        long free = Files.getFileStore(dir).getUsableSpace();
        if (image.size() > 0 && free < image.size()) {
            throw new IOException("export needs about " + (image.size() >> 20) + " MiB but " + dir + " has "
                    + (free >> 20) + " MiB free");
        }
        Path partial = Files.createTempFile(dir, "export-", ".partial");
        long start = System.nanoTime();
        try {
            try (OutputStream out = Files.newOutputStream(partial)) {
                engine.export(name, out, limit);
            }
            try {
                Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(partial);
        }
        ImageArchive a = ImageArchive.inspect(name, file, origin);
        if (!carries(a, name)) {
            LOG.warn(
                    "image {}: the export from {} is named {}; podman will load it under those names",
                    name,
                    engine.endpoint(),
                    a.names());
        }
        LOG.info(
                "image {}: exported {} MiB from {} in {} ms",
                name,
                a.bytes() >> 20,
                engine.endpoint(),
                (System.nanoTime() - start) / 1_000_000);
        return a;
    }

    /**
     * How much of an export is read: a docker-archive holds the image's layers uncompressed
     * (about its reported size) plus small metadata; an unknown size gets a fixed ceiling.
     */
    static long exportLimit(long imageSize) {
        return imageSize > 0 ? 2 * imageSize + (64L << 20) : 64L << 30;
    }

    /** Whether the archive carries {@code name}, however the engine spelled it (Docker short or podman qualified). */
    static boolean carries(ImageArchive archive, String name) {
        String wanted = ImageNames.qualify(name);
        return archive.names().stream().anyMatch(n -> ImageNames.qualify(n).equals(wanted));
    }

    static String safeFileName(String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    // ---- preload (guest, once the VM is ready) ----------------------------------------------

    /** What one preload did: the archive, its size and how long copy and load took. */
    public record Preloaded(ImageArchive archive, long copyMillis, long loadMillis) {
        public double millisPerMiB() {
            double mib = Math.max(1, archive.bytes()) / (1024.0 * 1024.0);
            return (copyMillis + loadMillis) / mib;
        }
    }

    /** Resolves {@code images} against {@code projectDir} and loads them into the sandbox. */
    public static List<Preloaded> preload(Sandbox sandbox, List<String> images, Path projectDir) {
        if (images.isEmpty()) {
            return List.of();
        }
        ImageSources sources = forProject(projectDir);
        return sources.preload(sandbox, sources.resolve(images));
    }

    /**
     * Copies each archive into the guest, {@code podman load}s it, deletes the copy, and checks
     * that every name stored in the archives now exists in the guest.
     */
    public List<Preloaded> preload(Sandbox sandbox, List<ImageArchive> archives) {
        if (archives.isEmpty()) {
            return List.of();
        }
        run(sandbox, Command.of("mkdir", "-p", GUEST_DIR), Duration.ofSeconds(30), "mkdir " + GUEST_DIR);
        List<Preloaded> done = new ArrayList<>();
        int i = 0;
        for (ImageArchive a : archives) {
            String guestFile = GUEST_DIR + "/" + (i++) + "-"
                    + safeFileName(a.file().getFileName().toString());
            long t0 = System.nanoTime();
            sandbox.copyIn(a.file(), guestFile, 0644);
            long t1 = System.nanoTime();
            // generous: podman unpacks every layer under emulation
            long minutes = 5 + (a.bytes() >> 27);
            CommandResult r = sandbox.exec(
                    Command.of("podman", "load", "-i", guestFile).withTimeout(Duration.ofMinutes(minutes)));
            long t2 = System.nanoTime();
            sandbox.exec(Command.of("rm", "-f", guestFile).withTimeout(Duration.ofSeconds(30)));
            if (!r.succeeded()) {
                throw new SandboxException("Image '" + a.source() + "' (" + a.file() + "): podman load in the sandbox "
                        + (r.timedOut()
                                ? "timed out after " + minutes + " min"
                                : "failed with exit code " + r.exitCode())
                        + ":\n" + tail(r.stderr() + r.stdout(), 2000));
            }
            Preloaded p = new Preloaded(a, (t1 - t0) / 1_000_000, (t2 - t1) / 1_000_000);
            LOG.info(
                    "image {}: {} MiB loaded as {} (copy {} ms, podman load {} ms, {} ms/MiB)",
                    a.source(),
                    a.bytes() >> 20,
                    a.guestNames(),
                    p.copyMillis(),
                    p.loadMillis(),
                    String.format(Locale.ROOT, "%.1f", p.millisPerMiB()));
            done.add(p);
        }
        checkNames(sandbox, archives);
        return done;
    }

    private static void checkNames(Sandbox sandbox, List<ImageArchive> archives) {
        Map<String, String> expected = new LinkedHashMap<>();
        for (ImageArchive a : archives) {
            for (String n : a.guestNames()) {
                expected.put(n, a.source());
            }
        }
        if (expected.isEmpty()) {
            return;
        }
        CommandResult r = run(
                sandbox,
                Command.of("podman", "images", "--format", "{{.Repository}}:{{.Tag}}"),
                Duration.ofMinutes(2),
                "podman images");
        Set<String> present = new LinkedHashSet<>();
        for (String line : r.stdout().split("\n")) {
            String l = line.trim();
            if (!l.isEmpty()) {
                present.add(l);
            }
        }
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, String> e : expected.entrySet()) {
            if (!present.contains(e.getKey())) {
                missing.add(e.getKey() + " (from " + e.getValue() + ")");
            }
        }
        if (!missing.isEmpty()) {
            throw new SandboxException("after podman load the sandbox lacks " + missing + "; it has " + present);
        }
    }

    private static CommandResult run(Sandbox sandbox, Command c, Duration timeout, String what) {
        CommandResult r = sandbox.exec(c.withTimeout(timeout));
        if (!r.succeeded()) {
            throw new SandboxException(what + " in the sandbox failed (exit " + r.exitCode()
                    + (r.timedOut() ? ", timed out" : "") + "): " + tail(r.stderr(), 1000));
        }
        return r;
    }

    private static String tail(String s, int max) {
        return s.length() <= max ? s : "..." + s.substring(s.length() - max);
    }
}
