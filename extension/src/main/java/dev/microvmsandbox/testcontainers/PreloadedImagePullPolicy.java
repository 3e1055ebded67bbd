package dev.microvmsandbox.testcontainers;

import java.io.IOException;
import java.util.List;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.images.ImagePullPolicy;
import org.testcontainers.utility.DockerImageName;

/**
 * The pull policy in the sandbox, where nothing can be pulled: an image a test names is taken from
 * the images preloaded into the guest's podman (see {@link PreloadedImages} for which name finds
 * which image) and tagged under the name the test used, so Testcontainers creates its container
 * from it; an image that is not there fails the test at once with what to do.
 *
 * <p>Testcontainers instantiates it by name ({@code pull.policy} in the guest's
 * {@code ~/.testcontainers.properties}, loaded through the thread's context class loader with its
 * no-argument constructor) in both the 1.x and 2.x lines, and calls {@link #shouldPull} once per
 * image it resolves, before any pull.
 */
@API(status = API.Status.INTERNAL)
public final class PreloadedImagePullPolicy implements ImagePullPolicy {

    /** The setting that puts images into the sandbox, as the message names it. */
    static final String SETTING = "microvm.sandbox.images";

    private static final Logger LOG = LoggerFactory.getLogger(PreloadedImagePullPolicy.class);
    private static final int NAMES_IN_MESSAGE = 8;

    @Override
    public boolean shouldPull(DockerImageName imageName) {
        String requested = imageName.asCanonicalNameString();
        ImageReference reference = ImageReference.parse(requested);
        PodmanApi podman;
        PreloadedImages store;
        try {
            podman = PodmanApi.at(
                    DockerClientFactory.instance().getTransportConfig().getDockerHost());
            store = new PreloadedImages(podman.images());
        } catch (IOException | RuntimeException e) {
            throw new ImageNotInSandboxError(
                    requested + ": could not list the images in the sandbox's podman: " + e, e);
        }
        PreloadedImages.Found found = store.find(reference);
        if (found instanceof PreloadedImages.Exact) {
            return false;
        }
        if (found instanceof PreloadedImages.Alias alias) {
            try {
                podman.tag(alias.id(), reference.repository(), reference.tag());
            } catch (IOException e) {
                throw new ImageNotInSandboxError(
                        requested + ": could not tag the preloaded image " + alias.name() + " under that name: " + e,
                        e);
            }
            LOG.info("{} is the preloaded image {} in this sandbox", requested, alias.name());
            return false;
        }
        if (found instanceof PreloadedImages.Ambiguous ambiguous) {
            throw new ImageNotInSandboxError(requested + " could mean any of " + ambiguous.names()
                    + " in the sandbox: use one of these names in the test");
        }
        throw new ImageNotInSandboxError(missing(requested, store.names()));
    }

    static String missing(String requested, List<String> present) {
        List<String> names = present.stream().filter(n -> !n.contains("<none>")).toList();
        String has = names.isEmpty()
                ? "no images"
                : String.join(", ", names.subList(0, Math.min(NAMES_IN_MESSAGE, names.size())))
                        + (names.size() > NAMES_IN_MESSAGE ? ", ..." : "");
        return requested + " is not in the sandbox: add docker-archive:PATH or the image name to " + SETTING
                + " (the sandbox has " + has + ")";
    }

    @Override
    public String toString() {
        return "the images preloaded into the sandbox (it pulls nothing)";
    }
}
