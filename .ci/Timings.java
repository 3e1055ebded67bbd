import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.w3c.dom.Element;

/**
 * Prints how long each VM integration-test class (Failsafe's reports) and each Invoker project
 * (the Invoker's build reports) took, longest first, so a run's time budget can be read off.
 * Run with the JDK's source launcher from the repository: {@code java .ci/Timings.java [repo]}.
 * Prints what it finds and says what it did not; never fails the build.
 */
public final class Timings {

    record Row(String name, double seconds, String result) {}

    public static void main(String[] args) throws Exception {
        Path repo = Path.of(args.length > 0 ? args[0] : ".");
        print(
                "VM integration-test classes (extension, Failsafe)",
                read(repo.resolve("extension/target/failsafe-reports"), "TEST-*.xml", Timings::suite));
        print(
                "Invoker projects (integration-tests)",
                read(repo.resolve("integration-tests/target/invoker-reports"), "BUILD-*.xml", Timings::buildJob));
    }

    /** Failsafe: {@code <testsuite name=... time=... tests=... failures=... errors=... skipped=...>}. */
    private static Row suite(Element root) {
        int problems = count(root, "failures") + count(root, "errors");
        String result = problems > 0 ? problems + " failed" : count(root, "tests") + " passed";
        if (count(root, "skipped") > 0) {
            result += ", " + count(root, "skipped") + " skipped";
        }
        String name = root.getAttribute("name");
        return new Row(name.substring(name.lastIndexOf('.') + 1), seconds(root.getAttribute("time")), result);
    }

    /** Invoker: {@code <build-job project=... result=... time=...>}. */
    private static Row buildJob(Element root) {
        String project = root.getAttribute("project");
        String name = project.isEmpty() ? root.getAttribute("name") : project.replaceAll("/pom\\.xml$", "");
        return new Row(name, seconds(root.getAttribute("time")), root.getAttribute("result"));
    }

    private interface Reading {
        Row of(Element root);
    }

    private static List<Row> read(Path folder, String glob, Reading reading) throws IOException {
        List<Row> rows = new ArrayList<>();
        if (!Files.isDirectory(folder)) {
            return rows;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(folder, glob)) {
            for (Path file : files) {
                try {
                    var factory = DocumentBuilderFactory.newInstance();
                    factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
                    rows.add(reading.of(factory.newDocumentBuilder().parse(file.toFile()).getDocumentElement()));
                } catch (Exception e) {
                    rows.add(new Row(file.getFileName().toString(), 0, "unreadable: " + e.getMessage()));
                }
            }
        }
        rows.sort((a, b) -> Double.compare(b.seconds(), a.seconds()));
        return rows;
    }

    private static void print(String title, List<Row> rows) {
        System.out.println("timings: " + title + ":");
        if (rows.isEmpty()) {
            System.out.println("timings:   none (did that part run?)");
            return;
        }
        double total = 0;
        for (Row row : rows) {
            System.out.printf("timings:   %7.1f s  %-40s %s%n", row.seconds(), row.name(), row.result());
            total += row.seconds();
        }
        System.out.printf("timings:   %7.1f s  in all%n", total);
    }

    private static int count(Element root, String attribute) {
        String value = root.getAttribute(attribute);
        return value.isEmpty() ? 0 : Integer.parseInt(value.trim());
    }

    private static double seconds(String text) {
        try {
            return text.isEmpty() ? 0 : Double.parseDouble(text.trim().replace(",", ""));
        } catch (NumberFormatException e) {
            return 0;
        }
    }
}
