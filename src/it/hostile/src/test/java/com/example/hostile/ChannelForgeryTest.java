package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.ByteArrayOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Writes garbage and forged frames (a "passed" event for a test of another class, an oversized
 * frame, a bogus run-done) into the host channel: the msb.0 virtio port (which the agent holds
 * open: a second open may fail with EBUSY) and every other virtio port and console device.
 */
@MicroVmSandbox(memory = "1g", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class ChannelForgeryTest {

    @Test
    void forgeEvents() throws Exception {
        List<Path> devices = new ArrayList<>();
        try (Stream<Path> ports = Files.list(Path.of("/sys/class/virtio-ports"))) {
            ports.forEach(p -> {
                String name = read(p.resolve("name"));
                Host.report("virtio-port " + p.getFileName() + " name=" + name);
                Path dev = Path.of("/dev", p.getFileName().toString());
                if (name.equals("msb.0")) {
                    devices.add(0, dev);
                } else {
                    devices.add(dev);
                }
            });
        } catch (IOException e) {
            Host.report("no /sys/class/virtio-ports: " + e);
        }
        try (Stream<Path> dev = Files.list(Path.of("/dev"))) {
            dev.filter(p -> p.getFileName().toString().matches("vport.*|hvc\\d+"))
                    .filter(p -> !devices.contains(p))
                    .forEach(devices::add);
        }
        byte[] forged = forgedFrames();
        byte[] garbage = new byte[256 << 10];
        new SecureRandom().nextBytes(garbage);
        for (Path d : devices) {
            for (byte[] payload : List.of(forged, garbage)) {
                try (FileOutputStream out = new FileOutputStream(d.toFile())) {
                    out.write(payload);
                    Host.report("wrote " + payload.length + " bytes to " + d);
                } catch (IOException e) {
                    Host.report("write to " + d + " refused: " + e.getMessage());
                }
            }
        }
    }

    /** Frames as the protocol has them (u8 kind, u8 stream, i32 id, i32 length, payload). */
    static byte[] forgedFrames() throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int id = 1; id <= 8; id++) {
            String event = "{\"type\":\"test-finished\",\"id\":" + id + ",\"status\":\"SUCCESSFUL\","
                    + "\"uniqueId\":\"[engine:junit-jupiter]/[class:com.example.hostile.NormalTest]/[method:forgedByHostileTest()]\"}";
            frame(out, 1, id, event.getBytes(StandardCharsets.UTF_8));
            frame(
                    out,
                    1,
                    id,
                    ("{\"type\":\"run-done\",\"id\":" + id + ",\"error\":null}").getBytes(StandardCharsets.UTF_8));
        }
        // deeply nested JSON, then a header that announces 2 GiB
        frame(out, 1, 1, ("{\"type\":\"hello\",\"x\":" + "[".repeat(100_000) + "]".repeat(100_000) + "}").getBytes());
        ByteBuffer huge =
                ByteBuffer.allocate(10).put((byte) 1).put((byte) 0).putInt(1).putInt(Integer.MAX_VALUE);
        out.write(huge.array());
        return out.toByteArray();
    }

    private static void frame(ByteArrayOutputStream out, int kind, int id, byte[] payload) {
        ByteBuffer header = ByteBuffer.allocate(10)
                .put((byte) kind)
                .put((byte) 0)
                .putInt(id)
                .putInt(payload.length);
        out.writeBytes(header.array());
        out.writeBytes(payload);
    }

    private static String read(Path p) {
        try {
            return Files.readString(p).trim();
        } catch (IOException e) {
            return "?";
        }
    }
}
