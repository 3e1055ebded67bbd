package dev.microvmsandbox.channel;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.WaitBounds;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class ChannelTest {

    /** Reads {@code bytes} as if a guest had sent them; returns the close reason and what was delivered. */
    private static Result feed(byte[] bytes) throws Exception {
        CompletableFuture<String> closed = new CompletableFuture<>();
        List<Object> delivered = new CopyOnWriteArrayList<>();
        Channel channel =
                new Channel("test", new ByteArrayInputStream(bytes), new ByteArrayOutputStream(), 1 << 20, () -> {});
        channel.start(new Channel.Receiver() {
            @Override
            public void message(Message message) {
                delivered.add(message);
            }

            @Override
            public void data(int stream, byte[] data) {
                delivered.add(data.length);
            }

            @Override
            public void closed(String reason) {
                closed.complete(reason);
            }
        });
        String reason = closed.get(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS);
        return new Result(reason, channel.end().orElseThrow(), delivered);
    }

    record Result(String reason, Channel.End end, List<Object> delivered) {}

    private static byte[] frames(Message... messages) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        MessageCodec codec = new MessageCodec();
        for (Message m : messages) {
            new Frame(Frame.Kind.MESSAGE, 0, m.id(), codec.encode(m)).writeTo(out);
        }
        return out.toByteArray();
    }

    @Test
    void roundTripsMessagesAndData() throws Exception {
        PipedInputStream guestIn = new PipedInputStream(1 << 20);
        PipedOutputStream hostOut = new PipedOutputStream(guestIn);
        Channel host = new Channel("host", new ByteArrayInputStream(new byte[0]), hostOut, 1 << 20, () -> {});
        Channel guest = new Channel("guest", guestIn, new ByteArrayOutputStream(), 1 << 20, () -> {});
        CompletableFuture<Message> got = new CompletableFuture<>();
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        guest.route(5, new Channel.Receiver() {
            @Override
            public void message(Message message) {
                got.complete(message);
            }

            @Override
            public void data(int stream, byte[] bytes) {
                data.writeBytes(bytes);
            }
        });
        guest.start(m -> {});
        byte[] payload = new byte[200_000];
        new Random(1).nextBytes(payload);
        host.sendData(5, Frame.Stream.FILE, payload, 0, payload.length);
        host.send(new Message.Exec(5, List.of("echo", "hi"), Map.of("A", "b"), null));
        assertThat(got.get(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS))
                .isEqualTo(new Message.Exec(5, List.of("echo", "hi"), Map.of("A", "b"), null));
        assertThat(data.toByteArray()).isEqualTo(payload);
    }

    @Test
    void rejectsAnOversizedFrameBeforeReadingIt() throws Exception {
        byte[] header = {1, 0, 0, 0, 0, 1, 0x7f, (byte) 0xff, (byte) 0xff, (byte) 0xff};
        Result r = feed(header);
        assertThat(r.reason()).contains("protocol violation").contains("exceeds the limit");
    }

    @Test
    void rejectsUnknownFrameKinds() throws Exception {
        assertThat(feed(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 0}).reason()).contains("unknown frame kind 9");
    }

    @Test
    void rejectsJavaSerialisationAndUnknownMessageTypes() throws Exception {
        byte[] json = "{\"type\":\"java.lang.Runtime\",\"id\":0}".getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Frame(Frame.Kind.MESSAGE, 0, 0, json).writeTo(out);
        assertThat(feed(out.toByteArray()).reason()).contains("invalid message");
    }

    @Test
    void rejectsDeeplyNestedJson() throws Exception {
        String deep = "{\"type\":\"run-done\",\"id\":0,\"x\":" + "[".repeat(1000) + "]".repeat(1000) + "}";
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Frame(Frame.Kind.MESSAGE, 0, 0, deep.getBytes(StandardCharsets.UTF_8)).writeTo(out);
        assertThat(feed(out.toByteArray()).reason()).contains("invalid message");
    }

    @Test
    void rejectsAMessageWhoseIdDiffersFromItsFrame() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Frame(Frame.Kind.MESSAGE, 0, 3, new MessageCodec().encode(new Message.RunDone(4, null))).writeTo(out);
        assertThat(feed(out.toByteArray()).reason()).contains("message id 4 in a frame for id 3");
    }

    @Test
    void aCleanEndIsNotAViolation() throws Exception {
        Result r = feed(frames(new Message.Hello("1", "6.1", "17")));
        assertThat(r.reason()).isEqualTo("the other side closed the channel");
        assertThat(r.end()).isEqualTo(Channel.End.OTHER_SIDE);
        assertThat(r.delivered()).hasSize(1);
    }

    /** A VM that powers off or crashes while the agent writes ends the stream mid-frame: an end, not a lie. */
    @Test
    void anEndInsideAFrameIsAnEndNotAViolation() throws Exception {
        byte[] whole = frames(new Message.Hello("1", "6.1", "17"), new Message.Ready(10, "1.41"));
        for (int cut : new int[] {whole.length - 1, whole.length - 20, 40 + 3}) {
            Result r = feed(java.util.Arrays.copyOf(whole, cut));
            assertThat(r.end()).as("cut at %d", cut).isEqualTo(Channel.End.OTHER_SIDE);
            assertThat(r.reason()).doesNotContain("violation");
        }
    }

    @Test
    void saysHowItEnded() throws Exception {
        assertThat(feed(new byte[] {9, 0, 0, 0, 0, 0, 0, 0, 0, 0}).end()).isEqualTo(Channel.End.PROTOCOL_VIOLATION);
        Channel channel =
                new Channel("test", new java.io.PipedInputStream(1024), new ByteArrayOutputStream(), 1 << 20, () -> {});
        assertThat(channel.end()).isEmpty();
        channel.close();
        assertThat(channel.end()).contains(Channel.End.THIS_SIDE);
        assertThat(channel.closeReason()).contains("closed by this side");
    }

    /** Random and mutated streams: the reader only ever delivers valid messages or closes with a reason. */
    @Test
    void survivesRandomAndMutatedStreams() throws Exception {
        Random random = new Random(42);
        byte[] valid = frames(
                new Message.Hello("1", "6.1", "17"),
                new Message.Ready(10, "1.41"),
                new Message.Exited(1, 0, null),
                new Message.TestRegistered(
                        2,
                        new Message.TestNode(
                                "[engine:x]", null, "d", "l", Message.NodeType.TEST, "C", "m", "", List.of())),
                new Message.TestFinished(2, "[engine:x]", Message.Status.FAILED, null),
                new Message.TestPrinted(2, "[engine:x]", Message.Output.STDOUT, "hi\n"));
        for (int round = 0; round < 2000; round++) {
            byte[] input;
            if (round % 2 == 0) {
                input = new byte[random.nextInt(512)];
                random.nextBytes(input);
            } else {
                input = valid.clone();
                int mutations = 1 + random.nextInt(8);
                for (int i = 0; i < mutations; i++) {
                    input[random.nextInt(input.length)] = (byte) random.nextInt(256);
                }
                if (random.nextBoolean()) {
                    input = java.util.Arrays.copyOf(input, random.nextInt(input.length));
                }
            }
            Result r = feed(input);
            assertThat(r.reason()).isNotNull();
            assertThat(r.reason()).doesNotStartWith("receiver failed");
            for (Object o : r.delivered()) {
                assertThat(o).isInstanceOfAny(Message.class, Integer.class);
            }
        }
    }

    @Test
    void aTestEventThatBreaksTheRulesReachesItsRequestAsRejected() throws Exception {
        String[] events = {
            "{\"type\":\"test-finished\",\"id\":7,\"uniqueId\":\"[engine:x]\",\"status\":\"GREAT\"}",
            "{\"type\":\"test-started\",\"id\":7}",
            "{\"type\":\"test-printed\",\"id\":7,\"uniqueId\":\"[engine:x]\",\"stream\":\"STDOUT\"}",
            "{\"type\":\"test-reported\",\"id\":7,\"uniqueId\":\"[engine:x]\",\"entries\":{\"k\":\" \"}}",
            "{\"type\":\"test-registered\",\"id\":7,\"node\":{\"uniqueId\":\"[engine:x]\",\"type\":\"TEST\","
                    + "\"className\":\"com.example.Foo;rm -rf\"}}",
            "{\"type\":\"test-registered\",\"id\":7,\"node\":{\"uniqueId\":\"[engine:x]\"}}",
        };
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String e : events) {
            new Frame(Frame.Kind.MESSAGE, 0, 7, e.getBytes(StandardCharsets.UTF_8)).writeTo(out);
        }

        Result r = feed(out.toByteArray());

        assertThat(r.reason()).isEqualTo("the other side closed the channel");
        assertThat(r.delivered())
                .hasSize(events.length)
                .allSatisfy(m -> assertThat(m)
                        .isInstanceOfSatisfying(
                                Message.Rejected.class,
                                rejected -> assertThat(rejected.id()).isEqualTo(7)));
        assertThat(r.delivered())
                .extracting(m -> ((Message.Rejected) m).problem())
                .satisfiesExactly(
                        p -> assertThat(p).contains("GREAT"),
                        p -> assertThat(p).isEqualTo("no unique id"),
                        p -> assertThat(p).isEqualTo("no text"),
                        p -> assertThat(p).contains("entry"),
                        p -> assertThat(p).contains("bad class name"),
                        p -> assertThat(p).isEqualTo("no type"));
    }

    @Test
    void anythingElseMalformedClosesTheChannel() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        // an event whose id is not a number cannot be given to a request
        new Frame(
                        Frame.Kind.MESSAGE,
                        0,
                        0,
                        "{\"type\":\"test-started\",\"id\":\"x\",\"uniqueId\":\"[engine:x]\"}"
                                .getBytes(StandardCharsets.UTF_8))
                .writeTo(out);
        assertThat(feed(out.toByteArray()).reason())
                .contains("protocol violation")
                .contains("invalid message");

        out.reset();
        new Frame(
                        Frame.Kind.MESSAGE,
                        0,
                        1,
                        "{\"type\":\"exited\",\"id\":1,\"exitCode\":\"zero\"}".getBytes(StandardCharsets.UTF_8))
                .writeTo(out);
        assertThat(feed(out.toByteArray()).reason()).contains("invalid message");
    }

    @Test
    void theRemovedMessagesAreUnknown() throws Exception {
        for (String type : List.of("shutdown", "test-event")) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            new Frame(
                            Frame.Kind.MESSAGE,
                            0,
                            0,
                            ("{\"type\":\"" + type + "\",\"id\":0}").getBytes(StandardCharsets.UTF_8))
                    .writeTo(out);
            assertThat(feed(out.toByteArray()).reason()).as(type).contains("invalid message");
        }
    }
}
