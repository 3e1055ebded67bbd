package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.qemu.StopCause.HostAction;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * The stop-cause decision gets its evidence from three threads (console reader, channel reader,
 * qemu's exit) and the host's timers; every order they can arrive in must give the same verdict,
 * and none before all of it has arrived.
 */
class StopCauseTest {

    /** One piece of evidence, as the VM's threads deliver it. */
    record Evidence(String name, Kind kind, Consumer<StopCause> delivery) {
        @Override
        public String toString() {
            return name;
        }
    }

    enum Kind {
        CONSOLE_LINE,
        CONSOLE_END,
        CHANNEL_END,
        QEMU_EXIT,
        /** A host action that killed qemu: it comes before qemu's exit. */
        HOST_KILL,
        /** A host action that may come at any time before the evidence is complete. */
        HOST_ANY
    }

    private static Evidence agentExit(int status) {
        return new Evidence(
                "agent exit " + status,
                Kind.CONSOLE_LINE,
                s -> s.consoleLine("[   31.200417] msb: MSB-AGENT-EXIT " + status));
    }

    private static final Evidence CRASH_LINE =
            new Evidence("crash line", Kind.CONSOLE_LINE, s -> s.consoleLine("[   12.104211] sysrq: Trigger a crash"));
    private static final Evidence PANIC_LINE = new Evidence(
            "panic line",
            Kind.CONSOLE_LINE,
            s -> s.consoleLine("[   12.104900] Kernel panic - not syncing: sysrq triggered crash"));
    private static final Evidence CONSOLE_END = new Evidence("console end", Kind.CONSOLE_END, StopCause::consoleEnded);
    private static final Evidence CHANNEL_END = new Evidence("channel end", Kind.CHANNEL_END, StopCause::channelEnded);

    private static Evidence qemuExit(int exitValue) {
        return new Evidence("qemu exit " + exitValue, Kind.QEMU_EXIT, s -> s.qemuExited(exitValue));
    }

    private static Evidence hostKill(HostAction action, String message) {
        return new Evidence(action.name(), Kind.HOST_KILL, s -> s.hostActed(action, message));
    }

    private static Evidence hostAny(HostAction action, String message) {
        return new Evidence(action.name() + " (any time)", Kind.HOST_ANY, s -> s.hostActed(action, message));
    }

    /**
     * Feeds every order of {@code evidence} that can happen (console lines before the console's
     * end, a host kill before qemu's exit) to a fresh decision; returns the verdicts seen.
     */
    private static Set<String> verdictsOverEveryOrder(boolean channelOpened, Evidence... evidence) {
        Set<String> verdicts = new HashSet<>();
        List<List<Evidence>> orders = new ArrayList<>();
        permute(new ArrayList<>(List.of(evidence)), 0, orders);
        int possible = 0;
        for (List<Evidence> order : orders) {
            if (!possible(order)) {
                continue;
            }
            possible++;
            StopCause stop = new StopCause();
            if (channelOpened) {
                stop.channelOpened();
            }
            for (int i = 0; i < order.size(); i++) {
                assertThat(stop.decided())
                        .as("decided before all evidence arrived, after %s", order.subList(0, i))
                        .isEmpty();
                order.get(i).delivery().accept(stop);
            }
            assertThat(stop.decided()).as("decided after %s", order).isPresent();
            verdicts.add(stop.decided().orElseThrow());
        }
        assertThat(possible).as("orders tried").isPositive();
        return verdicts;
    }

    private static boolean possible(List<Evidence> order) {
        int consoleEnd = indexOf(order, Kind.CONSOLE_END);
        int qemuExit = indexOf(order, Kind.QEMU_EXIT);
        for (int i = 0; i < order.size(); i++) {
            Kind kind = order.get(i).kind();
            if (kind == Kind.CONSOLE_LINE && i > consoleEnd) {
                return false;
            }
            if (kind == Kind.HOST_KILL && i > qemuExit) {
                return false;
            }
        }
        // evidence of completeness last would hide a host action that came "after" it: that one is too late to count
        int lastCompleting = Math.max(Math.max(consoleEnd, qemuExit), indexOf(order, Kind.CHANNEL_END));
        return order.stream().noneMatch(e -> e.kind() == Kind.HOST_ANY && order.indexOf(e) > lastCompleting);
    }

    private static int indexOf(List<Evidence> order, Kind kind) {
        for (int i = 0; i < order.size(); i++) {
            if (order.get(i).kind() == kind) {
                return i;
            }
        }
        return -1;
    }

    private static void permute(List<Evidence> items, int from, List<List<Evidence>> into) {
        if (from == items.size()) {
            into.add(List.copyOf(items));
            return;
        }
        for (int i = from; i < items.size(); i++) {
            java.util.Collections.swap(items, from, i);
            permute(items, from + 1, into);
            java.util.Collections.swap(items, from, i);
        }
    }

    @Test
    void systemExitIsNamedWithItsStatusInEveryOrder() {
        assertThat(verdictsOverEveryOrder(true, agentExit(3), qemuExit(0), CONSOLE_END, CHANNEL_END))
                .containsExactly("the VM stopped: the guest's test JVM exited with status 3 "
                        + "(System.exit, Runtime.halt or a JVM crash in the guest) (qemu exit code 0)");
    }

    @Test
    void aHaltIsNamedWithItsStatusEvenWhenTheHostsTimeoutFiresAtTheSameMoment() {
        assertThat(verdictsOverEveryOrder(
                        true,
                        agentExit(4),
                        hostAny(HostAction.TIMEOUT, "the sandbox's timeout of 2m passed"),
                        qemuExit(0),
                        CONSOLE_END,
                        CHANNEL_END))
                .singleElement()
                .asString()
                .contains("test JVM exited with status 4");
    }

    @Test
    void agentExitCrashLineAndQemuExitGiveTheCrashInEveryOrder() {
        assertThat(verdictsOverEveryOrder(
                        true, agentExit(4), CRASH_LINE, PANIC_LINE, qemuExit(0), CONSOLE_END, CHANNEL_END))
                .containsExactly("the VM stopped: the guest kernel crashed (qemu exit code 0)");
    }

    @Test
    void aKernelCrashWithoutAnExitStatusIsACrash() {
        assertThat(verdictsOverEveryOrder(true, CRASH_LINE, qemuExit(0), CONSOLE_END, CHANNEL_END))
                .containsExactly("the VM stopped: the guest kernel crashed (qemu exit code 0)");
    }

    @Test
    void theTimeoutKeepsItsMessageHoweverTheKilledVmsEndsArrive() {
        assertThat(verdictsOverEveryOrder(
                        true,
                        hostKill(HostAction.TIMEOUT, "the sandbox's timeout of 1m passed"),
                        qemuExit(137),
                        CONSOLE_END,
                        CHANNEL_END))
                .containsExactly("the sandbox's timeout of 1m passed");
    }

    @Test
    void aQemuKilledFromOutsideIsNamedAsSuch() {
        assertThat(verdictsOverEveryOrder(true, qemuExit(137), CONSOLE_END, CHANNEL_END))
                .containsExactly(
                        "the VM stopped: qemu was killed by signal 9, not by this sandbox (qemu exit code 137)");
    }

    @Test
    void aProtocolViolationKeepsItsMessage() {
        assertThat(verdictsOverEveryOrder(
                        true,
                        hostKill(HostAction.PROTOCOL_VIOLATION, "the guest broke the channel protocol: bad frame"),
                        qemuExit(137),
                        CONSOLE_END,
                        CHANNEL_END))
                .containsExactly("the guest broke the channel protocol: bad frame");
    }

    @Test
    void hostActionsRankInAFixedOrderWhicheverCameFirst() {
        assertThat(verdictsOverEveryOrder(
                        true,
                        hostKill(HostAction.PROTOCOL_VIOLATION, "the guest broke the channel protocol: bad frame"),
                        hostKill(HostAction.TIMEOUT, "the sandbox's timeout of 1m passed"),
                        hostKill(HostAction.CLOSED, "closed by its owner"),
                        qemuExit(137),
                        CONSOLE_END,
                        CHANNEL_END))
                .containsExactly("the sandbox's timeout of 1m passed");
    }

    @Test
    void theGuestsOwnEndOutranksTheHostKillThatFollowed() {
        // the console cannot print after qemu is killed, so an exit status on it came first
        assertThat(verdictsOverEveryOrder(
                        true,
                        agentExit(3),
                        hostKill(HostAction.PROTOCOL_VIOLATION, "the guest broke the channel protocol: truncated"),
                        qemuExit(137),
                        CONSOLE_END,
                        CHANNEL_END))
                .singleElement()
                .asString()
                .contains("exited with status 3");
    }

    @Test
    void aStartFailureBeforeTheChannelOpenedNeedsNoChannelEnd() {
        assertThat(verdictsOverEveryOrder(
                        false,
                        new Evidence(
                                "fail line",
                                Kind.CONSOLE_LINE,
                                s -> s.consoleLine("MSB-FAIL initramfs: no /dev/vda (root image)")),
                        qemuExit(0),
                        CONSOLE_END))
                .containsExactly(
                        "the VM stopped: the guest failed to start: initramfs: no /dev/vda (root image) (qemu exit code 0)");
    }

    @Test
    void qemusOwnFailurePointsToItsMessageOnTheConsole() {
        assertThat(verdictsOverEveryOrder(false, qemuExit(1), CONSOLE_END))
                .containsExactly("the VM stopped: qemu failed (its own message is on the console) (qemu exit code 1)");
    }

    @Test
    void aPowerOffWithoutAnyOtherSignIsAPowerOff() {
        assertThat(verdictsOverEveryOrder(true, qemuExit(0), CONSOLE_END, CHANNEL_END))
                .containsExactly("the VM stopped: the guest powered off (qemu exit code 0)");
    }

    @Test
    void theLastExitStatusPrintedCounts() {
        StopCause stop = new StopCause();
        stop.consoleLine("msb: MSB-AGENT-EXIT 0");
        stop.consoleLine("[  40.1] msb: MSB-AGENT-EXIT 134");
        stop.qemuExited(0);
        stop.consoleEnded();
        assertThat(stop.decided()).hasValueSatisfying(v -> assertThat(v).contains("status 134"));
    }

    @Test
    void anOwnersCloseIsToldApartFromAStopThatWentWrong() {
        StopCause closed = new StopCause();
        closed.channelOpened();
        closed.hostActed(HostAction.CLOSED, "closed by its owner");
        closed.channelEnded();
        closed.qemuExited(137);
        closed.consoleEnded();
        assertThat(closed.decided()).contains("closed by its owner");
        assertThat(closed.closedByOwnerOnly()).isTrue();

        StopCause crashed = new StopCause();
        crashed.consoleLine("Kernel panic - not syncing: Fatal exception");
        crashed.hostActed(HostAction.CLOSED, "closed by its owner");
        crashed.qemuExited(137);
        crashed.consoleEnded();
        assertThat(crashed.closedByOwnerOnly()).isFalse();
    }

    @Test
    void nothingIsDecidedWhileTheChannelIsStillOpen() {
        StopCause stop = new StopCause();
        stop.channelOpened();
        stop.consoleLine("msb: MSB-AGENT-EXIT 4");
        stop.qemuExited(0);
        stop.consoleEnded();
        assertThat(stop.decided()).isEmpty();
        assertThat(stop.decision()).isNotDone();
        stop.channelEnded();
        assertThat(stop.decision()).isCompleted();
    }
}
