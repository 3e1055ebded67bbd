package dev.microvmsandbox.backend.kata.docker;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The two host conditions, read from the texts the kernel gives (copied from real hosts). */
class HostEngineConditionsTest {

    private static final String HYBRID = """
            26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 26 0:25 / /sys/fs/cgroup rw,relatime shared:5 - tmpfs tmpfs rw,mode=755
            31 30 0:26 / /sys/fs/cgroup/unified rw,relatime shared:6 - cgroup2 cgroup2 rw
            32 30 0:27 / /sys/fs/cgroup/memory rw,relatime shared:7 - cgroup cgroup rw,memory
            """;
    private static final String UNIFIED = """
            26 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw
            30 26 0:25 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:5 - cgroup2 cgroup2 rw,nsdelegate
            """;
    private static final String LEGACY = """
            30 26 0:25 / /sys/fs/cgroup rw,relatime shared:5 - tmpfs tmpfs rw,mode=755
            32 30 0:27 / /sys/fs/cgroup/memory rw,relatime shared:7 - cgroup cgroup rw,memory
            """;
    private static final String CAPPED_LIMITS = """
            Limit                     Soft Limit           Hard Limit           Units
            Max processes             96362                96362                processes
            Max open files            20000                20000                files
            """;
    private static final String PLAIN_LIMITS = """
            Limit                     Soft Limit           Hard Limit           Units
            Max processes             unlimited            unlimited            processes
            Max open files            1024                 1048576              files
            """;
    /** Every capability but CAP_SYS_RESOURCE (bit 24), as root has it in some CI containers. */
    private static final String NO_SYS_RESOURCE = "Name:\tjava\nCapEff:\t000001fffeffffff\n";

    private static final String ALL_CAPS = "Name:\tjava\nCapEff:\t000001ffffffffff\n";

    @Test
    void hybridCgroupsAreNamedWithTheMountNamespaceFix() {
        String line = new HostEngineConditions(HYBRID, PLAIN_LIMITS, ALL_CAPS).cgroups();
        assertThat(line)
                .startsWith("WARN")
                .contains("hybrid")
                .contains("cgroups in hybrid mode not supported")
                .contains("umount /sys/fs/cgroup/unified");
    }

    @Test
    void unifiedAndLegacyCgroupsAreFine() {
        assertThat(new HostEngineConditions(UNIFIED, PLAIN_LIMITS, ALL_CAPS).cgroups())
                .startsWith("ok")
                .contains("cgroup v2");
        assertThat(new HostEngineConditions(LEGACY, PLAIN_LIMITS, ALL_CAPS).cgroups())
                .startsWith("ok")
                .contains("cgroup v1");
    }

    @Test
    void cappedRlimitsWithoutSysResourceAreNamedWithTheLimitsToAskFor() {
        HostEngineConditions host = new HostEngineConditions(UNIFIED, CAPPED_LIMITS, NO_SYS_RESOURCE);
        assertThat(host.rlimits())
                .startsWith("WARN")
                .contains("nofile 20000, nproc 96362")
                .contains("default_ulimits = [\"nofile=20000:20000\", \"nproc=96362:96362\"]")
                .contains("setrlimit RLIMIT_NOFILE: Operation not permitted");
        assertThat(host.anyFound()).isTrue();
    }

    @Test
    void lowLimitsThatRootMayRaiseAreFine() {
        assertThat(new HostEngineConditions(UNIFIED, CAPPED_LIMITS, ALL_CAPS).rlimits())
                .startsWith("ok")
                .contains("CAP_SYS_RESOURCE");
        assertThat(new HostEngineConditions(UNIFIED, PLAIN_LIMITS, NO_SYS_RESOURCE).rlimits())
                .startsWith("ok");
        assertThat(new HostEngineConditions(UNIFIED, PLAIN_LIMITS, ALL_CAPS).anyFound())
                .isFalse();
    }
}
