package dev.microvmsandbox.engine;

import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers questions about classes from their class file bytes, found through a class loader's
 * resources; caches what it read. Never loads or initialises a class.
 */
final class ClassFileIndex {

    private static final Logger LOG = LoggerFactory.getLogger(ClassFileIndex.class);
    private static final int MAX_CLASS_FILE = 16 * 1024 * 1024;
    private static final int MAX_DEPTH = 64;

    private final ClassLoader loader;
    private final Map<String, Optional<ClassFile>> cache = new ConcurrentHashMap<>();

    ClassFileIndex(ClassLoader loader) {
        this.loader = loader;
    }

    static ClassFileIndex forContextClassLoader() {
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        return new ClassFileIndex(loader != null ? loader : ClassLoader.getSystemClassLoader());
    }

    Optional<ClassFile> find(String className) {
        if (className == null || className.isEmpty() || className.startsWith("java.")) {
            return Optional.empty();
        }
        return cache.computeIfAbsent(className, this::read);
    }

    private Optional<ClassFile> read(String className) {
        String resource = className.replace('.', '/') + ".class";
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            byte[] bytes = in.readNBytes(MAX_CLASS_FILE + 1);
            if (bytes.length > MAX_CLASS_FILE) {
                LOG.warn("{} is larger than {} bytes; not reading it", resource, MAX_CLASS_FILE);
                return Optional.empty();
            }
            ClassFile file = ClassFile.parse(bytes);
            return file.name().equals(className) ? Optional.of(file) : Optional.empty();
        } catch (IOException | IllegalArgumentException e) {
            LOG.warn("cannot read {}: {}", resource, e.toString());
            return Optional.empty();
        }
    }

    /**
     * The {@code @MicroVmSandbox} that applies to a class: its own, a superclass's (the annotation
     * is inherited), or, for a member class, its enclosing class's.
     */
    Optional<SandboxAnnotation> sandboxAnnotation(String className) {
        String enclosing = className;
        for (int i = 0; enclosing != null && i < MAX_DEPTH; i++) {
            Optional<SandboxAnnotation> found = ownOrInherited(enclosing);
            if (found.isPresent()) {
                return found;
            }
            enclosing = find(enclosing).map(ClassFile::outerName).orElse(null);
        }
        return Optional.empty();
    }

    private Optional<SandboxAnnotation> ownOrInherited(String className) {
        String current = className;
        for (int i = 0; current != null && i < MAX_DEPTH; i++) {
            Optional<ClassFile> file = find(current);
            if (file.isEmpty()) {
                return Optional.empty();
            }
            if (file.get().sandboxAnnotation() != null) {
                return Optional.of(file.get().sandboxAnnotation());
            }
            current = file.get().superName();
        }
        return Optional.empty();
    }

    /**
     * Whether Jupiter would find tests in the class: test methods (its own, inherited or from
     * interfaces), {@code @Nested} member classes, or a class template annotation. Meta-annotations
     * (a custom {@code @MyTest}) are not followed.
     */
    boolean looksLikeJupiterTestClass(String className) {
        Optional<ClassFile> file = find(className);
        if (file.isEmpty()) {
            return false;
        }
        if (file.get().isClassTemplate() || hasTestMethods(className, 0)) {
            return true;
        }
        return file.get().memberClasses().stream()
                .map(this::find)
                .anyMatch(member -> member.isPresent() && member.get().isNestedAnnotated());
    }

    private boolean hasTestMethods(String className, int depth) {
        if (depth > MAX_DEPTH) {
            return false;
        }
        Optional<ClassFile> file = find(className);
        if (file.isEmpty()) {
            return false;
        }
        if (file.get().hasTestMethods()) {
            return true;
        }
        if (file.get().superName() != null && hasTestMethods(file.get().superName(), depth + 1)) {
            return true;
        }
        return file.get().interfaces().stream().anyMatch(i -> hasTestMethods(i, depth + 1));
    }

    /**
     * The class a sandboxed run of {@code className} is reported under: the class itself, or for
     * an inner ({@code @Nested}) class its outermost enclosing class; empty when the class is not
     * sandboxed or cannot run as a test class.
     */
    Optional<String> sandboxedTestClass(String className) {
        String current = className;
        Optional<ClassFile> file = find(current);
        for (int i = 0; file.isPresent() && file.get().isInnerMember() && i < MAX_DEPTH; i++) {
            current = file.get().outerName();
            file = find(current);
        }
        if (file.isEmpty() || !file.get().isStandalone()) {
            return Optional.empty();
        }
        if (sandboxAnnotation(current).isPresent()) {
            return Optional.of(current);
        }
        return Optional.empty();
    }

    /**
     * An annotation of a class the way JUnit's {@code AnnotationSupport.findAnnotation} finds it:
     * directly present, meta-present, on an interface, or (for an {@code @Inherited} type) on a
     * superclass.
     */
    Optional<ClassFile.Annotation> findClassAnnotation(String className, String annotationType) {
        return findClassAnnotation(className, annotationType, isInherited(annotationType), new HashSet<>(), 0);
    }

    private Optional<ClassFile.Annotation> findClassAnnotation(
            String className, String annotationType, boolean inherited, Set<String> visited, int depth) {
        Optional<ClassFile> file = find(className);
        if (file.isEmpty() || depth > MAX_DEPTH) {
            return Optional.empty();
        }
        Optional<ClassFile.Annotation> found = findAmong(file.get().annotations(), annotationType, visited);
        if (found.isPresent()) {
            return found;
        }
        for (String i : file.get().interfaces()) {
            found = findClassAnnotation(i, annotationType, inherited, visited, depth + 1);
            if (found.isPresent()) {
                return found;
            }
        }
        String superName = file.get().superName();
        if (inherited && superName != null && !superName.equals("java.lang.Object")) {
            return findClassAnnotation(superName, annotationType, true, visited, depth + 1);
        }
        return Optional.empty();
    }

    /** An annotation among {@code annotations}, directly or as a meta-annotation (of a composed one). */
    Optional<ClassFile.Annotation> findAmong(List<ClassFile.Annotation> annotations, String annotationType) {
        return findAmong(annotations, annotationType, new HashSet<>());
    }

    private Optional<ClassFile.Annotation> findAmong(
            List<ClassFile.Annotation> annotations, String annotationType, Set<String> visited) {
        for (ClassFile.Annotation a : annotations) {
            if (a.type().equals(annotationType)) {
                return Optional.of(a);
            }
        }
        for (ClassFile.Annotation a : annotations) {
            if (!a.type().startsWith("java.lang.annotation.") && visited.add(a.type()) && visited.size() < 256) {
                Optional<ClassFile> meta = find(a.type());
                if (meta.isPresent()) {
                    Optional<ClassFile.Annotation> found = findAmong(meta.get().annotations(), annotationType, visited);
                    if (found.isPresent()) {
                        return found;
                    }
                }
            }
        }
        return Optional.empty();
    }

    /**
     * The values of a repeatable annotation the way JUnit's {@code findRepeatableAnnotations} finds
     * them on a class: inherited ones first (for an {@code @Inherited} container), then interfaces',
     * then its own, directly, in the container or as meta-annotations.
     */
    Set<String> classRepeatableValues(String className, String annotationType, String containerType) {
        Set<String> found = new LinkedHashSet<>();
        classRepeatableValues(className, annotationType, containerType, isInherited(containerType), found, 0);
        return found;
    }

    private void classRepeatableValues(
            String className,
            String annotationType,
            String containerType,
            boolean inherited,
            Set<String> found,
            int depth) {
        Optional<ClassFile> file = find(className);
        if (file.isEmpty() || depth > MAX_DEPTH) {
            return;
        }
        String superName = file.get().superName();
        if (inherited && superName != null && !superName.equals("java.lang.Object")) {
            classRepeatableValues(superName, annotationType, containerType, true, found, depth + 1);
        }
        for (String i : file.get().interfaces()) {
            classRepeatableValues(i, annotationType, containerType, inherited, found, depth + 1);
        }
        found.addAll(repeatableValues(file.get().annotations(), annotationType, containerType));
    }

    /** The {@code value}s of a repeatable annotation among {@code annotations}: direct, contained or meta-present. */
    Set<String> repeatableValues(List<ClassFile.Annotation> annotations, String annotationType, String containerType) {
        Set<String> found = new LinkedHashSet<>();
        repeatableValues(annotations, annotationType, containerType, found, new HashSet<>());
        return found;
    }

    private void repeatableValues(
            List<ClassFile.Annotation> annotations,
            String annotationType,
            String containerType,
            Set<String> found,
            Set<String> visited) {
        for (ClassFile.Annotation a : annotations) {
            if (a.type().equals(annotationType)) {
                if (a.value() instanceof String value) {
                    found.add(value);
                }
            } else if (a.type().equals(containerType)) {
                if (a.value() instanceof List<?> contained) {
                    for (Object c : contained) {
                        if (c instanceof ClassFile.Annotation inner && inner.value() instanceof String value) {
                            found.add(value);
                        }
                    }
                }
            } else if (!a.type().startsWith("java.lang.annotation.") && visited.add(a.type()) && visited.size() < 256) {
                find(a.type())
                        .ifPresent(meta ->
                                repeatableValues(meta.annotations(), annotationType, containerType, found, visited));
            }
        }
    }

    private boolean isInherited(String annotationType) {
        return find(annotationType)
                .map(f -> f.annotations().stream().anyMatch(a -> a.type().equals("java.lang.annotation.Inherited")))
                .orElse(false);
    }

    /**
     * A class's superclasses from the class itself up, and all the interfaces they implement,
     * each once: where Jupiter looks for inherited test methods and nested classes.
     */
    List<ClassFile> hierarchy(String className) {
        List<ClassFile> result = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<String> pending = new ArrayList<>(List.of(className));
        while (!pending.isEmpty() && result.size() < MAX_DEPTH * 4) {
            String next = pending.remove(0);
            if (next == null || next.equals("java.lang.Object") || !seen.add(next)) {
                continue;
            }
            Optional<ClassFile> file = find(next);
            if (file.isPresent()) {
                result.add(file.get());
                pending.add(file.get().superName());
                pending.addAll(file.get().interfaces());
            }
        }
        return result;
    }
}
