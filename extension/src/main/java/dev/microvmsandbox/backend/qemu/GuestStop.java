package dev.microvmsandbox.backend.qemu;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Says, from qemu's exit and the console's last lines, why a VM stopped on its own. */
final class GuestStop {

    private static final Pattern AGENT_EXIT = Pattern.compile("MSB-AGENT-EXIT (-?\\d+)");
    private static final Pattern FAILURE = Pattern.compile("MSB-FAIL ([^\\n]{0,200})");

    private GuestStop() {}

    static String explain(int qemuExit, String consoleTail) {
        String how = " (qemu exit code " + qemuExit + ")";
        // panic=-1 reboots at once, often before the panic's last line; "Kernel Offset:" ends its dump
        if (consoleTail.contains("Kernel panic")
                || consoleTail.contains("sysrq: Trigger a crash")
                || consoleTail.contains("Kernel Offset:")) {
            return "the VM stopped: the guest kernel crashed" + how;
        }
        Matcher agent = AGENT_EXIT.matcher(consoleTail);
        String status = null;
        while (agent.find()) {
            status = agent.group(1);
        }
        if (status != null) {
            return "the VM stopped: the guest's test JVM exited with status " + status
                    + " (System.exit, Runtime.halt or a JVM crash in the guest)" + how;
        }
        Matcher failure = FAILURE.matcher(consoleTail);
        if (failure.find()) {
            return "the VM stopped: the guest failed to start: "
                    + failure.group(1).strip() + how;
        }
        return "the VM stopped" + how;
    }
}
