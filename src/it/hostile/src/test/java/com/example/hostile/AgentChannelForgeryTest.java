package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Writes forged events and then garbage straight into the guest agent's own connection to the
 * host. The test runs in the agent's JVM, so it can reach the port's open file descriptor: it
 * finds it in /proc/self/fd and wraps it with sun.misc.Unsafe, which needs no --add-opens. The
 * host must keep the forged events from other classes and cut the channel on the garbage, naming
 * the protocol violation.
 */
@MicroVmSandbox(memory = "1g", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class AgentChannelForgeryTest {

    @Test
    void writeIntoTheAgentsOwnChannel() throws Exception {
        int fd = agentPortDescriptor();
        Host.report("agent's port is fd " + fd);
        byte[] garbage = new byte[64 << 10];
        new SecureRandom().nextBytes(garbage);
        FileOutputStream out = new FileOutputStream(descriptor(fd));
        out.write(ChannelForgeryTest.forgedFrames());
        out.write(garbage);
        out.flush();
        Host.report("wrote forged frames and " + garbage.length + " bytes of garbage into the agent's channel");
        // the host is expected to cut this sandbox off before this ends
        Thread.sleep(60_000);
    }

    /** The descriptor of the open virtio-serial port whose sysfs name is msb.0. */
    private static int agentPortDescriptor() throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path link : (Iterable<Path>) fds::iterator) {
                Path target;
                try {
                    target = Files.readSymbolicLink(link);
                } catch (IOException e) {
                    continue;
                }
                String dev =
                        target.getFileName() == null ? "" : target.getFileName().toString();
                Path name = Path.of("/sys/class/virtio-ports", dev, "name");
                if (dev.startsWith("vport")
                        && Files.isReadable(name)
                        && Files.readString(name).trim().equals("msb.0")) {
                    return Integer.parseInt(link.getFileName().toString());
                }
            }
        }
        throw new IllegalStateException("the agent's port is not among this JVM's open files");
    }

    private static FileDescriptor descriptor(int fd) throws ReflectiveOperationException {
        Class<?> unsafeClass = Class.forName("sun.misc.Unsafe");
        Field theUnsafe = unsafeClass.getDeclaredField("theUnsafe");
        theUnsafe.setAccessible(true);
        Object unsafe = theUnsafe.get(null);
        long offset = (long) unsafeClass
                .getMethod("objectFieldOffset", Field.class)
                .invoke(unsafe, FileDescriptor.class.getDeclaredField("fd"));
        FileDescriptor d = new FileDescriptor();
        unsafeClass.getMethod("putInt", Object.class, long.class, int.class).invoke(unsafe, d, offset, fd);
        return d;
    }
}
