package dev.microvmsandbox.engine;

import dev.microvmsandbox.backend.Backend;
import dev.microvmsandbox.backend.Sandbox;
import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.backend.selection.BackendSelection;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import org.apiguardian.api.API;
import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.EngineExecutionListener;
import org.junit.platform.engine.ExecutionRequest;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestEngine;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.EngineDescriptor;

/**
 * The {@code microvm-sandbox} test engine: finds sandboxed test classes without loading them and
 * runs each in a microVM, reporting the guest's tests as if they had run here.
 *
 * <p>A class is sandboxed when it, a superclass or an enclosing class carries
 * {@link dev.microvmsandbox.MicroVmSandbox @MicroVmSandbox}; other classes are Jupiter's, on the
 * host. Strict mode ({@code microvm.sandbox.mode=strict}) is the fork path's: the whole test JVM in a
 * guest; on the host it stops the run ({@link StrictModeGuard}). Defaults for the sandbox come
 * from configuration parameters {@code microvm.sandbox.memory}, {@code cpus}, {@code timeout},
 * {@code isolation}, {@code accelerator} and {@code requireKvm}; {@code microvm.sandbox.parallel.enabled}
 * and {@code parallel.maxSandboxes} let classes run at once (see {@link ClassScheduler}). Registered through
 * {@code META-INF/services}; users never call it.
 */
@API(status = API.Status.INTERNAL)
public final class MicroVmSandboxEngine implements TestEngine {

    /** The engine id, first segment of every unique id this engine makes. */
    public static final String ENGINE_ID = "microvm-sandbox";

    static final String GUEST_PROPERTY = "microvm.sandbox.guest";

    /** Where an execution's sandboxes come from, given its configuration parameters. */
    interface SandboxSource {
        Function<SandboxConfig, Sandbox> forExecution(Function<String, Optional<String>> parameters);
    }

    private final SandboxSource sandboxSource;

    /**
     * The engine the platform finds through the service loader: sandboxes come from the backend
     * {@code microvm.sandbox.backend} names ({@code auto} by default), chosen when the first
     * sandbox of an execution is needed.
     */
    public MicroVmSandboxEngine() {
        this((SandboxSource) ChosenBackend::new);
    }

    /** An engine whose sandboxes all come from {@code starter}, whatever the configuration says. */
    MicroVmSandboxEngine(Function<SandboxConfig, Sandbox> starter) {
        this((SandboxSource) parameters -> starter);
    }

    private MicroVmSandboxEngine(SandboxSource sandboxSource) {
        this.sandboxSource = sandboxSource;
    }

    @Override
    public String getId() {
        return ENGINE_ID;
    }

    @Override
    public Optional<String> getGroupId() {
        return Optional.of("dev.microvmsandbox");
    }

    @Override
    public Optional<String> getArtifactId() {
        return Optional.of("microvm-sandbox-junit");
    }

    @Override
    public TestDescriptor discover(EngineDiscoveryRequest request, UniqueId uniqueId) {
        EngineDescriptor engine = new EngineDescriptor(uniqueId, "MicroVM Sandbox");
        if (isGuest()) {
            return engine;
        }
        Function<String, Optional<String>> parameters = request.getConfigurationParameters()::get;
        // the guard has stopped the run already where the platform loads discovery listeners
        StrictModeGuard.check(parameters);
        HostClasspath.ForGuest classpath = HostClasspath.forGuest();
        SandboxConfig base = SandboxConfig.defaults().withClasspath(classpath.entries());
        Path javaHome = HostClasspath.javaHomeForGuest();
        if (javaHome != null) {
            base = base.withHostJavaHome(javaHome);
        }
        ClassFileIndex index = ClassFileIndex.forContextClassLoader();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        new SandboxedClassDiscovery(
                        index,
                        loader != null ? loader : ClassLoader.getSystemClassLoader(),
                        base,
                        parameters,
                        classpath.problemIfAny())
                .discover(request, engine);
        return engine;
    }

    @Override
    public void execute(ExecutionRequest request) {
        TestDescriptor engine = request.getRootTestDescriptor();
        EngineExecutionListener listener = request.getEngineExecutionListener();
        listener.executionStarted(engine);
        RunDeadline deadline = RunDeadline.from(request.getConfigurationParameters());
        ClassScheduler scheduler = ClassScheduler.from(request.getConfigurationParameters());
        List<SandboxedClassDescriptor> classes = new ArrayList<>();
        for (TestDescriptor child : engine.getChildren()) {
            if (child instanceof SandboxedClassDescriptor cls) {
                classes.add(cls);
            }
        }
        Function<SandboxConfig, Sandbox> starter =
                sandboxSource.forExecution(request.getConfigurationParameters()::get);
        Map<String, String> guestConfiguration = GuestConfiguration.from(request.getConfigurationParameters());
        try (Sandboxes sandboxes = new Sandboxes(starter)) {
            scheduler.run(classes, cls -> usesHostMemory(starter) ? memoryOf(cls) : 0, cls -> {
                Optional<String> refused = scheduler.problem().or(deadline::problem);
                if (refused.isPresent()) {
                    listener.executionStarted(cls);
                    listener.executionFinished(
                            cls,
                            TestExecutionResult.failed(
                                    new SandboxException(refused.get() + "; " + cls.className() + " did not run")));
                } else {
                    new SandboxedClassExecution(cls, sandboxes, guestConfiguration, listener, System.out, System.err)
                            .run();
                }
            });
        }
        listener.executionFinished(engine, TestExecutionResult.successful());
    }

    private static long memoryOf(SandboxedClassDescriptor cls) {
        return cls.settings().map(s -> s.config().memory().bytes()).orElse(0L);
    }

    /** Whether the sandboxes {@code starter} makes take this host's memory (a cluster's do not). */
    private static boolean usesHostMemory(Function<SandboxConfig, Sandbox> starter) {
        return !(starter instanceof ChosenBackend chosen) || chosen.usesHostMemory();
    }

    /** The configured backend, chosen once, when the first sandbox is started (or its memory counted). */
    private static final class ChosenBackend implements Function<SandboxConfig, Sandbox> {
        private final Function<String, Optional<String>> parameters;
        private Backend backend;

        ChosenBackend(Function<String, Optional<String>> parameters) {
            this.parameters = parameters;
        }

        private synchronized Backend backend() {
            if (backend == null) {
                backend = BackendSelection.standard().choose(parameters);
            }
            return backend;
        }

        @Override
        public Sandbox apply(SandboxConfig config) {
            return backend().start(config);
        }

        /** True also when no backend can be chosen: then every class fails on its start anyway. */
        boolean usesHostMemory() {
            try {
                return backend().usesHostMemory();
            } catch (SandboxException e) {
                return true;
            }
        }
    }

    static boolean isGuest() {
        return Boolean.getBoolean(GUEST_PROPERTY);
    }
}
