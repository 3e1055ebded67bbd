package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.SandboxException;
import dev.microvmsandbox.channel.Message;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
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
            UniqueId.forEngine("microvm-sandbox"), CLASS, "FooTest", List.of(), null, null);
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
        adapter.handle(event("started", engineNode()));
        adapter.handle(event("started", classNode()));
        adapter.handle(event("started", methodNode(METHOD_ID, CLASS_ID)));
        adapter.handle(new Message.TestEvent(
                1,
                "reported",
                methodNode(METHOD_ID, CLASS_ID),
                null,
                null,
                null,
                Map.of("stdout", "hello\n"),
                null,
                null));
        adapter.handle(new Message.TestEvent(
                1,
                "finished",
                methodNode(METHOD_ID, CLASS_ID),
                "FAILED",
                null,
                new Message.ThrowableData(
                        "org.opentest4j.AssertionFailedError", "differ", List.of(), null, List.of(), "a", "b", true),
                null,
                null,
                null));
        adapter.handle(new Message.TestEvent(1, "finished", classNode(), "SUCCESSFUL", null, null, null, null, null));
        adapter.runDone(null);
        adapter.finishClass();

        assertThat(listener.calls)
                .containsExactly(
                        "registered bar() under " + CLASS,
                        "started " + CLASS,
                        "started bar()",
                        "reported bar() {stdout=hello\n}",
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
    void dropsForgedAndMalformedEvents() {
        registerEngineClassAndMethod();
        List<Message.TestEvent> garbage = List.of(
                event("registered", methodNode(CLASS_ID + "/[method:orphan()]", CLASS_ID + "/[nested-class:Nowhere]")),
                event(
                        "registered",
                        methodNode("[engine:junit-jupiter]/[class:com.example.Other]/[method:x()]", CLASS_ID)),
                event("registered", methodNode("[engine:junit-vintage]/[runner:x]", CLASS_ID)),
                event("registered", methodNode("not an id", CLASS_ID)),
                event("registered", methodNode(METHOD_ID, CLASS_ID)),
                event(
                        "registered",
                        new Message.TestNode(
                                CLASS_ID + "/[method:typeless()]",
                                CLASS_ID,
                                "x",
                                "x",
                                "BOGUS",
                                CLASS,
                                "typeless",
                                "",
                                List.of())),
                event(
                        "registered",
                        new Message.TestNode(
                                CLASS_ID + "/[method:evil()]",
                                CLASS_ID,
                                "x",
                                "x",
                                "TEST",
                                "com.example.Foo;rm -rf",
                                "evil",
                                "",
                                List.of())),
                event("exploded", methodNode(METHOD_ID, CLASS_ID)),
                new Message.TestEvent(1, null, methodNode(METHOD_ID, CLASS_ID), null, null, null, null, null, null),
                new Message.TestEvent(1, "started", null, null, null, null, null, null, null),
                event("started", methodNode(CLASS_ID + "/[method:unknown()]", CLASS_ID)),
                new Message.TestEvent(
                        1, "finished", methodNode(METHOD_ID, CLASS_ID), "SUCCESSFUL", null, null, null, null, null),
                new Message.TestEvent(
                        1,
                        "reported",
                        methodNode(METHOD_ID, CLASS_ID),
                        null,
                        null,
                        null,
                        Map.of(" ", "x"),
                        null,
                        null));

        garbage.forEach(adapter::handle);

        assertThat(run.violationCount()).isEqualTo(garbage.size());
        assertThat(listener.calls).containsExactly("registered bar() under " + CLASS);
        assertThat(cls.getChildren()).hasSize(1);
    }

    @Test
    void wrongStatusIsDropped() {
        registerEngineClassAndMethod();
        adapter.handle(event("started", methodNode(METHOD_ID, CLASS_ID)));
        adapter.handle(new Message.TestEvent(
                1, "finished", methodNode(METHOD_ID, CLASS_ID), "GREAT", null, null, null, null, null));

        assertThat(run.violations()).singleElement().asString().contains("unknown status");
    }

    @Test
    void testsStillRunningWhenTheSandboxDiesFailWithTheCause() {
        registerEngineClassAndMethod();
        adapter.handle(event("started", classNode()));
        adapter.handle(event("started", methodNode(METHOD_ID, CLASS_ID)));
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
        adapter.handle(new Message.TestEvent(
                1, "reported", classNode(), null, null, null, Map.of("stdout", "from @BeforeAll\n"), null, null));
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
        adapter.handle(new Message.TestEvent(1, "skipped", classNode(), null, "disabled", null, null, null, null));
        adapter.runDone(null);
        adapter.finishClass();

        assertThat(listener.calls)
                .containsExactly("registered bar() under " + CLASS, "skipped " + CLASS + ": disabled");
    }

    @Test
    void childrenEndBeforeTheirParent() {
        registerEngineClassAndMethod();
        String nested = CLASS_ID + "/[nested-class:Inner]";
        adapter.handle(event(
                "registered",
                new Message.TestNode(
                        nested, CLASS_ID, "Inner", "Inner", "CONTAINER", CLASS + "$Inner", null, null, List.of())));
        adapter.handle(event("registered", methodNode(nested + "/[method:baz()]", nested)));
        adapter.handle(event("started", methodNode(nested + "/[method:baz()]", nested)));
        adapter.handle(new Message.TestEvent(
                1, "finished", methodNode(nested, CLASS_ID), "SUCCESSFUL", null, null, null, null, null));
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
        adapter.handle(event("registered", engineNode()));
        adapter.handle(event("registered", classNode()));
        adapter.handle(event("registered", methodNode(METHOD_ID, CLASS_ID)));
    }

    private static Message.TestEvent event(String name, Message.TestNode node) {
        return new Message.TestEvent(1, name, node, null, null, null, null, null, null);
    }

    private static Message.TestNode engineNode() {
        return new Message.TestNode(
                ENGINE, null, "JUnit Jupiter", "JUnit Jupiter", "CONTAINER", null, null, null, List.of());
    }

    private static Message.TestNode classNode() {
        return new Message.TestNode(CLASS_ID, ENGINE, "FooTest", CLASS, "CONTAINER", CLASS, null, null, List.of());
    }

    private static Message.TestNode methodNode(String id, String parent) {
        int paren = id.lastIndexOf('(');
        String method = paren < 0 ? "m" : id.substring(id.lastIndexOf(':') + 1, paren);
        return new Message.TestNode(
                id, parent, method + "()", method + "()", "TEST", CLASS, method, "", List.of("fast"));
    }
}
