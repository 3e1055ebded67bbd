package dev.microvmsandbox.packaging;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.objectweb.asm.ClassReader;
import org.objectweb.asm.ClassVisitor;
import org.objectweb.asm.Opcodes;
import org.objectweb.asm.commons.ClassRemapper;
import org.objectweb.asm.commons.Remapper;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/**
 * The packaged jar as users get it: what it uses privately is relocated inside it, so a user's
 * dependency management cannot swap a version under it, and what it leaves to the test classpath
 * is the user's own contract. Runs in Failsafe, after {@code package} (the extension's other tests
 * run against the unrelocated classes).
 */
class ShadedJarTest {

    /** What the jar may leave to the classpath: the JDK and the user's own contract. */
    private static final List<String> CONTRACT = List.of(
            "java/",
            "javax/",
            "jdk/",
            "sun/",
            "com/sun/jna/",
            "org/w3c/",
            "org/xml/",
            "org/ietf/jgss/",
            "org/junit/platform/",
            "org/opentest4j/",
            "org/apiguardian/",
            "org/slf4j/",
            "org/testcontainers/");

    /**
     * Referenced by relocated libraries, never loaded on our paths: annotations read by nobody at
     * run time, docker-java's TLS client certificates (we talk to plain sockets only), Guava's
     * App Engine support and the optional codecs of commons-compress (brotli, zstd, xz).
     */
    private static final List<String> NEVER_LOADED = List.of(
            "com/google/errorprone/annotations/",
            "com/google/j2objc/annotations/",
            "edu/umd/cs/findbugs/annotations/",
            "org/jspecify/annotations/",
            "org/checkerframework/",
            "org/codehaus/mojo/animal_sniffer/",
            "org/immutables/value/",
            "org/bouncycastle/",
            "com/google/apphosting/",
            "com/google/appengine/",
            "org/brotli/",
            "com/github/luben/zstd/",
            "org/tukaani/xz/",
            // annotations of the fabric8 client, with class retention or for OSGi only
            "lombok/",
            "org/osgi/",
            // model classes of Kubernetes API groups the kata-kubernetes backend never uses, left out of
            // the jar on purpose (the root pom's exclusions): the client loads a group's model classes only
            // when that group is used; KubernetesRelocationIT runs the packaged jar without them
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/admissionregistration/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/apiextensions/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/authentication/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/authorization/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/coordination/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/discovery/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/events/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/flowcontrol/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/gatewayapi/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/metrics/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/networking/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/rbac/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/resource/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/scheduling/",
            "dev/microvmsandbox/shaded/fabric8/kubernetes/api/model/storage/");

    private static Path jar;

    @BeforeAll
    static void packagedJar() {
        String path = System.getProperty("microvm.sandbox.jar");
        assertThat(path)
                .as("the system property microvm.sandbox.jar (set by the Failsafe configuration)")
                .isNotNull();
        jar = Path.of(path);
        assertThat(jar).as("run after mvn package").isRegularFile();
    }

    @Test
    void carriesNoUnrelocatedCopyOfWhatItUsesPrivately() throws IOException {
        List<String> unrelocated = new ArrayList<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                if (name.endsWith(".class") && !name.startsWith("dev/microvmsandbox/")) {
                    unrelocated.add(name);
                }
            }
        }
        assertThat(unrelocated).as("classes outside dev/microvmsandbox/").isEmpty();
    }

    @Test
    void usesNothingOutsideItselfButTheJdkAndTheUsersContract() throws IOException {
        Set<String> own = new TreeSet<>();
        TreeMap<String, String> references = new TreeMap<>();
        try (JarFile file = new JarFile(jar.toFile())) {
            for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                JarEntry entry = e.nextElement();
                if (!entry.getName().endsWith(".class")) {
                    continue;
                }
                String owner = entry.getName().substring(0, entry.getName().length() - ".class".length());
                own.add(owner);
                try (InputStream in = file.getInputStream(entry)) {
                    new ClassReader(in)
                            .accept(
                                    new ClassRemapper(new ClassVisitor(Opcodes.ASM9) {}, new Remapper() {
                                        @Override
                                        public String map(String internalName) {
                                            references.putIfAbsent(internalName, owner);
                                            return internalName;
                                        }
                                    }),
                                    0);
                }
            }
        }
        List<String> outside = new ArrayList<>();
        references.forEach((type, user) -> {
            if (!own.contains(type)
                    && CONTRACT.stream().noneMatch(type::startsWith)
                    && NEVER_LOADED.stream().noneMatch(type::startsWith)) {
                outside.add(type + " (used by " + user + ")");
            }
        });
        assertThat(outside).as("types the jar expects from the classpath").isEmpty();
        // the channel's messages carry the relocated Jackson's annotations, read by the relocated databind
        assertThat(references).containsKey("dev/microvmsandbox/shaded/jackson/annotation/JsonTypeInfo");
        assertThat(references.keySet()).noneMatch(t -> t.startsWith("com/fasterxml/"));
    }

    @Test
    void itsPomDependsOnlyOnTheUsersContract() throws Exception {
        Path pom = jar.resolveSibling("dependency-reduced-pom.xml");
        assertThat(pom).isRegularFile();
        NodeList dependencies = DocumentBuilderFactory.newInstance()
                .newDocumentBuilder()
                .parse(Files.newInputStream(pom))
                .getDocumentElement()
                .getElementsByTagName("dependency");
        Set<String> runtime = new TreeSet<>();
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element d = (Element) dependencies.item(i);
            if (!(d.getParentNode() instanceof Element parent)
                    || !parent.getTagName().equals("dependencies")) {
                continue;
            }
            String scope = text(d, "scope");
            if (scope.isEmpty() || scope.equals("compile") || scope.equals("runtime")) {
                runtime.add(text(d, "groupId") + ":" + text(d, "artifactId"));
            }
        }
        assertThat(runtime)
                .containsExactlyInAnyOrder(
                        "org.junit.platform:junit-platform-engine",
                        "org.junit.platform:junit-platform-launcher",
                        "org.slf4j:slf4j-api",
                        "org.apiguardian:apiguardian-api",
                        "net.java.dev.jna:jna");
    }

    private static String text(Element parent, String tag) {
        NodeList n = parent.getElementsByTagName(tag);
        return n.getLength() == 0 ? "" : n.item(0).getTextContent().trim();
    }
}
