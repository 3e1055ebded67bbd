package com.example.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import redis.clients.jedis.Jedis;

/**
 * Testcontainers builds an image through the Docker API ({@code podman build} inside the
 * microVM) on top of a base image the pom preloads for every class (the plugin's {@code images}),
 * then runs it. The class itself says nothing about a sandbox.
 */
@Testcontainers
class CustomRedisImageTest {

    @Container
    static GenericContainer<?> redis = new GenericContainer<>(
                    new ImageFromDockerfile("localhost/samples/redis-lru", false)
                            .withDockerfileFromBuilder(b -> b.from("localhost/samples/redis:7")
                                    .run("printf 'maxmemory 64mb\\nmaxmemory-policy allkeys-lru\\nprotected-mode no\\n'"
                                            + " > /etc/redis-sample.conf && grep -q allkeys-lru /etc/redis-sample.conf")
                                    .cmd("redis-server", "/etc/redis-sample.conf")
                                    .expose(6379)
                                    .build()))
            .withExposedPorts(6379)
            .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));

    @Test
    void runsTheImageBuiltInTheSandbox() {
        try (Jedis jedis = new Jedis(redis.getHost(), redis.getMappedPort(6379))) {
            assertEquals(
                    List.of("maxmemory-policy", "allkeys-lru"),
                    jedis.configGet("maxmemory-policy").entrySet().stream()
                            .flatMap(e -> java.util.stream.Stream.of(e.getKey(), e.getValue()))
                            .toList());
            jedis.set("k", "v");
            assertEquals("v", jedis.get("k"));
        }
    }

    /** Which machine this class ran on; the build's check compares it with the host and the other classes. */
    @Test
    void recordsTheMachineItRunsOn() throws IOException {
        System.out.println("SANDBOX-KERNEL="
                + Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim());
        System.out.println("SANDBOX-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
    }
}
