package com.example.shop;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.microvmsandbox.MicroVmSandbox;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import redis.clients.jedis.Jedis;

/**
 * An application container and the cache it uses, on one Testcontainers network: the app
 * reaches redis by its network alias, the test reaches the app through its mapped port.
 * Both containers run nested inside the microVM.
 */
@MicroVmSandbox(
        images = {"docker-archive:target/sample-images/redis.tar", "docker-archive:target/sample-images/webapp.tar"})
@Testcontainers
class WebappWithRedisTest {

    static final Network network = Network.newNetwork();

    @Container
    static GenericContainer<?> redis = new GenericContainer<>("localhost/samples/redis:7")
            .withNetwork(network)
            .withNetworkAliases("redis")
            .withExposedPorts(6379)
            .waitingFor(Wait.forLogMessage(".*Ready to accept connections.*\\n", 1));

    @Container
    static GenericContainer<?> webapp = new GenericContainer<>("localhost/samples/webapp:1")
            .withNetwork(network)
            .withEnv("REDIS_HOST", "redis")
            .withExposedPorts(8080)
            .dependsOn(redis)
            .waitingFor(Wait.forLogMessage(".*webapp listening on port 8080.*\\n", 1));

    private final HttpClient http =
            HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    private HttpResponse<String> get(String path) throws Exception {
        URI uri = URI.create("http://" + webapp.getHost() + ":" + webapp.getMappedPort(8080) + path);
        return http.send(
                HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private long hits() throws Exception {
        HttpResponse<String> response = get("/cgi-bin/hits");
        assertEquals(200, response.statusCode(), response.body());
        String body = response.body().trim();
        assertTrue(body.startsWith("hits="), body);
        return Long.parseLong(body.substring("hits=".length()));
    }

    @Test
    void servesItsIndexPage() throws Exception {
        HttpResponse<String> response = get("/");
        assertEquals(200, response.statusCode());
        assertTrue(response.body().contains("samples/webapp"), response.body());
    }

    @Test
    void counterIncreasesThroughRedisOnTheSharedNetwork() throws Exception {
        long first = hits();
        long second = hits();
        assertEquals(first + 1, second);
        // the app stored it in the redis container the test can reach too
        try (Jedis jedis = new Jedis(redis.getHost(), redis.getMappedPort(6379))) {
            assertEquals(String.valueOf(second), jedis.get("hits"));
        }
    }
}
