package dev.microvmsandbox.backend;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.apiguardian.api.API;

/**
 * When a host process started, which tells a live owner of a run folder or a VM apart from a later
 * process that reuses its pid.
 */
@API(status = API.Status.INTERNAL)
public final class ProcessStart {

    private ProcessStart() {}

    /** Field 22 of /proc/PID/stat: when the process started, in clock ticks after boot; empty when it is gone. */
    public static Optional<Long> ticks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name (field 2) is in parentheses and may hold spaces: count from the last ')'
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return Optional.of(Long.parseLong(fields[19]));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }
}
