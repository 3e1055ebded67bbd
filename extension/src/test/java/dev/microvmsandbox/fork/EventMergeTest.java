package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * The merge of a split fork's event streams: pure logic, fed with labelled frames (the merge reads only
 * their opcodes) and with two real fork streams at once, read back with the plugin's own decoder.
 */
class EventMergeTest {

    private static final SurefireVersion V354 = new SurefireVersion(3, 5, 4, Integer.MAX_VALUE);

    @Test
    void aPartsFramesWaitWhileAnotherPartIsInsideATestSet() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EventMerge merge = new EventMerge(out);
        AtomicInteger acks = new AtomicInteger();
        EventMerge.Part a = merge.part("a", acks::incrementAndGet);
        EventMerge.Part b = merge.part("b", acks::incrementAndGet);

        send(a, "testset-starting", "A-start");
        send(b, "console-info-log", "B-info");
        send(b, "testset-starting", "B-start");
        send(a, "test-succeeded", "A-test");
        assertThat(text(out)).isEqualTo("A-start A-test ");
        send(a, "testset-completed", "A-end");
        assertThat(text(out)).isEqualTo("A-start A-test A-end B-info B-start ");
        send(a, "console-info-log", "A-info");
        send(b, "testset-completed", "B-end");
        assertThat(text(out)).isEqualTo("A-start A-test A-end B-info B-start B-end A-info ");

        send(a, "bye", "BYE ");
        assertThat(acks).hasValue(1);
        assertThat(text(out)).as("a part's bye is answered, not passed").doesNotContain("BYE");
        a.end();
        assertThat(merge.allSaidBye()).isFalse();
        send(b, "bye", "BYE ");
        b.end();
        assertThat(acks).hasValue(2);
        assertThat(merge.allSaidBye()).isTrue();
        merge.sayBye();
        assertThat(text(out)).endsWith("A-info BYE ");
    }

    @Test
    void nestedTestSetsKeepTheStreamUntilTheOuterOneCompletes() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EventMerge merge = new EventMerge(out);
        EventMerge.Part a = merge.part("a", () -> {});
        EventMerge.Part b = merge.part("b", () -> {});
        send(a, "testset-starting", "A-outer");
        send(a, "testset-starting", "A-nested");
        send(a, "testset-completed", "A-nested-end");
        send(b, "testset-starting", "B-start");
        send(a, "testset-completed", "A-outer-end");
        assertThat(text(out)).isEqualTo("A-outer A-nested A-nested-end A-outer-end B-start ");
    }

    @Test
    void aPartThatEndsInsideATestSetGivesTheStreamBack() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EventMerge merge = new EventMerge(out);
        EventMerge.Part a = merge.part("a", () -> {});
        EventMerge.Part b = merge.part("b", () -> {});
        send(a, "testset-starting", "A-start");
        send(b, "testset-starting", "B-start");
        send(b, "testset-completed", "B-end");
        a.end();
        assertThat(text(out)).isEqualTo("A-start B-start B-end ");
        assertThat(merge.allSaidBye()).isFalse();
    }

    @Test
    void aFullQueueHoldsItsWriterUntilThePartHoldsTheStream() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EventMerge merge = new EventMerge(out, 8);
        EventMerge.Part a = merge.part("a", () -> {});
        EventMerge.Part b = merge.part("b", () -> {});
        send(a, "testset-starting", "A-start");
        List<Throwable> failures = new ArrayList<>();
        Thread writer = new Thread(() -> {
            try {
                send(b, "testset-starting", "B-start-with-a-long-frame");
                send(b, "testset-completed", "B-end");
            } catch (IOException e) {
                failures.add(e);
            }
        });
        writer.start();
        writer.join(300);
        assertThat(writer.isAlive())
                .as("the writer waits while its queue is past the bound")
                .isTrue();
        send(a, "testset-completed", "A-end");
        writer.join(60_000);
        assertThat(writer.isAlive()).isFalse();
        assertThat(failures).isEmpty();
        assertThat(text(out)).isEqualTo("A-start A-end B-start-with-a-long-frame B-end ");
    }

    @Test
    void twoRealForksBecomeOneStreamThePluginReadsWithoutInterleavedTestSets() throws Exception {
        byte[] stream = SurefireEventFilterTest.resource("surefire-3.5.4-events.bin");
        List<String> single = SurefireEventFilterTest.decode(stream).events();
        assertThat(single).contains("BOOTERCODE_BYE");

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        EventMerge merge = new EventMerge(out);
        AtomicInteger acks = new AtomicInteger();
        List<Thread> writers = new ArrayList<>();
        List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
        for (int chunk : List.of(5, 13)) {
            EventMerge.Part part = merge.part("part" + chunk, acks::incrementAndGet);
            writers.add(new Thread(() -> {
                try {
                    SurefireEventFilter filter = new SurefireEventFilter(part, V354);
                    for (int at = 0; at < stream.length; at += chunk) {
                        filter.write(stream, at, Math.min(chunk, stream.length - at));
                        if (at % 997 == 0) {
                            Thread.yield();
                        }
                    }
                    filter.close();
                    part.end();
                } catch (IOException e) {
                    failures.add(e);
                }
            }));
        }
        writers.forEach(Thread::start);
        for (Thread w : writers) {
            w.join(60_000);
        }
        assertThat(failures).isEmpty();
        assertThat(acks).hasValue(2);
        assertThat(merge.allSaidBye()).isTrue();
        merge.sayBye();

        SurefireEventFilterTest.Decoded merged = SurefireEventFilterTest.decode(out.toByteArray());
        assertThat(merged.corruption()).isEmpty();
        assertThat(merged.events().stream().filter("BOOTERCODE_BYE"::equals)).hasSize(1);
        List<String> withoutBye = new ArrayList<>(single);
        withoutBye.remove("BOOTERCODE_BYE");
        assertThat(merged.events().size()).isEqualTo(2 * withoutBye.size() + 1);
        // every test set of the merged stream is a test set of the single stream, whole and in order
        List<List<String>> singleSets = testSets(single);
        List<List<String>> mergedSets = testSets(merged.events());
        assertThat(singleSets).isNotEmpty();
        assertThat(mergedSets).hasSize(2 * singleSets.size());
        mergedSets.forEach(set -> assertThat(singleSets).contains(set));
    }

    /** The events from each outermost testset-starting to its testset-completed. */
    private static List<List<String>> testSets(List<String> events) {
        List<List<String>> sets = new ArrayList<>();
        List<String> current = null;
        int depth = 0;
        for (String e : events) {
            if (e.startsWith("BOOTERCODE_TESTSET_STARTING")) {
                if (depth++ == 0) {
                    current = new ArrayList<>();
                }
            }
            if (current != null) {
                current.add(e);
            }
            if (e.startsWith("BOOTERCODE_TESTSET_COMPLETED") && --depth == 0) {
                sets.add(current);
                current = null;
            }
        }
        return sets;
    }

    private static void send(EventMerge.Part part, String opcode, String label) throws IOException {
        byte[] bytes = (label.endsWith(" ") ? label : label + " ").getBytes(StandardCharsets.US_ASCII);
        part.frame(opcode, bytes, 0, bytes.length);
    }

    private static String text(ByteArrayOutputStream out) {
        return out.toString(StandardCharsets.US_ASCII);
    }
}
