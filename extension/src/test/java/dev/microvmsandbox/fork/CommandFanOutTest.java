package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.nio.channels.Channels;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.apache.maven.surefire.api.booter.Command;
import org.apache.maven.surefire.api.booter.MasterProcessCommand;
import org.apache.maven.surefire.api.stream.AbstractStreamDecoder;
import org.apache.maven.surefire.api.stream.SegmentType;
import org.apache.maven.surefire.booter.stream.CommandDecoder;
import org.apache.maven.surefire.stream.CommandEncoder;
import org.junit.jupiter.api.Test;

/**
 * The plugin's commands to a split fork: written by the plugin's own encoder (Surefire 3.5.4's
 * {@code CommandEncoder}), read back from each part's stdin by the fork's own decoder.
 */
class CommandFanOutTest {

    @Test
    void everyRunningPartGetsEveryCommandAndALaterPartTheOnesThatStayTrue() throws Exception {
        PipedOutputStream pluginSide = new PipedOutputStream();
        CommandFanOut fanOut = new CommandFanOut(new PipedInputStream(pluginSide, 1 << 16));
        CommandFanOut.Pipe early = fanOut.open();
        Thread reader = new Thread(fanOut);
        reader.start();
        byte[] first = encode(plugin -> {
            plugin.sendNoop();
            plugin.sendSkipSinceNextTest();
            plugin.sendShutdown("exit");
            plugin.sendNoop();
        });
        assertThat(decode(new ByteArrayInputStream(first)))
                .containsExactly("NOOP", "SKIP_SINCE_NEXT_TEST", "SHUTDOWN EXIT", "NOOP");
        pluginSide.write(first);
        pluginSide.flush();
        assertThat(early.readNBytes(first.length))
                .as("the early part gets the commands as sent")
                .isEqualTo(first);

        CommandFanOut.Pipe late = fanOut.open();
        pluginSide.write(encode(plugin -> {
            plugin.sendByeAck();
            plugin.sendNoop();
        }));
        pluginSide.flush();
        assertThat(fanOut.awaitByeAck(Duration.ofMinutes(1))).isTrue();
        pluginSide.close();
        reader.join(60_000);
        assertThat(reader.isAlive()).isFalse();
        // the plugin gone, every part's stdin ends after what it was given
        assertThat(decode(late)).containsExactly("SKIP_SINCE_NEXT_TEST", "SHUTDOWN EXIT", "NOOP");
        assertThat(decode(early)).as("the plugin's bye-ack is not passed on").containsExactly("NOOP");
    }

    private interface Commands {
        void send(CommandEncoder plugin) throws IOException;
    }

    private static byte[] encode(Commands commands) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        commands.send(new CommandEncoder(org.apache.maven.surefire.api.util.internal.Channels.newBufferedChannel(out)));
        return out.toByteArray();
    }

    @Test
    void theLaunchersOwnAcknowledgementIsOneTheForkReads() throws Exception {
        assertThat(decode(new ByteArrayInputStream(CommandFanOut.BYE_ACK))).containsExactly("BYE_ACK");
    }

    @Test
    void aClosedPipeEndsAfterWhatItHeld() throws IOException {
        CommandFanOut.Pipe pipe = new CommandFanOut(new ByteArrayInputStream(new byte[0])).open();
        pipe.offer(CommandFanOut.BYE_ACK);
        pipe.close();
        pipe.offer(CommandFanOut.BYE_ACK);
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        pipe.transferTo(all);
        assertThat(all.toByteArray()).isEqualTo(CommandFanOut.BYE_ACK);
    }

    /** The commands the fork's decoder reads from {@code in} until it ends. */
    private static List<String> decode(InputStream in) throws Exception {
        List<String> commands = new ArrayList<>();
        CommandDecoder decoder = new CommandDecoder(
                Channels.newChannel(in), new SurefireEventFilterTest.RecordingArguments(new ArrayList<>()));
        AbstractStreamDecoder<Command, MasterProcessCommand, SegmentType>.Memento memento = decoder.new Memento();
        while (true) {
            Command c;
            try {
                c = decoder.decode(memento);
            } catch (EOFException e) {
                break;
            }
            if (c != null) {
                commands.add(c.getCommandType().name() + (c.getData() == null ? "" : " " + c.getData()));
            }
        }
        return commands;
    }
}
