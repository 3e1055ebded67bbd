package dev.microvmsandbox.engine;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.objectweb.asm.AnnotationVisitor;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.MethodVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.Type;

/**
 * What discovery needs to know about one class, read from its class file bytes. Reading bytes
 * runs none of the class's code, which is the point: the class may be hostile.
 */
record ClassFile(
        String name,
        String superName,
        List<String> interfaces,
        String outerName,
        boolean isStaticMember,
        boolean isLocalOrAnonymous,
        boolean isAbstract,
        boolean isPrivate,
        boolean hasTestMethods,
        boolean isNestedAnnotated,
        boolean isClassTemplate,
        List<String> memberClasses,
        SandboxAnnotation sandboxAnnotation,
        String innerName,
        List<Annotation> annotations,
        List<Method> methods) {

    /**
     * An annotation as written in the class file: its type (a class name) and its values. A value
     * is a {@code String}, a boxed primitive, an enum constant's name, a class name (for a
     * {@code Class} value), a nested {@link Annotation}, or a {@code List} of those.
     */
    record Annotation(String type, Map<String, Object> values) {
        Object value() {
            return values.get("value");
        }
    }

    /** A method declared in the class, with its JVM descriptor and its runtime-visible annotations. */
    record Method(String name, String descriptor, int access, List<Annotation> annotations) {
        boolean is(int flag) {
            return (access & flag) != 0;
        }

        boolean returnsVoid() {
            return Type.getReturnType(descriptor) == Type.VOID_TYPE;
        }

        /** Parameter types as {@code Class.getName()} prints them: {@code int}, {@code [I}, {@code java.util.Map$Entry}. */
        List<String> parameterTypeNames() {
            List<String> names = new ArrayList<>();
            for (Type t : Type.getArgumentTypes(descriptor)) {
                names.add(t.getSort() == Type.ARRAY ? t.getDescriptor().replace('/', '.') : t.getClassName());
            }
            return names;
        }
    }

    static final String SANDBOX_DESC = "Ldev/microvmsandbox/MicroVmSandbox;";
    private static final Set<String> TEST_METHOD_ANNOTATIONS = Set.of(
            "Lorg/junit/jupiter/api/Test;",
            "Lorg/junit/jupiter/api/RepeatedTest;",
            "Lorg/junit/jupiter/api/TestFactory;",
            "Lorg/junit/jupiter/api/TestTemplate;",
            "Lorg/junit/jupiter/params/ParameterizedTest;");
    private static final Set<String> CLASS_TEMPLATE_ANNOTATIONS =
            Set.of("Lorg/junit/jupiter/api/ClassTemplate;", "Lorg/junit/jupiter/params/ParameterizedClass;");
    private static final String NESTED_DESC = "Lorg/junit/jupiter/api/Nested;";

    /** A class that is a nested (non-static) member of another one, as {@code @Nested} test classes are. */
    boolean isInnerMember() {
        return outerName != null && !isStaticMember;
    }

    /** Whether the platform could run it as a test class of its own. */
    boolean isStandalone() {
        return !isAbstract && !isPrivate && !isLocalOrAnonymous && !isInnerMember();
    }

    /**
     * @throws IllegalArgumentException when the bytes are not a class file ASM can read
     */
    static ClassFile parse(byte[] bytes) {
        Collector collector = new Collector();
        try {
            new ClassReader(bytes)
                    .accept(collector, ClassReader.SKIP_CODE | ClassReader.SKIP_DEBUG | ClassReader.SKIP_FRAMES);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("unreadable class file: " + e, e);
        }
        return collector.result();
    }

    static String dotted(String internalName) {
        return internalName == null ? null : internalName.replace('/', '.');
    }

    private static final class Collector extends ClassVisitor {
        private String name;
        private String superName;
        private final List<String> interfaces = new ArrayList<>();
        private String outerName;
        private boolean staticMember;
        private boolean localOrAnonymous;
        private boolean isAbstract;
        private boolean isPrivate;
        private boolean hasTestMethods;
        private boolean nested;
        private boolean classTemplate;
        private final List<String> memberClasses = new ArrayList<>();
        private SandboxAnnotation.Builder sandbox;
        private String innerName;
        private final List<Annotation> annotations = new ArrayList<>();
        private final List<Method> methods = new ArrayList<>();

        Collector() {
            super(Opcodes.ASM9);
        }

        @Override
        public void visit(
                int version, int access, String name, String signature, String superName, String[] interfaces) {
            this.name = name;
            this.superName = superName;
            if (interfaces != null) {
                for (String i : interfaces) {
                    this.interfaces.add(dotted(i));
                }
            }
            // interfaces, annotations and enums are never test classes of their own
            isAbstract = (access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_INTERFACE | Opcodes.ACC_ENUM)) != 0;
            isPrivate = (access & Opcodes.ACC_PRIVATE) != 0;
        }

        @Override
        public void visitOuterClass(String owner, String method, String descriptor) {
            localOrAnonymous = true;
        }

        @Override
        public void visitInnerClass(String inner, String outer, String innerName, int access) {
            if (inner.equals(name)) {
                if (outer == null || innerName == null) {
                    localOrAnonymous = true;
                } else {
                    outerName = outer;
                    this.innerName = innerName;
                    staticMember = (access & Opcodes.ACC_STATIC) != 0;
                    isPrivate |= (access & Opcodes.ACC_PRIVATE) != 0;
                    isAbstract |= (access & (Opcodes.ACC_ABSTRACT | Opcodes.ACC_INTERFACE)) != 0;
                }
            } else if (name.equals(outer) && innerName != null) {
                memberClasses.add(dotted(inner));
            }
        }

        @Override
        public AnnotationVisitor visitAnnotation(String descriptor, boolean visible) {
            AnnotationVisitor specific = specificAnnotation(descriptor);
            return visible ? recording(descriptor, annotations::add, specific) : specific;
        }

        /** Reads an annotation into {@link Annotation}, and passes it on to {@code next} too, if any. */
        private AnnotationVisitor recording(
                String descriptor, java.util.function.Consumer<Annotation> done, AnnotationVisitor next) {
            Map<String, Object> values = new LinkedHashMap<>();
            return new AnnotationVisitor(api, next) {
                @Override
                public void visit(String name, Object value) {
                    values.put(name, plain(value));
                    super.visit(name, value);
                }

                @Override
                public void visitEnum(String name, String enumDescriptor, String value) {
                    values.put(name, value);
                    super.visitEnum(name, enumDescriptor, value);
                }

                @Override
                public AnnotationVisitor visitAnnotation(String name, String nested) {
                    return recording(nested, a -> values.put(name, a), super.visitAnnotation(name, nested));
                }

                @Override
                public AnnotationVisitor visitArray(String name) {
                    List<Object> items = new ArrayList<>();
                    values.put(name, items);
                    return new AnnotationVisitor(api, super.visitArray(name)) {
                        @Override
                        public void visit(String ignored, Object value) {
                            items.add(plain(value));
                            super.visit(ignored, value);
                        }

                        @Override
                        public void visitEnum(String ignored, String enumDescriptor, String value) {
                            items.add(value);
                            super.visitEnum(ignored, enumDescriptor, value);
                        }

                        @Override
                        public AnnotationVisitor visitAnnotation(String ignored, String nested) {
                            return recording(nested, items::add, super.visitAnnotation(ignored, nested));
                        }
                    };
                }

                @Override
                public void visitEnd() {
                    done.accept(new Annotation(Type.getType(descriptor).getClassName(), values));
                    super.visitEnd();
                }
            };
        }

        private static Object plain(Object value) {
            return value instanceof Type t ? t.getClassName() : value;
        }

        private AnnotationVisitor specificAnnotation(String descriptor) {
            if (descriptor.equals(SANDBOX_DESC)) {
                sandbox = new SandboxAnnotation.Builder();
                return sandbox.visitor(api);
            }
            if (descriptor.equals(NESTED_DESC)) {
                nested = true;
            } else if (CLASS_TEMPLATE_ANNOTATIONS.contains(descriptor)) {
                classTemplate = true;
            }
            return null;
        }

        @Override
        public MethodVisitor visitMethod(
                int access, String name, String descriptor, String signature, String[] exceptions) {
            List<Annotation> methodAnnotations = new ArrayList<>();
            return new MethodVisitor(api) {
                @Override
                public AnnotationVisitor visitAnnotation(String annotation, boolean visible) {
                    if (TEST_METHOD_ANNOTATIONS.contains(annotation)) {
                        hasTestMethods = true;
                    }
                    return visible ? recording(annotation, methodAnnotations::add, null) : null;
                }

                @Override
                public void visitEnd() {
                    methods.add(new Method(name, descriptor, access, List.copyOf(methodAnnotations)));
                }
            };
        }

        ClassFile result() {
            if (name == null) {
                throw new IllegalArgumentException("class file without a name");
            }
            return new ClassFile(
                    dotted(name),
                    dotted(superName),
                    List.copyOf(interfaces),
                    dotted(outerName),
                    staticMember,
                    localOrAnonymous,
                    isAbstract,
                    isPrivate,
                    hasTestMethods,
                    nested,
                    classTemplate,
                    List.copyOf(memberClasses),
                    sandbox == null ? null : sandbox.build(),
                    innerName,
                    List.copyOf(annotations),
                    List.copyOf(methods));
        }
    }
}
