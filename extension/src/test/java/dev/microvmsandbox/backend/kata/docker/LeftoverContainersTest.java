package dev.microvmsandbox.backend.kata.docker;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.model.Container;
import dev.microvmsandbox.backend.kata.RunOwner;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which containers a new run removes, from what an engine's container list says about them. */
class LeftoverContainersTest {

    private static final Instant NOW = Instant.parse("2026-12-01T12:00:00Z");

    @Test
    void aContainerOfAnEndedProcessOfThisHostIsALeftover() throws Exception {
        Process p = new ProcessBuilder("true").start();
        p.waitFor();
        Map<String, String> labels = new HashMap<>(RunOwner.current().labels());
        labels.put(RunOwner.PID, Long.toString(p.pid()));
        assertThat(LeftoverContainers.leftoverBecause(container("running", labels, NOW), NOW))
                .get()
                .asString()
                .contains("process " + p.pid() + " on this host, has ended");
    }

    @Test
    void aLiveRunsContainersStay() throws Exception {
        assertThat(LeftoverContainers.leftoverBecause(
                        container("running", RunOwner.current().labels(), NOW), NOW))
                .isEmpty();
        Map<String, String> elsewhere = new HashMap<>(RunOwner.current().labels());
        elsewhere.put(RunOwner.HOST, "another-host");
        assertThat(LeftoverContainers.leftoverBecause(container("exited", elsewhere, NOW.minusSeconds(60)), NOW))
                .isEmpty();
    }

    @Test
    void aStoppedContainerOlderThanAnySandboxIsALeftover() throws Exception {
        Map<String, String> elsewhere = new HashMap<>(RunOwner.current().labels());
        elsewhere.put(RunOwner.HOST, "another-host");
        Instant created = NOW.minus(LeftoverContainers.STALE_AFTER).minus(Duration.ofMinutes(1));
        assertThat(LeftoverContainers.leftoverBecause(container("exited", elsewhere, created), NOW))
                .get()
                .asString()
                .contains("exited and older than");
        assertThat(LeftoverContainers.leftoverBecause(container("running", elsewhere, created), NOW))
                .isEmpty();
    }

    /** A container as the engine's list describes it (docker-java reads the same JSON). */
    private static Container container(String state, Map<String, String> labels, Instant created) throws Exception {
        Map<String, Object> json = Map.of(
                "Id",
                "0123456789ab",
                "Names",
                new String[] {"/msb-x-1"},
                "State",
                state,
                "Created",
                created.getEpochSecond(),
                "Labels",
                labels);
        ObjectMapper mapper = new ObjectMapper();
        return mapper.readValue(mapper.writeValueAsBytes(json), Container.class);
    }
}
