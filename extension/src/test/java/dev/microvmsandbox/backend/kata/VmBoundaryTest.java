package dev.microvmsandbox.backend.kata;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VmBoundaryTest {

    @ParameterizedTest
    @ValueSource(
            strings = {
                "io.containerd.kata.v2",
                "kata",
                "kata-qemu",
                "kata-clh",
                "io.containerd.kata-fc.v2",
                "aws.firecracker",
                "krun"
            })
    void kataFirecrackerAndLibkrunRuntimesAreVms(String runtime) {
        assertThat(VmBoundary.of(runtime).vm()).isTrue();
        assertThat(VmBoundary.of(runtime).describe()).contains("a VM with its own kernel", runtime);
    }

    @ParameterizedTest
    @ValueSource(strings = {"runc", "crun", "youki", "runsc", "io.containerd.runc.v2", "gvisor", ""})
    void runtimesSharingOrEmulatingTheHostKernelAreNot(String runtime) {
        VmBoundary boundary = VmBoundary.of(runtime);
        assertThat(boundary.vm()).isFalse();
        assertThat(boundary.refusal(
                        "microvm.sandbox.kata.runtime", "microvm.sandbox.kata.runtime=io.containerd.kata.v2"))
                .contains("is not a VM runtime")
                .contains("no VM boundary")
                .contains("microvm.sandbox.kata.runtime=io.containerd.kata.v2")
                .contains(VmBoundary.ALLOW_SETTING + "=true");
        assertThat(boundary.describe()).startsWith("boundary: NONE");
    }
}
