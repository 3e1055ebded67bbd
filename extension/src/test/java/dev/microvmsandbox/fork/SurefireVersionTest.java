package dev.microvmsandbox.fork;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class SurefireVersionTest {

    private static SurefireVersion of(String jar) {
        return SurefireVersion.fromClasspath(List.of("junit-jupiter-5.14.4.jar", jar))
                .orElseThrow();
    }

    @Test
    void readsTheBooterJarsVersionAndTheEventShapesOfEach() {
        assertThat(of("surefire-booter-3.2.5.jar").testEventNameStrings()).isEqualTo(6);
        assertThat(of("surefire-booter-3.5.4.jar").outputStrings()).isEqualTo(1);
        assertThat(of("surefire-booter-3.6.0-M1.jar").outputStrings()).isEqualTo(2);
        assertThat(of("surefire-booter-3.6.0-M1.jar").testEventNameStrings()).isEqualTo(6);
        assertThat(of("surefire-booter-3.6.1.jar").testEventNameStrings()).isEqualTo(7);
        assertThat(of("surefire-booter-3.7.0-SNAPSHOT.jar").outputStrings()).isEqualTo(2);
        assertThat(of("surefire-booter-3.0.0.jar").supported()).isTrue();
        assertThat(of("surefire-booter-3.0.0-M9.jar").supported()).isFalse();
        assertThat(of("surefire-booter-2.22.2.jar").supported()).isFalse();
        assertThat(SurefireVersion.fromClasspath(List.of("surefire-api-3.5.4.jar")))
                .isEmpty();
    }
}
