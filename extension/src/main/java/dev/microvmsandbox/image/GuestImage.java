package dev.microvmsandbox.image;

import dev.microvmsandbox.backend.SandboxException;
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
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Optional;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest's kernel, initramfs and root filesystem, built from Debian packages by
 * {@code sandbox-image/build.sh} into a cache folder named by the hash of the recipe, so an
 * unchanged recipe is never rebuilt.
 */
public final class GuestImage {

    private static final Logger LOG = LoggerFactory.getLogger(GuestImage.class);
    static final String RECIPE = "dev/microvmsandbox/image/recipe/";
    /** The one command that builds the image from a clone of the project. */
    public static final String BUILD_COMMAND = "sandbox-image/build.sh (in a clone of microvm-sandbox), "
            + "or just run the tests: the image is built on first use";

    private final Path directory;

    private GuestImage(Path directory) {
        this.directory = directory;
    }

    public Path directory() {
        return directory;
    }

    public Path vmlinux() {
        return directory.resolve("vmlinux");
    }

    public Path initrd() {
        return directory.resolve("initrd.img");
    }

    public Path rootfs() {
        return directory.resolve("rootfs.ext4");
    }

    /** Container image archives built with the guest for the project's own tests. */
    public Path testImages() {
        return directory.resolve("images");
    }

    /** The image if it is already built, without building it. */
    public static Optional<GuestImage> findBuilt() {
        String configured = System.getProperty("microvm.sandbox.image");
        if (configured != null && !configured.isBlank()) {
            GuestImage image = new GuestImage(Path.of(configured));
            return image.isComplete() ? Optional.of(image) : Optional.empty();
        }
        try {
            return runBuild(true).map(GuestImage::new).filter(GuestImage::isComplete);
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    /**
     * The image, built first if it is missing (minutes, with progress in the log).
     *
     * @throws SandboxException naming the fix when it can neither be found nor built
     */
    public static GuestImage resolve() {
        String configured = System.getProperty("microvm.sandbox.image");
        if (configured != null && !configured.isBlank()) {
            GuestImage image = new GuestImage(Path.of(configured));
            if (!image.isComplete()) {
                throw new SandboxException("microvm.sandbox.image=" + configured + " holds no complete guest image "
                        + "(vmlinux, initrd.img, rootfs.ext4). Fix: unset it to use the built one, or build one with " + BUILD_COMMAND + ".");
            }
            return image;
        }
        try {
            Path dir = runBuild(false).orElseThrow(() -> new SandboxException("the guest image build printed no folder"));
            GuestImage image = new GuestImage(dir);
            if (!image.isComplete()) {
                throw new SandboxException("the guest image in " + dir + " is incomplete or corrupt. Fix: delete that folder; it is rebuilt on next use.");
            }
            return image;
        } catch (IOException e) {
            throw new SandboxException("could not build the guest image: " + e.getMessage() + ". Fix: run " + BUILD_COMMAND
                    + " and read its output.", e);
        }
    }

    private boolean isComplete() {
        return Files.isRegularFile(vmlinux()) && Files.isRegularFile(initrd()) && Files.isRegularFile(rootfs())
                && Files.isRegularFile(directory.resolve("manifest.json"));
    }

    /** Runs the recipe's build script; with {@code checkOnly} it only reports an existing build. */
    private static Optional<Path> runBuild(boolean checkOnly) throws IOException {
        // the file lock keeps other JVMs out; it cannot be taken twice in one JVM, hence the monitor
        synchronized (GuestImage.class) {
            return runBuildLocked(checkOnly);
        }
    }

    private static Optional<Path> runBuildLocked(boolean checkOnly) throws IOException {
        try (Recipe recipe = Recipe.locate()) {
            Path cache = cacheDirectory();
            Files.createDirectories(cache);
            try (FileChannel lockFile = FileChannel.open(cache.resolve("build.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock lock = checkOnly ? null : lockFile.lock()) {
                List<String> command = new ArrayList<>(List.of("bash", recipe.buildScript().toString()));
                if (checkOnly) {
                    command.add("--print-dir");
                }
                ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(false);
                pb.environment().put("MICROVM_SANDBOX_CACHE", cache.toString());
                Process p = pb.start();
                Thread progress = new Thread(() -> forwardProgress(p.getErrorStream(), checkOnly), "guest-image-build");
                progress.setDaemon(true);
                progress.start();
                String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
                int code = p.waitFor();
                progress.join(1000);
                if (code != 0) {
                    if (checkOnly) {
                        return Optional.empty();
                    }
                    throw new IOException("sandbox-image/build.sh exited with " + code);
                }
                String last = out.isEmpty() ? "" : out.substring(out.lastIndexOf('\n') + 1).strip();
                return last.isEmpty() ? Optional.empty() : Optional.of(Path.of(last));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while building the guest image");
            }
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

    /** {@code $MICROVM_SANDBOX_CACHE}, else {@code ~/.cache/microvm-sandbox}. */
    public static Path cacheDirectory() {
        String env = System.getenv("MICROVM_SANDBOX_CACHE");
        if (env != null && !env.isBlank()) {
            return Path.of(env);
        }
        return Path.of(System.getProperty("user.home"), ".cache", "microvm-sandbox");
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
            URL url = GuestImage.class.getClassLoader().getResource(RECIPE + "sandbox-image/build.sh");
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
                    if (!e.getName().startsWith(RECIPE) || e.isDirectory() || e.getName().contains("..")) {
                        continue;
                    }
                    Path target = tmp.resolve(e.getName().substring(RECIPE.length()));
                    Files.createDirectories(target.getParent());
                    try (InputStream in = jar.getInputStream(e)) {
                        Files.copy(in, target);
                    }
                }
            }
            return new Recipe(tmp, true);
        }

        @Override
        public void close() throws IOException {
            if (temporary) {
                try (var walk = Files.walk(root)) {
                    walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
                }
            }
        }
    }
}
