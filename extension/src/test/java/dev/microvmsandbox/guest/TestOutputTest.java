package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.channel.Message;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class TestOutputTest {

    private final TestOutput output = new TestOutput();
    private final PrintStream out = output.stream(Message.Output.STDOUT);
    private final PrintStream err = output.stream(Message.Output.STDERR);
    private final List<String> sent = new ArrayList<>();

    private TestOutput.Target target(String name) {
        return new TestOutput.Target((stream, text) ->
                sent.add(name + " " + stream.name().toLowerCase(java.util.Locale.ROOT) + ": " + text));
    }

    @Test
    void whatAContainerPrintsGoesOutBeforeItsFirstChildStarts() {
        TestOutput.Target cls = target("class");
        output.started(cls);
        out.print("from @BeforeAll\n");
        TestOutput.Target test = target("test");
        output.started(test);
        out.print("in the test\n");
        output.finished(test);
        out.print("from @AfterAll\n");
        output.finished(cls);
        assertThat(sent)
                .containsExactly(
                        "class stdout: from @BeforeAll\n",
                        "test stdout: in the test\n",
                        "class stdout: from @AfterAll\n");
    }

    @Test
    void keepsStdoutAndStderrInTheOrderTheyWereWritten() {
        TestOutput.Target test = target("test");
        output.started(test);
        out.print("one ");
        err.print("two ");
        out.print("three");
        output.finished(test);
        assertThat(sent).containsExactly("test stdout: one ", "test stderr: two ", "test stdout: three");
    }

    @Test
    void dropsWhatIsPrintedWhileNothingRuns() {
        out.print("nobody listens");
        TestOutput.Target test = target("test");
        output.started(test);
        output.finished(test);
        out.print("nor now");
        assertThat(sent).isEmpty();
    }

    @Test
    void sendsLongOutputInChunksWithoutCuttingACharacter() {
        TestOutput.Target test = target("test");
        output.started(test);
        // one ASCII byte first, so the 3-byte euro signs straddle every chunk boundary
        String text = "x" + "\u20ac".repeat(TestOutput.CHUNK);
        out.print(text);
        output.finished(test);
        StringBuilder joined = new StringBuilder();
        for (String s : sent) {
            String piece = s.substring("test stdout: ".length());
            assertThat(piece.getBytes(StandardCharsets.UTF_8).length).isLessThanOrEqualTo(TestOutput.CHUNK);
            assertThat(piece).doesNotContain("\ufffd");
            joined.append(piece);
        }
        assertThat(sent).hasSizeGreaterThan(2);
        assertThat(joined.toString()).isEqualTo(text);
    }

    @Test
    void stopsSendingPastTheLimitOfOneNode() {
        TestOutput.Target test = target("test");
        output.started(test);
        byte[] line = "y".repeat(1023).concat("\n").getBytes(StandardCharsets.US_ASCII);
        for (long written = 0; written < 2 * TestOutput.LIMIT; written += line.length) {
            out.write(line, 0, line.length);
        }
        output.finished(test);
        long total = sent.stream()
                .mapToLong(s -> s.length() - "test stdout: ".length())
                .sum();
        assertThat(total).isEqualTo(TestOutput.LIMIT);
    }

    @Test
    void findsTheEndOfTheLastWholeUtf8Character() {
        byte[] euro = "\u20ac".getBytes(StandardCharsets.UTF_8);
        assertThat(TestOutput.completeUtf8Prefix(new byte[] {'a', euro[0]})).isEqualTo(1);
        assertThat(TestOutput.completeUtf8Prefix(new byte[] {'a', euro[0], euro[1]}))
                .isEqualTo(1);
        assertThat(TestOutput.completeUtf8Prefix(new byte[] {'a', euro[0], euro[1], euro[2]}))
                .isEqualTo(4);
        assertThat(TestOutput.completeUtf8Prefix(new byte[] {'a', 'b'})).isEqualTo(2);
    }
}
