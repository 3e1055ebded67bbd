package dev.microvmsandbox.fork;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The guest fork's stdout on its way to the Surefire plugin: passes on whole, well-formed event
 * frames of Surefire's fork protocol, byte for byte, and nothing else.
 *
 * <p>A frame is {@code :maven-surefire-event:} then the opcode (a length byte, {@code :}, the name,
 * {@code :}) and the opcode's segments, each ended by {@code :}: run mode (length byte and name),
 * test run id (a flag byte, then 8 bytes if set), charset (length byte and name), strings (a 4-byte
 * length, then the bytes) and integers (a flag byte, then 4 bytes if set). The plugin's decoder
 * ({@code EventDecoder}; the shapes differ between versions, see {@link SurefireVersion}) would read
 * any length a string declares; here:
 *
 * <ul>
 *   <li>bytes outside frames (a test writing to the raw stdout) are dropped and counted, so the
 *       plugin never sees them as a corrupted stream;</li>
 *   <li>a frame with an unknown opcode, run mode or charset, a broken delimiter, a string longer than
 *       {@value #MAX_STRING} bytes, or a test event without a test run id (the plugin's decoder fails on
 *       one) is dropped and counted; scanning resumes after its first byte;</li>
 *   <li>the names report files are made of (a test event's source name and text) must be at most
 *       {@value #MAX_NAME} bytes without control characters: Surefire replaces path separators in
 *       report file names itself ({@code FileReporterUtils.stripIllegalFilenameChars}), and longer names
 *       would fail the plugin's report writer;</li>
 *   <li>test output ({@code std-out-stream} and friends) is passed up to {@value #OUTPUT_PER_TEST} bytes
 *       per test and {@value #OUTPUT_PER_FORK} per fork; past that it is dropped and one note frame
 *       says so;</li>
 *   <li>everything else is bounded by {@value #OTHER_PER_FORK} bytes per fork: past it the write fails,
 *       which ends the fork;</li>
 *   <li>the rate is bounded by backpressure: a write returns once the plugin took the bytes.</li>
 * </ul>
 *
 * Not thread-safe: one writer, the guest's stdout.
 */
final class SurefireEventFilter extends OutputStream {

    static final int MAX_STRING = 16 << 20;
    static final int MAX_FRAME = 32 << 20;
    static final int MAX_NAME = 1024;
    static final long OUTPUT_PER_TEST = 16L << 20;
    static final long OUTPUT_PER_FORK = 256L << 20;
    static final long OTHER_PER_FORK = 256L << 20;

    static final byte[] MAGIC = ":maven-surefire-event:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] UTF_8 = "UTF-8".getBytes(StandardCharsets.US_ASCII);
    private static final Set<String> RUN_MODES = Set.of("normal-run", "rerun-test-after-failure");

    /** What follows an opcode. */
    enum Shape {
        NO_DATA,
        ONE_STRING,
        ERROR_TRACE,
        OUTPUT,
        SYSTEM_PROPERTY,
        TEST
    }

    static final Map<String, Shape> OPCODES = Map.ofEntries(
            Map.entry("bye", Shape.NO_DATA),
            Map.entry("stop-on-next-test", Shape.NO_DATA),
            Map.entry("next-test", Shape.NO_DATA),
            Map.entry("console-error-log", Shape.ERROR_TRACE),
            Map.entry("jvm-exit-error", Shape.ERROR_TRACE),
            Map.entry("console-info-log", Shape.ONE_STRING),
            Map.entry("console-debug-log", Shape.ONE_STRING),
            Map.entry("console-warning-log", Shape.ONE_STRING),
            Map.entry("std-out-stream", Shape.OUTPUT),
            Map.entry("std-out-stream-new-line", Shape.OUTPUT),
            Map.entry("std-err-stream", Shape.OUTPUT),
            Map.entry("std-err-stream-new-line", Shape.OUTPUT),
            Map.entry("sys-prop", Shape.SYSTEM_PROPERTY),
            Map.entry("testset-starting", Shape.TEST),
            Map.entry("testset-completed", Shape.TEST),
            Map.entry("test-starting", Shape.TEST),
            Map.entry("test-succeeded", Shape.TEST),
            Map.entry("test-failed", Shape.TEST),
            Map.entry("test-skipped", Shape.TEST),
            Map.entry("test-error", Shape.TEST),
            Map.entry("test-assumption-failure", Shape.TEST));

    private final EventSink plugin;
    private final Predicate<String> foreign;
    private final int testNameStrings;
    private final int outputStrings;
    private byte[] pending = new byte[64 * 1024];
    private int length;

    static final int RAW_HEAD = 8 * 1024;

    private long garbageBytes;
    private String firstGarbage;
    private final ByteArrayOutputStream rawHead = new ByteArrayOutputStream();
    private long rejectedFrames;
    private String firstRejection;
    private long outputThisTest;
    private long outputThisFork;
    private boolean testNoteSent;
    private boolean forkNoteSent;
    private long droppedOutput;
    private long otherBytes;
    private long framesPassed;
    private String stopped;

    /**
     * @param plugin  where the plugin reads the fork's stdout
     * @param version the Surefire version that forked, which decides the shape of its events
     */
    SurefireEventFilter(OutputStream plugin, SurefireVersion version) {
        this(EventSink.to(plugin), version);
    }

    /**
     * @param plugin  where the checked frames go (to the plugin, or to the part of a split fork's merge)
     * @param version the Surefire version that forked, which decides the shape of its events
     */
    SurefireEventFilter(EventSink plugin, SurefireVersion version) {
        this(plugin, version, name -> false);
    }

    /**
     * @param plugin  where the checked frames go (to the plugin, or to the part of a split fork's merge)
     * @param version the Surefire version that forked, which decides the shape of its events
     * @param foreign test source names this fork must not report on: another sandbox's classes, when
     *     the fork is one part of a split one; a test event naming one stops the fork
     */
    SurefireEventFilter(EventSink plugin, SurefireVersion version, Predicate<String> foreign) {
        this.plugin = plugin;
        this.foreign = foreign;
        this.testNameStrings = version.testEventNameStrings();
        this.outputStrings = version.outputStrings();
    }

    @Override
    public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int count) throws IOException {
        int at = offset;
        int end = offset + count;
        while (at < end) {
            int room = pending.length - length;
            if (room == 0) {
                grow();
                room = pending.length - length;
            }
            int n = Math.min(room, end - at);
            System.arraycopy(bytes, at, pending, length, n);
            length += n;
            at += n;
            process(false);
        }
    }

    @Override
    public void flush() throws IOException {
        plugin.flush();
    }

    /** The guest's stdout ended: what is left is an unfinished frame or garbage. */
    @Override
    public void close() throws IOException {
        process(true);
        if (length > 0) {
            garbage(0, length);
            length = 0;
        }
        plugin.flush();
    }

    /** What was held back, for one line on stderr; empty when everything passed. */
    List<String> report() {
        List<String> lines = new ArrayList<>();
        if (stopped != null) {
            lines.add(stopped);
        }
        if (garbageBytes > 0) {
            lines.add("dropped " + garbageBytes + " bytes of the fork's stdout that were not Surefire events (first: "
                    + firstGarbage + ")");
        }
        if (rejectedFrames > 0) {
            lines.add("dropped " + rejectedFrames + " malformed Surefire event(s) of the fork (first: " + firstRejection
                    + ")");
        }
        if (droppedOutput > 0) {
            lines.add("dropped " + droppedOutput + " bytes of test output over the limits (" + (OUTPUT_PER_TEST >> 20)
                    + " MiB per test, " + (OUTPUT_PER_FORK >> 20) + " MiB per fork)");
        }
        return lines;
    }

    /**
     * The first {@value #RAW_HEAD} bytes the fork wrote outside events (a JVM's fatal error report, for
     * example), as printable lines: control characters and non-ASCII bytes shown as {@code .}.
     */
    List<String> rawHead() {
        String text = new String(rawHead.toByteArray(), StandardCharsets.ISO_8859_1);
        return text.lines()
                .map(l -> l.replaceAll("[^\\x20-\\x7e]", "."))
                .filter(l -> !l.isBlank())
                .toList();
    }

    long framesPassed() {
        return framesPassed;
    }

    private void grow() throws IOException {
        int cap = MAX_FRAME + 64 * 1024;
        if (pending.length >= cap) {
            // cannot happen: a frame that would not fit was rejected before it was read whole
            throw new IOException("an event of the fork exceeds " + pending.length + " bytes");
        }
        pending = Arrays.copyOf(pending, Math.min(pending.length * 2, cap));
    }

    private void process(boolean ended) throws IOException {
        int start = 0;
        while (start < length) {
            if (pending[start] != ':') {
                int next = indexOf(':', start, length);
                garbage(start, next);
                start = next;
                continue;
            }
            Frame frame;
            try {
                frame = parse(start);
            } catch (NeedMore e) {
                if (ended) {
                    garbage(start, length);
                    start = length;
                }
                break;
            } catch (NotAFrame e) {
                garbage(start, start + 1);
                start++;
                continue;
            } catch (Malformed e) {
                reject(e.getMessage());
                start++;
                continue;
            }
            pass(frame);
            start = frame.end;
        }
        System.arraycopy(pending, start, pending, 0, length - start);
        length -= start;
        if (pending.length > 256 * 1024 && length < 64 * 1024) {
            pending = Arrays.copyOf(pending, 64 * 1024);
        }
    }

    private void pass(Frame f) throws IOException {
        int size = f.end - f.start;
        if (f.shape == Shape.OUTPUT) {
            long text = f.strings.get(0)[1];
            if (outputThisFork + text > OUTPUT_PER_FORK) {
                droppedOutput += text;
                if (!forkNoteSent) {
                    forkNoteSent = true;
                    note(
                            f,
                            "[microvm-sandbox: the fork's output passed " + (OUTPUT_PER_FORK >> 20)
                                    + " MiB; the rest of it is dropped]");
                }
                return;
            }
            if (outputThisTest + text > OUTPUT_PER_TEST) {
                droppedOutput += text;
                if (!testNoteSent) {
                    testNoteSent = true;
                    note(
                            f,
                            "[microvm-sandbox: output truncated: this test printed more than " + (OUTPUT_PER_TEST >> 20)
                                    + " MiB; the rest of it is dropped]");
                }
                return;
            }
            outputThisTest += text;
            outputThisFork += text;
        } else {
            otherBytes += size;
            if (otherBytes > OTHER_PER_FORK) {
                stopped = "the fork sent more than " + (OTHER_PER_FORK >> 20) + " MiB of test events; it was stopped";
                throw new IOException(stopped);
            }
            if (f.shape == Shape.TEST) {
                refuseForeign(f);
            }
            if (f.opcode.equals("test-starting") || f.opcode.equals("testset-starting")) {
                outputThisTest = 0;
                testNoteSent = false;
            }
        }
        plugin.frame(f.opcode, pending, f.start, size);
        framesPassed++;
    }

    /** A test event about a class of another part of a split fork stops this part: it would forge that class's report. */
    private void refuseForeign(Frame f) throws IOException {
        for (int i : testNameStrings == 7 ? new int[] {0, 2} : new int[] {0}) {
            int off = f.strings.get(i)[0];
            int len = f.strings.get(i)[1];
            String name = new String(pending, off, len, StandardCharsets.UTF_8);
            if (foreign.test(name)) {
                stopped = "the fork sent a test event about " + name
                        + ", a class that runs in another sandbox; it was stopped";
                throw new IOException(stopped);
            }
        }
    }

    /** An output event of the same run mode and test run id as {@code like}, saying what was dropped. */
    private void note(Frame like, String text) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        String opcode = "std-out-stream-new-line";
        byte[] op = opcode.getBytes(StandardCharsets.US_ASCII);
        out.write(MAGIC);
        out.write(op.length);
        out.write(':');
        out.write(op);
        out.write(':');
        out.write(pending, like.runModeStart, like.charsetStart - like.runModeStart);
        out.write(UTF_8.length);
        out.write(':');
        out.write(UTF_8);
        out.write(':');
        writeString(out, text.getBytes(StandardCharsets.UTF_8));
        if (outputStrings == 2) {
            writeString(out, new byte[] {0});
        }
        byte[] frame = out.toByteArray();
        plugin.frame(opcode, frame, 0, frame.length);
    }

    private static void writeString(ByteArrayOutputStream out, byte[] bytes) {
        out.write(ByteBuffer.allocate(4).putInt(bytes.length).array(), 0, 4);
        out.write(':');
        out.write(bytes, 0, bytes.length);
        out.write(':');
    }

    private void garbage(int from, int to) {
        int counted = 0;
        for (int i = from; i < to; i++) {
            byte b = pending[i];
            if (b != '\n' && b != '\r' && b != ' ' && b != '\t') {
                counted++;
            }
        }
        if (counted > 0 && firstGarbage == null) {
            firstGarbage = printable(from, Math.min(to, from + 60));
        }
        int keep = Math.min(to - from, RAW_HEAD - rawHead.size());
        if (keep > 0) {
            rawHead.write(pending, from, keep);
        }
        garbageBytes += counted;
    }

    private void reject(String reason) {
        rejectedFrames++;
        if (firstRejection == null) {
            firstRejection = reason;
        }
    }

    private String printable(int from, int to) {
        StringBuilder s = new StringBuilder("'");
        for (int i = from; i < to; i++) {
            int b = pending[i] & 0xff;
            s.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
        }
        return s.append("'").toString();
    }

    private int indexOf(char ch, int from, int to) {
        for (int i = from; i < to; i++) {
            if (pending[i] == ch) {
                return i;
            }
        }
        return to;
    }

    // ---- parsing -------------------------------------------------------------------------------

    /** A frame found in {@link #pending}: where it is and what the checks need of it. */
    private static final class Frame {
        int start;
        int end;
        String opcode;
        Shape shape;
        int runModeStart = -1;
        int charsetStart = -1;
        /** Offset and length in {@link #pending} of each string. */
        final List<int[]> strings = new ArrayList<>();
    }

    /** More bytes are needed to decide. */
    private static final class NeedMore extends Exception {
        private static final long serialVersionUID = 1L;
        static final NeedMore INSTANCE = new NeedMore();

        private NeedMore() {
            super(null, null, false, false);
        }
    }

    /** The bytes do not begin with the magic: garbage. */
    private static final class NotAFrame extends Exception {
        private static final long serialVersionUID = 1L;
        static final NotAFrame INSTANCE = new NotAFrame();

        private NotAFrame() {
            super(null, null, false, false);
        }
    }

    /** A frame began but breaks the protocol. */
    private static final class Malformed extends Exception {
        private static final long serialVersionUID = 1L;

        Malformed(String reason) {
            super(reason, null, false, false);
        }
    }

    private int frameStart;

    private Frame parse(int start) throws NeedMore, NotAFrame, Malformed {
        Frame f = new Frame();
        f.start = start;
        frameStart = start;
        int[] at = {start};
        for (byte m : MAGIC) {
            if (at[0] >= length) {
                throw NeedMore.INSTANCE;
            }
            if (pending[at[0]++] != m) {
                throw NotAFrame.INSTANCE;
            }
        }
        f.opcode = shortSegment(at, "opcode");
        f.shape = OPCODES.get(f.opcode);
        if (f.shape == null) {
            throw new Malformed("unknown event '" + clip(f.opcode) + "'");
        }
        switch (f.shape) {
            case NO_DATA -> {}
            case ONE_STRING -> {
                charset(f, at);
                f.strings.add(string(at));
            }
            case ERROR_TRACE -> {
                charset(f, at);
                for (int i = 0; i < 3; i++) {
                    f.strings.add(string(at));
                }
            }
            case OUTPUT -> {
                runModeAndTestRun(f, at);
                charset(f, at);
                for (int i = 0; i < outputStrings; i++) {
                    f.strings.add(string(at));
                }
            }
            case SYSTEM_PROPERTY -> {
                runModeAndTestRun(f, at);
                charset(f, at);
                f.strings.add(string(at));
                f.strings.add(string(at));
            }
            case TEST -> {
                runModeAndTestRun(f, at);
                charset(f, at);
                for (int i = 0; i < testNameStrings; i++) {
                    f.strings.add(string(at));
                }
                integer(at);
                for (int i = 0; i < 3; i++) {
                    f.strings.add(string(at));
                }
                checkNames(f);
            }
        }
        f.end = at[0];
        return f;
    }

    /**
     * The report file names come from the source name and text (and, from 3.6, the qualified name):
     * the first strings of a test event.
     */
    private void checkNames(Frame f) throws Malformed {
        int names = testNameStrings == 7 ? 3 : 2;
        for (int i = 0; i < names; i++) {
            int off = f.strings.get(i)[0];
            int len = f.strings.get(i)[1];
            if (len == 1 && pending[off] == 0) {
                continue; // null
            }
            if (len > MAX_NAME) {
                throw new Malformed(f.opcode + " names a test source of " + len + " bytes (at most " + MAX_NAME + ")");
            }
            for (int j = off; j < off + len; j++) {
                int b = pending[j] & 0xff;
                if (b < 0x20 || b == 0x7f) {
                    throw new Malformed(f.opcode + " names a test source with a control character");
                }
            }
        }
    }

    private void runModeAndTestRun(Frame f, int[] at) throws NeedMore, Malformed {
        f.runModeStart = at[0];
        String mode = shortSegment(at, "run mode");
        if (!RUN_MODES.contains(mode)) {
            throw new Malformed("unknown run mode '" + clip(mode) + "'");
        }
        int flag = u8(at);
        if (flag != 0) {
            need(at, 8);
            at[0] += 8;
        } else if (f.shape == Shape.TEST) {
            // the plugin's decoder unboxes a test event's run id: without one it fails on the event
            throw new Malformed(f.opcode + " without a test run id");
        }
        delimiter(at, "test run id");
    }

    private void charset(Frame f, int[] at) throws NeedMore, Malformed {
        f.charsetStart = at[0];
        String charset = shortSegment(at, "charset");
        if (!charset.equals("UTF-8")) {
            throw new Malformed("charset '" + clip(charset) + "' (Surefire writes UTF-8)");
        }
    }

    /** A length byte, ':', that many ASCII bytes, ':'. */
    private String shortSegment(int[] at, String what) throws NeedMore, Malformed {
        int n = u8(at);
        delimiter(at, what);
        need(at, n);
        String s = new String(pending, at[0], n, StandardCharsets.ISO_8859_1);
        at[0] += n;
        delimiter(at, what);
        return s;
    }

    private int[] string(int[] at) throws NeedMore, Malformed {
        need(at, 4);
        int n = ByteBuffer.wrap(pending, at[0], 4).getInt();
        at[0] += 4;
        if (n < 0 || n > MAX_STRING) {
            throw new Malformed("a string of " + Integer.toUnsignedString(n) + " bytes (at most " + MAX_STRING + ")");
        }
        if ((long) at[0] - frameStart + n > MAX_FRAME) {
            throw new Malformed("an event of more than " + MAX_FRAME + " bytes");
        }
        delimiter(at, "string length");
        need(at, n);
        int[] s = {at[0], n};
        at[0] += n;
        delimiter(at, "string");
        return s;
    }

    private void integer(int[] at) throws NeedMore, Malformed {
        int flag = u8(at);
        if (flag != 0) {
            need(at, 4);
            at[0] += 4;
        }
        delimiter(at, "integer");
    }

    private int u8(int[] at) throws NeedMore {
        need(at, 1);
        return pending[at[0]++] & 0xff;
    }

    private void delimiter(int[] at, String after) throws NeedMore, Malformed {
        need(at, 1);
        if (pending[at[0]++] != ':') {
            throw new Malformed("no ':' after the " + after);
        }
    }

    private void need(int[] at, int n) throws NeedMore {
        if (length - at[0] < n) {
            throw NeedMore.INSTANCE;
        }
    }

    private static String clip(String s) {
        String printable = s.replaceAll("[^\\x20-\\x7e]", ".");
        return printable.length() > 40 ? printable.substring(0, 40) + "..." : printable;
    }
}
