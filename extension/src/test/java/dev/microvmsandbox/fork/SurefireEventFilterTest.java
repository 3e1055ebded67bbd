package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.maven.plugin.surefire.log.api.ConsoleLogger;
import org.apache.maven.plugin.surefire.log.api.NullConsoleLogger;
import org.apache.maven.surefire.api.booter.ForkedProcessEventType;
import org.apache.maven.surefire.api.event.AbstractConsoleEvent;
import org.apache.maven.surefire.api.event.AbstractStandardStreamEvent;
import org.apache.maven.surefire.api.event.AbstractTestControlEvent;
import org.apache.maven.surefire.api.event.Event;
import org.apache.maven.surefire.api.event.SystemPropertyEvent;
import org.apache.maven.surefire.api.fork.ForkNodeArguments;
import org.apache.maven.surefire.api.report.ReportEntry;
import org.apache.maven.surefire.api.stream.AbstractStreamDecoder;
import org.apache.maven.surefire.api.stream.SegmentType;
import org.apache.maven.surefire.stream.EventDecoder;
import org.junit.jupiter.api.Test;

/**
 * The fork's stdout filter, fed with real event streams and with what a hostile guest writes. The
 * streams {@code surefire-<version>-events.bin} are the stdout of real forks, recorded by a {@code jvm}
 * script that teed the forked JVM's stdout while Surefire 3.5.4 and 3.6.1 ran the plain classes of
 * {@code src/it/differential} (every outcome, nested, parameterized and dynamic tests, display names,
 * output). What passes is read back with the plugin's own decoder (Surefire 3.5.4's {@code EventDecoder}).
 */
class SurefireEventFilterTest {

    private static final SurefireVersion V354 = new SurefireVersion(3, 5, 4, Integer.MAX_VALUE);
    private static final SurefireVersion V361 = new SurefireVersion(3, 6, 1, Integer.MAX_VALUE);

    @Test
    void passesARealForkStreamByteForByteHoweverItIsChunked() throws IOException {
        for (String version : List.of("3.5.4", "3.6.1")) {
            byte[] stream = resource("surefire-" + version + "-events.bin");
            SurefireVersion strings = version.equals("3.5.4") ? V354 : V361;
            for (int chunk : List.of(1, 7, 4096, stream.length)) {
                Filtered f = filter(stream, strings, chunk);
                assertThat(f.out)
                        .as("Surefire %s in chunks of %d", version, chunk)
                        .isEqualTo(stream);
                assertThat(f.filter.report()).isEmpty();
            }
        }
    }

    @Test
    void theFilteredStreamDecodesToTheSameEventsWithThePluginsDecoder() throws IOException {
        byte[] stream = resource("surefire-3.5.4-events.bin");
        Decoded plain = decode(stream);
        Decoded filtered = decode(filter(stream, V354, 1000).out);

        assertThat(plain.events).hasSizeGreaterThan(100);
        assertThat(plain.events)
                .anyMatch(e -> e.startsWith("BOOTERCODE_TEST_FAILED com.example.differential.OutcomesTest"));
        assertThat(filtered.events).isEqualTo(plain.events);
        assertThat(filtered.corruption).isEmpty();
    }

    @Test
    void theVersionDecidesTheShapeOfTestEvents() throws IOException {
        Filtered wrong = filter(resource("surefire-3.6.1-events.bin"), V354, 4096);

        assertThat(wrong.out.length).isLessThan(resource("surefire-3.6.1-events.bin").length);
        assertThat(String.join("\n", wrong.filter.report())).contains("malformed Surefire event");
    }

    @Test
    void dropsBytesOutsideFramesSoThePluginNeverSeesACorruptedStream() throws IOException {
        byte[] stream = resource("surefire-3.5.4-events.bin");
        List<byte[]> frames = frames(stream);
        ByteArrayOutputStream dirty = new ByteArrayOutputStream();
        for (byte[] frame : frames) {
            dirty.write(frame);
            dirty.write("raw stdout: a test wrote this past System.out :maven-surefire-event: :bye:\n"
                    .getBytes(StandardCharsets.UTF_8));
        }
        assertThat(decode(dirty.toByteArray()).corruption)
                .as("the plugin's view without the filter")
                .isNotEmpty();

        Filtered f = filter(dirty.toByteArray(), V354, 333);

        assertThat(f.out).isEqualTo(stream);
        assertThat(decode(f.out).corruption).isEmpty();
        assertThat(String.join("\n", f.filter.report()))
                .contains("bytes of the fork's stdout that were not Surefire events");
    }

    @Test
    void keepsTheHeadOfWhatWasDroppedBoundedAndPrintable() throws IOException {
        ByteArrayOutputStream raw = new ByteArrayOutputStream();
        raw.write("#\n# A fatal error has been detected by the Java Runtime Environment:\n#\n"
                .getBytes(StandardCharsets.UTF_8));
        raw.write(new byte[] {'#', ' ', 0x1b, '[', '2', 'J', (byte) 0xff, '\n'});
        for (int i = 0; i < 2000; i++) {
            raw.write(("line " + i + "\n").getBytes(StandardCharsets.UTF_8));
        }

        Filtered f = filter(raw.toByteArray(), V354, 97);

        List<String> head = f.filter.rawHead();
        assertThat(head).startsWith("#", "# A fatal error has been detected by the Java Runtime Environment:", "#");
        assertThat(head.get(3)).isEqualTo("# .[2J.");
        assertThat(String.join("\n", head).length()).isLessThanOrEqualTo(SurefireEventFilter.RAW_HEAD);
        assertThat(head).doesNotContain("line 1999");
        assertThat(f.out).isEmpty();
    }

    @Test
    void rejectsAStringLongerThanTheLimitWithoutWaitingForIt() throws IOException {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write(header("console-info-log"));
        in.write(segment("UTF-8"));
        in.write(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE - 3).array());
        in.write(":xxxx".getBytes(StandardCharsets.US_ASCII));
        byte[] good = consoleInfo("still here");
        in.write(good);

        Filtered f = filter(in.toByteArray(), V354, 64);

        assertThat(f.out).isEqualTo(good);
        assertThat(String.join("\n", f.filter.report())).contains("a string of 2147483644 bytes");
    }

    @Test
    void rejectsUnknownOpcodesRunModesCharsetsAndBrokenDelimiters() throws IOException {
        byte[] good = consoleInfo("ok");
        List<byte[]> bad = List.of(
                concat(header("delete-all-reports"), segment("UTF-8"), string("x")),
                concat(header("std-out-stream"), segment("sneaky-run"), new byte[] {0, ':'}, segment("UTF-8")),
                concat(header("console-info-log"), segment("UTF-16"), string("x")),
                concat(header("console-info-log"), segment("UTF-8"), new byte[] {0, 0, 0, 1, '!', 'x', ':'}));
        for (byte[] frame : bad) {
            Filtered f = filter(concat(frame, good), V354, 5);
            assertThat(f.out).isEqualTo(good);
            assertThat(String.join("\n", f.filter.report())).contains("malformed");
        }
    }

    @Test
    void aTestEventWithoutATestRunIdIsDropped() throws IOException {
        byte[] withoutId = concat(
                header("test-starting"),
                segment("normal-run"),
                new byte[] {0, ':'},
                segment("UTF-8"),
                string("com.example.A"),
                string("A"),
                string("m"),
                string("m"),
                string(null),
                string(null),
                new byte[] {0, ':'},
                string(null),
                string(null),
                string(null));
        Filtered f = filter(withoutId, V354, 3);

        assertThat(f.out).isEmpty();
        assertThat(String.join("\n", f.filter.report())).contains("test-starting without a test run id");
    }

    @Test
    void pathTraversalNamesPassForSurefireToSanitiseButControlCharactersAndHugeNamesDoNot() throws IOException {
        byte[] traversal = testEvent("testset-starting", "../../../../../tmp/msb-evil", "../../x/y");
        byte[] control = testEvent("testset-starting", "evil\nname", "x");
        byte[] huge = testEvent("testset-starting", "a".repeat(5000), "x");

        assertThat(filter(traversal, V354, 9).out).isEqualTo(traversal);
        assertThat(decode(filter(traversal, V354, 9).out).events)
                .containsExactly("BOOTERCODE_TESTSET_STARTING ../../../../../tmp/msb-evil|../../x/y|m|m|null");
        assertThat(filter(control, V354, 9).out).isEmpty();
        assertThat(filter(huge, V354, 9).out).isEmpty();
    }

    @Test
    void boundsTestOutputPerTestAndSaysSoOnce() throws IOException {
        ByteArrayOutputStream in = new ByteArrayOutputStream();
        in.write(testEvent("test-starting", "com.example.A", "A"));
        byte[] line = output("x".repeat(1 << 20));
        for (int i = 0; i < 40; i++) {
            in.write(line);
        }
        in.write(testEvent("test-starting", "com.example.A", "A"));
        in.write(output("next test"));

        Filtered f = filter(in.toByteArray(), V354, 65536);
        Decoded d = decode(f.out);

        long passed = d.events.stream()
                .filter(e -> e.startsWith("BOOTERCODE_STDOUT xxx"))
                .count();
        assertThat(passed).isEqualTo(SurefireEventFilter.OUTPUT_PER_TEST >> 20);
        assertThat(d.events).filteredOn(e -> e.contains("output truncated")).hasSize(1);
        assertThat(d.events.get(d.events.size() - 1)).isEqualTo("BOOTERCODE_STDOUT next test");
        assertThat(String.join("\n", f.filter.report())).contains("bytes of test output over the limits");
    }

    @Test
    void failsTheWriteWhenTheForkSendsTooManyEvents() {
        byte[] event = testEvent("test-succeeded", "com.example.A", "A".repeat(1000));
        SurefireEventFilter filter = new SurefireEventFilter(OutputStreamSink.INSTANCE, V354);

        assertThatThrownBy(() -> {
                    for (long sent = 0; sent <= SurefireEventFilter.OTHER_PER_FORK; sent += event.length) {
                        filter.write(event);
                    }
                })
                .isInstanceOf(IOException.class)
                .hasMessageContaining("MiB of test events");
    }

    @Test
    void aPartOfASplitForkThatReportsOnAnotherPartsClassIsStopped() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SurefireEventFilter filter = new SurefireEventFilter(
                EventSink.to(out), V354, name -> name.equals("com.example.B") || name.startsWith("com.example.B$"));
        byte[] own = testEvent("test-succeeded", "com.example.A", "A");
        filter.write(own);
        filter.write(testEvent("test-succeeded", "JUnit Jupiter", "JUnit Jupiter"));

        assertThatThrownBy(() -> filter.write(testEvent("test-succeeded", "com.example.B", "B")))
                .isInstanceOf(IOException.class)
                .hasMessageContaining("about com.example.B, a class that runs in another sandbox");
        assertThat(decode(out.toByteArray()).events)
                .hasSize(2)
                .allSatisfy(e -> assertThat(e).doesNotContain("com.example.B"));
        assertThat(String.join("\n", filter.report())).contains("runs in another sandbox");
    }

    @Test
    void anUnfinishedFrameAtTheEndIsDropped() throws IOException {
        byte[] good = consoleInfo("whole");
        byte[] half = consoleInfo("cut off");
        Filtered f = filter(concat(good, java.util.Arrays.copyOf(half, half.length - 3)), V354, 4);

        assertThat(f.out).isEqualTo(good);
        assertThat(String.join("\n", f.filter.report())).contains("not Surefire events");
    }

    @Test
    void randomBytesNeverReachThePluginAsCorruption() throws IOException {
        Random random = new Random(42);
        for (int round = 0; round < 50; round++) {
            byte[] noise = new byte[random.nextInt(20000)];
            random.nextBytes(noise);
            // sprinkle frame beginnings so the parser gets far
            for (int i = 0; i + MAGIC_OPCODE.length < noise.length; i += 1 + random.nextInt(500)) {
                System.arraycopy(MAGIC_OPCODE, 0, noise, i, MAGIC_OPCODE.length);
            }
            Filtered f = filter(noise, V354, 1 + random.nextInt(300));
            Decoded d = decode(f.out);
            assertThat(d.corruption).as("round %d", round).isEmpty();
        }
    }

    // ---- building frames the way Surefire's EventChannelEncoder does ---------------------------------

    private static final byte[] MAGIC_OPCODE =
            ":maven-surefire-event:\u0010:std-out-stream:".getBytes(StandardCharsets.ISO_8859_1);

    private static byte[] header(String opcode) {
        return concat(SurefireEventFilter.MAGIC, segment(opcode));
    }

    private static byte[] segment(String ascii) {
        byte[] b = ascii.getBytes(StandardCharsets.US_ASCII);
        return concat(new byte[] {(byte) b.length, ':'}, b, new byte[] {':'});
    }

    private static byte[] string(String s) {
        byte[] b = s == null ? new byte[] {0} : s.getBytes(StandardCharsets.UTF_8);
        return concat(ByteBuffer.allocate(4).putInt(b.length).array(), new byte[] {':'}, b, new byte[] {':'});
    }

    private static byte[] runModeAndTestRun() {
        return concat(
                segment("normal-run"),
                new byte[] {1},
                ByteBuffer.allocate(8).putLong(1).array(),
                new byte[] {':'});
    }

    private static byte[] consoleInfo(String text) {
        return concat(header("console-info-log"), segment("UTF-8"), string(text));
    }

    private static byte[] output(String text) {
        // one string up to 3.5.x: V354's shape, which these tests use
        return concat(header("std-out-stream"), runModeAndTestRun(), segment("UTF-8"), string(text));
    }

    private static byte[] testEvent(String opcode, String sourceName, String sourceText) {
        return concat(
                header(opcode),
                runModeAndTestRun(),
                segment("UTF-8"),
                string(sourceName),
                string(sourceText),
                string("m"),
                string("m"),
                string(null),
                string(null),
                new byte[] {(byte) 0xff, 0, 0, 0, 5, ':'},
                string(null),
                string(null),
                string(null));
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.write(p, 0, p.length);
        }
        return out.toByteArray();
    }

    /** The stream cut at each frame start (it has no bytes outside frames but the last newline). */
    private static List<byte[]> frames(byte[] stream) {
        List<byte[]> frames = new ArrayList<>();
        String text = new String(stream, StandardCharsets.ISO_8859_1);
        String magic = new String(SurefireEventFilter.MAGIC, StandardCharsets.ISO_8859_1);
        int at = text.indexOf(magic);
        while (at >= 0) {
            int next = text.indexOf(magic, at + 1);
            frames.add(java.util.Arrays.copyOfRange(stream, at, next < 0 ? stream.length : next));
            at = next;
        }
        return frames;
    }

    /**
     * A recorded stream without the newline the booter writes when its JVM exits: white space between
     * frames is dropped too (the plugin skips blank lines).
     */
    static byte[] resource(String name) throws IOException {
        try (InputStream in = SurefireEventFilterTest.class.getResourceAsStream(name)) {
            assertThat(in).as(name).isNotNull();
            byte[] all = in.readAllBytes();
            assertThat(all[all.length - 1]).isEqualTo((byte) '\n');
            return java.util.Arrays.copyOf(all, all.length - 1);
        }
    }

    private record Filtered(SurefireEventFilter filter, byte[] out) {}

    private static Filtered filter(byte[] input, SurefireVersion strings, int chunk) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        SurefireEventFilter filter = new SurefireEventFilter(out, strings);
        for (int at = 0; at < input.length; at += chunk) {
            filter.write(input, at, Math.min(chunk, input.length - at));
        }
        filter.close();
        return new Filtered(filter, out.toByteArray());
    }

    record Decoded(List<String> events, List<String> corruption) {}

    /** What the plugin makes of a stream: its events, and what it would report as a corrupted channel. */
    static Decoded decode(byte[] stream) throws IOException {
        List<String> corruption = new ArrayList<>();
        ForkNodeArguments arguments = new RecordingArguments(corruption);
        List<String> events = new ArrayList<>();
        try (EventDecoder decoder =
                new EventDecoder(Channels.newChannel(new ByteArrayInputStream(stream)), arguments)) {
            AbstractStreamDecoder<Event, ForkedProcessEventType, SegmentType>.Memento memento = decoder.new Memento();
            while (true) {
                Event e;
                try {
                    e = decoder.decode(memento);
                } catch (EOFException end) {
                    break;
                }
                if (e != null) {
                    events.add(describe(e));
                }
            }
        }
        return new Decoded(events, corruption);
    }

    private static String describe(Event e) {
        String type = e.getEventType().name();
        if (e instanceof AbstractTestControlEvent<?> t) {
            ReportEntry r = t.getReportEntry();
            return type + " " + r.getSourceName() + "|" + r.getSourceText() + "|" + r.getName() + "|" + r.getNameText()
                    + "|" + r.getMessage();
        }
        if (e instanceof AbstractStandardStreamEvent s) {
            return type + " " + s.getMessage();
        }
        if (e instanceof AbstractConsoleEvent c) {
            return type + " " + c.getMessage();
        }
        if (e instanceof SystemPropertyEvent p) {
            return type + " " + p.getKey() + "=" + p.getValue();
        }
        return type;
    }

    /** The decoder reports a corrupted channel through these; they record instead of writing dump files. */
    record RecordingArguments(List<String> corruption) implements ForkNodeArguments {
        @Override
        public String getSessionId() {
            return "test";
        }

        @Override
        public int getForkChannelId() {
            return 1;
        }

        @Override
        public File dumpStreamText(String text) {
            corruption.add(text);
            return new File("dump");
        }

        @Override
        public File dumpStreamException(Throwable t) {
            corruption.add(t.toString());
            return new File("dump");
        }

        @Override
        public void logWarningAtEnd(String text) {
            corruption.add(text);
        }

        @Override
        public ConsoleLogger getConsoleLogger() {
            return new NullConsoleLogger();
        }

        @Override
        public Object getConsoleLock() {
            return this;
        }

        @Override
        public File getEventStreamBinaryFile() {
            return null;
        }

        @Override
        public File getCommandStreamBinaryFile() {
            return null;
        }
    }

    /** Takes everything and keeps nothing. */
    private static final class OutputStreamSink extends java.io.OutputStream {
        static final OutputStreamSink INSTANCE = new OutputStreamSink();

        @Override
        public void write(int b) {}

        @Override
        public void write(byte[] b, int off, int len) {}
    }
}
