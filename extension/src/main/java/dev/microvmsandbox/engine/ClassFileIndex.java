package dev.microvmsandbox.engine;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
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
}
