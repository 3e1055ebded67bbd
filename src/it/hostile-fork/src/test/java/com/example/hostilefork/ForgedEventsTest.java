package com.example.hostilefork;

import java.io.ByteArrayOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Writes Surefire fork events of its own making to the JVM's raw stdout, which the plugin on the host
 * reads as the fork's event stream: a whole test class whose name climbs out of the reports folder,
 * a class name with a line break, a test event without a run id (which Surefire's decoder fails on),
 * a string that claims to be 2 GiB, and plain garbage. The launcher drops what is not the protocol's
 * shape; the plugin must write no file outside its reports folder.
 */
class ForgedEventsTest {

    static final String ESCAPING_NAME = "../../../../../../../../../../tmp/msb-hostile-fork-evil";

    @Test
    void forgesEventsOnTheRawStdout() throws IOException {
        // the event shapes differ by Surefire version: 3.6 added a qualified name to test events and a
        // second string to output events
        boolean qualifiedName = hasMethod("org.apache.maven.surefire.api.report.ReportEntry", "getSourceQualifiedName");
        FileOutputStream raw = new FileOutputStream(FileDescriptor.out);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write("garbage written past System.out by a hostile test\n".getBytes(StandardCharsets.UTF_8));
        out.write(testEvent("testset-starting", ESCAPING_NAME, qualifiedName));
        out.write(testEvent("test-starting", ESCAPING_NAME, qualifiedName));
        out.write(testEvent("test-succeeded", ESCAPING_NAME, qualifiedName));
        out.write(testEvent("testset-completed", ESCAPING_NAME, qualifiedName));
        out.write(testEvent("testset-starting", "com.example.Forged\nName", qualifiedName));
        out.write(testEvent("test-starting", "com.example.ForgedWithoutRunId", qualifiedName, false));
        out.write(header("console-warning-log"));
        out.write(segment("UTF-8"));
        out.write(ByteBuffer.allocate(4).putInt(Integer.MAX_VALUE).array());
        out.write(":not really 2 GiB".getBytes(StandardCharsets.US_ASCII));
        raw.write(out.toByteArray());
        raw.flush();
        Marker.recordWhereItRuns();
    }

    private static boolean hasMethod(String className, String method) {
        try {
            Class.forName(className).getMethod(method);
            return true;
        } catch (ReflectiveOperationException e) {
            return false;
        }
    }

    private static byte[] testEvent(String opcode, String sourceName, boolean qualifiedName) throws IOException {
        return testEvent(opcode, sourceName, qualifiedName, true);
    }

    private static byte[] testEvent(String opcode, String sourceName, boolean qualifiedName, boolean runId)
            throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(header(opcode));
        out.write(segment("normal-run"));
        // a run id of its own, so the plugin takes the forged class for another test run
        out.write(runId ? new byte[] {1, 0, 0, 0, 0, 0, 0, 0x7f, 0x7f, ':'} : new byte[] {0, ':'});
        out.write(segment("UTF-8"));
        out.write(string(sourceName));
        out.write(string(sourceName));
        if (qualifiedName) {
            out.write(string(sourceName));
        }
        out.write(string(opcode.startsWith("testset") ? null : "forgedTest"));
        out.write(string(null));
        out.write(string(null));
        out.write(string(null));
        out.write(new byte[] {(byte) 0xff, 0, 0, 0, 1, ':'});
        out.write(string(null));
        out.write(string(null));
        out.write(string(null));
        return out.toByteArray();
    }

    private static byte[] header(String opcode) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(":maven-surefire-event:".getBytes(StandardCharsets.US_ASCII));
        out.write(segment(opcode));
        return out.toByteArray();
    }

    private static byte[] segment(String ascii) {
        byte[] b = ascii.getBytes(StandardCharsets.US_ASCII);
        ByteBuffer buf = ByteBuffer.allocate(b.length + 3);
        buf.put((byte) b.length).put((byte) ':').put(b).put((byte) ':');
        return buf.array();
    }

    private static byte[] string(String s) {
        byte[] b = s == null ? new byte[] {0} : s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(b.length + 6);
        buf.putInt(b.length).put((byte) ':').put(b).put((byte) ':');
        return buf.array();
    }
}
