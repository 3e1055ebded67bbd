package dev.microvmsandbox.fork;

import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Surefire (or Failsafe) version that forked a JVM, read from the {@code surefire-booter} jar on
 * its class path, and what it means for the event stream: from 3.0.0 every event carries a run mode
 * and test run id; from 3.6.0-M1 output events carry a second string (a call stack); after 3.6.0-M1
 * test events carry one string more (the source's qualified name).
 */
record SurefireVersion(int major, int minor, int patch, int milestone) implements Comparable<SurefireVersion> {

    /** The oldest version whose event stream the launcher can check. */
    static final SurefireVersion OLDEST = new SurefireVersion(3, 0, 0, Integer.MAX_VALUE);

    private static final SurefireVersion FIRST_WITH_OUTPUT_STACK = new SurefireVersion(3, 6, 0, 1);
    private static final SurefireVersion LAST_WITHOUT_QUALIFIED_NAME = new SurefireVersion(3, 6, 0, 1);
    private static final Pattern BOOTER_JAR =
            Pattern.compile("surefire-booter-(\\d+)\\.(\\d+)(?:\\.(\\d+))?(?:-M(\\d+))?(?:-SNAPSHOT)?\\.jar");

    /** The version of the {@code surefire-booter-X.jar} among the file names, if one is there. */
    static Optional<SurefireVersion> fromClasspath(List<String> fileNames) {
        for (String name : fileNames) {
            Matcher m = BOOTER_JAR.matcher(name);
            if (m.matches()) {
                return Optional.of(new SurefireVersion(
                        Integer.parseInt(m.group(1)),
                        Integer.parseInt(m.group(2)),
                        m.group(3) == null ? 0 : Integer.parseInt(m.group(3)),
                        m.group(4) == null ? Integer.MAX_VALUE : Integer.parseInt(m.group(4))));
            }
        }
        return Optional.empty();
    }

    /** How many strings a test event carries before its elapsed time. */
    int testEventNameStrings() {
        return compareTo(LAST_WITHOUT_QUALIFIED_NAME) > 0 ? 7 : 6;
    }

    /** How many strings an output event carries. */
    int outputStrings() {
        return compareTo(FIRST_WITH_OUTPUT_STACK) >= 0 ? 2 : 1;
    }

    boolean supported() {
        return compareTo(OLDEST) >= 0;
    }

    @Override
    public int compareTo(SurefireVersion o) {
        int c = Integer.compare(major, o.major);
        c = c != 0 ? c : Integer.compare(minor, o.minor);
        c = c != 0 ? c : Integer.compare(patch, o.patch);
        // a milestone comes before its release, which has no milestone (MAX_VALUE)
        return c != 0 ? c : Integer.compare(milestone, o.milestone);
    }

    @Override
    public String toString() {
        return major + "." + minor + "." + patch + (milestone == Integer.MAX_VALUE ? "" : "-M" + milestone);
    }
}
