package dev.microvmsandbox.backend;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.apiguardian.api.API;

/**
 * A command to run inside a sandbox:
 * <pre>{@code
 * CommandResult r = sandbox.exec(Command.of("podman", "info")
 *         .withTimeout(Duration.ofMinutes(1))
 *         .withStdoutListener(chunk -> System.out.print(chunk)));
 * }</pre>
 */
@API(status = API.Status.EXPERIMENTAL, since = "0.1")
public final class Command {

    private final List<String> argv;
    private final Map<String, String> env;
    private final String cwd;
    private final Duration timeout;
    private final ByteSize outputLimit;
    private final Consumer<String> stdoutListener;
    private final Consumer<String> stderrListener;

    private Command(
            List<String> argv,
            Map<String, String> env,
            String cwd,
            Duration timeout,
            ByteSize outputLimit,
            Consumer<String> stdoutListener,
            Consumer<String> stderrListener) {
        if (argv.isEmpty()) {
            throw new IllegalArgumentException("a command needs at least a program name");
        }
        this.argv = List.copyOf(argv);
        this.env = Map.copyOf(env);
        this.cwd = cwd;
        this.timeout = timeout;
        this.outputLimit = outputLimit;
        this.stdoutListener = stdoutListener;
        this.stderrListener = stderrListener;
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv), Map.of(), null, null, null, null, null);
    }

    public static Command of(List<String> argv) {
        return new Command(argv, Map.of(), null, null, null, null, null);
    }

    /** A shell command line run by {@code /bin/sh -c}. */
    public static Command shell(String script) {
        return of("/bin/sh", "-c", script);
    }

    public Command withEnv(String name, String value) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put(name, value);
        return new Command(argv, e, cwd, timeout, outputLimit, stdoutListener, stderrListener);
    }

    public Command withWorkingDirectory(String guestDir) {
        return new Command(argv, env, guestDir, timeout, outputLimit, stdoutListener, stderrListener);
    }

    /** Past this the command and its descendants are killed and the result says it timed out. */
    public Command withTimeout(Duration timeout) {
        return new Command(
                argv, env, cwd, Objects.requireNonNull(timeout), outputLimit, stdoutListener, stderrListener);
    }

    /** Most bytes kept of stdout and of stderr each; defaults to the sandbox's output limit. */
    public Command withOutputLimit(ByteSize limit) {
        return new Command(argv, env, cwd, timeout, limit, stdoutListener, stderrListener);
    }

    /** Gets stdout as it arrives (decoded as UTF-8), in addition to the result. */
    public Command withStdoutListener(Consumer<String> listener) {
        return new Command(argv, env, cwd, timeout, outputLimit, listener, stderrListener);
    }

    public Command withStderrListener(Consumer<String> listener) {
        return new Command(argv, env, cwd, timeout, outputLimit, stdoutListener, listener);
    }

    public List<String> argv() {
        return argv;
    }

    public Map<String, String> env() {
        return env;
    }

    public Optional<String> workingDirectory() {
        return Optional.ofNullable(cwd);
    }

    public Optional<Duration> timeout() {
        return Optional.ofNullable(timeout);
    }

    public Optional<ByteSize> outputLimit() {
        return Optional.ofNullable(outputLimit);
    }

    Optional<Consumer<String>> stdoutListener() {
        return Optional.ofNullable(stdoutListener);
    }

    Optional<Consumer<String>> stderrListener() {
        return Optional.ofNullable(stderrListener);
    }

    @Override
    public String toString() {
        List<String> shown = new ArrayList<>(argv);
        return String.join(" ", shown);
    }
}
