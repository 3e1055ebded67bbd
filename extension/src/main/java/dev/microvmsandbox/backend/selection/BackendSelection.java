package dev.microvmsandbox.backend.selection;

import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.kata.docker.KataDockerBackend;
import dev.microvmsandbox.backend.kata.kubernetes.KataKubernetesBackend;
import dev.microvmsandbox.backend.qemu.QemuBackend;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chooses the backend a run uses, the way Testcontainers chooses a Docker environment: the
 * configured name ({@value #PARAMETER}) picks one; {@code auto} (the default) tries every backend
 * in a fixed order and takes the first that is available, logging in one line why each one before
 * it was passed over.
 *
 * <p>The order goes from what needs least to what needs most: {@code qemu} (only QEMU and the guest
 * image this library builds, on this host), {@code kata-docker} (a Docker Engine API with a Kata
 * runtime), {@code kata-kubernetes} (a cluster with a Kata RuntimeClass, and a sandbox image the
 * user pushed to a registry: only available once configured).
 */
@API(status = API.Status.INTERNAL)
public final class BackendSelection {

    /** The configuration parameter and system property naming the backend. */
    public static final String PARAMETER = "microvm.sandbox.backend";

    public static final String AUTO = "auto";

    private static final Logger LOG = LoggerFactory.getLogger(BackendSelection.class);

    /** A backend as the run's configuration parameters set it up. */
    interface Strategy extends Function<Function<String, Optional<String>>, Backend> {}

    private final Map<String, Strategy> strategies;

    BackendSelection(Map<String, Strategy> strategies) {
        this.strategies = strategies;
    }

    /** Every backend this library has, in the order {@code auto} tries them. */
    public static BackendSelection standard() {
        Map<String, Strategy> strategies = new LinkedHashMap<>();
        strategies.put("qemu", parameters -> QemuBackend.create());
        strategies.put(KataDockerBackend.NAME, KataDockerBackend::create);
        strategies.put(KataKubernetesBackend.NAME, KataKubernetesBackend::create);
        return new BackendSelection(strategies);
    }

    /** The names a user may configure. */
    public List<String> names() {
        List<String> names = new ArrayList<>();
        names.add(AUTO);
        names.addAll(strategies.keySet());
        return names;
    }

    /** Every backend, set up from {@code parameters}, in the order {@code auto} tries them. */
    public List<Backend> all(Function<String, Optional<String>> parameters) {
        return strategies.values().stream().map(s -> s.apply(parameters)).toList();
    }

    /**
     * The backend named by {@value #PARAMETER} in {@code parameters} (absent: {@code auto}).
     *
     * @throws SandboxException for an unknown name, or when {@code auto} finds none available (the
     *     message lists why each was passed over)
     */
    public Backend choose(Function<String, Optional<String>> parameters) {
        String name = parameters
                .apply(PARAMETER)
                .map(String::trim)
                .map(s -> s.toLowerCase(Locale.ROOT))
                .filter(s -> !s.isEmpty())
                .orElse(AUTO);
        if (!name.equals(AUTO)) {
            Strategy named = strategies.get(name);
            if (named == null) {
                throw new SandboxException(
                        PARAMETER + "=" + name + " is not a backend; write one of " + String.join(", ", names()));
            }
            return named.apply(parameters);
        }
        List<String> passedOver = new ArrayList<>();
        for (Map.Entry<String, Strategy> strategy : strategies.entrySet()) {
            Backend backend = strategy.getValue().apply(parameters);
            Backend.Availability availability = backend.availability();
            if (availability.usable()) {
                if (!passedOver.isEmpty()) {
                    LOG.info("backend {} chosen; passed over: {}", backend.name(), String.join("; ", passedOver));
                }
                return backend;
            }
            String why = strategy.getKey() + ": " + String.join(" ", availability.problems());
            LOG.info("backend passed over: {}", why);
            passedOver.add(why);
        }
        throw new SandboxException("no sandbox backend is available here (" + PARAMETER + "=auto tried "
                + String.join(", ", strategies.keySet()) + "):\n  " + String.join("\n  ", passedOver));
    }
}
