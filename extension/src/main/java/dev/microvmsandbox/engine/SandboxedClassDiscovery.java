package dev.microvmsandbox.engine;

import dev.microvmsandbox.backend.SandboxConfig;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;
import java.util.function.Predicate;
import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.Filter;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.discovery.ClassNameFilter;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.engine.discovery.ClasspathRootSelector;
import org.junit.platform.engine.discovery.MethodSelector;
import org.junit.platform.engine.discovery.PackageNameFilter;
import org.junit.platform.engine.discovery.PackageSelector;
import org.junit.platform.engine.discovery.UniqueIdSelector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Turns a discovery request into class descriptors, reading class files as bytes only. */
final class SandboxedClassDiscovery {

    private static final Logger LOG = LoggerFactory.getLogger(SandboxedClassDiscovery.class);

    private final ClassFileIndex index;
    private final ClassLoader loader;
    private final boolean strict;
    private final SandboxConfig base;
    private final Function<String, Optional<String>> parameters;
    private final Map<String, SandboxedClassDescriptor> classes = new LinkedHashMap<>();

    SandboxedClassDiscovery(
            ClassFileIndex index,
            ClassLoader loader,
            boolean strict,
            SandboxConfig base,
            Function<String, Optional<String>> parameters) {
        this.index = index;
        this.loader = loader;
        this.strict = strict;
        this.base = base;
        this.parameters = parameters;
    }

    void discover(EngineDiscoveryRequest request, TestDescriptor engine) {
        Predicate<String> nameFilter = Filter.composeFilters(request.getFiltersByType(ClassNameFilter.class))
                .toPredicate();
        Predicate<String> packageFilter = Filter.composeFilters(request.getFiltersByType(PackageNameFilter.class))
                .toPredicate();
        Predicate<String> filters = name -> nameFilter.test(name) && packageFilter.test(name);

        for (ClassSelector s : request.getSelectorsByType(ClassSelector.class)) {
            if (filters.test(s.getClassName())) {
                selectClass(engine, s.getClassName());
            }
        }
        for (PackageSelector s : request.getSelectorsByType(PackageSelector.class)) {
            ClasspathScanner.inPackage(loader, s.getPackageName()).stream()
                    .filter(filters)
                    .forEach(name -> selectScanned(engine, name));
        }
        for (ClasspathRootSelector s : request.getSelectorsByType(ClasspathRootSelector.class)) {
            ClasspathScanner.inRoot(s.getClasspathRoot()).stream()
                    .filter(filters)
                    .forEach(name -> selectScanned(engine, name));
        }
        for (MethodSelector s : request.getSelectorsByType(MethodSelector.class)) {
            selectMethod(engine, s.getClassName(), s.getMethodName(), parameterTypeNames(s));
        }
        for (UniqueIdSelector s : request.getSelectorsByType(UniqueIdSelector.class)) {
            selectUniqueId(engine, s.getUniqueId());
        }
    }

    /**
     * The selector's parameter types as text: {@code getParameterTypeNames()} since JUnit Platform
     * 1.10, {@code getMethodParameterTypes()} before (a Spring Boot 3.1 BOM pins 1.9; 6.0 removed it).
     */
    static String parameterTypeNames(MethodSelector s) {
        try {
            return s.getParameterTypeNames();
        } catch (NoSuchMethodError newerThanThePlatform) {
            try {
                return (String) MethodSelector.class
                        .getMethod("getMethodParameterTypes")
                        .invoke(s);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this JUnit Platform's MethodSelector names no parameter types", e);
            }
        }
    }

    private void selectClass(TestDescriptor engine, String className) {
        index.sandboxedTestClass(className, strict).ifPresent(top -> {
            SandboxedClassDescriptor d = descriptor(engine, top);
            if (top.equals(className)) {
                d.selectWholeClass();
            } else {
                d.selectNestedClass(className);
            }
        });
    }

    /** Found by scanning: inner classes come with their enclosing class, as in Jupiter. */
    private void selectScanned(TestDescriptor engine, String className) {
        Optional<ClassFile> file = index.find(className);
        if (file.isPresent() && file.get().isStandalone()) {
            if (!strict && !index.looksLikeJupiterTestClass(className)) {
                return;
            }
            selectClass(engine, className);
        }
    }

    private void selectMethod(TestDescriptor engine, String className, String methodName, String parameterTypes) {
        index.sandboxedTestClass(className, strict)
                .ifPresent(top -> descriptor(engine, top)
                        .selectMethod(className + "#" + methodName + "(" + parameterTypes + ")"));
    }

    private void selectUniqueId(TestDescriptor engine, UniqueId id) {
        List<UniqueId.Segment> segments = id.getSegments();
        if (!id.getEngineId()
                        .map(e -> UniqueId.forEngine(e).equals(engine.getUniqueId()))
                        .orElse(false)
                || segments.size() < 2) {
            return;
        }
        UniqueId.Segment classSegment = segments.get(1);
        if (!classSegment.getType().equals(SandboxedClassDescriptor.SEGMENT_TYPE)) {
            LOG.debug("ignoring unique id {}: no class segment", id);
            return;
        }
        String className = classSegment.getValue();
        Optional<String> top = index.sandboxedTestClass(className, strict);
        if (top.isEmpty() || !top.get().equals(className)) {
            return;
        }
        SandboxedClassDescriptor d = descriptor(engine, className);
        if (segments.size() == 2) {
            d.selectWholeClass();
        } else {
            d.selectGuestUniqueId(GuestIds.toGuest(id));
        }
    }

    private SandboxedClassDescriptor descriptor(TestDescriptor engine, String className) {
        return classes.computeIfAbsent(className, name -> {
            ClassFile file = index.find(name).orElseThrow();
            SandboxSettings settings = null;
            String error = null;
            try {
                settings = SandboxSettings.resolve(
                        base, parameters, index.sandboxAnnotation(name).orElse(null));
            } catch (IllegalArgumentException e) {
                error = name + ": " + e.getMessage();
            }
            SandboxedClassDescriptor d = new SandboxedClassDescriptor(
                    engine.getUniqueId(),
                    name,
                    file.displayName() != null && !file.displayName().isBlank() ? file.displayName() : simpleName(name),
                    file.tags(),
                    settings,
                    error);
            engine.addChild(d);
            return d;
        });
    }

    static String simpleName(String className) {
        String simple = className.substring(className.lastIndexOf('.') + 1);
        return simple.substring(simple.lastIndexOf('$') + 1);
    }
}
