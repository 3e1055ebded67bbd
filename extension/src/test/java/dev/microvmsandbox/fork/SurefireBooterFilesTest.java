package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SurefireBooterFilesTest {

    @Test
    void theGuestGetsCopiesWithoutThePluginsPidAndWithOnlyThePassedProperties(@TempDir Path project)
            throws IOException {
        Path tmp = Files.createDirectories(project.resolve("target/surefire"));
        Path testClasses = Files.createDirectories(project.resolve("target/test-classes"));
        Files.writeString(
                tmp.resolve("surefire1tmp"),
                "pluginPid=4242\nforkNodeConnectionString=pipe://1\nclassPathUrl.0=" + testClasses
                        + "\nclassPathUrl.1=/does/not/exist.jar\ntestClassesDirectory=" + testClasses
                        + "\nreportsDirectory=" + project.resolve("target/surefire-reports") + "\n");
        Files.writeString(tmp.resolve("surefire_01tmp"), "basedir=" + project + "\ndeploy.token=x\n");

        SurefireBooterFiles f = SurefireBooterFiles.read(
                List.of(tmp.toString(), "2024-jvmRun1", "surefire1tmp", "surefire_01tmp"), project);

        assertThat(f.hostPaths()).containsExactly(testClasses, testClasses);
        assertThat(f.forkNodeConnection()).contains("pipe://1");
        assertThat(f.reportsDirectory()).contains(project.resolve("target/surefire-reports"));
        assertThat(f.systemProperties()).containsOnlyKeys("basedir", "deploy.token");

        Path guest = project.resolve("guest-copies");
        List<String> args = f.writeGuestCopies(guest, Map.of("basedir", project.toString()));

        assertThat(args).containsExactly(guest.toString(), "2024-jvmRun1", "surefire1tmp", "surefire_01tmp");
        assertThat(load(guest.resolve("surefire1tmp")))
                .doesNotContainKey("pluginPid")
                .containsEntry("forkNodeConnectionString", "pipe://1");
        assertThat(load(guest.resolve("surefire_01tmp"))).containsOnlyKeys("basedir");
    }

    @Test
    void aPartsCopyListsOnlyItsClasses(@TempDir Path project) throws IOException {
        Path tmp = Files.createDirectories(project.resolve("target/surefire"));
        Files.writeString(tmp.resolve("surefire1tmp"), "tc.0=a.ATest\ntc.1=b.BTest\ntc.2=c.CTest\nrequestedTest=x\n");
        SurefireBooterFiles f =
                SurefireBooterFiles.read(List.of(tmp.toString(), "2024-jvmRun1", "surefire1tmp"), project);
        assertThat(f.testClasses()).containsExactly("a.ATest", "b.BTest", "c.CTest");

        Path part = project.resolve("part2");
        List<String> args = f.writeGuestCopies(part, Map.of(), List.of("c.CTest"));

        assertThat(args).containsExactly(part.toString(), "2024-jvmRun1", "surefire1tmp");
        assertThat(load(part.resolve("surefire1tmp")))
                .containsOnly(Map.entry("tc.0", "c.CTest"), Map.entry("requestedTest", "x"));
    }

    @Test
    void namesMustStayInSurefiresFolder(@TempDir Path project) {
        assertThatThrownBy(() -> SurefireBooterFiles.read(List.of("tmp", "dump", "../../etc/passwd"), project))
                .hasMessageContaining("is not a file name in Surefire's temporary folder");
        assertThatThrownBy(() -> SurefireBooterFiles.read(List.of("tmp", "dump"), project))
                .hasMessageContaining("TMPDIR DUMPNAME BOOTERFILE");
    }

    private static Map<Object, Object> load(Path file) throws IOException {
        Properties p = new Properties();
        try (InputStream in = Files.newInputStream(file)) {
            p.load(in);
        }
        return p;
    }
}
