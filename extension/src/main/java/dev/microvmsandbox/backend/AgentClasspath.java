package dev.microvmsandbox.backend;

import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apiguardian.api.API;

/**
 * The class path of a guest agent that runs no tests: this library and what the agent itself
 * uses (Jackson for the channel's messages, slf4j, ASM for the class its JUnit warm-up runs),
 * wherever the host loaded them from. Each backend puts it into the guest its own way.
 */
@API(status = API.Status.INTERNAL)
public final class AgentClasspath {

    private AgentClasspath() {}

    /** The jars or class folders, in a fixed order. */
    public static List<Path> entries() {
        Set<Path> paths = new LinkedHashSet<>();
        for (Class<?> c : List.of(
                AgentClasspath.class,
                com.fasterxml.jackson.databind.ObjectMapper.class,
                com.fasterxml.jackson.core.JsonFactory.class,
                com.fasterxml.jackson.annotation.JsonTypeInfo.class,
                org.slf4j.LoggerFactory.class,
                org.objectweb.asm.ClassWriter.class)) {
            try {
                paths.add(Path.of(
                        c.getProtectionDomain().getCodeSource().getLocation().toURI()));
            } catch (URISyntaxException | RuntimeException e) {
                throw new IllegalStateException("cannot locate the jar of " + c.getName(), e);
            }
        }
        // where dependencies are relocated into this library's jar, several of them are that jar
        return new ArrayList<>(paths);
    }
}
