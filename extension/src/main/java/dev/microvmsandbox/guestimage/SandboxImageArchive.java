package dev.microvmsandbox.guestimage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.microvmsandbox.backend.SandboxException;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * The sandbox image as a container image archive, for the Kata backends: the guest's root
 * filesystem with the same bootstrap (the guest agent comes with the classpath, as in the VM),
 * without the kernel, built by {@code sandbox-image/build.sh --oci} into
 * {@code <cache>/oci/<hash>/sandbox.tar}, where the hash is the VM image's: one recipe, two forms.
 *
 * <p>The archive holds both an OCI image layout and a docker-archive manifest naming the same
 * blobs, so {@code docker load}, {@code podman load}, {@code skopeo copy oci-archive:...} and
 * {@code ctr import} all read it; its image is named {@code localhost/microvm-sandbox/sandbox:<hash>}.
 */
@API(status = API.Status.INTERNAL)
public final class SandboxImageArchive {

    /** The archive's file name in its cache folder. */
    public static final String FILE = "sandbox.tar";
    /** The command that builds it from a clone of the project. */
    public static final String BUILD_COMMAND = "sandbox-image/build.sh --oci (in a clone of microvm-sandbox, as root), "
            + "or mvn -q -pl extension exec:java -Dexec.args=\"image --oci\"";

    /** The repository of the image the recipe builds; its tag is the recipe's hash. */
    public static final String IMAGE_REPOSITORY = "localhost/microvm-sandbox/sandbox";

    private final Path directory;
    private final String imageName;

    private SandboxImageArchive(Path directory, String imageName) {
        this.directory = directory;
        this.imageName = imageName;
    }

    /** The archive file. */
    public Path archive() {
        return directory.resolve(FILE);
    }

    public Path directory() {
        return directory;
    }

    /** The name the archive gives its image, {@code localhost/microvm-sandbox/sandbox:<hash>}. */
    public String imageName() {
        return imageName;
    }

    /** The image name this library's recipe builds, without building; empty where the recipe cannot say. */
    public static Optional<String> imageNameOfThisRecipe() {
        return ImageBuild.containerImage(GuestImage.cacheDirectory())
                .locate()
                .map(l -> IMAGE_REPOSITORY + ":" + l.directory().getFileName());
    }

    /** The archive of this library's recipe if it is built, without building or waiting for a build. */
    public static Optional<SandboxImageArchive> findBuilt() {
        return ImageBuild.containerImage(GuestImage.cacheDirectory())
                .locate()
                .filter(ImageBuild.Location::built)
                .flatMap(l -> {
                    try {
                        return Optional.of(open(l.directory()));
                    } catch (IOException e) {
                        return Optional.empty();
                    }
                });
    }

    /**
     * The archive of this library's recipe, built first if missing (a few minutes: Debian
     * packages, as root), its size checked against its manifest.
     *
     * @throws SandboxException naming the fix when it can neither be found nor built, or is damaged
     */
    public static SandboxImageArchive resolve() {
        Path dir;
        try {
            dir = ImageBuild.containerImage(GuestImage.cacheDirectory()).build();
        } catch (IOException e) {
            throw new SandboxException(
                    "could not build the sandbox image archive: " + e.getMessage() + ". Fix: run " + BUILD_COMMAND
                            + " and read its output.",
                    e);
        }
        try {
            SandboxImageArchive archive = open(dir);
            Optional<String> damage = ImageManifest.read(dir, List.of(FILE)).sizeMismatch(dir);
            if (damage.isPresent()) {
                throw new SandboxException("the sandbox image archive in " + dir + " is damaged: " + damage.get()
                        + ". Fix: delete " + dir + " and run " + BUILD_COMMAND + ".");
            }
            return archive;
        } catch (IOException e) {
            throw new SandboxException("the sandbox image archive in " + dir + " is unusable: " + e.getMessage()
                    + ". Fix: delete " + dir + " and run " + BUILD_COMMAND + ".");
        }
    }

    private static SandboxImageArchive open(Path dir) throws IOException {
        ImageManifest.read(dir, List.of(FILE));
        JsonNode root =
                new ObjectMapper().readTree(dir.resolve(ImageManifest.FILE).toFile());
        JsonNode image = root.get("image");
        if (image == null || !image.isTextual() || image.asText().isBlank()) {
            throw new IOException(ImageManifest.FILE + " names no image");
        }
        return new SandboxImageArchive(dir, image.asText());
    }
}
