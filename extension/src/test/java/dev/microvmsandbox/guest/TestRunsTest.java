package dev.microvmsandbox.guest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.channel.Message;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.ConfigurationParameters;
import org.junit.platform.launcher.LauncherDiscoveryRequest;

class TestRunsTest {

    @Test
    void theHostsConfigurationReachesTheGuestLauncherButOutputStaysUncaptured() {
        LauncherDiscoveryRequest request = TestRuns.request(new Message.RunTests(
                1,
                List.of("com.example.FooTest"),
                List.of(),
                List.of(),
                Map.of(
                        "junit.jupiter.displayname.generator.default",
                                "org.junit.jupiter.api.DisplayNameGenerator$Simple",
                        "junit.platform.output.capture.stdout", "true")));

        ConfigurationParameters parameters = request.getConfigurationParameters();
        assertThat(parameters.get("junit.jupiter.displayname.generator.default"))
                .contains("org.junit.jupiter.api.DisplayNameGenerator$Simple");
        // TestOutput streams what tests print; JUnit's capture would hold it back until each test ends
        assertThat(parameters.get("junit.platform.output.capture.stdout")).contains("false");
    }
}
