package dev.microvmsandbox.backend;

import java.io.InputStream;
import java.io.OutputStream;
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
 * A command that speaks a byte protocol on its standard streams (a forked test JVM) takes
 * {@link #withStdin(InputStream)} and {@link #withStdoutTo(OutputStream)}: bytes go through as they
 * are, unbuffered and undecoded.
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
    private final Streams streams;

    /** The raw-byte plumbing of a command: where stdin comes from and where stdout and stderr go. */
    private record Streams(InputStream stdin, OutputStream stdout, OutputStream stderr) {
        static final Streams NONE = new Streams(null, null, null);
    }

    private Command(
            List<String> argv,
            Map<String, String> env,
            String cwd,
            Duration timeout,
            ByteSize outputLimit,
            Consumer<String> stdoutListener,
            Consumer<String> stderrListener,
            Streams streams) {
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
        this.streams = streams;
    }

    public static Command of(String... argv) {
        return new Command(List.of(argv), Map.of(), null, null, null, null, null, Streams.NONE);
    }

    public static Command of(List<String> argv) {
        return new Command(argv, Map.of(), null, null, null, null, null, Streams.NONE);
    }

    /** A shell command line run by {@code /bin/sh -c}. */
    public static Command shell(String script) {
        return of("/bin/sh", "-c", script);
    }

    public Command withEnv(String name, String value) {
        Map<String, String> e = new LinkedHashMap<>(env);
        e.put(name, value);
        return new Command(argv, e, cwd, timeout, outputLimit, stdoutListener, stderrListener, streams);
    }

    public Command withWorkingDirectory(String guestDir) {
        return new Command(argv, env, guestDir, timeout, outputLimit, stdoutListener, stderrListener, streams);
    }

    /** Past this the command and its descendants are killed and the result says it timed out. */
    public Command withTimeout(Duration timeout) {
        return new Command(
                argv, env, cwd, Objects.requireNonNull(timeout), outputLimit, stdoutListener, stderrListener, streams);
    }

    /** Most bytes kept of stdout and of stderr each; defaults to the sandbox's output limit. */
    public Command withOutputLimit(ByteSize limit) {
        return new Command(argv, env, cwd, timeout, limit, stdoutListener, stderrListener, streams);
    }

    /** Gets stdout as it arrives (decoded as UTF-8), in addition to the result. */
    public Command withStdoutListener(Consumer<String> listener) {
        return new Command(argv, env, cwd, timeout, outputLimit, listener, stderrListener, streams);
    }

    public Command withStderrListener(Consumer<String> listener) {
        return new Command(argv, env, cwd, timeout, outputLimit, stdoutListener, listener, streams);
    }

    /**
     * Sends what {@code stdin} yields to the command's standard input, read on a thread of its own
     * until its end (which closes the command's input) or the command's exit. Without it the command
     * reads {@code /dev/null}.
     */
    public Command withStdin(InputStream stdin) {
        return new Command(
                argv,
                env,
                cwd,
                timeout,
                outputLimit,
                stdoutListener,
                stderrListener,
                new Streams(Objects.requireNonNull(stdin), streams.stdout(), streams.stderr()));
    }

    /**
     * Writes stdout's bytes to {@code out} as they arrive, neither decoded nor kept in the result (whose
     * stdout is then empty) nor bounded by the output limit: {@code out} bounds itself. A slow
     * {@code out} holds back the guest (backpressure); one that throws ends the command.
     */
    public Command withStdoutTo(OutputStream out) {
        return new Command(
                argv,
                env,
                cwd,
                timeout,
                outputLimit,
                stdoutListener,
                stderrListener,
                new Streams(streams.stdin(), Objects.requireNonNull(out), streams.stderr()));
    }

    /** Like {@link #withStdoutTo}, for stderr. */
    public Command withStderrTo(OutputStream err) {
        return new Command(
                argv,
                env,
                cwd,
                timeout,
                outputLimit,
                stdoutListener,
                stderrListener,
                new Streams(streams.stdin(), streams.stdout(), Objects.requireNonNull(err)));
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

    Optional<InputStream> stdin() {
        return Optional.ofNullable(streams.stdin());
    }

    Optional<OutputStream> stdoutSink() {
        return Optional.ofNullable(streams.stdout());
    }

    Optional<OutputStream> stderrSink() {
        return Optional.ofNullable(streams.stderr());
    }

    @Override
    public String toString() {
        List<String> shown = new ArrayList<>(argv);
        return String.join(" ", shown);
    }
}
