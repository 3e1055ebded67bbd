package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogTest {

    /** Collects what the console's reader is told, and lets a test wait for the console's end. */
    private static final class Recorder implements ConsoleLog.Reader {
        final List<String> lines = Collections.synchronizedList(new ArrayList<>());
        final CountDownLatch ended = new CountDownLatch(1);

        @Override
        public void line(String line) {
            lines.add(line);
        }

        @Override
        public void ended() {
            ended.countDown();
        }
    }

    private static Recorder follow(ConsoleLog log, byte[] console) throws InterruptedException {
        Recorder recorder = new Recorder();
        log.follow(new ByteArrayInputStream(console), "test-console", recorder);
        recorder.ended.await();
        return recorder;
    }

    @Test
    void keepsABoundedFileAndTheLastLinesWhateverTheGuestPrints(@TempDir Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 400_000; i++) {
            sb.append("line ").append(i).append("\u001b[0m\n");
        }
        ConsoleLog log = new ConsoleLog(dir.resolve("console.log"));
        Recorder recorder = follow(log, sb.toString().getBytes(StandardCharsets.UTF_8));
        assertThat(log.tail(3)).isEqualTo("line 399997[0m\nline 399998[0m\nline 399999[0m");
        assertThat(recorder.lines).hasSize(400_000).endsWith("line 399999[0m");
        assertThat(Files.size(dir.resolve("console.log")))
                .isGreaterThan(ConsoleLog.FILE_LIMIT)
                .isLessThan(ConsoleLog.FILE_LIMIT + 100);
    }

    @Test
    void handsOverEveryLineBeforeTheEndAndCutsEndlessOnes(@TempDir Path dir) throws Exception {
        String endless = "x".repeat(100_000);
        byte[] console = ("[    1.0] first\r\n" + endless + "\nmsb: MSB-AGENT-EXIT 4\r\nno newline at the end")
                .getBytes(StandardCharsets.UTF_8);
        Recorder recorder = follow(new ConsoleLog(dir.resolve("console.log")), console);
        assertThat(recorder.lines)
                .containsExactly(
                        "[    1.0] first",
                        "x".repeat(ConsoleLog.MAX_LINE),
                        "msb: MSB-AGENT-EXIT 4",
                        "no newline at the end");
    }
}
