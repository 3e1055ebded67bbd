package dev.microvmsandbox.backend.kata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.ProcessStart;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RunOwnerTest {

    @Test
    void labelsNameTheRunAndReadBackAsTheSameOwner() {
        RunOwner me = RunOwner.current();
        Map<String, String> labels = me.labels();
        assertThat(labels)
                .containsEntry(RunOwner.MANAGED_BY, "microvm-sandbox")
                .containsEntry(
                        RunOwner.PID, Long.toString(ProcessHandle.current().pid()));
        assertThat(labels.values()).allMatch(v -> v.matches("[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?"));
        assertThat(RunOwner.fromLabels(labels)).contains(me);
    }

    @Test
    void thisJvmHasNotEnded() {
        assertThat(RunOwner.current().endedOnThisHost()).isFalse();
    }

    @Test
    void aProcessOfThisHostThatExitedHasEnded() throws Exception {
        Process p = new ProcessBuilder("true").start();
        long ticks = ProcessStart.ticks(p.pid()).orElse(-1L);
        p.waitFor();
        RunOwner gone = new RunOwner("r", RunOwner.current().host(), p.pid(), ticks);
        assertThat(gone.endedOnThisHost()).isTrue();
    }

    @Test
    void aReusedPidWithAnotherStartTimeHasEnded() {
        RunOwner me = RunOwner.current();
        RunOwner earlier = new RunOwner("r", me.host(), ProcessHandle.current().pid(), me.startTicks() - 1);
        assertThat(earlier.endedOnThisHost()).isTrue();
    }

    @Test
    void anOwnerOnAnotherHostIsNeverKnownToHaveEnded() {
        RunOwner elsewhere = new RunOwner("r", "another-host", 999_999_999L, 1);
        assertThat(elsewhere.endedOnThisHost()).isFalse();
    }

    @Test
    void labelsOfOtherObjectsNameNoOwner() {
        Map<String, String> labels = new HashMap<>(RunOwner.current().labels());
        labels.put(RunOwner.MANAGED_BY, "someone-else");
        assertThat(RunOwner.fromLabels(labels)).isEmpty();
        assertThat(RunOwner.fromLabels(Map.of(RunOwner.MANAGED_BY, "microvm-sandbox")))
                .isEmpty();
    }

    @Test
    void hostNamesBecomeValidLabelValues() {
        assertThat(RunOwner.labelValue("CI_Runner #7.example.com")).isEqualTo("ci_runner--7.example.com");
        assertThat(RunOwner.labelValue("-x-".repeat(40)))
                .hasSizeLessThanOrEqualTo(63)
                .matches("[a-z0-9].*[a-z0-9]");
        assertThat(RunOwner.labelValue("---")).isEqualTo("unknown");
    }
}
