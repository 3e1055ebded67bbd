package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The setup script's part of {@link SandboxSetup}, run by this host's {@code /bin/sh} (the thread
 * limit is the guest kernel's and is not written here: 0 leaves it alone).
 */
class SandboxSetupTest {

    @Test
    void aScriptRunsToItsEnd(@TempDir Path tmp) throws Exception {
        Path mark = tmp.resolve("mark");
        SandboxSetup.apply(0, "mkdir -p '" + tmp.resolve("a/b") + "'\necho done > '" + mark + "'\n");
        assertThat(tmp.resolve("a/b")).isDirectory();
        assertThat(Files.readString(mark)).isEqualTo("done\n");
    }

    @Test
    void aFailingLineStopsTheScriptAndItsOutputSaysWhy(@TempDir Path tmp) {
        Path after = tmp.resolve("after");
        assertThatThrownBy(() -> SandboxSetup.apply(0, "echo mounting >&2\nfalse\ntouch '" + after + "'\n"))
                .isInstanceOf(IOException.class)
                .hasMessage("exit code 1: mounting");
        assertThat(after).doesNotExist();
    }

    @Test
    void itsOutputIsCutShortAndTheScriptStillEnds() {
        assertThatThrownBy(() -> SandboxSetup.apply(0, "head -c 1000000 /dev/zero | tr '\\0' x; exit 3"))
                .isInstanceOf(IOException.class)
                .hasMessageStartingWith("exit code 3: xxx")
                .satisfies(e -> assertThat(e.getMessage()).hasSize("exit code 3: ".length() + GuestCommand.MAX_OUTPUT));
    }
}
