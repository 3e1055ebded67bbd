package dev.microvmsandbox.engine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.TestSource;
import org.junit.platform.engine.TestTag;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.ClassSource;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.objectweb.asm.Opcodes;

/**
 * The tree Jupiter would discover for a test class (its nested classes, test methods, templates
 * and factories, with the unique ids, display names, sources and tags Jupiter gives them), made
 * from class file bytes alone, so host filters can select from it without any of the class's
 * code running here.
 *
 * <p>It follows Jupiter's rules for what a test method is (annotated, also through a composed
 * annotation; not static, private or abstract; {@code void} but for factories; inherited unless
 * overridden) and for names: {@code @DisplayName}, and the generators {@code Standard},
 * {@code Simple} and {@code ReplaceUnderscores}, chosen by {@code @DisplayNameGeneration} or
 * {@code junit.jupiter.displayname.generator.default}. A name it cannot know without running code
 * (a custom or {@code IndicativeSentences} generator) or a class template makes the class
 * {@linkplain #of unmodelled}: it then runs whole and host filters see only the class.
 */
final class JupiterModel {

    static final String TEST = "org.junit.jupiter.api.Test";
    static final String TEST_TEMPLATE = "org.junit.jupiter.api.TestTemplate";
    static final String TEST_FACTORY = "org.junit.jupiter.api.TestFactory";
    static final String NESTED = "org.junit.jupiter.api.Nested";
    static final String CLASS_TEMPLATE = "org.junit.jupiter.api.ClassTemplate";
    static final String DISPLAY_NAME = "org.junit.jupiter.api.DisplayName";
    static final String DISPLAY_NAME_GENERATION = "org.junit.jupiter.api.DisplayNameGeneration";
    static final String TAG = "org.junit.jupiter.api.Tag";
    static final String TAGS = "org.junit.jupiter.api.Tags";
    static final String DEFAULT_GENERATOR = "junit.jupiter.displayname.generator.default";
    private static final String GENERATORS = "org.junit.jupiter.api.DisplayNameGenerator$";
    private static final int MAX_NESTING = 16;
    private static final int MAX_NODES = 10_000;

    /** How Jupiter names classes and methods; the ones it can follow without running code. */
    enum Generator {
        STANDARD,
        SIMPLE,
        REPLACE_UNDERSCORES;

        String forClass(String className) {
            return underscores(className.substring(className.lastIndexOf('.') + 1));
        }

        String forNestedClass(String simpleName) {
            return underscores(simpleName);
        }

        String forMethod(String name, List<String> parameterSimpleNames) {
            String parameters = "(" + String.join(", ", parameterSimpleNames) + ")";
            if (this == STANDARD) {
                return name + parameters;
            }
            return underscores(parameterSimpleNames.isEmpty() ? name : name + ' ' + parameters);
        }

        private String underscores(String name) {
            return this == REPLACE_UNDERSCORES ? name.replace('_', ' ') : name;
        }

        static Optional<Generator> named(String className) {
            return switch (className.trim()) {
                case GENERATORS + "Standard" -> Optional.of(STANDARD);
                case GENERATORS + "Simple" -> Optional.of(SIMPLE);
                case GENERATORS + "ReplaceUnderscores" -> Optional.of(REPLACE_UNDERSCORES);
                default -> Optional.empty();
            };
        }
    }

    /** The kinds of method Jupiter runs, each with its segment type and descriptor type. */
    enum Kind {
        METHOD("method", TestDescriptor.Type.TEST, TEST),
        TEST_FACTORY("test-factory", TestDescriptor.Type.CONTAINER, JupiterModel.TEST_FACTORY),
        TEST_TEMPLATE("test-template", TestDescriptor.Type.CONTAINER, JupiterModel.TEST_TEMPLATE);

        final String segmentType;
        final TestDescriptor.Type type;
        final String annotation;

        Kind(String segmentType, TestDescriptor.Type type, String annotation) {
            this.segmentType = segmentType;
            this.type = type;
            this.annotation = annotation;
        }

        static Optional<Kind> ofSegment(String segmentType) {
            for (Kind k : values()) {
                if (k.segmentType.equals(segmentType)) {
                    return Optional.of(k);
                }
            }
            return Optional.empty();
        }
    }

    /**
     * One node below the class: a nested class or a method.
     *
     * @param segment     its last unique id segment, as Jupiter makes it
     * @param testClass   the class it belongs to (for a nested class: itself)
     * @param methodName  {@code null} for a nested class
     * @param parameterTypes for a method, {@code Class.getName()} of each parameter type, comma-separated
     * @param ownTags     its own tags; a descriptor adds its parents', as Jupiter's do
     */
    record Node(
            UniqueId.Segment segment,
            String displayName,
            String legacyName,
            TestDescriptor.Type type,
            String testClass,
            String methodName,
            String parameterTypes,
            Set<TestTag> ownTags,
            List<Node> children) {

        boolean isMethod() {
            return methodName != null;
        }

        TestSource source() {
            return isMethod() ? MethodSource.from(testClass, methodName, parameterTypes) : ClassSource.from(testClass);
        }

        int size() {
            return 1 + children.stream().mapToInt(Node::size).sum();
        }
    }

    /** The class's own part of the model: its display name and tags, and its children. */
    record ClassModel(String displayName, Set<TestTag> tags, List<Node> children) {
        int size() {
            return children.stream().mapToInt(Node::size).sum();
        }
    }

    private final ClassFileIndex index;
    private final Function<String, Optional<String>> parameters;
    private int nodes;

    private JupiterModel(ClassFileIndex index, Function<String, Optional<String>> parameters) {
        this.index = index;
        this.parameters = parameters;
    }

    /**
     * The model of a top-level test class, or empty (with the reason) when the class's names or
     * shape are beyond what bytes can tell.
     */
    static Result of(ClassFileIndex index, Function<String, Optional<String>> parameters, String className) {
        JupiterModel model = new JupiterModel(index, parameters);
        try {
            return new Result(model.classModel(className), null);
        } catch (Unmodelled e) {
            return new Result(null, e.getMessage());
        }
    }

    /**
     * @param model   the class's model, or {@code null}
     * @param problem why there is none
     */
    record Result(ClassModel model, String problem) {}

    /** The display name and tags Jupiter gives a top-level class, even one that cannot be modelled. */
    static String classDisplayName(
            ClassFileIndex index, Function<String, Optional<String>> parameters, String className) {
        JupiterModel model = new JupiterModel(index, parameters);
        Optional<String> named = model.displayNameAnnotation(
                index.find(className).map(ClassFile::annotations).orElse(List.of()));
        if (named.isPresent()) {
            return named.get();
        }
        try {
            return model.generator(List.of(className)).forClass(className);
        } catch (Unmodelled e) {
            return Generator.STANDARD.forClass(className);
        }
    }

    static Set<TestTag> classTags(ClassFileIndex index, String className) {
        return validTags(index.classRepeatableValues(className, TAG, TAGS));
    }

    private ClassModel classModel(String className) throws Unmodelled {
        ClassFile file = index.find(className).orElseThrow(() -> new Unmodelled(className + " cannot be read"));
        if (index.findClassAnnotation(className, CLASS_TEMPLATE).isPresent()) {
            throw new Unmodelled(className + " is a class template");
        }
        List<String> enclosing = List.of(className);
        String displayName = displayNameAnnotation(file.annotations()).orElse(null);
        if (displayName == null) {
            displayName = generator(enclosing).forClass(className);
        }
        return new ClassModel(displayName, classTags(index, className), children(className, enclosing, 0));
    }

    /** @param enclosing the class and the classes enclosing it, outermost first */
    private List<Node> children(String className, List<String> enclosing, int depth) throws Unmodelled {
        if (depth > MAX_NESTING) {
            throw new Unmodelled(className + " is nested too deep");
        }
        List<Node> children = new ArrayList<>();
        for (TestMethod m : testMethods(className)) {
            children.add(methodNode(className, enclosing, m));
        }
        for (String nested : nestedClasses(className)) {
            Node node = nestedNode(nested, enclosing, depth);
            if (!node.children().isEmpty()) {
                children.add(node);
            }
        }
        return children;
    }

    private Node nestedNode(String nested, List<String> enclosing, int depth) throws Unmodelled {
        ClassFile file = index.find(nested).orElseThrow(() -> new Unmodelled(nested + " cannot be read"));
        if (index.findClassAnnotation(nested, CLASS_TEMPLATE).isPresent()) {
            throw new Unmodelled(nested + " is a class template");
        }
        List<String> inner = new ArrayList<>(enclosing);
        inner.add(nested);
        String simpleName = simpleName(file);
        String displayName = displayNameAnnotation(file.annotations()).orElse(null);
        if (displayName == null) {
            displayName = generator(inner).forNestedClass(simpleName);
        }
        count();
        return new Node(
                segment("nested-class", simpleName),
                displayName,
                nested,
                TestDescriptor.Type.CONTAINER,
                nested,
                null,
                null,
                classTags(index, nested),
                List.copyOf(children(nested, inner, depth + 1)));
    }

    private Node methodNode(String testClass, List<String> enclosing, TestMethod m) throws Unmodelled {
        List<String> typeNames = m.method().parameterTypeNames();
        List<String> simpleNames = typeNames.stream().map(this::simpleTypeName).toList();
        String parameters = String.join(", ", typeNames);
        String displayName = displayNameAnnotation(m.method().annotations()).orElse(null);
        if (displayName == null) {
            displayName = generator(enclosing).forMethod(m.method().name(), simpleNames);
        }
        String spec = m.method().name() + "(" + parameters + ")";
        if (isPackagePrivate(m.method()) && !packageOf(m.declaringClass()).equals(packageOf(testClass))) {
            spec = m.declaringClass() + "#" + spec;
        }
        count();
        return new Node(
                segment(m.kind().segmentType, spec),
                displayName,
                m.method().name() + "(" + String.join(", ", simpleNames) + ")",
                m.kind().type,
                testClass,
                m.method().name(),
                parameters,
                validTags(index.repeatableValues(m.method().annotations(), TAG, TAGS)),
                List.of());
    }

    private record TestMethod(String declaringClass, ClassFile.Method method, Kind kind) {}

    /** Jupiter's test methods of a class: its own and inherited ones that no subclass overrides. */
    private List<TestMethod> testMethods(String className) {
        List<TestMethod> result = new ArrayList<>();
        Set<String> overridden = new HashSet<>();
        for (ClassFile file : index.hierarchy(className)) {
            for (ClassFile.Method method : file.methods()) {
                if (method.is(Opcodes.ACC_SYNTHETIC | Opcodes.ACC_BRIDGE)
                        || method.name().startsWith("<")) {
                    continue;
                }
                String signature = method.name()
                        + method.descriptor().substring(0, method.descriptor().indexOf(')'));
                if (!overridden.add(signature)) {
                    continue;
                }
                kind(method).ifPresent(kind -> result.add(new TestMethod(file.name(), method, kind)));
            }
        }
        return result;
    }

    private Optional<Kind> kind(ClassFile.Method method) {
        if (method.is(Opcodes.ACC_STATIC | Opcodes.ACC_PRIVATE | Opcodes.ACC_ABSTRACT)) {
            return Optional.empty();
        }
        for (Kind kind : Kind.values()) {
            if (index.findAmong(method.annotations(), kind.annotation).isPresent()
                    && method.returnsVoid() == (kind != Kind.TEST_FACTORY)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }

    /** Jupiter's nested test classes: inner member classes annotated {@code @Nested}, also inherited ones. */
    private List<String> nestedClasses(String className) {
        Set<String> result = new LinkedHashSet<>();
        for (ClassFile file : index.hierarchy(className)) {
            for (String member : file.memberClasses()) {
                index.find(member)
                        .filter(m -> m.isInnerMember() && !m.isPrivate() && !m.isLocalOrAnonymous())
                        .filter(m -> index.findClassAnnotation(member, NESTED).isPresent())
                        .ifPresent(m -> result.add(member));
            }
        }
        return List.copyOf(result);
    }

    private Optional<String> displayNameAnnotation(List<ClassFile.Annotation> annotations) {
        return index.findAmong(annotations, DISPLAY_NAME)
                .map(ClassFile.Annotation::value)
                .filter(String.class::isInstance)
                .map(v -> ((String) v).trim())
                .filter(v -> !v.isEmpty());
    }

    /**
     * The generator for a node of the innermost class of {@code enclosing}: that class's
     * {@code @DisplayNameGeneration}, else the nearest enclosing class's, else the configured default.
     */
    private Generator generator(List<String> enclosing) throws Unmodelled {
        for (int i = enclosing.size() - 1; i >= 0; i--) {
            Optional<ClassFile.Annotation> generation =
                    index.findClassAnnotation(enclosing.get(i), DISPLAY_NAME_GENERATION);
            if (generation.isPresent()) {
                String type = String.valueOf(generation.get().value());
                return Generator.named(type).orElseThrow(() -> new Unmodelled("its display names come from " + type));
            }
        }
        Optional<String> configured = parameters.apply(DEFAULT_GENERATOR);
        if (configured.isPresent()) {
            return Generator.named(configured.get())
                    .orElseThrow(() -> new Unmodelled(
                            "its display names come from " + configured.get().trim()));
        }
        return Generator.STANDARD;
    }

    /**
     * Parameter type names as a selector may write them ({@code int[]}, {@code java.lang.String[]})
     * in the form unique ids and method sources use ({@code [I}, {@code [Ljava.lang.String;}).
     */
    static String parameterTypeNames(String names) {
        if (names == null || names.isBlank()) {
            return "";
        }
        List<String> result = new ArrayList<>();
        for (String name : names.split(",")) {
            String type = name.trim();
            int dimensions = 0;
            while (type.endsWith("[]")) {
                type = type.substring(0, type.length() - 2).trim();
                dimensions++;
            }
            if (dimensions > 0) {
                String element = switch (type) {
                    case "boolean" -> "Z";
                    case "byte" -> "B";
                    case "char" -> "C";
                    case "short" -> "S";
                    case "int" -> "I";
                    case "long" -> "J";
                    case "float" -> "F";
                    case "double" -> "D";
                    default -> "L" + type + ";";
                };
                type = "[".repeat(dimensions) + element;
            }
            result.add(type);
        }
        return String.join(", ", result);
    }

    /** {@code Class.getSimpleName()} of a parameter type named as {@code Class.getName()} names it. */
    private String simpleTypeName(String typeName) {
        if (typeName.startsWith("[")) {
            int dimensions = typeName.lastIndexOf('[') + 1;
            String component = org.objectweb.asm.Type.getType(typeName.replace('.', '/'))
                    .getElementType()
                    .getClassName();
            return simpleTypeName(component) + "[]".repeat(dimensions);
        }
        Optional<ClassFile> file = index.find(typeName);
        if (file.isPresent()) {
            return simpleName(file.get());
        }
        String simple = typeName.substring(typeName.lastIndexOf('.') + 1);
        return simple.substring(simple.lastIndexOf('$') + 1);
    }

    private static String simpleName(ClassFile file) {
        if (file.innerName() != null) {
            return file.innerName();
        }
        return file.name().substring(file.name().lastIndexOf('.') + 1);
    }

    private static boolean isPackagePrivate(ClassFile.Method method) {
        return !method.is(Opcodes.ACC_PUBLIC | Opcodes.ACC_PROTECTED | Opcodes.ACC_PRIVATE);
    }

    private static String packageOf(String className) {
        int dot = className.lastIndexOf('.');
        return dot < 0 ? "" : className.substring(0, dot);
    }

    private static UniqueId.Segment segment(String type, String value) {
        return UniqueId.root(type, value).getLastSegment();
    }

    private void count() throws Unmodelled {
        if (++nodes > MAX_NODES) {
            throw new Unmodelled("it has more than " + MAX_NODES + " test methods and nested classes");
        }
    }

    private static Set<TestTag> validTags(Set<String> names) {
        Set<TestTag> tags = new LinkedHashSet<>();
        names.stream().filter(TestTag::isValid).map(TestTag::create).forEach(tags::add);
        return Set.copyOf(tags);
    }

    /** Why a class cannot be modelled from bytes. */
    static final class Unmodelled extends Exception {
        private static final long serialVersionUID = 1L;

        Unmodelled(String message) {
            super(message, null, false, false);
        }
    }
}
