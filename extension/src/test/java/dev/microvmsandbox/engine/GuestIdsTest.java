package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.platform.engine.UniqueId;

class GuestIdsTest {

    private static final String GUEST = "[engine:junit-jupiter]/[class:com.example.FooTest]/[nested-class:Inner]"
            + "/[test-template:bar(int)]/[test-template-invocation:#1]";

    @Test
    void onlyTheEngineSegmentDiffers() {
        UniqueId host = GuestIds.toHost(GUEST);

        assertThat(host).hasToString(GUEST.replace("[engine:junit-jupiter]", "[engine:microvm-sandbox]"));
        assertThat(GuestIds.toGuest(host)).isEqualTo(GUEST);
    }

    @Test
    void rejectsWhatIsNotAJupiterId() {
        assertThatThrownBy(() -> GuestIds.toHost(null)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GuestIds.toHost("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GuestIds.toHost("no segments")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> GuestIds.toHost("[engine:junit-vintage]/[runner:x]"))
                .hasMessageContaining("another engine");
        assertThatThrownBy(() -> GuestIds.toHost("[class:x]")).hasMessageContaining("another engine");
        assertThatThrownBy(() -> GuestIds.toHost("[engine:junit-jupiter]" + "/[a:b]".repeat(40)))
                .hasMessageContaining("segments");
        assertThatThrownBy(() -> GuestIds.toHost("[engine:junit-jupiter]/[class:" + "x".repeat(5000) + "]"))
                .hasMessageContaining("longer");
    }
}
