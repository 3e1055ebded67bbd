package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.util.Arrays;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Prints 768 MiB through System.out, then writes to the process's raw stdout for 10 s. The fork
 * launcher on the host (heap capped at 256 MiB by the pom, three times less than the flood) and Maven
 * must survive, and the report must hold a truncated output (16 MiB per test, 256 MiB per fork).
 */
@MicroVmSandbox(memory = "1g", timeout = "3m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class StdoutFloodTest {

    @Test
    @Order(1)
    void printSevenHundredSixtyEightMebibytes() {
        byte[] line = new byte[1 << 20];
        Arrays.fill(line, (byte) 'A');
        line[line.length - 1] = '\n';
        for (int i = 0; i < 768; i++) {
            System.out.write(line, 0, line.length);
        }
        System.out.flush();
    }

    @Test
    @Order(2)
    void writeRawStdout() throws Exception {
        byte[] line = new byte[1 << 20];
        Arrays.fill(line, (byte) 'B');
        FileOutputStream raw = new FileOutputStream(FileDescriptor.out);
        long end = System.nanoTime() + 10_000_000_000L;
        long written = 0;
        while (System.nanoTime() < end && written < (768L << 20)) {
            raw.write(line);
            written += line.length;
        }
        raw.flush();
        System.err.println("HOSTILE raw-stdout wrote " + (written >> 20) + " MiB");
    }
}
