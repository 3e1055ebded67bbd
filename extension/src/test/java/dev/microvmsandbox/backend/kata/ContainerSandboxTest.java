package dev.microvmsandbox.backend.kata;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.backend.SandboxConfig;
import dev.microvmsandbox.backend.SandboxException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * A container that never runs the agent: the sandbox fails to start with its stderr and how the
 * container ended, and the container is destroyed. (The real agent over a real engine is
 * {@code KataDockerIT}'s.)
 */
class ContainerSandboxTest {

    @Test
    void aGuestThatFailsBeforeTheAgentFailsTheStartWithItsOwnWordsAndIsDestroyed() {
        ConsoleTail console = new ConsoleTail();
        byte[] said = "msb: MSB-FAIL cannot receive the classpath\n".getBytes(StandardCharsets.UTF_8);
        console.append(said, 0, said.length);
        FakeContainer container = new FakeContainer();
        container.stopped.complete("exited with status 1");
        container.stdout.close();

        SandboxConfig config = SandboxConfig.defaults().withBootTimeout(Duration.ofMinutes(1));
        Assertions.assertThatThrownBy(() -> ContainerSandbox.start(container, config, VmBoundary.of("crun"), console))
                .isInstanceOf(SandboxException.class)
                .hasMessageContaining("the guest failed to start: cannot receive the classpath (exited with status 1)")
                .hasMessageContaining("MSB-FAIL cannot receive the classpath");
        assertThat(container.destroyed).isTrue();
    }

    private static final class FakeContainer implements ContainerHandle {
        final BytePipe stdin = new BytePipe(64 << 20);
        final BytePipe stdout = new BytePipe(1024);
        final CompletableFuture<String> stopped = new CompletableFuture<>();
        volatile boolean destroyed;

        @Override
        public String name() {
            return "fake";
        }

        @Override
        public OutputStream stdin() {
            return stdin.sink();
        }

        @Override
        public InputStream stdout() {
            return stdout.source();
        }

        @Override
        public CompletableFuture<String> stopped() {
            return stopped;
        }

        @Override
        public void destroy() {
            destroyed = true;
            stdin.close();
            stdout.close();
        }
    }
}
