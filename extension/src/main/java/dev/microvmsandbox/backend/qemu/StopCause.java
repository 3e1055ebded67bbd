package dev.microvmsandbox.backend.qemu;

import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Why a VM stopped, decided once, from everything that could say so, after all of it has ended:
 * qemu has exited, its console has been read to its end and the channel to the guest agent has
 * ended (if it was ever opened). Until then nothing is decided, so the order in which these
 * arrive (they come from different threads) cannot change the verdict.
 *
 * <p>The evidence ranks in a fixed order; the first kind present decides:
 *
 * <ol>
 *   <li>a kernel crash on the console (nothing runs after it, so it explains every later sign);
 *   <li>the test JVM's exit status, which the guest's init prints on the console after the JVM
 *       ended and before it powers the VM off (the last status printed counts);
 *   <li>a failure of the guest's start-up ({@code MSB-FAIL} on the console; the first counts);
 *   <li>what the host did, in the order of {@link HostAction} (a killed qemu can print nothing
 *       more, so console lines present were printed before the host acted);
 *   <li>qemu's own exit: a signal nobody here sent, an error code, or a plain power-off.
 * </ol>
 *
 * The console lines are the guest's word: a guest can print them itself, which changes only the
 * message about its own VM.
 */
final class StopCause {

    /** What the host did to a VM, strongest first. */
    enum HostAction {
        /** The sandbox's wall-clock limit passed. */
        TIMEOUT,
        /** The VM did not become ready (no channel, no ready message) in its boot time. */
        NOT_READY,
        /** The guest sent what the channel protocol does not allow, or the host could not take it. */
        PROTOCOL_VIOLATION,
        /** The channel ended but qemu kept running. */
        CHANNEL_LOST,
        /** The sandbox's owner closed it. */
        CLOSED
    }

    static final String KERNEL_CRASH = "the VM stopped: the guest kernel crashed";

    private static final Pattern AGENT_EXIT = Pattern.compile("MSB-AGENT-EXIT (-?\\d{1,10})\\b");
    private static final Pattern FAILURE = Pattern.compile("MSB-FAIL ([^\\n]{0,200})");
    private static final int SIGNAL_BASE = 128;

    private final Map<HostAction, String> host = new EnumMap<>(HostAction.class);
    private final CompletableFuture<String> decision = new CompletableFuture<>();
    private boolean kernelCrashed;
    private String agentExit;
    private String startFailure;
    private Integer qemuExit;
    private boolean consoleEnded;
    private boolean channelOpened;
    private boolean channelEnded;
    private String verdict;

    /** One line the guest's console printed, control characters already removed. */
    synchronized void consoleLine(String line) {
        if (verdict != null) {
            return;
        }
        // panic=-1 reboots at once, often before the panic's last line; "Kernel Offset:" ends its dump
        if (line.contains("Kernel panic")
                || line.contains("sysrq: Trigger a crash")
                || line.contains("Kernel Offset:")) {
            kernelCrashed = true;
        }
        if (line.contains("MSB-AGENT-EXIT")) {
            Matcher m = AGENT_EXIT.matcher(line);
            if (m.find()) {
                agentExit = m.group(1);
            }
        }
        if (startFailure == null && line.contains("MSB-FAIL")) {
            Matcher m = FAILURE.matcher(line);
            if (m.find()) {
                startFailure = m.group(1).strip();
            }
        }
    }

    void consoleEnded() {
        synchronized (this) {
            consoleEnded = true;
        }
        decideIfComplete();
    }

    /** The host connected to the guest agent's channel: its end is now part of the evidence. */
    synchronized void channelOpened() {
        if (verdict == null) {
            channelOpened = true;
        }
    }

    void channelEnded() {
        synchronized (this) {
            channelEnded = true;
        }
        decideIfComplete();
    }

    /** qemu's exit value as {@link Process#exitValue()} gives it (128 + N for signal N). */
    void qemuExited(int exitValue) {
        synchronized (this) {
            qemuExit = exitValue;
        }
        decideIfComplete();
    }

    /** The host acted on the VM; of several actions of one kind the first message is kept. */
    synchronized void hostActed(HostAction action, String message) {
        if (verdict == null) {
            host.putIfAbsent(action, message);
        }
    }

    /** The verdict, once everything has ended. */
    synchronized Optional<String> decided() {
        return Optional.ofNullable(verdict);
    }

    /** Completes with the verdict once everything has ended. */
    CompletableFuture<String> decision() {
        return decision;
    }

    /** Whether the verdict is only that the owner closed the VM (nothing went wrong). */
    synchronized boolean closedByOwnerOnly() {
        return verdict != null && verdict.equals(host.get(HostAction.CLOSED));
    }

    /** Completes the decision outside the lock, so whoever waits on it runs without it. */
    private void decideIfComplete() {
        String decided;
        synchronized (this) {
            if (verdict != null || qemuExit == null || !consoleEnded || (channelOpened && !channelEnded)) {
                return;
            }
            verdict = decide();
            decided = verdict;
        }
        decision.complete(decided);
    }

    private String decide() {
        String qemu = " (qemu exit code " + qemuExit + ")";
        if (kernelCrashed) {
            return KERNEL_CRASH + qemu;
        }
        if (agentExit != null) {
            return "the VM stopped: the guest's test JVM exited with status " + agentExit
                    + " (System.exit, Runtime.halt or a JVM crash in the guest)" + qemu;
        }
        if (startFailure != null) {
            return "the VM stopped: the guest failed to start: " + startFailure + qemu;
        }
        for (HostAction action : HostAction.values()) {
            String message = host.get(action);
            if (message != null) {
                return message;
            }
        }
        if (qemuExit > SIGNAL_BASE && qemuExit <= SIGNAL_BASE + 64) {
            return "the VM stopped: qemu was killed by signal " + (qemuExit - SIGNAL_BASE) + ", not by this sandbox"
                    + qemu;
        }
        if (qemuExit != 0) {
            return "the VM stopped: qemu failed (its own message is on the console)" + qemu;
        }
        return "the VM stopped: the guest powered off" + qemu;
    }
}
