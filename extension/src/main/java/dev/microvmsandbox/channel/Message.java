package dev.microvmsandbox.channel;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * A control message on the channel, sent as JSON in a {@link Frame.Kind#MESSAGE} frame.
 *
 * <p>Plain data only: each message is a record of strings, numbers, enums, lists and maps, named by
 * a fixed {@code type} property; no class names travel and nothing is deserialised into
 * arbitrary types. A test event whose fields break the protocol's rules reaches its receiver as
 * {@link Rejected}, so the run it belongs to can count it; anything else malformed closes the
 * channel.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = Message.Hello.class, name = "hello"),
    @JsonSubTypes.Type(value = Message.Ready.class, name = "ready"),
    @JsonSubTypes.Type(value = Message.Exec.class, name = "exec"),
    @JsonSubTypes.Type(value = Message.Signal.class, name = "signal"),
    @JsonSubTypes.Type(value = Message.Exited.class, name = "exited"),
    @JsonSubTypes.Type(value = Message.PutFile.class, name = "put-file"),
    @JsonSubTypes.Type(value = Message.GetFile.class, name = "get-file"),
    @JsonSubTypes.Type(value = Message.FileDone.class, name = "file-done"),
    @JsonSubTypes.Type(value = Message.RunTests.class, name = "run-tests"),
    @JsonSubTypes.Type(value = Message.TestRegistered.class, name = "test-registered"),
    @JsonSubTypes.Type(value = Message.TestStarted.class, name = "test-started"),
    @JsonSubTypes.Type(value = Message.TestSkipped.class, name = "test-skipped"),
    @JsonSubTypes.Type(value = Message.TestFinished.class, name = "test-finished"),
    @JsonSubTypes.Type(value = Message.TestReported.class, name = "test-reported"),
    @JsonSubTypes.Type(value = Message.TestPrinted.class, name = "test-printed"),
    @JsonSubTypes.Type(value = Message.RunDone.class, name = "run-done"),
    @JsonSubTypes.Type(value = Message.Attach.class, name = "attach"),
    @JsonSubTypes.Type(value = Message.Freeze.class, name = "freeze"),
    @JsonSubTypes.Type(value = Message.Frozen.class, name = "frozen"),
    @JsonSubTypes.Type(value = Message.SetupFailed.class, name = "setup-failed"),
})
@API(status = API.Status.INTERNAL)
public sealed interface Message {

    /** The request this message belongs to, 0 for none. */
    int id();

    // ---- guest to host ----

    /**
     * The agent is up; sent once, first. {@code bootSteps} maps each boot step the guest passed
     * ({@code initramfs}, {@code root}, {@code bootstrap}, {@code podman}, {@code agent}, {@code jvm},
     * {@code hello}) to the guest's uptime in milliseconds when it began: diagnostics only.
     */
    record Hello(String agentVersion, String kernel, String javaVersion, Map<String, Long> bootSteps)
            implements Message {
        public Hello(String agentVersion, String kernel, String javaVersion) {
            this(agentVersion, kernel, javaVersion, Map.of());
        }

        public int id() {
            return 0;
        }
    }

    /**
     * podman's API answers; the sandbox is ready for work. {@code uptimeMillis}: the guest's uptime
     * then; {@code attachSteps}: how long each step of the attach took, in milliseconds, for the
     * host's breakdown of a start (diagnostics only).
     */
    record Ready(long podmanMillis, String podmanVersion, long uptimeMillis, Map<String, Long> attachSteps)
            implements Message {
        public Ready(long podmanMillis, String podmanVersion) {
            this(podmanMillis, podmanVersion, 0, Map.of());
        }

        public int id() {
            return 0;
        }
    }

    /** A command ended: its exit code (128 + signal when killed) or why it could not start. */
    record Exited(int id, int exitCode, String error) implements Message {}

    /** A file transfer ended. */
    record FileDone(int id, long bytes, String error) implements Message {}

    /**
     * The agent is ready to be saved as a template ({@code error} null), or why not. {@code
     * warmedTests}: how many tests of its JUnit warm-up passed (0 when it could not run), in {@code
     * warmupMillis}.
     */
    record Frozen(int id, String error, int warmedTests, long warmupMillis) implements Message {}

    /**
     * The sandbox's own setup from {@link Attach} failed ({@code error}: what it printed, cut
     * short); the guest is not {@link Ready} and waits for the host to end it.
     */
    record SetupFailed(String error) implements Message {
        public int id() {
            return 0;
        }
    }

    /**
     * Something happened in the guest test run that request {@link #id()} started. {@link #uniqueId()}
     * is the guest's (Jupiter's) unique id of the node it happened to.
     */
    sealed interface TestEvent extends Message
            permits TestRegistered, TestStarted, TestSkipped, TestFinished, TestReported, TestPrinted, Rejected {
        String uniqueId();
    }

    /** A node joined the guest's test tree: at the start of the run, or dynamically. */
    record TestRegistered(int id, TestNode node) implements TestEvent {
        @Override
        public String uniqueId() {
            return node == null ? null : node.uniqueId();
        }
    }

    record TestStarted(int id, String uniqueId) implements TestEvent {}

    record TestSkipped(int id, String uniqueId, String reason) implements TestEvent {}

    /** A node ended; {@code throwable} is set when it failed or was aborted. */
    record TestFinished(int id, String uniqueId, Status status, ThrowableData throwable) implements TestEvent {}

    /** Key-value pairs a test published (JUnit's {@code TestReporter}). */
    record TestReported(int id, String uniqueId, Map<String, String> entries) implements TestEvent {}

    /** Text the guest JVM printed while the node ran, sent as it was printed. */
    record TestPrinted(int id, String uniqueId, Output stream, String text) implements TestEvent {}

    /**
     * Made by the decoder, never sent: a test event of request {@code id} whose fields broke the
     * protocol's rules ({@code problem} says which).
     */
    record Rejected(int id, String type, String problem) implements TestEvent {
        @Override
        public String uniqueId() {
            return null;
        }
    }

    /** How a node ended, as JUnit's {@code TestExecutionResult.Status}. */
    enum Status {
        SUCCESSFUL,
        ABORTED,
        FAILED
    }

    /** Which of the guest JVM's streams printed the text. */
    enum Output {
        STDOUT,
        STDERR
    }

    /** A descriptor's type, as JUnit's {@code TestDescriptor.Type}. */
    enum NodeType {
        CONTAINER,
        TEST,
        CONTAINER_AND_TEST
    }

    /** A test run ended; {@code error} says why if it ended abnormally. */
    record RunDone(int id, String error) implements Message {}

    // ---- host to guest ----

    /**
     * Run a command; its stdout and stderr come back as data frames, then {@link Exited}. With
     * {@code stdin}, data frames of stream {@link Frame.Stream#STDIN} for this id feed its standard
     * input and an end frame closes it; without, it reads {@code /dev/null}.
     */
    record Exec(int id, List<String> argv, Map<String, String> env, String cwd, boolean stdin) implements Message {
        public Exec(int id, List<String> argv, Map<String, String> env, String cwd) {
            this(id, argv, env, cwd, false);
        }
    }

    /** Send a signal (9 for SIGKILL) to a running command and all its descendants. */
    record Signal(int id, int signal) implements Message {}

    /** Write a file in the guest from the data frames that follow. */
    record PutFile(int id, String path, int mode) implements Message {}

    /** Send a guest file back, at most {@code maxBytes}. */
    record GetFile(int id, String path, long maxBytes) implements Message {}

    /**
     * Run JUnit Platform tests in the guest: whole classes, single methods ({@code com.example.FooTest#bar(int)})
     * and Jupiter unique ids.
     */
    record RunTests(
            int id,
            List<String> classNames,
            List<String> methods,
            List<String> uniqueIds,
            Map<String, String> configuration)
            implements Message {}

    /**
     * Sent once per host connection, after the agent's {@link Hello}: what this sandbox's guest must
     * take over from the host before it is {@link Ready}. A guest restored from a template was
     * booted for another sandbox, so it gets its own clock ({@code epochMillis}, the host's wall
     * clock), fresh kernel entropy ({@code entropy}, hex) and the host's classpath share
     * ({@code classpath}: mount it and add the entries it lists to the agent's class path). Then
     * the sandbox's own setup: its limit on threads and processes ({@code threadsMax}, 0 for the
     * guest's own) and a shell script ({@code setup}, empty for none) that mounts its shares;
     * {@link SetupFailed} if either fails.
     */
    record Attach(int id, long epochMillis, String entropy, boolean classpath, int threadsMax, String setup)
            implements Message {

        /** Nothing of any sandbox's: a template's guest, or one that only fills an image store. */
        public static Attach bare() {
            return new Attach(0, 0, null, false, 0, "");
        }
    }

    /**
     * Prepare to be saved as a template: end what must not be in a snapshot, write disks out,
     * answer {@link Frozen}; after the host closes the channel, wait for the next host.
     */
    record Freeze(int id) implements Message {}

    // ---- plain data carried inside messages ----

    /** A test descriptor as the guest sees it. */
    record TestNode(
            String uniqueId,
            String parentId,
            String displayName,
            String legacyName,
            NodeType type,
            String className,
            String methodName,
            String methodParameterTypes,
            List<String> tags) {}

    /**
     * A throwable as plain data: never a serialised Java object. {@code assertionError} says whether
     * it is a {@code java.lang.AssertionError}, which reports count as a failure rather than an error.
     */
    record ThrowableData(
            String className,
            String message,
            List<StackFrameData> stackTrace,
            ThrowableData cause,
            List<ThrowableData> suppressed,
            String expected,
            String actual,
            boolean assertionError) {}

    /** One frame; class loader name, module name and version are set only where the guest's trace prints them. */
    record StackFrameData(
            String className,
            String methodName,
            String fileName,
            int lineNumber,
            String classLoaderName,
            String moduleName,
            String moduleVersion) {
        public StackFrameData(String className, String methodName, String fileName, int lineNumber) {
            this(className, methodName, fileName, lineNumber, null, null, null);
        }
    }
}
