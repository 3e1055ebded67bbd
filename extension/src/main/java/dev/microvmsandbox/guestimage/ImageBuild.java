package dev.microvmsandbox.guestimage;

import dev.microvmsandbox.hostfs.FileTree;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs {@code sandbox-image/build.sh} for one cache folder, one build at a time per host.
 *
 * <p>Every build and every replacement holds {@code CACHE/build.lock} (other JVMs) and this
 * class's monitor (other threads: a JVM cannot take the same file lock twice). The script
 * publishes a first build itself by renaming its work folder. Replacing a published image (a
 * rebuild, or a folder left without its manifest) builds into a staging cache beside it, then
 * renames the old folder aside and the new one into its place, so the image's path never
 * names a half-written image; the old folder is then deleted, which a running qemu survives
 * (Linux keeps an unlinked file readable through descriptors that are open).
 */
final class ImageBuild {

    private static final Logger LOG = LoggerFactory.getLogger(ImageBuild.class);
    private static final String STAGING = "rebuild-";
    private static final String REPLACED = ".replaced-";

    private final Path cache;
    /** {@code --oci} for the container image archive, nothing for the VM image. */
    private final List<String> modeArguments;

    ImageBuild(Path cache) {
        this(cache, List.of());
    }

    private ImageBuild(Path cache, List<String> modeArguments) {
        this.cache = cache;
        this.modeArguments = modeArguments;
    }

    /** The build of the sandbox image as a container image archive ({@code build.sh --oci}). */
    static ImageBuild containerImage(Path cache) {
        return new ImageBuild(cache, List.of("--oci"));
    }

    /** Where the recipe in use builds to, and whether a build is published there. */
    record Location(Path directory, boolean built) {}

    /** Looks without building and without waiting for a build that is under way. */
    Optional<Location> locate() {
        try (Recipe recipe = Recipe.locate()) {
            return printDir(recipe);
        } catch (IOException e) {
            LOG.debug("cannot locate the guest image: {}", e.toString());
            return Optional.empty();
        }
    }

    /** The published image, built first if there is none (about a minute, progress in the log). */
    Path build() throws IOException {
        return locked(recipe -> {
            Location where = where(recipe);
            if (where.built()) {
                return where.directory();
            }
            if (Files.exists(where.directory())) {
                LOG.warn(
                        "{} has no {}: an unfinished or damaged image; building it again",
                        where.directory(),
                        ImageManifest.FILE);
                return replace(recipe, where.directory());
            }
            return runScript(recipe, cache, false);
        });
    }

    /**
     * Builds the image again and puts it in place of the published one, unless one was
     * published after {@code requestedAt} (by another JVM that was asked the same while this
     * one waited for the lock).
     */
    Path rebuild(Instant requestedAt) throws IOException {
        return locked(recipe -> {
            Location where = where(recipe);
            if (where.built() && publishedAt(where.directory()).isAfter(requestedAt)) {
                LOG.info(
                        "guest image {} was rebuilt at {}, after the rebuild was asked for; using it",
                        where.directory(),
                        publishedAt(where.directory()));
                return where.directory();
            }
            return Files.exists(where.directory())
                    ? replace(recipe, where.directory())
                    : runScript(recipe, cache, false);
        });
    }

    private interface Locked<T> {
        T run(Recipe recipe) throws IOException;
    }

    private <T> T locked(Locked<T> action) throws IOException {
        synchronized (ImageBuild.class) {
            Files.createDirectories(cache);
            try (Recipe recipe = Recipe.locate();
                    FileChannel lockFile = FileChannel.open(
                            cache.resolve("build.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                    FileLock lock = lockFile.lock()) {
                if (!lock.isValid()) {
                    throw new IOException("lost the build lock on " + cache.resolve("build.lock"));
                }
                removeLeftovers();
                return action.run(recipe);
            }
        }
    }

    /** Builds into a staging cache, then swaps the result in for {@code target}. */
    private Path replace(Recipe recipe, Path target) throws IOException {
        Path staging = cache.resolve(STAGING + ProcessHandle.current().pid());
        try {
            Path built = runScript(recipe, staging, false);
            Path aside = target.resolveSibling(
                    target.getFileName() + REPLACED + ProcessHandle.current().pid());
            if (Files.exists(target)) {
                Files.move(target, aside, StandardCopyOption.ATOMIC_MOVE);
            }
            Files.move(built, target, StandardCopyOption.ATOMIC_MOVE);
            LOG.info("guest image rebuilt in {}; removing the one it replaced", target);
            deleteTree(aside);
            return target;
        } finally {
            deleteTree(staging);
        }
    }

    /** Staging and replaced folders exist only while a lock holder works; any found now were left by a killed JVM. */
    private void removeLeftovers() {
        try (Stream<Path> top = Files.list(cache)) {
            top.filter(p -> p.getFileName().toString().startsWith(STAGING)).forEach(ImageBuild::deleteTree);
        } catch (IOException e) {
            LOG.debug("cannot list {}: {}", cache, e.toString());
        }
        Path guests = cache.resolve("guest");
        if (Files.isDirectory(guests)) {
            try (Stream<Path> dirs = Files.list(guests)) {
                dirs.filter(p -> p.getFileName().toString().contains(REPLACED)).forEach(ImageBuild::deleteTree);
            } catch (IOException e) {
                LOG.debug("cannot list {}: {}", guests, e.toString());
            }
        }
    }

    private static Instant publishedAt(Path dir) throws IOException {
        return Files.getLastModifiedTime(dir.resolve(ImageManifest.FILE)).toInstant();
    }

    private Location where(Recipe recipe) throws IOException {
        return printDir(recipe).orElseThrow(() -> new IOException("build.sh --print-dir printed no folder"));
    }

    private Optional<Location> printDir(Recipe recipe) throws IOException {
        List<String> out = new ArrayList<>();
        int code = run(recipe, cache, true, out);
        if ((code != 0 && code != 1) || out.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Location(Path.of(out.get(out.size() - 1)), code == 0));
    }

    /** Runs the script with {@code MICROVM_SANDBOX_CACHE=cacheRoot}; returns the folder it printed last. */
    private Path runScript(Recipe recipe, Path cacheRoot, boolean printOnly) throws IOException {
        List<String> out = new ArrayList<>();
        int code = run(recipe, cacheRoot, printOnly, out);
        if (code != 0) {
            throw new IOException("sandbox-image/build.sh exited with " + code);
        }
        if (out.isEmpty()) {
            throw new IOException("sandbox-image/build.sh printed no folder");
        }
        return Path.of(out.get(out.size() - 1));
    }

    private int run(Recipe recipe, Path cacheRoot, boolean printOnly, List<String> stdout) throws IOException {
        List<String> command =
                new ArrayList<>(List.of("bash", recipe.buildScript().toString()));
        command.addAll(modeArguments);
        if (printOnly) {
            command.add("--print-dir");
        }
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().put("MICROVM_SANDBOX_CACHE", cacheRoot.toString());
        Process p = pb.start();
        Thread progress = new Thread(() -> forwardProgress(p.getErrorStream(), printOnly), "guest-image-build");
        progress.setDaemon(true);
        progress.start();
        try {
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            int code = p.waitFor();
            progress.join(1000);
            out.lines().map(String::strip).filter(l -> !l.isEmpty()).forEach(stdout::add);
            return code;
        } catch (InterruptedException e) {
            p.destroy();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while building the guest image");
        }
    }

    private static void forwardProgress(InputStream stderr, boolean quiet) {
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stderr, StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                if (quiet) {
                    LOG.debug("{}", line);
                } else {
                    LOG.info("{}", line);
                }
            }
        } catch (IOException ignored) {
            // the build ended
        }
    }

    static void deleteTree(Path root) {
        try {
            FileTree.delete(root);
        } catch (IOException e) {
            LOG.warn("could not remove {}: {}", root, e.toString());
        }
    }

    /** The build recipe: the project's own folders in a clone, or a copy extracted from this jar. */
    private static final class Recipe implements AutoCloseable {
        private final Path root;
        private final boolean temporary;

        private Recipe(Path root, boolean temporary) {
            this.root = root;
            this.temporary = temporary;
        }

        Path buildScript() {
            return root.resolve("sandbox-image/build.sh");
        }

        static Recipe locate() throws IOException {
            String repo = System.getProperty("microvm.sandbox.repo");
            if (repo != null && Files.isRegularFile(Path.of(repo, "sandbox-image/build.sh"))) {
                return new Recipe(Path.of(repo), false);
            }
            URL url = ImageBuild.class.getClassLoader().getResource(GuestImage.RECIPE + "sandbox-image/build.sh");
            if (url == null) {
                throw new IOException("the guest image recipe is missing from the classpath");
            }
            try {
                if (url.getProtocol().equals("file")) {
                    return new Recipe(Path.of(url.toURI()).getParent().getParent(), false);
                }
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
            Path tmp = Files.createTempDirectory("microvm-sandbox-recipe");
            JarURLConnection conn = (JarURLConnection) url.openConnection();
            conn.setUseCaches(false);
            try (JarFile jar = conn.getJarFile()) {
                Enumeration<JarEntry> entries = jar.entries();
                while (entries.hasMoreElements()) {
                    JarEntry e = entries.nextElement();
                    if (!e.getName().startsWith(GuestImage.RECIPE)
                            || e.isDirectory()
                            || e.getName().contains("..")) {
                        continue;
                    }
                    Path target = tmp.resolve(e.getName().substring(GuestImage.RECIPE.length()));
                    Files.createDirectories(target.getParent());
                    try (InputStream in = jar.getInputStream(e)) {
                        Files.copy(in, target);
                    }
                }
            }
            return new Recipe(tmp, true);
        }

        @Override
        public void close() {
            if (temporary) {
                deleteTree(root);
            }
        }
    }
}
