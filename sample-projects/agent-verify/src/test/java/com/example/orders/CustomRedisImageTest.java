package com.example.orders;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.microvmsandbox.MicroVmSandbox;
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
 * microVM) on top of a preloaded base image, then runs it.
 */
@MicroVmSandbox(images = "docker-archive:target/sample-images/redis.tar")
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
}
