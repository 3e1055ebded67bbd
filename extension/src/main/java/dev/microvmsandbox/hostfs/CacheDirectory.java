package dev.microvmsandbox.hostfs;

import java.nio.file.Path;
import java.util.function.Function;
import org.apiguardian.api.API;

/** The host folder under which guest images, exported container images and templates are cached. */
@API(status = API.Status.INTERNAL)
public final class CacheDirectory {

    /** The environment variable that moves the cache. */
    public static final String ENV = "MICROVM_SANDBOX_CACHE";

    private CacheDirectory() {}

    /** {@code $MICROVM_SANDBOX_CACHE}, else {@code ~/.cache/microvm-sandbox}. */
    public static Path root() {
        return root(System::getenv);
    }

    /** The same, with the environment read through {@code env}. */
    public static Path root(Function<String, String> env) {
        String configured = env.apply(ENV);
        return configured != null && !configured.isBlank()
                ? Path.of(configured)
                : Path.of(System.getProperty("user.home"), ".cache", "microvm-sandbox");
    }
}
