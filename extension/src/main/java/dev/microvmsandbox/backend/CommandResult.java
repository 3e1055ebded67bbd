package dev.microvmsandbox.backend;

import org.apiguardian.api.API;

/**
 * How a command in a sandbox ended.
 *
 * @param exitCode        the exit status; 128 + signal number when a signal ended it (137 for SIGKILL)
 * @param stdout          standard output, decoded as UTF-8, at most the output limit
 * @param stderr          standard error, likewise
 * @param timedOut        whether the command was killed because its timeout passed
 * @param outputTruncated whether output beyond the limit was dropped
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public record CommandResult(int exitCode, String stdout, String stderr, boolean timedOut, boolean outputTruncated) {

    public boolean succeeded() {
        return exitCode == 0 && !timedOut;
    }
}
