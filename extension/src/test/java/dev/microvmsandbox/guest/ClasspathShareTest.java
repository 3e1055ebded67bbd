package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClasspathShareTest {

    @Test
    void theHostsSystemPropertiesAreSetAsWritten(@TempDir Path tmp) throws Exception {
        String name = "microvm.sandbox.test.attached." + System.nanoTime();
        Properties written = new Properties();
        written.setProperty(name, "a value with spaces, \"quotes\", \\ and ünïcödé");
        Path file = tmp.resolve(ClasspathShare.PROPERTIES);
        try (OutputStream out = Files.newOutputStream(file)) {
            written.store(out, null);
        }
        try {
            ClasspathShare.applyProperties(file);
            assertThat(System.getProperty(name)).isEqualTo("a value with spaces, \"quotes\", \\ and ünïcödé");
        } finally {
            System.clearProperty(name);
        }
    }

    @Test
    void noFileSetsNothing(@TempDir Path tmp) throws Exception {
        int before = System.getProperties().size();
        ClasspathShare.applyProperties(tmp.resolve("absent"));
        assertThat(System.getProperties()).hasSize(before);
    }

    @Test
    void entriesOutsideTheShareAreRefused(@TempDir Path tmp) throws Exception {
        Path list = Files.writeString(tmp.resolve(ClasspathShare.LIST), ClasspathShare.DIR + "/000-a.jar\n");
        assertThat(ClasspathShare.entries(list)).containsExactly(ClasspathShare.DIR + "/000-a.jar");
        Files.writeString(list, "/etc/passwd\n");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ClasspathShare.entries(list))
                .hasMessageContaining("outside");
    }
}
