package com.example.hostile;

import dev.microvmsandbox.MicroVmSandbox;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.lang.reflect.Field;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Writes forged events and then garbage straight into the guest agent's own connection to the
 * host. On the engine path the test runs in the agent's JVM, so it can reach the port's open file
 * descriptor: it finds it in /proc/self/fd and wraps it with sun.misc.Unsafe, which needs no
 * --add-opens. On the fork path the test JVM is a process the agent started: it finds the port in the
 * agent's /proc/PID/fd and opens it there (the port opens once at a time). The host must keep the
 * forged events from other classes and cut the channel on the garbage, naming the protocol violation.
 */
@MicroVmSandbox(memory = "1g", timeout = "2m", isolation = MicroVmSandbox.Isolation.PER_CLASS)
class AgentChannelForgeryTest {

    @Test
    void writeIntoTheAgentsOwnChannel() throws Exception {
        FileOutputStream out;
        Optional<Integer> own = portDescriptor(Path.of("/proc/self/fd"));
        if (own.isPresent()) {
            // the engine path: the test runs in the agent's own JVM
            Host.report("agent's port is fd " + own.get() + " of this JVM");
            out = new FileOutputStream(descriptor(own.get()));
        } else {
            // the fork path: the test JVM is a process the agent started; the port is the agent's
            Path held = heldByAnotherProcess();
            Host.report("agent's port is held as " + held);
            try {
                out = new FileOutputStream(held.toFile());
            } catch (IOException e) {
                Host.report("agent channel refused: " + e.getMessage());
                return;
            }
        }
        byte[] garbage = new byte[64 << 10];
        new SecureRandom().nextBytes(garbage);
        out.write(ChannelForgeryTest.forgedFrames());
        out.write(garbage);
        out.flush();
        Host.report("wrote forged frames and " + garbage.length + " bytes of garbage into the agent's channel");
        // the host is expected to cut this sandbox off before this ends
        Thread.sleep(60_000);
    }

    /** Another process's descriptor of the port, as /proc/PID/fd/N. */
    private static Path heldByAnotherProcess() throws IOException {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>)
                    procs.filter(p -> p.getFileName().toString().matches("\\d+"))::iterator) {
                try {
                    Optional<Integer> fd = portDescriptor(p.resolve("fd"));
                    if (fd.isPresent()) {
                        return p.resolve("fd").resolve(Integer.toString(fd.get()));
                    }
                } catch (IOException e) {
                    // a process that ended meanwhile
                }
            }
        }
        throw new IllegalStateException("no process of the guest holds the agent's port");
    }

    /** The descriptor, in a /proc/PID/fd folder, of the open virtio-serial port whose sysfs name is msb.0. */
    private static Optional<Integer> portDescriptor(Path fdFolder) throws IOException {
        try (Stream<Path> fds = Files.list(fdFolder)) {
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
                    return Optional.of(Integer.parseInt(link.getFileName().toString()));
                }
            }
        }
        return Optional.empty();
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
