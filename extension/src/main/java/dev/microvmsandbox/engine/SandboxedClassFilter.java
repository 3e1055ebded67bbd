package dev.microvmsandbox.engine;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.apiguardian.api.API;
import org.junit.platform.engine.FilterResult;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.PostDiscoveryFilter;

/**
 * Keeps other engines (Jupiter) from also running sandboxed classes on the host: it removes every
 * descriptor whose class or method source names a class that is sandboxed, judged from class
 * file bytes. Registered through {@code META-INF/services}; inert inside the guest.
 *
 * <p>A safety net for the annotation, not a guarantee: it runs after the other engine's discovery,
 * which may already have run code of the class. Untrusted code takes the strict setup, in which the
 * whole test JVM runs in a sandbox (see the README).
 */
@API(status = API.Status.INTERNAL)
public final class SandboxedClassFilter implements PostDiscoveryFilter {

    private final Map<String, Boolean> decisions = new ConcurrentHashMap<>();
    private volatile ClassFileIndex index;

    /** The filter the launcher finds through the service loader. */
    public SandboxedClassFilter() {}

    @Override
    public FilterResult apply(TestDescriptor descriptor) {
        if (MicroVmSandboxEngine.isGuest()
                || descriptor
                        .getUniqueId()
                        .getEngineId()
                        .filter(MicroVmSandboxEngine.ENGINE_ID::equals)
                        .isPresent()) {
            return FilterResult.included("not another engine's test");
        }
        Optional<String> className = className(descriptor.getSource().orElse(null));
        if (className.isPresent() && decisions.computeIfAbsent(className.get(), this::sandboxed)) {
            return FilterResult.excluded(
                    className.get() + " runs in the " + MicroVmSandboxEngine.ENGINE_ID + " engine");
        }
        return FilterResult.included("not sandboxed");
    }

    private boolean sandboxed(String className) {
        ClassFileIndex current = index;
        if (current == null) {
            current = ClassFileIndex.forContextClassLoader();
            index = current;
        }
        return current.sandboxAnnotation(className).isPresent();
    }

    private static Optional<String> className(TestSource source) {
        if (source instanceof ClassSource c) {
            return Optional.of(c.getClassName());
        }
        if (source instanceof MethodSource m) {
            return Optional.of(m.getClassName());
        }
        return Optional.empty();
    }
}
