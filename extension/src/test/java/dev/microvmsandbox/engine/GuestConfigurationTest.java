package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GuestConfigurationTest {

    private final Map<String, String> systemProperties = Map.of(
            "user.home", "/root",
            "java.home", "/usr/lib/jvm/17",
            "junit.jupiter.execution.parallel.enabled", "true",
            "spring.profiles.active", "ci",
            "shadowed", "from the host");

    private final Map<String, String> launcher = Map.of(
            "junit.jupiter.displayname.generator.default", "org.junit.jupiter.api.DisplayNameGenerator$Simple",
            "spring.test.constructor.autowire.mode", "all",
            "shadowed", "from the launcher",
            "microvm.sandbox.memory", "1g");

    @Test
    void passesTheLaunchersParametersAndJUnitsSystemPropertiesOnly() {
        Map<String, String> forwarded = GuestConfiguration.from(
                union(),
                key -> Optional.ofNullable(launcher.getOrDefault(key, systemProperties.get(key))),
                systemProperties::get);

        assertThat(forwarded)
                .containsExactly(
                        Map.entry(
                                "junit.jupiter.displayname.generator.default",
                                "org.junit.jupiter.api.DisplayNameGenerator$Simple"),
                        Map.entry("junit.jupiter.execution.parallel.enabled", "true"),
                        Map.entry("shadowed", "from the launcher"),
                        Map.entry("spring.test.constructor.autowire.mode", "all"));
    }

    @Test
    void staysWithinWhatOneMessageCarries() {
        Map<String, String> forwarded = GuestConfiguration.from(
                java.util.stream.IntStream.range(0, 100)
                        .mapToObj(i -> "junit.p" + i)
                        .collect(java.util.stream.Collectors.toSet()),
                key -> Optional.of("x".repeat(1024)),
                key -> null);

        assertThat(forwarded).hasSizeBetween(50, 64);
        assertThat(forwarded.entrySet().stream()
                        .mapToInt(e -> e.getKey().length() + e.getValue().length())
                        .sum())
                .isLessThanOrEqualTo(GuestConfiguration.MAX_CHARACTERS);
    }

    private java.util.Set<String> union() {
        java.util.Set<String> keys = new java.util.HashSet<>(systemProperties.keySet());
        keys.addAll(launcher.keySet());
        return keys;
    }
}
