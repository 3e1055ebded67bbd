package dev.microvmsandbox.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;

/**
 * Starts the quickstart's Redis image inside the sandbox, once with podman directly and twice
 * through Testcontainers, and prints each time as {@code BENCH name=millis}.
 */
@MicroVmSandbox(images = "docker-archive:target/bench-images/redis.tar", timeout = "20m")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
public class ContainerStartBenchFixture {

    static final String IMAGE = "localhost/samples/redis:7";
    static final String READY = "Ready to accept connections";

    @Test
    @Order(1)
    void podmanDirectly() throws Exception {
        long t0 = System.nanoTime();
        run("podman", "run", "-d", "--name", "bench-direct", "-p", "6379", IMAGE);
        while (!run("podman", "logs", "bench-direct").contains(READY)) {
            Thread.sleep(50);
        }
        System.out.println("BENCH podman-run-to-ready=" + (System.nanoTime() - t0) / 1_000_000);
        run("podman", "rm", "-f", "-t", "0", "bench-direct");
    }

    @Test
    @Order(2)
    void testcontainersFirstStart() {
        start("testcontainers-first-start");
    }

    @Test
    @Order(3)
    void testcontainersSecondStart() {
        start("testcontainers-second-start");
    }

    private static void start(String name) {
        long t0 = System.nanoTime();
        try (GenericContainer<?> redis = new GenericContainer<>(IMAGE)
                .withExposedPorts(6379)
                .waitingFor(Wait.forLogMessage(".*" + READY + ".*", 1))) {
            redis.start();
            System.out.println("BENCH " + name + "=" + (System.nanoTime() - t0) / 1_000_000);
            assertTrue(redis.getMappedPort(6379) > 0);
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new IllegalStateException(String.join(" ", command) + " failed: " + out);
        }
        return out;
    }
}
