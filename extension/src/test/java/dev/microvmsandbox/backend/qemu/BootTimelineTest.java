package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BootTimelineTest {

    @Test
    void laysGuestStepsOutAsPhasesInBootOrder() {
        BootTimeline t = new BootTimeline();
        Map<String, Long> steps = new LinkedHashMap<>();
        steps.put("hello", 5_000L);
        steps.put("initramfs", 1_000L);
        steps.put("root", 1_400L);
        steps.put("bootstrap", 1_410L);
        steps.put("podman", 1_600L);
        steps.put("agent", 1_900L);
        steps.put("jvm", 3_000L);
        t.guestSteps(steps);
        t.readyUptime(6_500L);

        assertThat(t.phases())
                .containsEntry("kernel", 1_000L)
                .containsEntry("initramfs: modules, root", 400L)
                .containsEntry("bootstrap: mounts, cgroups", 200L)
                .containsEntry("bootstrap: shares, agent exec", 300L)
                .containsEntry("agent JVM start", 1_100L)
                .containsEntry("agent connect", 2_000L)
                .containsEntry("wait for podman", 1_500L);
        assertThat(t.phases().keySet())
                .containsSubsequence("kernel", "initramfs: modules, root", "agent JVM start", "wait for podman");
        assertThat(t.podmanMillis()).contains(4_900L);
    }

    @Test
    void dropsWhatAGuestMakesUp() {
        BootTimeline t = new BootTimeline();
        Map<String, Long> steps = new LinkedHashMap<>();
        steps.put("initramfs", -5L);
        steps.put("root", Long.MAX_VALUE);
        steps.put("../../etc/passwd", 1L);
        steps.put("jvm", 2_000L);
        t.guestSteps(steps);
        t.readyUptime(-1);

        assertThat(t.phases()).doesNotContainKeys("kernel", "initramfs: modules, root", "wait for podman");
        assertThat(t.podmanMillis()).isEmpty();
    }

    @Test
    void toleratesAGuestThatSendsNoSteps() {
        BootTimeline t = new BootTimeline();
        t.guestSteps(null);
        t.mark("ready");
        assertThat(t.phases()).containsKey("total").doesNotContainKey("kernel");
    }

    @Test
    void breaksARestoresAttachIntoTheStepsTheAgentTimed() {
        BootTimeline t = new BootTimeline();
        t.restored();
        t.mark("hello");
        t.mark("ready");
        t.attachSteps(Map.of(
                "setup", 40L,
                "identity", 600L,
                "classpath", 400L,
                "podman", 90L,
                "/etc/passwd", 1L,
                "testcontainers", -3L));

        assertThat(t.phases())
                .containsEntry("attach: clock, entropy", 600L)
                .containsEntry("attach: classpath", 400L)
                .containsEntry("attach: setup", 40L)
                .containsEntry("attach: podman answers", 90L)
                .containsKey("attach: the rest (the messages' way)")
                .doesNotContainKeys("attach: Testcontainers settings", "attach: clock, entropy, classpath, setup");
        assertThat(t.phases().keySet())
                .containsSubsequence(
                        "attach: clock, entropy",
                        "attach: classpath",
                        "attach: setup",
                        "attach: podman answers",
                        "total");
        assertThat(t.phases().get("attach: the rest (the messages' way)")).isNotNegative();
    }

    @Test
    void aRestoreWhoseAgentTimedNoStepsKeepsOneAttachPhase() {
        BootTimeline t = new BootTimeline();
        t.restored();
        t.mark("hello");
        t.mark("ready");
        t.attachSteps(null);
        assertThat(t.phases()).containsKey("attach: clock, entropy, classpath, setup");
    }
}
