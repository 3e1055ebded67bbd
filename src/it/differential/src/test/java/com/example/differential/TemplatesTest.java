package com.example.differential;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.DynamicContainer.dynamicContainer;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicNode;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.RepeatedTest;
import org.junit.jupiter.api.RepetitionInfo;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Tests registered only while the class runs: parameterized, repeated and dynamic. */
class TemplatesTest {

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void parameterized(int n) {
        assertNotEquals(2, n, "two is not welcome");
    }

    @ParameterizedTest(name = "{0} plus {1} is {2}")
    @CsvSource({"1, 1, 2", "2, 2, 5", "'a, b', 0, 0"})
    void parameterizedWithNamePattern(String a, int b, int sum) {
        if (a.contains(",")) return;
        assertEquals(sum, Integer.parseInt(a) + b);
    }

    @RepeatedTest(3)
    void repeated(RepetitionInfo info) {
        assertNotEquals(2, info.getCurrentRepetition(), "second repetition fails");
    }

    @RepeatedTest(value = 2, name = "{displayName} round {currentRepetition}")
    void repeatedWithName() {}

    @TestFactory
    Stream<DynamicTest> dynamicTests() {
        return List.of("a", "b", "c").stream()
                .map(s -> dynamicTest("dynamic " + s, () -> assertNotEquals("b", s, "dynamic b fails")));
    }

    @TestFactory
    List<DynamicNode> dynamicContainers() {
        return List.of(
                dynamicContainer(
                        "container one", List.of(dynamicTest("one passes", () -> {}), dynamicTest("one errors", () -> {
                            throw new IllegalStateException("dynamic boom");
                        }))),
                dynamicContainer(
                        "container two",
                        List.of(dynamicContainer("inner container", List.of(dynamicTest("deep passes", () -> {}))))));
    }
}
