package dev.microvmsandbox.engine;

import static org.assertj.core.api.Assertions.assertThat;

import dev.microvmsandbox.WaitBounds;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.platform.engine.ConfigurationParameters;

class ClassSchedulerTest {

    private static final long GIB = 1L << 30;

    @Test
    void runsOneAfterAnotherUnlessParallelIsOn() {
        assertThat(ClassScheduler.from(parameters(Map.of())).maxParallel()).isEqualTo(1);
        assertThat(ClassScheduler.from(parameters(Map.of(ClassScheduler.MAX_SANDBOXES, "3")))
                        .maxParallel())
                .isEqualTo(1);
        assertThat(ClassScheduler.from(
                                parameters(Map.of(ClassScheduler.ENABLED, "true", ClassScheduler.MAX_SANDBOXES, "3")))
                        .maxParallel())
                .isEqualTo(3);
    }

    @Test
    void followsJupitersSwitchUnlessItsOwnIsSet() {
        assertThat(ClassScheduler.from(parameters(
                                Map.of(ClassScheduler.JUPITER_ENABLED, "true", ClassScheduler.MAX_SANDBOXES, "2")))
                        .maxParallel())
                .isEqualTo(2);
        assertThat(ClassScheduler.from(parameters(Map.of(
                                ClassScheduler.JUPITER_ENABLED,
                                "true",
                                ClassScheduler.ENABLED,
                                "false",
                                ClassScheduler.MAX_SANDBOXES,
                                "2")))
                        .maxParallel())
                .isEqualTo(1);
    }

    @Test
    void aWrongValueIsAProblemThatNamesTheParameterAndARightValue() {
        assertThat(ClassScheduler.from(parameters(Map.of(ClassScheduler.ENABLED, "yes")))
                        .problem())
                .hasValueSatisfying(p ->
                        assertThat(p).contains(ClassScheduler.ENABLED + "=yes").contains("=true"));
        assertThat(ClassScheduler.from(
                                parameters(Map.of(ClassScheduler.ENABLED, "true", ClassScheduler.MAX_SANDBOXES, "0")))
                        .problem())
                .hasValueSatisfying(p -> assertThat(p)
                        .contains(ClassScheduler.MAX_SANDBOXES + "=0")
                        .contains("=2"));
        assertThat(ClassScheduler.from(parameters(Map.of())).problem()).isEmpty();
    }

    @Test
    void runsClassesAtOnceUpToTheLimit() {
        ClassScheduler scheduler = new ClassScheduler(2, () -> 64 * GIB, null);
        CountDownLatch bothIn = new CountDownLatch(2);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        scheduler.run(List.of("a", "b", "c", "d"), c -> GIB, c -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            threads.add(Thread.currentThread().getName());
            bothIn.countDown();
            await(bothIn);
            inside.decrementAndGet();
        });
        assertThat(most.get()).isEqualTo(2);
        assertThat(threads).allMatch(n -> n.startsWith("microvm-sandbox-class-"));
    }

    @Test
    void aClassWaitsWhileItsMemoryDoesNotFit() {
        // 3 GiB budget once the host's reserve is taken: two 2 GiB VMs never run together
        ClassScheduler scheduler = new ClassScheduler(4, () -> 4 * GIB, null);
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger most = new AtomicInteger();
        scheduler.run(List.of("a", "b", "c"), c -> 2 * GIB, c -> {
            most.accumulateAndGet(inside.incrementAndGet(), Math::max);
            sleep();
            inside.decrementAndGet();
        });
        assertThat(most.get()).isEqualTo(1);
    }

    @Test
    void aClassBiggerThanTheBudgetStillRunsAlone() {
        ClassScheduler scheduler = new ClassScheduler(2, () -> 2 * GIB, null);
        List<String> ran = new java.util.concurrent.CopyOnWriteArrayList<>();
        scheduler.run(List.of("big", "small"), c -> c.equals("big") ? 8 * GIB : GIB, ran::add);
        assertThat(ran).containsExactlyInAnyOrder("big", "small");
    }

    private static void await(CountDownLatch latch) {
        try {
            assertThat(latch.await(WaitBounds.HOST_STEP.toMillis(), TimeUnit.MILLISECONDS))
                    .as("both classes ran at once")
                    .isTrue();
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    static ConfigurationParameters parameters(Map<String, String> values) {
        return new ConfigurationParameters() {
            @Override
            public Optional<String> get(String key) {
                return Optional.ofNullable(values.get(key));
            }

            @Override
            public Optional<Boolean> getBoolean(String key) {
                return get(key).map(Boolean::parseBoolean);
            }

            @Override
            @SuppressWarnings("deprecation")
            public int size() {
                return values.size();
            }

            @Override
            public Set<String> keySet() {
                return values.keySet();
            }
        };
    }
}
