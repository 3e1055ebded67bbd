package com.example.quickstart;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestReporter;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import redis.clients.jedis.Jedis;

/**
 * One class, one container, a real client, nothing about a sandbox: the strict setup in the pom runs
 * this whole test JVM inside a microVM, and the Redis container it starts runs nested in that VM
 * (podman serves the Docker API there).
 *
 * <p>The pom loads the image from an archive before the tests start; the name below is the one
 * stored in the archive, so Testcontainers finds it locally and never pulls.
 */
@Testcontainers
class RedisQuickstartTest {

    @Container
    static GenericContainer<?> redis = new GenericContainer<>("localhost/samples/redis:7").withExposedPorts(6379);

    @Test
    void setsAndGetsAValue() {
        try (Jedis jedis = new Jedis(redis.getHost(), redis.getMappedPort(6379))) {
            jedis.set("greeting", "hello from the sandbox");
            assertEquals("hello from the sandbox", jedis.get("greeting"));
        }
    }

    @Test
    void countsWithIncr() {
        try (Jedis jedis = new Jedis(redis.getHost(), redis.getMappedPort(6379))) {
            long first = jedis.incr("visits");
            assertEquals(first + 1, jedis.incr("visits"));
        }
    }

    /** Records the kernel this JVM runs on; the build's check compares it with the host's. */
    @Test
    void recordsTheKernelItRunsOn(TestReporter reporter) throws Exception {
        String kernel = Files.readString(Path.of("/proc/sys/kernel/osrelease")).trim();
        assertEquals(System.getProperty("os.version"), kernel);
        System.out.println("SANDBOX-KERNEL=" + kernel);
        // boot_id is new at every boot of any kernel: it tells the VM from the host even when their kernels match
        System.out.println("SANDBOX-BOOT-ID="
                + Files.readString(Path.of("/proc/sys/kernel/random/boot_id")).trim());
        reporter.publishEntry("sandbox.kernel", kernel);

        // a nested container shares the kernel of the VM it runs in
        ExecResult uname = redis.execInContainer("uname", "-r");
        assertEquals(0, uname.getExitCode(), uname.getStderr());
        assertEquals(kernel, uname.getStdout().trim());
    }
}
