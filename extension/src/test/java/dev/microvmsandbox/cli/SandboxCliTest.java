package dev.microvmsandbox.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Command-line mistakes are answered with usage and exit code 2, before anything is built or booted. */
class SandboxCliTest {

    private final ByteArrayOutputStream err = new ByteArrayOutputStream();
    private final SandboxCli cli = new SandboxCli(
            new PrintStream(new ByteArrayOutputStream()), new PrintStream(err, true, StandardCharsets.UTF_8));

    @AfterEach
    void clear() {
        System.clearProperty("microvm.sandbox.image");
    }

    @Test
    void imageTakesOneKnownOption() {
        assertThat(cli.run(new String[] {"image", "--fix-it"})).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("image takes nothing, --verify, --rebuild or --oci; got --fix-it");
    }

    @Test
    void usageNamesTheImageCommand() {
        assertThat(cli.run(new String[] {"help"})).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("sandbox image [--verify | --rebuild | --oci]");
    }

    @Test
    void aRebuildOfAConfiguredImageFolderIsRefused() {
        System.setProperty("microvm.sandbox.image", "/some/where");
        assertThat(cli.run(new String[] {"image", "--rebuild"})).isEqualTo(3);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .contains("microvm.sandbox.image=/some/where is set: only the built image");
    }
}
