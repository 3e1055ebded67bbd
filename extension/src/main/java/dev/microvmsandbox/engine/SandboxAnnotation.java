package dev.microvmsandbox.engine;

import java.util.ArrayList;
import java.util.List;
import org.objectweb.asm.AnnotationVisitor;

/**
 * The values of a {@code @MicroVmSandbox} annotation as written in a class file; absent attributes
 * take the annotation's defaults. {@code isolation} is the enum constant's name.
 */
record SandboxAnnotation(
        String memory, int cpus, String timeout, List<String> images, List<String> env, String isolation, String disk) {

    static final SandboxAnnotation DEFAULTS = new SandboxAnnotation("", 0, "", List.of(), List.of(), "DEFAULT");

    /** Without a disk size: the configured one. */
    SandboxAnnotation(
            String memory, int cpus, String timeout, List<String> images, List<String> env, String isolation) {
        this(memory, cpus, timeout, images, env, isolation, "");
    }

    static final class Builder {
        private String memory = "";
        private int cpus;
        private String timeout = "";
        private String disk = "";
        private final List<String> images = new ArrayList<>();
        private final List<String> env = new ArrayList<>();
        private String isolation = "DEFAULT";

        AnnotationVisitor visitor(int api) {
            return new AnnotationVisitor(api) {
                @Override
                public void visit(String name, Object value) {
                    if ("memory".equals(name) && value instanceof String s) {
                        memory = s;
                    } else if ("timeout".equals(name) && value instanceof String s) {
                        timeout = s;
                    } else if ("disk".equals(name) && value instanceof String s) {
                        disk = s;
                    } else if ("cpus".equals(name) && value instanceof Integer i) {
                        cpus = i;
                    }
                }

                @Override
                public void visitEnum(String name, String descriptor, String value) {
                    if ("isolation".equals(name)) {
                        isolation = value;
                    }
                }

                @Override
                public AnnotationVisitor visitArray(String name) {
                    List<String> target = "images".equals(name) ? images : "env".equals(name) ? env : null;
                    if (target == null) {
                        return null;
                    }
                    return new AnnotationVisitor(api) {
                        @Override
                        public void visit(String ignored, Object value) {
                            if (value instanceof String s) {
                                target.add(s);
                            }
                        }
                    };
                }
            };
        }

        SandboxAnnotation build() {
            return new SandboxAnnotation(memory, cpus, timeout, List.copyOf(images), List.copyOf(env), isolation, disk);
        }
    }
}
