package dev.microvmsandbox.bench;

/** The same class again, so the second run in the same VM shows the overhead without the boot. */
public class TrivialBenchFixtureAgain extends TrivialBenchFixture {}
