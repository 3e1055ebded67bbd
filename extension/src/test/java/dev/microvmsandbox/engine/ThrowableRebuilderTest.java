package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.channel.Message;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

class ThrowableRebuilderTest {

    private static final List<Message.StackFrameData> FRAMES = List.of(
            new Message.StackFrameData("com.example.FooTest", "bar", "FooTest.java", 42),
            new Message.StackFrameData("jdk.internal.reflect.Method", "invoke", null, -1));

    @Test
    void assertionFailureKeepsExpectedAndActualForIdeDiffs() {
        Throwable t = ThrowableRebuilder.rebuild(
                new Message.ThrowableData(
                        "org.opentest4j.AssertionFailedError",
                        "strings differ ==> expected: <a> but was: <b>",
                        FRAMES,
                        null,
                        List.of(),
                        "a",
                        "b",
                        true),
                false);

        assertThat(t)
                .isExactlyInstanceOf(AssertionFailedError.class)
                .hasMessage("strings differ ==> expected: <a> but was: <b>");
        AssertionFailedError failure = (AssertionFailedError) t;
        assertThat(failure.getExpected().getStringRepresentation()).isEqualTo("a");
        assertThat(failure.getActual().getStringRepresentation()).isEqualTo("b");
        assertThat(t.getStackTrace())
                .extracting(StackTraceElement::toString)
                .containsExactly(
                        "com.example.FooTest.bar(FooTest.java:42)",
                        "jdk.internal.reflect.Method.invoke(Unknown Source)");
    }

    @Test
    void otherExceptionsShowTheGuestClassNameWithCausesAndSuppressed() {
        Message.ThrowableData cause = new Message.ThrowableData(
                "java.lang.IllegalArgumentException", "root", FRAMES, null, List.of(), null, null, false);
        Message.ThrowableData suppressed = new Message.ThrowableData(
                "java.io.IOException", "closing", List.of(), null, List.of(), null, null, false);
        Throwable t = ThrowableRebuilder.rebuild(
                new Message.ThrowableData(
                        "java.lang.IllegalStateException",
                        "boom",
                        FRAMES,
                        cause,
                        List.of(suppressed),
                        null,
                        null,
                        false),
                false);

        assertThat(t)
                .isInstanceOf(GuestException.class)
                .hasMessage("boom")
                .hasToString("java.lang.IllegalStateException: boom");
        assertThat(t.getCause()).hasToString("java.lang.IllegalArgumentException: root");
        assertThat(t.getSuppressed()).singleElement().hasToString("java.io.IOException: closing");
        StringWriter trace = new StringWriter();
        t.printStackTrace(new PrintWriter(trace));
        assertThat(trace.toString())
                .startsWith("java.lang.IllegalStateException: boom\n\tat com.example.FooTest.bar(FooTest.java:42)")
                .contains("Caused by: java.lang.IllegalArgumentException: root");
    }

    @Test
    void guestAssertionErrorsStayAssertionErrors() {
        Throwable t = ThrowableRebuilder.rebuild(
                new Message.ThrowableData(
                        "org.hamcrest.AssertionErrorish", "nope", List.of(), null, List.of(), null, null, true),
                false);

        assertThat(t).isInstanceOf(AssertionError.class).hasToString("org.hamcrest.AssertionErrorish: nope");
    }

    @Test
    void abortedBecomesTestAbortedException() {
        Throwable opentest4j = ThrowableRebuilder.rebuild(
                new Message.ThrowableData(
                        "org.opentest4j.TestAbortedException",
                        "Assumption failed: no",
                        List.of(),
                        null,
                        List.of(),
                        null,
                        null,
                        false),
                true);
        Throwable other = ThrowableRebuilder.rebuild(
                new Message.ThrowableData(
                        "org.junit.AssumptionViolatedException", "no", List.of(), null, List.of(), null, null, false),
                true);

        assertThat(opentest4j).isExactlyInstanceOf(TestAbortedException.class).hasMessage("Assumption failed: no");
        assertThat(other)
                .isExactlyInstanceOf(TestAbortedException.class)
                .hasMessage("org.junit.AssumptionViolatedException: no");
    }

    @Test
    void garbageBecomesHarmlessData() {
        Message.ThrowableData deep = null;
        for (int i = 0; i < 50; i++) {
            deep = new Message.ThrowableData("x.E" + i, null, null, deep, null, null, null, false);
        }
        Throwable t = ThrowableRebuilder.rebuild(
                new Message.ThrowableData(
                        "not a class name!",
                        "m",
                        List.of(
                                new Message.StackFrameData(null, null, null, 0),
                                new Message.StackFrameData("a b", "c", "d", 1)),
                        deep,
                        null,
                        null,
                        null,
                        false),
                false);

        assertThat(t).hasToString("<invalid class name>: m");
        assertThat(t.getStackTrace()).isEmpty();
        int depth = 0;
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) {
            depth++;
        }
        assertThat(depth).isEqualTo(ThrowableRebuilder.MAX_DEPTH);
        assertThat(ThrowableRebuilder.rebuild(null, false)).hasMessageContaining("no exception");
    }

    @Test
    void framesPrintAsTheyDidWhereTheyWereThrownWithModulesAndLoaders() {
        Throwable original = new IllegalStateException("here");
        try {
            java.lang.reflect.Method m = ThrowableRebuilderTest.class.getDeclaredMethod("thrower");
            m.invoke(null);
        } catch (ReflectiveOperationException e) {
            original = e.getCause();
        }
        List<Message.StackFrameData> frames = java.util.Arrays.stream(original.getStackTrace())
                .map(dev.microvmsandbox.guest.PlainThrowableAccess::frame)
                .toList();
        Throwable t = ThrowableRebuilder.rebuild(
                new Message.ThrowableData(
                        "java.lang.IllegalStateException", "boom", frames, null, List.of(), null, null, false),
                false);

        assertThat(t.getStackTrace())
                .extracting(StackTraceElement::toString)
                .containsExactlyElementsOf(java.util.Arrays.stream(original.getStackTrace())
                        .map(StackTraceElement::toString)
                        .toList())
                .anyMatch(f -> f.startsWith("java.base/"));
    }

    @Test
    void dropsLoaderAndModuleNamesThatAreNotNames() {
        Throwable t = ThrowableRebuilder.rebuild(
                new Message.ThrowableData(
                        "java.lang.IllegalStateException",
                        "boom",
                        List.of(new Message.StackFrameData("a.B", "c", "B.java", 1, "x/../y", "java base", "1 2")),
                        null,
                        List.of(),
                        null,
                        null,
                        false),
                false);
        assertThat(t.getStackTrace()[0].toString()).isEqualTo("a.B.c(B.java:1)");
    }

    static void thrower() {
        throw new IllegalStateException("thrown");
    }
}
