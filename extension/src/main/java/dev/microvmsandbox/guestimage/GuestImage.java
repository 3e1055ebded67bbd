package dev.microvmsandbox.guestimage;

import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.hostfs.CacheDirectory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The guest's kernel, initramfs and root filesystem, built from Debian packages by
 * {@code sandbox-image/build.sh} into a cache folder named by the hash of the recipe, so an
 * unchanged recipe is never rebuilt.
 *
 * <p>The build writes a manifest with the size and sha256 of every file. Each {@link #resolve()}
 * compares the sizes (a few stat calls); the hashes, which means reading ~700 MB, are compared
 * when a boot fails ({@link #explainBootFailure}), by {@code doctor} and {@code image --verify},
 * and on every resolve with {@code -Dmicrovm.sandbox.image.verify=full}. A corrupt image is
 * reported with the one command that rebuilds it ({@link #REBUILD_COMMAND}).
 */
@API(status = API.Status.INTERNAL)
public final class GuestImage {

    private static final Logger LOG = LoggerFactory.getLogger(GuestImage.class);
    static final String RECIPE = "dev/microvmsandbox/guestimage/recipe/";
    /** A folder holding an image to use instead of the built one. */
    static final String IMAGE_PROPERTY = "microvm.sandbox.image";
    /** {@code sizes} (default) or {@code full}: how much {@link #resolve()} checks. */
    static final String VERIFY_PROPERTY = "microvm.sandbox.image.verify";
    /** {@code true}: the first {@link #resolve()} of a JVM rebuilds the image first. */
    static final String REBUILD_PROPERTY = "microvm.sandbox.image.rebuild";
    /** The one command that builds the image from a clone of the project. */
    public static final String BUILD_COMMAND = "sandbox-image/build.sh (in a clone of microvm-sandbox), "
            + "or just run the tests: the image is built on first use";
    /** The one-line ways to replace a corrupt image with a fresh build. */
    public static final String REBUILD_COMMAND = "mvn -q -pl extension exec:java -Dexec.args=\"image --rebuild\" "
            + "(in a clone of microvm-sandbox), or run the tests once with -D" + REBUILD_PROPERTY + "=true";

    /** Folders whose full check passed, with the size, time and inode of each file it read. */
    private static final Map<Path, String> VERIFIED = new ConcurrentHashMap<>();

    private static final AtomicBoolean REBUILT = new AtomicBoolean();

    /** How much of the image to compare with its manifest. */
    public enum Verification {
        /** Every file is there with the size the manifest gives: a few stat calls. */
        SIZES,
        /** Sizes and sha256 of every file: reads the whole image, a few seconds. */
        FULL
    }

    private final Path directory;
    private final boolean configured;

    GuestImage(Path directory, boolean configured) {
        this.directory = directory;
        this.configured = configured;
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

    /**
     * A digest of the manifest, which names every file's sha256 and the build's time: it changes
     * whenever the image is rebuilt, even from the same recipe. Saved guests are keyed by it.
     */
    public String fingerprint() throws IOException {
        return dev.microvmsandbox.hostfs.ContentDigest.of(directory.resolve(ImageManifest.FILE));
    }

    /** Container image archives built with the guest for the project's own tests. */
    public Path testImages() {
        return directory.resolve("images");
    }

    /** The image if it is already built, without building, checking or waiting for a build. */
    public static Optional<GuestImage> findBuilt() {
        Optional<Path> configured = configuredDirectory();
        if (configured.isPresent()) {
            GuestImage image = new GuestImage(configured.get(), true);
            return image.isComplete() ? Optional.of(image) : Optional.empty();
        }
        return new ImageBuild(cacheDirectory())
                .locate()
                .filter(ImageBuild.Location::built)
                .map(l -> new GuestImage(l.directory(), false))
                .filter(GuestImage::isComplete);
    }

    /**
     * The image, built first if it is missing (about a minute, with progress in the log), rebuilt
     * first if {@code microvm.sandbox.image.rebuild=true} asks for it, and checked against its
     * manifest ({@code microvm.sandbox.image.verify}: sizes by default, or full).
     *
     * @throws SandboxException naming the fix when it can neither be found nor built, or is corrupt
     */
    public static GuestImage resolve() {
        Optional<Path> configured = configuredDirectory();
        GuestImage image;
        if (configured.isPresent()) {
            image = new GuestImage(configured.get(), true);
            if (!image.isComplete()) {
                throw new SandboxException(IMAGE_PROPERTY + "=" + configured.get() + " holds no complete guest image "
                        + "(vmlinux, initrd.img, rootfs.ext4, manifest.json). Fix: unset it to use the built one, or build one with "
                        + BUILD_COMMAND + ".");
            }
            if (Boolean.getBoolean(REBUILD_PROPERTY) && REBUILT.compareAndSet(false, true)) {
                LOG.warn(
                        "{}=true does nothing while {} names a folder: only the built image is rebuilt",
                        REBUILD_PROPERTY,
                        IMAGE_PROPERTY);
            }
        } else if (Boolean.getBoolean(REBUILD_PROPERTY) && REBUILT.compareAndSet(false, true)) {
            // a JVM asked to rebuild does so once; forks asked at the same time share one rebuild
            image = rebuild(ProcessHandle.current().info().startInstant().orElse(Instant.now()));
        } else {
            try {
                image = new GuestImage(new ImageBuild(cacheDirectory()).build(), false);
            } catch (IOException e) {
                throw new SandboxException(
                        "could not build the guest image: " + e.getMessage() + ". Fix: run " + BUILD_COMMAND
                                + " and read its output.",
                        e);
            }
        }
        image.verify(verification());
        return image;
    }

    /**
     * Builds the image again and publishes it in place of the cached one; VMs running from the
     * old one keep running. Waits for any build under way on this host first.
     */
    public static GuestImage rebuild() {
        return rebuild(Instant.now());
    }

    private static GuestImage rebuild(Instant requestedAt) {
        if (configuredDirectory().isPresent()) {
            throw new SandboxException(
                    IMAGE_PROPERTY + "=" + configuredDirectory().get() + " is set: only the built image in "
                            + cacheDirectory().resolve("guest") + " is rebuilt. Fix: unset " + IMAGE_PROPERTY + ".");
        }
        try {
            LOG.info("rebuilding the guest image (about a minute)");
            return new GuestImage(new ImageBuild(cacheDirectory()).rebuild(requestedAt), false);
        } catch (IOException e) {
            throw new SandboxException(
                    "could not rebuild the guest image: " + e.getMessage() + ". Fix: run " + BUILD_COMMAND
                            + " and read its output.",
                    e);
        }
    }

    /**
     * Compares the image with its manifest.
     *
     * @throws SandboxException saying which file differs and how to rebuild, when it does
     */
    public void verify(Verification level) {
        problem(level).ifPresent(p -> {
            throw new SandboxException(corruptMessage(p));
        });
    }

    /**
     * What to report when a VM booted from this image failed to boot: if the full check finds
     * the image corrupt, an exception saying so (the boot failure as its cause and in its
     * message), otherwise {@code bootFailure} itself.
     */
    public SandboxException explainBootFailure(SandboxException bootFailure) {
        if (Thread.currentThread().isInterrupted()) {
            return bootFailure;
        }
        LOG.info("a sandbox failed to boot; comparing the guest image in {} with its manifest", directory);
        return problem(Verification.FULL)
                .map(p -> new SandboxException(
                        corruptMessage(p) + "\nThe failed boot: " + bootFailure.getMessage(), bootFailure))
                .orElse(bootFailure);
    }

    /** What is wrong with the image, if anything; a passed full check is remembered until a file changes. */
    Optional<String> problem(Verification level) {
        ImageManifest manifest;
        try {
            manifest = ImageManifest.read(directory);
        } catch (IOException e) {
            return Optional.of(e.getMessage());
        }
        if (level == Verification.SIZES) {
            return manifest.sizeMismatch(directory);
        }
        Optional<String> fingerprint = fingerprint(manifest);
        if (fingerprint.isPresent() && fingerprint.get().equals(VERIFIED.get(directory))) {
            return Optional.empty();
        }
        if (!manifest.hasChecksums()) {
            LOG.info("the manifest in {} has no sha256 (built by an older build.sh): sizes checked only", directory);
        }
        long t0 = System.nanoTime();
        Optional<String> problem = manifest.contentMismatch(directory);
        LOG.debug(
                "full check of {} in {} ms: {}", directory, (System.nanoTime() - t0) / 1_000_000, problem.orElse("ok"));
        if (problem.isEmpty()
                && fingerprint.isPresent()
                && !Thread.currentThread().isInterrupted()) {
            VERIFIED.put(directory, fingerprint.get());
        }
        return problem;
    }

    private Optional<String> fingerprint(ImageManifest manifest) {
        try {
            StringBuilder s = new StringBuilder();
            for (ImageManifest.Entry e : manifest.entries()) {
                BasicFileAttributes a = Files.readAttributes(directory.resolve(e.path()), BasicFileAttributes.class);
                s.append(e.path())
                        .append(' ')
                        .append(a.size())
                        .append(' ')
                        .append(a.lastModifiedTime().toMillis())
                        .append(' ')
                        .append(a.fileKey())
                        .append('\n');
            }
            return Optional.of(s.toString());
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    private String corruptMessage(String problem) {
        String fix = configured
                ? "replace it with a good copy, or unset " + IMAGE_PROPERTY + " to use the built one"
                : "rebuild it with " + REBUILD_COMMAND;
        return "the guest image in " + directory + " is corrupt: " + problem + ". Fix: " + fix + ".";
    }

    private boolean isComplete() {
        return Files.isRegularFile(vmlinux())
                && Files.isRegularFile(initrd())
                && Files.isRegularFile(rootfs())
                && Files.isRegularFile(directory.resolve(ImageManifest.FILE));
    }

    private static Optional<Path> configuredDirectory() {
        String configured = System.getProperty(IMAGE_PROPERTY);
        return configured == null || configured.isBlank() ? Optional.empty() : Optional.of(Path.of(configured));
    }

    private static Verification verification() {
        String value = System.getProperty(VERIFY_PROPERTY, "sizes").strip().toUpperCase(Locale.ROOT);
        try {
            return Verification.valueOf(value);
        } catch (IllegalArgumentException e) {
            throw new SandboxException(VERIFY_PROPERTY + "=" + System.getProperty(VERIFY_PROPERTY) + " is not one of "
                    + java.util.Arrays.stream(Verification.values())
                            .map(v -> v.name().toLowerCase(Locale.ROOT))
                            .collect(Collectors.joining(", "))
                    + "; write it like " + VERIFY_PROPERTY + "=full");
        }
    }

    /** {@code $MICROVM_SANDBOX_CACHE}, else {@code ~/.cache/microvm-sandbox}. */
    public static Path cacheDirectory() {
        return CacheDirectory.root();
    }
}
