package dev.microvmsandbox.engine;

import static org.junit.platform.engine.support.discovery.SelectorResolver.Resolution.unresolved;

import dev.microvmsandbox.backend.SandboxConfig;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.junit.platform.engine.DiscoverySelector;
import org.junit.platform.engine.EngineDiscoveryRequest;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.discovery.ClassSelector;
import org.junit.platform.engine.discovery.ClasspathRootSelector;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.discovery.MethodSelector;
import org.junit.platform.engine.discovery.NestedClassSelector;
import org.junit.platform.engine.discovery.NestedMethodSelector;
import org.junit.platform.engine.discovery.PackageSelector;
import org.junit.platform.engine.discovery.UniqueIdSelector;
import org.junit.platform.engine.support.descriptor.EngineDescriptor;
import org.junit.platform.engine.support.discovery.EngineDiscoveryRequestResolver;
import org.junit.platform.engine.support.discovery.SelectorResolver;

/**
 * Turns a discovery request into class descriptors the platform's way: selector resolvers run by
 * {@link EngineDiscoveryRequestResolver}, so every selector is reported as resolved or not, and
 * wrong settings become discovery issues. The resolvers work from class names and class file bytes
 * only ({@link ClassFileIndex}): no selector's class is ever loaded, so no test code runs here.
 *
 * <p>Every selector ends up as unique ids: a class or nested class expands to its children's, a
 * method names its own, so one resolver ({@link #resolveUniqueId}) builds the tree.
 */
final class SandboxedClassDiscovery {

    private final ClassFileIndex index;
    private final ClassLoader loader;
    private final SandboxConfig base;
    private final Function<String, Optional<String>> parameters;
    private final Optional<String> classpathProblem;
    private final Map<String, SandboxedClassDescriptor> classes = new HashMap<>();
    private final Map<UniqueId, StaticTestDescriptor> members = new HashMap<>();
    private ClassIssues issues;
    private UniqueId engineId;

    SandboxedClassDiscovery(
            ClassFileIndex index,
            ClassLoader loader,
            SandboxConfig base,
            Function<String, Optional<String>> parameters,
            Optional<String> classpathProblem) {
        this.index = index;
        this.loader = loader;
        this.base = base;
        this.parameters = parameters;
        this.classpathProblem = classpathProblem;
    }

    void discover(EngineDiscoveryRequest request, EngineDescriptor engine) {
        issues = ClassIssues.of(request, engine.getUniqueId());
        engineId = engine.getUniqueId();
        EngineDiscoveryRequestResolver.<EngineDescriptor>builder()
                .addSelectorResolver(context -> new Scan(context.getClassNameFilter()))
                .addSelectorResolver(context -> new Resolver(context.getClassNameFilter(), engine.getUniqueId()))
                .build()
                .resolve(request, engine);
    }

    /** Packages and classpath roots become class selectors, by class file names. */
    private final class Scan implements SelectorResolver {
        private final Predicate<String> classNameFilter;

        Scan(Predicate<String> classNameFilter) {
            this.classNameFilter = classNameFilter;
        }

        @Override
        public Resolution resolve(PackageSelector selector, Context context) {
            return classes(ClasspathScanner.inPackage(loader, selector.getPackageName()));
        }

        @Override
        public Resolution resolve(ClasspathRootSelector selector, Context context) {
            return classes(ClasspathScanner.inRoot(selector.getClasspathRoot()));
        }

        /** Found by scanning: inner classes come with their enclosing class, as in Jupiter. */
        private Resolution classes(List<String> names) {
            Set<DiscoverySelector> selectors = names.stream()
                    .filter(classNameFilter)
                    .filter(name ->
                            index.find(name).map(ClassFile::isStandalone).orElse(false))
                    .filter(index::looksLikeJupiterTestClass)
                    .map(DiscoverySelectors::selectClass)
                    .collect(Collectors.toCollection(LinkedHashSet::new));
            return selectors.isEmpty() ? unresolved() : Resolution.selectors(selectors);
        }
    }

    private final class Resolver implements SelectorResolver {
        private final Predicate<String> classNameFilter;
        private final UniqueId engineId;

        Resolver(Predicate<String> classNameFilter, UniqueId engineId) {
            this.classNameFilter = classNameFilter;
            this.engineId = engineId;
        }

        @Override
        public Resolution resolve(ClassSelector selector, Context context) {
            return resolveClass(selector.getClassName(), true, context);
        }

        @Override
        public Resolution resolve(NestedClassSelector selector, Context context) {
            return resolveClass(selector.getNestedClassName(), false, context);
        }

        @Override
        public Resolution resolve(MethodSelector selector, Context context) {
            return resolveMethod(
                    selector.getClassName(), selector.getMethodName(), parameterTypeNames(selector), context);
        }

        @Override
        public Resolution resolve(NestedMethodSelector selector, Context context) {
            return resolveMethod(
                    selector.getNestedClassName(), selector.getMethodName(), parameterTypeNames(selector), context);
        }

        @Override
        public Resolution resolve(UniqueIdSelector selector, Context context) {
            return resolveUniqueId(selector.getUniqueId(), context);
        }

        private Resolution resolveClass(String className, boolean filtered, Context context) {
            Optional<String> top = index.sandboxedTestClass(className);
            if (top.isEmpty()) {
                return unresolved();
            }
            if (top.get().equals(className)) {
                if (filtered && !classNameFilter.test(className)) {
                    return unresolved();
                }
                return resolveUniqueId(classId(className), context);
            }
            SandboxedClassDescriptor cls = classDescriptor(top.get());
            if (!cls.isModelled()) {
                Optional<SandboxedClassDescriptor> added = context.addToParent(parent -> Optional.of(cls));
                added.ifPresent(d -> d.selectNestedClass(className));
                return added.map(d -> Resolution.match(Match.partial(d))).orElse(unresolved());
            }
            return find(cls, node -> !node.isMethod() && node.testClass().equals(className))
                    .map(id -> Resolution.selectors(Set.of(DiscoverySelectors.selectUniqueId(id))))
                    .orElse(unresolved());
        }

        private Resolution resolveMethod(String className, String methodName, String parameterTypes, Context context) {
            Optional<String> top = index.sandboxedTestClass(className);
            if (top.isEmpty()) {
                return unresolved();
            }
            SandboxedClassDescriptor cls = classDescriptor(top.get());
            String parameters = JupiterModel.parameterTypeNames(parameterTypes);
            if (!cls.isModelled()) {
                Optional<SandboxedClassDescriptor> added = context.addToParent(parent -> Optional.of(cls));
                added.ifPresent(d -> d.selectMethod(className + "#" + methodName + "(" + parameterTypes + ")"));
                return added.map(d -> Resolution.match(Match.partial(d))).orElse(unresolved());
            }
            return find(
                            cls,
                            node -> node.isMethod()
                                    && node.testClass().equals(className)
                                    && node.methodName().equals(methodName)
                                    && node.parameterTypes().equals(parameters))
                    .map(id -> Resolution.selectors(Set.of(DiscoverySelectors.selectUniqueId(id))))
                    .orElse(unresolved());
        }

        private Resolution resolveUniqueId(UniqueId id, Context context) {
            List<UniqueId.Segment> segments = id.getSegments();
            if (!id.hasPrefix(engineId)
                    || segments.size() < 2
                    || !segments.get(1).getType().equals(SandboxedClassDescriptor.SEGMENT_TYPE)) {
                return unresolved();
            }
            String className = segments.get(1).getValue();
            if (!index.sandboxedTestClass(className).map(className::equals).orElse(false)) {
                return unresolved();
            }
            SandboxedClassDescriptor cls = classDescriptor(className);
            if (segments.size() == 2) {
                Optional<SandboxedClassDescriptor> added = context.addToParent(parent -> Optional.of(cls));
                if (added.isEmpty()) {
                    return unresolved();
                }
                if (!cls.isModelled()) {
                    cls.selectWholeClass();
                    return Resolution.match(Match.exact(cls));
                }
                return Resolution.match(Match.exact(
                        cls,
                        children(cls.getUniqueId(), cls.model().orElseThrow().children())));
            }
            if (!cls.isModelled()) {
                Optional<SandboxedClassDescriptor> added = context.addToParent(
                        () -> DiscoverySelectors.selectUniqueId(cls.getUniqueId()), parent -> Optional.of(cls));
                added.ifPresent(d -> d.selectGuestUniqueId(GuestIds.toGuest(id)));
                return added.map(d -> Resolution.match(Match.partial(d))).orElse(unresolved());
            }
            return resolveMember(cls, id, context);
        }

        /** A node of a modelled class: a nested class, a method, or something a template or factory makes. */
        private Resolution resolveMember(SandboxedClassDescriptor cls, UniqueId id, Context context) {
            List<UniqueId.Segment> segments = id.getSegments();
            List<JupiterModel.Node> level = cls.model().orElseThrow().children();
            UniqueId nodeId = cls.getUniqueId();
            JupiterModel.Node node = null;
            int at = 2;
            for (; at < segments.size() && (node == null || !node.isMethod()); at++) {
                UniqueId.Segment segment = segments.get(at);
                node = level.stream()
                        .filter(n -> n.segment().equals(segment))
                        .findFirst()
                        .orElse(null);
                if (node == null) {
                    return unresolved();
                }
                nodeId = nodeId.append(segment);
                level = node.children();
            }
            JupiterModel.Node found = node;
            UniqueId parentId = nodeId.removeLastSegment();
            UniqueId foundId = nodeId;
            Optional<StaticTestDescriptor> added = context.addToParent(
                    () -> DiscoverySelectors.selectUniqueId(parentId),
                    parent -> Optional.of(
                            members.computeIfAbsent(foundId, i -> new StaticTestDescriptor(parentId, found))));
            if (added.isEmpty()) {
                return unresolved();
            }
            StaticTestDescriptor d = added.get();
            if (at < segments.size()) {
                // deeper than the model: one invocation or dynamic test, as an IDE reruns it
                d.selectDynamicDescendant(GuestIds.toGuest(id));
                return Resolution.match(Match.partial(d));
            }
            if (found.isMethod()) {
                d.selectWhole();
                return Resolution.match(Match.exact(d));
            }
            return Resolution.match(Match.exact(d, children(d.getUniqueId(), found.children())));
        }

        private Supplier<Set<? extends DiscoverySelector>> children(UniqueId parent, List<JupiterModel.Node> nodes) {
            return () -> nodes.stream()
                    .map(n -> DiscoverySelectors.selectUniqueId(parent.append(n.segment())))
                    .collect(Collectors.toCollection(LinkedHashSet::new));
        }

        private UniqueId classId(String className) {
            return engineId.append(SandboxedClassDescriptor.SEGMENT_TYPE, className);
        }

        /** The unique id of the first node of the class's model that {@code test} accepts. */
        private Optional<UniqueId> find(SandboxedClassDescriptor cls, Predicate<JupiterModel.Node> test) {
            return find(cls.getUniqueId(), cls.model().orElseThrow().children(), test);
        }

        private Optional<UniqueId> find(
                UniqueId parent, List<JupiterModel.Node> nodes, Predicate<JupiterModel.Node> test) {
            for (JupiterModel.Node n : nodes) {
                UniqueId id = parent.append(n.segment());
                if (test.test(n)) {
                    return Optional.of(id);
                }
                Optional<UniqueId> deeper = find(id, n.children(), test);
                if (deeper.isPresent()) {
                    return deeper;
                }
            }
            return Optional.empty();
        }
    }

    /**
     * The selector's parameter types as text: {@code getParameterTypeNames()} since JUnit Platform
     * 1.10, {@code getMethodParameterTypes()} before (a Spring Boot 3.1 BOM pins 1.9; 6.0 removed it).
     */
    static String parameterTypeNames(DiscoverySelector s) {
        try {
            if (s instanceof MethodSelector m) {
                return m.getParameterTypeNames();
            }
            return ((NestedMethodSelector) s).getParameterTypeNames();
        } catch (NoSuchMethodError olderPlatform) {
            try {
                return (String)
                        s.getClass().getMethod("getMethodParameterTypes").invoke(s);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("this JUnit Platform's method selector names no parameter types", e);
            }
        }
    }

    /** One descriptor per class, however many selectors name it: settings and model are worked out once. */
    private SandboxedClassDescriptor classDescriptor(String className) {
        return classes.computeIfAbsent(className, this::newClassDescriptor);
    }

    private SandboxedClassDescriptor newClassDescriptor(String name) {
        SandboxSettings settings = null;
        String error = null;
        try {
            settings = SandboxSettings.resolve(
                    base, parameters, index.sandboxAnnotation(name).orElse(null));
        } catch (IllegalArgumentException e) {
            error = name + ": " + e.getMessage();
            issues.problem(name, error);
        }
        String problem = classpathProblem
                .map(p -> name + " cannot run in a sandbox: " + p)
                .orElse(null);
        if (problem != null) {
            issues.problem(name, problem);
        }
        JupiterModel.Result model = JupiterModel.of(index, parameters, name);
        if (model.problem() != null) {
            issues.note(
                    name,
                    "runs whole in its sandbox, and filters by method or tag (-Dtest=Class#method, groups, an IDE's"
                            + " method selection) see only the class, because " + model.problem());
        }
        String displayName = model.model() != null
                ? model.model().displayName()
                : JupiterModel.classDisplayName(index, parameters, name);
        return new SandboxedClassDescriptor(
                engineId,
                name,
                displayName,
                JupiterModel.classTags(index, name),
                settings,
                error,
                problem,
                model.model());
    }
}
