package dev.microvmsandbox.channel;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.List;
import java.util.Map;
import org.apiguardian.api.API;

/**
 * A control message on the channel, sent as JSON in a {@link Frame.Kind#MESSAGE} frame.
 *
 * <p>Plain data only: each message is a record of strings, numbers, lists and maps, named by a
 * fixed {@code type} property; no class names travel and nothing is deserialised into
 * arbitrary types.
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
    @JsonSubTypes.Type(value = Message.TestEvent.class, name = "test-event"),
    @JsonSubTypes.Type(value = Message.RunDone.class, name = "run-done"),
    @JsonSubTypes.Type(value = Message.Shutdown.class, name = "shutdown"),
})
@API(status = API.Status.INTERNAL)
public sealed interface Message {

    /** The request this message belongs to, 0 for none. */
    int id();

    // ---- guest to host ----

    /** The agent is up; sent once, first. */
    record Hello(String agentVersion, String kernel, String javaVersion) implements Message {
        public int id() {
            return 0;
        }
    }

    /** podman's API answers; the sandbox is ready for work. */
    record Ready(long podmanMillis, String podmanVersion) implements Message {
        public int id() {
            return 0;
        }
    }

    /** A command ended: its exit code (128 + signal when killed) or why it could not start. */
    record Exited(int id, int exitCode, String error) implements Message {}

    /** A file transfer ended. */
    record FileDone(int id, long bytes, String error) implements Message {}

    /**
     * Something happened in a guest test run. {@code event} is one of {@code registered},
     * {@code started}, {@code skipped}, {@code finished}, {@code reported}, {@code output}.
     */
    record TestEvent(
            int id,
            String event,
            TestNode node,
            String status,
            String reason,
            ThrowableData throwable,
            Map<String, String> entries,
            String stream,
            String text)
            implements Message {}

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

    /** Stop the agent and power the guest off. */
    record Shutdown() implements Message {
        public int id() {
            return 0;
        }
    }

    // ---- plain data carried inside messages ----

    /** A test descriptor as the guest sees it. */
    record TestNode(
            String uniqueId,
            String parentId,
            String displayName,
            String legacyName,
            String type,
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

    /** One stack trace element. */
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
