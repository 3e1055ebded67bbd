package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostPathStagingTest {

    @Test
    void mirrorsExactlyTheNamedFilesAndFoldersUnderTheirAbsolutePaths(@TempDir Path tmp) throws IOException {
        Path project = Files.createDirectories(tmp.resolve("project"));
        Files.createDirectories(project.resolve("target/test-classes/pkg"));
        Files.writeString(project.resolve("target/test-classes/pkg/A.class"), "a");
        Files.writeString(project.resolve("target/secret.txt"), "not named");
        Path jar = Files.writeString(tmp.resolve("lib.jar"), "jar");
        Path linkToJar = Files.createSymbolicLink(tmp.resolve("alias.jar"), jar);
        Files.createSymbolicLink(project.resolve("target/test-classes/pkg/escape"), tmp.resolve("lib.jar"));
        Path stage = tmp.resolve("stage");

        int files = HostPathStaging.stage(
                List.of(
                        project.resolve("target/test-classes"),
                        jar,
                        linkToJar,
                        project.resolve("target/test-classes/pkg/A.class"),
                        tmp.resolve("missing.jar")),
                stage);

        Path mirror = stage.resolve(project.toString().substring(1));
        assertThat(mirror.resolve("target/test-classes/pkg/A.class")).hasContent("a");
        assertThat(mirror.resolve("target/secret.txt"))
                .as("a file of the folder that was not named")
                .doesNotExist();
        assertThat(mirror.resolve("target/test-classes/pkg/escape"))
                .as("a link inside a named folder is not followed")
                .doesNotExist();
        assertThat(stage.resolve(jar.toString().substring(1))).hasContent("jar");
        assertThat(stage.resolve(linkToJar.toString().substring(1)))
                .as("a named link shows its target's content under the link's own name")
                .hasContent("jar");
        assertThat(Files.isSymbolicLink(stage.resolve(linkToJar.toString().substring(1))))
                .isFalse();
        assertThat(files).as("the class named twice counts once").isEqualTo(3);
    }

    @Test
    void refusesPathsTheGuestKeepsForItself(@TempDir Path tmp) {
        for (String reserved : List.of("/proc/self/environ", "/sys/kernel", "/dev/vport0p1", "/run/msb/host/x")) {
            assertThatThrownBy(() -> HostPathStaging.stage(List.of(Path.of(reserved)), tmp.resolve("stage")))
                    .hasMessageContaining("is the guest's own");
        }
    }

    @Test
    void theGuestMountsTheShareReadOnlyAndLinksItIntoItsRoot() {
        assertThat(HostPathStaging.guestLayout())
                .contains("mount -t 9p")
                .contains(",ro msb-host /run/msb/host")
                .contains("cp -rs --remove-destination /run/msb/host/. /");
    }
}
