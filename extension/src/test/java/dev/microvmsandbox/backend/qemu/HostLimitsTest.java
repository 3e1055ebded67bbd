package dev.microvmsandbox.backend.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class HostLimitsTest {

    @Test
    void guestTextIsCutShortAndCleanedOfControlCharacters() {
        assertThat(HostLimits.guestText("mount: bad\u001b[2J\rline\nnext \u0000"))
                .isEqualTo("mount: bad[2Jline\nnext");
        assertThat(HostLimits.guestText("x".repeat(100_000)))
                .hasSize(HostLimits.MAX_GUEST_TEXT + 3)
                .endsWith("...");
        assertThat(HostLimits.guestText(null)).isEqualTo("(nothing)");
    }
}
