package dev.microvmsandbox.backend.kata.docker;

import com.github.dockerjava.api.async.ResultCallback;
import com.github.dockerjava.api.command.CreateContainerCmd;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.HostConfig;
import com.github.dockerjava.api.model.Info;
import com.github.dockerjava.api.model.PullResponseItem;
import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.kata.ConsoleTail;
import dev.microvmsandbox.backend.kata.ContainerRecipe;
import dev.microvmsandbox.backend.kata.ContainerSandbox;
import dev.microvmsandbox.backend.kata.RunOwner;
import dev.microvmsandbox.backend.kata.VmBoundary;
import dev.microvmsandbox.containerimage.ImageArchive;
import dev.microvmsandbox.guestimage.SandboxImageArchive;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apiguardian.api.API;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code kata-docker} backend: the sandbox image run as a container on a Docker Engine API
 * (Docker 23 or later, or podman's) with a Kata Containers runtime, {@code io.containerd.kata.v2}
 * by default, so the sandbox is a VM with its own kernel, the one Kata boots for the container.
 *
 * <p>The container is non-privileged with the recipe's capabilities ({@link ContainerRecipe}), has
 * memory, CPU and process limits and no network, and gets the classpath copied in through its
 * stdin, never a host folder. The guest agent talks over the container's attached stdio. A runtime
 * that is not a VM runtime is refused unless {@value VmBoundary#ALLOW_SETTING}{@code =true}.
 *
 * <p>Settings (configuration parameters): {@code microvm.sandbox.kata.dockerHost} (default
 * {@code $DOCKER_HOST}, else Docker's or podman's socket), {@code microvm.sandbox.kata.runtime},
 * {@code microvm.sandbox.kata.image} (default: the image this library's recipe builds, loaded into
 * the engine on first use), {@code microvm.sandbox.kata.imageArchive} (an archive of it to load).
 */
@API(status = API.Status.INTERNAL)
public final class KataDockerBackend implements Backend {

    public static final String NAME = "kata-docker";

    private static final Logger LOG = LoggerFactory.getLogger(KataDockerBackend.class);
    private static final AtomicInteger SEQUENCE = new AtomicInteger();
    private static final Object IMAGE_LOCK = new Object();
    static final String RUNTIME_EXAMPLE = KataDockerSettings.RUNTIME + "=" + KataDockerSettings.DEFAULT_RUNTIME;

    private final KataDockerSettings settings;
    private final String settingsError;

    private KataDockerBackend(KataDockerSettings settings, String settingsError) {
        this.settings = settings;
        this.settingsError = settingsError;
    }

    /** The backend as the run's configuration parameters describe it. */
    public static KataDockerBackend create(Function<String, Optional<String>> parameters) {
        try {
            return new KataDockerBackend(KataDockerSettings.read(parameters, System::getenv), null);
        } catch (IllegalArgumentException e) {
            return new KataDockerBackend(null, e.getMessage());
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    /** An engine reached over a unix socket runs on this host; one over TCP may run elsewhere. */
    @Override
    public boolean usesHostMemory() {
        return settings == null || settings.endpoint().startsWith("unix://");
    }

    @Override
    public Availability availability() {
        List<String> report = new ArrayList<>();
        if (settingsError != null) {
            report.add(Availability.FAIL + "  " + settingsError);
            return new Availability(false, report);
        }
        DockerEngine engine = DockerEngine.at(settings.endpoint());
        if (!engine.socketPresent()) {
            report.add(
                    Availability.FAIL + "  no Docker Engine API at " + settings.endpoint() + ". Fix: start Docker 23 "
                            + "or later (or podman system service) with Kata Containers installed, or set "
                            + KataDockerSettings.ENDPOINT + " to its socket.");
            return new Availability(false, report);
        }
        Info info;
        String product;
        try {
            info = engine.info();
            product = engine.product();
            report.add("ok    engine: " + product + " at " + settings.endpoint());
        } catch (RuntimeException e) {
            report.add(Availability.FAIL + "  the Docker Engine API at " + settings.endpoint() + " does not answer ("
                    + AttachedContainer.firstLine(e) + "). Fix: start the engine, or set " + KataDockerSettings.ENDPOINT
                    + ".");
            return new Availability(false, report);
        }
        boolean usable = true;
        VmBoundary boundary = VmBoundary.of(settings.runtime());
        if (!boundary.vm() && !settings.allowNoVmBoundary()) {
            usable = false;
            report.add(Availability.FAIL + "  " + boundary.refusal(KataDockerSettings.RUNTIME, RUNTIME_EXAMPLE) + ".");
        } else if (!boundary.vm()) {
            report.add("WARN  " + boundary.describe());
        } else {
            report.add("ok    " + boundary.describe());
        }
        Optional<String> offered = runtimeProblem(info, product.startsWith("Podman"));
        if (offered.isPresent()) {
            usable = false;
            report.add(Availability.FAIL + "  " + offered.get());
        }
        if (settings.image().isPresent()) {
            report.add(
                    "ok    sandbox image: " + settings.image().get() + " (named by " + KataDockerSettings.IMAGE + ")");
        } else if (settings.imageArchive().isPresent()) {
            report.add((Files.isRegularFile(settings.imageArchive().get()) ? "ok    " : Availability.FAIL + "  ")
                    + "sandbox image archive: " + settings.imageArchive().get());
            usable &= Files.isRegularFile(settings.imageArchive().get());
        } else if (SandboxImageArchive.findBuilt().isPresent()) {
            report.add("ok    sandbox image archive: "
                    + SandboxImageArchive.findBuilt().get().archive());
        } else {
            report.add("WARN  sandbox image archive not built yet; it is built on first use (a few minutes, as root). "
                    + "Build it now: " + SandboxImageArchive.BUILD_COMMAND);
        }
        if (settings.endpoint().startsWith("unix://")) {
            report.addAll(HostEngineConditions.ofThisHost().report());
        }
        return new Availability(usable, report);
    }

    /** Why the engine cannot run the configured runtime, if it visibly cannot. */
    private Optional<String> runtimeProblem(Info info, boolean podman) {
        Map<String, ?> runtimes = info.getRuntimes() == null ? Map.of() : info.getRuntimes();
        if (runtimes.containsKey(settings.runtime())) {
            return Optional.empty();
        }
        // Docker 23+ runs a containerd shim named io.containerd.NAME.v2 from its PATH without
        // configuration; podman knows only the runtimes its containers.conf lists (Kata as "kata")
        if (!podman && settings.runtime().matches("io\\.containerd\\.[a-z0-9.-]+\\.v2")) {
            return Optional.empty();
        }
        return Optional.of("the engine at " + settings.endpoint() + " offers the runtimes "
                + new TreeSet<>(runtimes.keySet())
                + ", not " + settings.runtime() + ". Fix: install Kata Containers and register its runtime with the "
                + "engine, or set " + KataDockerSettings.RUNTIME + " to the name the engine knows it by.");
    }

    @Override
    public Sandbox start(SandboxConfig config) {
        if (settingsError != null) {
            throw new SandboxException(settingsError);
        }
        VmBoundary boundary = VmBoundary.of(settings.runtime());
        if (!boundary.vm()) {
            if (config.requireHardwareIsolation()) {
                throw new SandboxException("the sandbox must run in a VM (hardware isolation was required), but "
                        + boundary.refusal(KataDockerSettings.RUNTIME, RUNTIME_EXAMPLE));
            }
            if (!settings.allowNoVmBoundary()) {
                throw new SandboxException(boundary.refusal(KataDockerSettings.RUNTIME, RUNTIME_EXAMPLE));
            }
        }
        DockerEngine engine = DockerEngine.at(settings.endpoint());
        if (!engine.socketPresent()) {
            throw new SandboxException("no Docker Engine API at " + settings.endpoint()
                    + ". Fix: start the engine, or set " + KataDockerSettings.ENDPOINT + " to its socket.");
        }
        LeftoverContainers.sweepOnce(engine);
        String image = ensureImage(engine);
        if (boundary.vm()) {
            LOG.info("sandbox {}", boundary.describe());
        } else {
            LOG.warn("sandbox {}", boundary.describe());
        }
        String name = "msb-" + RunOwner.current().run() + "-" + SEQUENCE.incrementAndGet();
        ConsoleTail console = new ConsoleTail();
        AttachedContainer container =
                AttachedContainer.start(engine, createCommand(engine, image, config), name, console, runtimeHelp());
        return ContainerSandbox.start(container, config, boundary, console);
    }

    private CreateContainerCmd createCommand(DockerEngine engine, String image, SandboxConfig config) {
        HostConfig host = HostConfig.newHostConfig()
                .withRuntime(settings.runtime())
                .withPrivileged(false)
                .withCapAdd(ContainerRecipe.CAPABILITIES.stream()
                        .map(Capability::valueOf)
                        .toArray(Capability[]::new))
                .withNetworkMode("none")
                .withMemory(config.memory().bytes())
                .withMemorySwap(config.memory().bytes())
                .withNanoCPUs(config.cpus() * 1_000_000_000L)
                .withPidsLimit((long) config.pids());
        return engine.calls()
                .createContainerCmd(image)
                .withCmd(ContainerRecipe.ARGUMENTS)
                .withHostName(ContainerRecipe.NAME)
                .withLabels(RunOwner.current().labels())
                .withAttachStdin(true)
                .withAttachStdout(true)
                .withAttachStderr(true)
                .withStdinOpen(true)
                .withStdInOnce(true)
                .withTty(false)
                .withHostConfig(host);
    }

    private String runtimeHelp() {
        return VmBoundary.of(settings.runtime()).vm()
                ? ". If the runtime is missing: install Kata Containers on the engine's host (its containerd shim, "
                        + "containerd-shim-kata-v2, on the daemon's PATH) or set " + KataDockerSettings.RUNTIME + "."
                : ".";
    }

    /** The sandbox image's name in the engine, loaded or pulled first if the engine lacks it. */
    private String ensureImage(DockerEngine engine) {
        synchronized (IMAGE_LOCK) {
            try {
                if (settings.image().isPresent()) {
                    String name = settings.image().get();
                    if (!engine.hasImage(name)) {
                        if (settings.imageArchive().isPresent()) {
                            load(engine, settings.imageArchive().get(), name);
                        } else {
                            pull(engine, name);
                        }
                    }
                    return name;
                }
                if (settings.imageArchive().isPresent()) {
                    Path archive = settings.imageArchive().get();
                    List<String> names = ImageArchive.inspect(archive.toString(), archive, "archive file")
                            .names();
                    if (names.isEmpty()) {
                        throw new SandboxException(KataDockerSettings.IMAGE_ARCHIVE + "=" + archive
                                + " names no image. Fix: use the archive build.sh --oci makes, or set "
                                + KataDockerSettings.IMAGE + " too.");
                    }
                    if (!engine.hasImage(names.get(0))) {
                        load(engine, archive, names.get(0));
                    }
                    return names.get(0);
                }
                Optional<String> expected = SandboxImageArchive.imageNameOfThisRecipe();
                if (expected.isPresent() && engine.hasImage(expected.get())) {
                    return expected.get();
                }
                SandboxImageArchive archive = SandboxImageArchive.resolve();
                if (!engine.hasImage(archive.imageName())) {
                    load(engine, archive.archive(), archive.imageName());
                }
                return archive.imageName();
            } catch (IOException e) {
                throw new SandboxException("could not load the sandbox image into the engine at " + settings.endpoint()
                        + ": " + e.getMessage());
            }
        }
    }

    private static void load(DockerEngine engine, Path archive, String name) throws IOException {
        long t0 = System.nanoTime();
        LOG.info("loading the sandbox image {} into {} from {}", name, engine.endpoint(), archive);
        engine.load(archive);
        if (!engine.hasImage(name)) {
            throw new IOException("the engine loaded " + archive + " but has no image " + name + " afterwards");
        }
        LOG.info("sandbox image {} loaded in {} ms", name, (System.nanoTime() - t0) / 1_000_000);
    }

    private static void pull(DockerEngine engine, String name) {
        LOG.info("pulling the sandbox image {} into {}", name, engine.endpoint());
        try {
            engine.streams()
                    .pullImageCmd(name)
                    .exec(new ResultCallback.Adapter<PullResponseItem>())
                    .awaitCompletion(30, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while pulling " + name);
        } catch (RuntimeException e) {
            throw new SandboxException("the engine at " + engine.endpoint() + " could not pull the sandbox image "
                    + name + ": " + AttachedContainer.firstLine(e) + ". Fix: push the image built by "
                    + SandboxImageArchive.BUILD_COMMAND + " to a registry the engine can reach, or set "
                    + KataDockerSettings.IMAGE_ARCHIVE + " to the archive.");
        }
    }
}
