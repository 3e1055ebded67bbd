package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.settings.ProjectSettings;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How a fork's test classes are dealt into the parts of a split fork, and what each part's fork reads. */
class ForkPlanTest {

    @Test
    void dealsTheClassesRoundRobinOrOnePerClass(@TempDir Path project) throws IOException {
        Path jar = ForkLauncherTest.booter(project, "file:/m2/surefire-booter-3.5.4.jar");
        Files.writeString(
                project.resolve("target/surefire/booter"),
                "tc.0=A\ntc.1=B\ntc.2=C\ntc.3=D\ntc.4=E\nreportsDirectory=" + project.resolve("reports") + "\n");
        ForkSettings settings = ForkSettings.read(ForkLauncherTest.settings(project));
        List<String> args = List.of("-Xmx1g", "-jar", jar.toString(), "target/surefire", "2026-jvmRun3", "booter");

        try (ForkPlan plan = ForkPlan.of(args, project, settings, ProjectSettings.none())) {
            assertThat(plan.split(1, false))
                    .as("one sandbox, reused: nothing to split")
                    .isEmpty();

            List<ForkPlan.Part> shared = plan.split(2, false);
            assertThat(shared).extracting(ForkPlan.Part::name).containsExactly("jvmRun3.1", "jvmRun3.2");
            assertThat(shared)
                    .extracting(ForkPlan.Part::classes)
                    .containsExactly(List.of("A", "C", "E"), List.of("B", "D"));

            List<ForkPlan.Part> perClass = plan.split(2, true);
            assertThat(perClass)
                    .extracting(ForkPlan.Part::classes)
                    .containsExactly(List.of("A"), List.of("B"), List.of("C"), List.of("D"), List.of("E"));

            ForkPlan.Part d = perClass.get(3);
            List<String> guest = d.guestArguments();
            assertThat(guest.subList(0, 3)).containsExactly("-Xmx1g", "-jar", jar.toString());
            Path folder = Path.of(guest.get(3));
            assertThat(guest.subList(4, guest.size())).containsExactly("2026-jvmRun3", "booter");
            Properties booter = new Properties();
            try (InputStream in = Files.newInputStream(folder.resolve("booter"))) {
                booter.load(in);
            }
            assertThat(booter.stringPropertyNames()).contains("tc.0").doesNotContain("tc.1");
            assertThat(booter.getProperty("tc.0")).isEqualTo("D");
            assertThat(plan.hostPaths())
                    .as("the parts' copies are in the folder the guest is shown")
                    .anyMatch(folder::startsWith);
        }
    }

    @Test
    void aSingleClassIsNotSplit(@TempDir Path project) throws IOException {
        Path jar = ForkLauncherTest.booter(project, "file:/m2/surefire-booter-3.5.4.jar");
        Files.writeString(project.resolve("target/surefire/booter"), "tc.0=A\n");
        ForkSettings settings = ForkSettings.read(ForkLauncherTest.settings(project));
        try (ForkPlan plan = ForkPlan.of(
                List.of("-jar", jar.toString(), "target/surefire", "d", "booter"),
                project,
                settings,
                ProjectSettings.none())) {
            assertThat(plan.split(4, true)).isEmpty();
            assertThat(plan.split(4, false)).isEmpty();
        }
    }
}
