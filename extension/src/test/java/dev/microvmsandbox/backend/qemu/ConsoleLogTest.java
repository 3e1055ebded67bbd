package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConsoleLogTest {

    @Test
    void keepsABoundedFileAndTheLastLinesWhateverTheGuestPrints(@TempDir Path dir) throws java.io.IOException {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 400_000; i++) {
            sb.append("line ").append(i).append("\u001b[0m\n");
        }
        ConsoleLog log = new ConsoleLog(dir.resolve("console.log"));
        log.follow(new ByteArrayInputStream(sb.toString().getBytes(StandardCharsets.UTF_8)), "test-console");
        await().atMost(Duration.ofSeconds(10)).until(() -> log.tail(1).equals("line 399999[0m"));
        assertThat(log.tail(3)).isEqualTo("line 399997[0m\nline 399998[0m\nline 399999[0m");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> Files.size(dir.resolve("console.log")) > ConsoleLog.FILE_LIMIT);
        assertThat(Files.size(dir.resolve("console.log"))).isLessThan(ConsoleLog.FILE_LIMIT + 100);
    }
}
