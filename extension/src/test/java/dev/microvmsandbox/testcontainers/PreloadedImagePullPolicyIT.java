package dev.microvmsandbox.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.microvmsandbox.guestimage.GuestImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.testkit.engine.EngineExecutionResults;
import org.junit.platform.testkit.engine.EngineTestKit;
import org.junit.platform.testkit.engine.Event;

/**
 * Testcontainers in real sandboxes, under each name form a test may use for a preloaded image, and
 * a name the sandbox lacks: the fixtures run through the engine, images from the run's
 * {@code microvm.sandbox.images}.
 */
class PreloadedImagePullPolicyIT {

    private static final String FORMS = "dev.microvmsandbox.fixtures.ImageNameFormsFixture";
    private static final String PREFIX = "dev.microvmsandbox.fixtures.HubPrefixFixture";

    @TempDir
    static Path project;

    static EngineExecutionResults results;

    @BeforeAll
    static void runTheFixtures() throws Exception {
        Path archive = retagged(
                GuestImage.resolve().testImages().resolve("busybox.tar"),
                List.of("localhost/samples/postgres:16-alpine", "localhost/samples/redis:7-alpine"));
        results = EngineTestKit.engine("microvm-sandbox")
                .selectors(selectClass(FORMS), selectClass(PREFIX))
                .configurationParameter("microvm.sandbox.images", "docker-archive:" + archive)
                .execute();
    }

    @Test
    void everyNameFormFindsThePreloadedImage() {
        assertThat(outcomes())
                .containsEntry(FORMS + "#aDockerHubShortName", "SUCCESSFUL")
                .containsEntry(FORMS + "#aFullyQualifiedDockerHubName", "SUCCESSFUL")
                .containsEntry(FORMS + "#theNameInTheArchive", "SUCCESSFUL")
                .containsEntry(PREFIX + "#aPrefixedName", "SUCCESSFUL");
    }

    @Test
    void aMissingImageFailsTheTestWithOneSentenceNamingTheSetting() {
        Throwable failure = results.testEvents().failed().stream()
                .filter(e -> e.getTestDescriptor().getDisplayName().equals("anImageTheSandboxLacks()"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("anImageTheSandboxLacks did not fail: " + outcomes()))
                .getRequiredPayload(TestExecutionResult.class)
                .getThrowable()
                .orElseThrow();
        // what else the sandbox lists depends on which tests tagged an image first
        assertThat(failure.getMessage())
                .startsWith("mysql:8.4 is not in the sandbox: add docker-archive:PATH or the image name to "
                        + "microvm.sandbox.images (the sandbox has ")
                .contains("localhost/samples/postgres:16-alpine")
                .doesNotContain("\n");
        assertThat(failure.toString()).startsWith(ImageNotInSandboxError.class.getName() + ": mysql:8.4 is not in");
        assertThat(failure.getCause()).as("no pull error or wrapper beneath it").isNull();
    }

    /** "class#method" to the status each test finished with. */
    private static Map<String, String> outcomes() {
        Map<String, String> map = new TreeMap<>();
        for (Event e : results.testEvents().finished().list()) {
            String id = e.getTestDescriptor().getUniqueId().toString();
            String cls = id.replaceAll(".*\\[class:([^\\]]+)\\].*", "$1");
            String method = e.getTestDescriptor().getDisplayName().replace("()", "");
            map.put(
                    cls + "#" + method,
                    e.getRequiredPayload(TestExecutionResult.class).getStatus() + failure(e));
        }
        return map;
    }

    private static String failure(Event e) {
        return e.getRequiredPayload(TestExecutionResult.class)
                .getThrowable()
                .map(t -> " " + t)
                .orElse("");
    }

    /** A copy of a docker-archive whose one image is named {@code names} instead. */
    private static Path retagged(Path archive, List<String> names) throws IOException, InterruptedException {
        Path dir = Files.createDirectories(project.resolve("retag"));
        tar("-xf", archive.toString(), "-C", dir.toString());
        ObjectMapper json = new ObjectMapper();
        Path manifest = dir.resolve("manifest.json");
        ArrayNode images = (ArrayNode) json.readTree(manifest.toFile());
        ArrayNode tags = ((ObjectNode) images.get(0)).putArray("RepoTags");
        names.forEach(tags::add);
        json.writeValue(manifest.toFile(), images);
        Files.deleteIfExists(dir.resolve("repositories"));
        Path out = project.resolve("names.tar");
        tar("-cf", out.toString(), "-C", dir.toString(), ".");
        return out;
    }

    private static void tar(String... args) throws IOException, InterruptedException {
        List<String> command = new java.util.ArrayList<>(List.of("tar"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).inheritIO().start();
        assertThat(p.waitFor(5, TimeUnit.MINUTES)).isTrue();
        assertThat(p.exitValue()).as(String.join(" ", command)).isZero();
    }
}
