package dev.microvmsandbox.guest;

import java.io.IOException;
import java.lang.reflect.Array;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassWriter;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;

/**
 * Runs a small Jupiter class once in a guest that is about to be saved as a template, so that every
 * sandbox restored from it starts with the JDK's side of a JUnit run already compiled: class
 * definition from jars, reflection, annotation parsing, lambda and method-handle linkage. A test
 * run's first class costs about 6 s of a cold JVM under emulation, and about 2 s in one that ran a
 * JUnit class before.
 *
 * <p>Only trusted code runs: the guest image's own JUnit (Debian's {@code junit5} package on the
 * read-only root) and a class this agent writes, in a class loader of their own that is dropped
 * afterwards. Nothing of them stays reachable, so the tests of a restored sandbox load their own
 * JUnit, as they would have without the warm-up. What stays is the JVM's compiled code and its
 * shared method-handle forms.
 */
final class JupiterWarmup {

    /** Where the guest image's JUnit lives. */
    static final Path DEBIAN_JARS = Path.of("/usr/share/java");
    /** The jars the warm-up needs, by their unversioned names there. */
    static final List<String> JARS = List.of(
            "junit-platform-commons.jar",
            "junit-platform-engine.jar",
            "junit-platform-launcher.jar",
            "junit-jupiter-api.jar",
            "junit-jupiter-engine.jar",
            "junit-jupiter-params.jar",
            "opentest4j.jar",
            "apiguardian-api.jar");

    static final String CLASS_NAME = "dev.microvmsandbox.guest.warmup.WarmupTest";
    /** The tests the class holds: two plain ones, three repetitions, three parameter values. */
    static final int TESTS = 2 + 3 + 3;

    private JupiterWarmup() {}

    /** The Debian jars, in {@link #JARS}' order, or an empty list when one is missing. */
    static List<Path> debianJars(Path dir) {
        List<Path> jars = new ArrayList<>();
        for (String name : JARS) {
            Path jar = dir.resolve(name);
            if (!Files.isRegularFile(jar)) {
                return List.of();
            }
            jars.add(jar);
        }
        return jars;
    }

    /**
     * Runs the warm-up class with JUnit from {@code jars} and returns how many of its tests passed.
     * The calling thread's context class loader is restored afterwards.
     */
    static int run(List<Path> jars) throws IOException {
        List<URL> urls = new ArrayList<>();
        for (Path jar : jars) {
            urls.add(jar.toUri().toURL());
        }
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        try (WarmupLoader loader = new WarmupLoader(urls.toArray(new URL[0]))) {
            thread.setContextClassLoader(loader);
            return launch(loader, loader.define(CLASS_NAME, warmupClass()));
        } catch (ReflectiveOperationException | LinkageError e) {
            throw new IOException("the JUnit warm-up could not run: " + e, e);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The launcher's API, called by reflection: these JUnit classes exist only in {@code loader}. */
    private static int launch(ClassLoader loader, Class<?> testClass) throws ReflectiveOperationException {
        Class<?> selectors = loader.loadClass("org.junit.platform.engine.discovery.DiscoverySelectors");
        Class<?> selectorType = loader.loadClass("org.junit.platform.engine.DiscoverySelector");
        Object selectorArray = Array.newInstance(selectorType, 1);
        Array.set(
                selectorArray,
                0,
                selectors.getMethod("selectClass", Class.class).invoke(null, testClass));
        Class<?> builderType = loader.loadClass("org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder");
        Object builder = builderType.getMethod("request").invoke(null);
        builderType.getMethod("selectors", selectorArray.getClass()).invoke(builder, selectorArray);
        Object request = builderType.getMethod("build").invoke(builder);

        Class<?> listenerType = loader.loadClass("org.junit.platform.launcher.listeners.SummaryGeneratingListener");
        Object listener = listenerType.getConstructor().newInstance();
        Class<?> executionListener = loader.loadClass("org.junit.platform.launcher.TestExecutionListener");
        Object listeners = Array.newInstance(executionListener, 1);
        Array.set(listeners, 0, listener);

        Object launcher = loader.loadClass("org.junit.platform.launcher.core.LauncherFactory")
                .getMethod("create")
                .invoke(null);
        Class<?> requestType = loader.loadClass("org.junit.platform.launcher.LauncherDiscoveryRequest");
        Method execute = loader.loadClass("org.junit.platform.launcher.Launcher")
                .getMethod("execute", requestType, listeners.getClass());
        try {
            execute.invoke(launcher, request, listeners);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("the launcher failed: " + e.getCause(), e.getCause());
        }
        Object summary = listenerType.getMethod("getSummary").invoke(listener);
        Class<?> summaryType = loader.loadClass("org.junit.platform.launcher.listeners.TestExecutionSummary");
        return (int) (long) summaryType.getMethod("getTestsSucceededCount").invoke(summary);
    }

    /**
     * A public class with a {@code @BeforeEach} method that counts, two {@code @Test} methods that
     * assert with {@code Assertions}, a {@code @RepeatedTest(3)} and a {@code @ParameterizedTest}
     * over {@code @ValueSource(ints = {1, 2, 3})}: the kinds of method most suites have.
     */
    static byte[] warmupClass() {
        String internal = CLASS_NAME.replace('.', '/');
        ClassWriter cw = new ClassWriter(ClassWriter.COMPUTE_FRAMES | ClassWriter.COMPUTE_MAXS);
        cw.visit(Opcodes.V11, Opcodes.ACC_PUBLIC | Opcodes.ACC_SUPER, internal, null, "java/lang/Object", null);
        cw.visitField(Opcodes.ACC_PRIVATE, "count", "I", null, null).visitEnd();

        MethodVisitor init = cw.visitMethod(Opcodes.ACC_PUBLIC, "<init>", "()V", null, null);
        init.visitCode();
        init.visitVarInsn(Opcodes.ALOAD, 0);
        init.visitMethodInsn(Opcodes.INVOKESPECIAL, "java/lang/Object", "<init>", "()V", false);
        init.visitInsn(Opcodes.RETURN);
        init.visitMaxs(0, 0);
        init.visitEnd();

        MethodVisitor before = cw.visitMethod(Opcodes.ACC_PUBLIC, "setUp", "()V", null, null);
        before.visitAnnotation("Lorg/junit/jupiter/api/BeforeEach;", true).visitEnd();
        before.visitCode();
        before.visitVarInsn(Opcodes.ALOAD, 0);
        before.visitInsn(Opcodes.ICONST_1);
        before.visitFieldInsn(Opcodes.PUTFIELD, internal, "count", "I");
        before.visitInsn(Opcodes.RETURN);
        before.visitMaxs(0, 0);
        before.visitEnd();

        assertingMethod(cw, internal, "counts", "Lorg/junit/jupiter/api/Test;", false);
        assertingMethod(cw, internal, "countsAgain", "Lorg/junit/jupiter/api/Test;", false);

        MethodVisitor repeated = cw.visitMethod(Opcodes.ACC_PUBLIC, "repeats", "()V", null, null);
        AnnotationVisitor times = repeated.visitAnnotation("Lorg/junit/jupiter/api/RepeatedTest;", true);
        times.visit("value", 3);
        times.visitEnd();
        repeated.visitCode();
        repeated.visitInsn(Opcodes.RETURN);
        repeated.visitMaxs(0, 0);
        repeated.visitEnd();

        assertingMethod(cw, internal, "takes", null, true);
        cw.visitEnd();
        return cw.toByteArray();
    }

    /**
     * {@code assertEquals(1, count)} in a method annotated {@code annotation}; with {@code
     * parameterized}, a {@code @ParameterizedTest @ValueSource(ints = {1, 2, 3})} taking the value.
     */
    private static void assertingMethod(
            ClassWriter cw, String internal, String name, String annotation, boolean parameterized) {
        MethodVisitor mv = cw.visitMethod(Opcodes.ACC_PUBLIC, name, parameterized ? "(I)V" : "()V", null, null);
        if (parameterized) {
            mv.visitAnnotation("Lorg/junit/jupiter/params/ParameterizedTest;", true)
                    .visitEnd();
            AnnotationVisitor source = mv.visitAnnotation("Lorg/junit/jupiter/params/provider/ValueSource;", true);
            AnnotationVisitor ints = source.visitArray("ints");
            for (int i = 1; i <= 3; i++) {
                ints.visit(null, i);
            }
            ints.visitEnd();
            source.visitEnd();
        } else {
            mv.visitAnnotation(annotation, true).visitEnd();
        }
        mv.visitCode();
        mv.visitInsn(Opcodes.ICONST_1);
        mv.visitVarInsn(Opcodes.ALOAD, 0);
        mv.visitFieldInsn(Opcodes.GETFIELD, internal, "count", "I");
        mv.visitMethodInsn(Opcodes.INVOKESTATIC, "org/junit/jupiter/api/Assertions", "assertEquals", "(II)V", false);
        mv.visitInsn(Opcodes.RETURN);
        mv.visitMaxs(0, 0);
        mv.visitEnd();
    }

    /** The warm-up's own loader: the given jars over the platform's classes, plus the written class. */
    private static final class WarmupLoader extends URLClassLoader {
        WarmupLoader(URL[] urls) {
            super("msb-warmup", urls, ClassLoader.getPlatformClassLoader());
        }

        Class<?> define(String name, byte[] bytes) {
            return defineClass(name, bytes, 0, bytes.length);
        }
    }
}
