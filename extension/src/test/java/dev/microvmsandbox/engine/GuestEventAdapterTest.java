package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.channel.Message;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.TestDescriptor;
import org.junit.platform.engine.UniqueId;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.opentest4j.AssertionFailedError;

class GuestEventAdapterTest {

    private static final String CLASS = "com.example.FooTest";
    private static final String ENGINE = "[engine:junit-jupiter]";
    private static final String CLASS_ID = ENGINE + "/[class:" + CLASS + "]";
    private static final String METHOD_ID = CLASS_ID + "/[method:bar()]";

    private final SandboxedClassDescriptor cls = new SandboxedClassDescriptor(
            UniqueId.forEngine("microvm-sandbox"), CLASS, "FooTest", Set.of(), null, null, null, null);
    private final GuestRun run = new GuestRun(cls);
    private final RecordingListener listener = new RecordingListener();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final GuestEventAdapter adapter = new GuestEventAdapter(
            run,
            listener,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream()));

    @Test
    void replaysAGuestRunInOrder() {
        registerEngineClassAndMethod();
        adapter.handle(started(ENGINE));
        adapter.handle(started(CLASS_ID));
        adapter.handle(started(METHOD_ID));
        adapter.handle(new Message.TestPrinted(1, METHOD_ID, Message.Output.STDOUT, "hello\n"));
        adapter.handle(new Message.TestReported(1, METHOD_ID, Map.of("key", "value")));
        adapter.handle(new Message.TestFinished(
                1,
                METHOD_ID,
                Message.Status.FAILED,
                new Message.ThrowableData(
                        "org.opentest4j.AssertionFailedError", "differ", List.of(), null, List.of(), "a", "b", true)));
        adapter.handle(finished(CLASS_ID, Message.Status.SUCCESSFUL));
        adapter.runDone(null);
        adapter.finishClass();

        assertThat(listener.calls)
                .containsExactly(
                        "registered bar() under " + CLASS,
                        "started " + CLASS,
                        "started bar()",
                        "reported bar() {stdout=hello\n}",
                        "reported bar() {key=value}",
                        "finished bar() FAILED",
                        "finished " + CLASS + " SUCCESSFUL");
        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("hello\n");
        assertThat(listener.results.get("bar()").getThrowable())
                .get()
                .isInstanceOfSatisfying(
                        AssertionFailedError.class,
                        e -> assertThat(e.getExpected().getStringRepresentation())
                                .isEqualTo("a"));
        TestDescriptor method = cls.getChildren().iterator().next();
        assertThat(method.getUniqueId()).hasToString("[engine:microvm-sandbox]/[class:" + CLASS + "]/[method:bar()]");
        assertThat(method.getSource()).contains(MethodSource.from(CLASS, "bar", ""));
        assertThat(method.getType()).isEqualTo(TestDescriptor.Type.TEST);
        assertThat(run.violationCount()).isZero();
    }

    @Test
    void dropsForgedAndMalformedEventsAndFailsTheClassNamingThem() {
        registerEngineClassAndMethod();
        List<Message.TestEvent> garbage = List.of(
                registered(methodNode(CLASS_ID + "/[method:orphan()]", CLASS_ID + "/[nested-class:Nowhere]")),
                registered(methodNode("[engine:junit-jupiter]/[class:com.example.Other]/[method:x()]", CLASS_ID)),
                registered(methodNode("[engine:junit-vintage]/[runner:x]", CLASS_ID)),
                registered(methodNode("not an id", CLASS_ID)),
                registered(methodNode(METHOD_ID, CLASS_ID)),
                new Message.Rejected(1, "test-finished", "status GREAT is not one"),
                started(CLASS_ID + "/[method:unknown()]"),
                finished(METHOD_ID, Message.Status.SUCCESSFUL),
                new Message.TestPrinted(1, CLASS_ID + "/[method:unknown()]", Message.Output.STDERR, "x"));

        garbage.forEach(adapter::handle);
        adapter.runDone(null);
        adapter.finishClass();

        assertThat(run.violationCount()).isEqualTo(garbage.size());
        assertThat(listener.calls)
                .containsExactly(
                        "registered bar() under " + CLASS, "started " + CLASS, "finished " + CLASS + " FAILED");
        assertThat(cls.getChildren()).hasSize(1);
        assertThat(listener.results.get(CLASS).getThrowable())
                .get()
                .asString()
                .contains("the guest broke the protocol " + garbage.size() + " time(s)")
                .contains("orphan()");
    }

    @Test
    void aRejectedEventIsAViolationNamingItsProblem() {
        registerEngineClassAndMethod();
        adapter.handle(started(METHOD_ID));
        adapter.handle(new Message.Rejected(1, "test-finished", "status 'GREAT' is not one of [SUCCESSFUL]"));

        assertThat(run.violations())
                .singleElement()
                .asString()
                .contains("a malformed test-finished event")
                .contains("GREAT");
    }

    @Test
    void blankOutputIsPrintedButNotPublished() {
        registerEngineClassAndMethod();
        adapter.handle(started(METHOD_ID));
        adapter.handle(new Message.TestPrinted(1, METHOD_ID, Message.Output.STDOUT, "\n"));
        adapter.handle(finished(METHOD_ID, Message.Status.SUCCESSFUL));

        assertThat(out.toString(StandardCharsets.UTF_8)).isEqualTo("\n");
        assertThat(listener.calls).noneMatch(c -> c.startsWith("reported"));
        assertThat(run.violationCount()).isZero();
    }

    @Test
    void testsStillRunningWhenTheSandboxDiesFailWithTheCause() {
        registerEngineClassAndMethod();
        adapter.handle(started(CLASS_ID));
        adapter.handle(started(METHOD_ID));
        adapter.abort(new SandboxException("the timeout of 1s for " + CLASS + " passed\nconsole tail"));
        adapter.finishClass();

        assertThat(listener.calls).endsWith("finished bar() FAILED", "finished " + CLASS + " FAILED");
        assertThat(listener.results.get("bar()").getThrowable())
                .get()
                .asString()
                .contains("timeout of 1s");
        assertThat(listener.results.get(CLASS).getThrowable()).get().asString().contains("console tail");
    }

    @Test
    void outputOfTheClassItselfIsReportedOnTheClass() {
        registerEngineClassAndMethod();
        adapter.handle(new Message.TestPrinted(1, CLASS_ID, Message.Output.STDOUT, "from @BeforeAll\n"));
        adapter.finishClass();

        assertThat(listener.calls)
                .containsSubsequence(
                        "started " + CLASS,
                        "reported " + CLASS + " {stdout=from @BeforeAll\n}",
                        "finished " + CLASS + " SUCCESSFUL");
        assertThat(run.violationCount()).isZero();
    }

    @Test
    void aSkippedClassIsSkippedNotStarted() {
        registerEngineClassAndMethod();
        adapter.handle(new Message.TestSkipped(1, CLASS_ID, "disabled"));
        adapter.runDone(null);
        adapter.finishClass();

        assertThat(listener.calls)
                .containsExactly("registered bar() under " + CLASS, "skipped " + CLASS + ": disabled");
    }

    @Test
    void childrenEndBeforeTheirParent() {
        registerEngineClassAndMethod();
        String nested = CLASS_ID + "/[nested-class:Inner]";
        adapter.handle(registered(new Message.TestNode(
                nested,
                CLASS_ID,
                "Inner",
                "Inner",
                Message.NodeType.CONTAINER,
                CLASS + "$Inner",
                null,
                null,
                List.of())));
        adapter.handle(registered(methodNode(nested + "/[method:baz()]", nested)));
        adapter.handle(started(nested + "/[method:baz()]"));
        adapter.handle(finished(nested, Message.Status.SUCCESSFUL));
        adapter.finishClass();

        assertThat(listener.calls)
                .containsSubsequence(
                        "started Inner",
                        "started baz()",
                        "finished baz() FAILED",
                        "finished Inner SUCCESSFUL",
                        "finished " + CLASS + " SUCCESSFUL");
    }

    private void registerEngineClassAndMethod() {
        adapter.handle(registered(engineNode()));
        adapter.handle(registered(classNode()));
        adapter.handle(registered(methodNode(METHOD_ID, CLASS_ID)));
    }

    private static Message.TestEvent registered(Message.TestNode node) {
        return new Message.TestRegistered(1, node);
    }

    private static Message.TestEvent started(String id) {
        return new Message.TestStarted(1, id);
    }

    private static Message.TestEvent finished(String id, Message.Status status) {
        return new Message.TestFinished(1, id, status, null);
    }

    private static Message.TestNode engineNode() {
        return new Message.TestNode(
                ENGINE,
                null,
                "JUnit Jupiter",
                "JUnit Jupiter",
                Message.NodeType.CONTAINER,
                null,
                null,
                null,
                List.of());
    }

    private static Message.TestNode classNode() {
        return new Message.TestNode(
                CLASS_ID, ENGINE, "FooTest", CLASS, Message.NodeType.CONTAINER, CLASS, null, null, List.of());
    }

    private static Message.TestNode methodNode(String id, String parent) {
        int paren = id.lastIndexOf('(');
        String method = paren < 0 ? "m" : id.substring(id.lastIndexOf(':') + 1, paren);
        return new Message.TestNode(
                id, parent, method + "()", method + "()", Message.NodeType.TEST, CLASS, method, "", List.of("fast"));
    }
}
