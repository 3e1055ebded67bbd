package dev.microvmsandbox.backend.kata;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class BytePipeTest {

    @Test
    void bytesArriveInOrderAndTheWriterNeverGetsAheadByMoreThanTheCapacity() throws Exception {
        BytePipe pipe = new BytePipe(1000);
        byte[] sent = new byte[100_000];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = (byte) (i % 251);
        }
        CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
            try (OutputStream out = pipe.sink()) {
                for (int at = 0; at < sent.length; at += 3000) {
                    out.write(sent, at, Math.min(3000, sent.length - at));
                }
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        InputStream in = pipe.source();
        byte[] received = new byte[sent.length];
        int total = 0;
        int mostBuffered = 0;
        byte[] buf = new byte[700];
        for (int n; (n = in.read(buf)) >= 0; ) {
            mostBuffered = Math.max(mostBuffered, in.available());
            System.arraycopy(buf, 0, received, total, n);
            total += n;
        }
        writer.get(30, TimeUnit.SECONDS);
        assertThat(total).isEqualTo(sent.length);
        assertThat(received).isEqualTo(sent);
        assertThat(mostBuffered).isLessThanOrEqualTo(1000);
    }

    @Test
    void closingEndsTheStreamAfterWhatIsBuffered() throws IOException {
        BytePipe pipe = new BytePipe(100);
        pipe.sink().write(new byte[] {1, 2, 3});
        pipe.close();
        InputStream in = pipe.source();
        assertThat(in.readAllBytes()).containsExactly(1, 2, 3);
        assertThat(in.read()).isEqualTo(-1);
        assertThatThrownBy(() -> pipe.sink().write(4)).isInstanceOf(IOException.class);
    }

    @Test
    void aFailedPipeFailsBothSidesWithTheReason() {
        BytePipe pipe = new BytePipe(100);
        pipe.fail("the container is gone");
        assertThatThrownBy(() -> pipe.source().read())
                .isInstanceOf(IOException.class)
                .hasMessageContaining("the container is gone");
        assertThatThrownBy(() -> pipe.sink().write(1)).hasMessageContaining("the container is gone");
    }

    @Test
    void aBlockedWriterIsReleasedWhenThePipeCloses() throws Exception {
        BytePipe pipe = new BytePipe(10);
        CompletableFuture<Throwable> writer = CompletableFuture.supplyAsync(() -> {
            try {
                pipe.sink().write(new byte[100]);
                return null;
            } catch (IOException e) {
                return e;
            }
        });
        while (pipe.source().available() < 10) {
            Thread.onSpinWait();
        }
        pipe.close();
        assertThat(writer.get(30, TimeUnit.SECONDS)).isInstanceOf(IOException.class);
    }
}
