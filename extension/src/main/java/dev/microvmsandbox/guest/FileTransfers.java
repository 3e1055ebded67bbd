package dev.microvmsandbox.guest;

import dev.microvmsandbox.channel.Channel;
import dev.microvmsandbox.channel.Frame;
import dev.microvmsandbox.channel.Message;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.EnumSet;
import java.util.Set;

/** Writes files the host sends and sends files the host asks for. */
final class FileTransfers {

    private final Channel channel;

    FileTransfers(Channel channel) {
        this.channel = channel;
    }

    /** Called on the channel's reader thread, so the route exists before the file's data arrives. */
    void receive(Message.PutFile put) {
        Path target = Path.of(put.path());
        OutputStream out;
        try {
            if (target.getParent() != null) {
                Files.createDirectories(target.getParent());
            }
            out = Files.newOutputStream(target);
        } catch (IOException e) {
            reply(new Message.FileDone(put.id(), 0, e.toString()));
            channel.route(put.id(), message -> {});
            return;
        }
        channel.route(put.id(), new Channel.Receiver() {
            long written;
            String error;

            @Override
            public void message(Message message) {}

            @Override
            public void data(int stream, byte[] bytes) {
                if (error != null) {
                    return;
                }
                try {
                    out.write(bytes);
                    written += bytes.length;
                } catch (IOException e) {
                    error = e.toString();
                }
            }

            @Override
            public void end(int stream) {
                try {
                    out.close();
                    Files.setPosixFilePermissions(target, permissions(put.mode()));
                } catch (IOException e) {
                    error = error == null ? e.toString() : error;
                }
                channel.unroute(put.id());
                reply(new Message.FileDone(put.id(), written, error));
            }

            @Override
            public void closed(String reason) {
                try {
                    out.close();
                } catch (IOException ignored) {
                    // the channel is gone
                }
            }
        });
    }

    void send(Message.GetFile get) {
        Thread t = new Thread(
                () -> {
                    Path source = Path.of(get.path());
                    long sent = 0;
                    String error = null;
                    try (InputStream in = Files.newInputStream(source)) {
                        byte[] buf = new byte[64 * 1024];
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            sent += n;
                            if (sent > get.maxBytes()) {
                                error = source + " is larger than " + get.maxBytes() + " bytes";
                                break;
                            }
                            channel.sendData(get.id(), Frame.Stream.FILE, buf, 0, n);
                        }
                    } catch (IOException e) {
                        error = e.toString();
                    }
                    reply(new Message.FileDone(get.id(), sent, error));
                },
                "get-file-" + get.id());
        t.setDaemon(true);
        t.start();
    }

    private static Set<PosixFilePermission> permissions(int mode) {
        Set<PosixFilePermission> set = EnumSet.noneOf(PosixFilePermission.class);
        PosixFilePermission[] order = {
            PosixFilePermission.OTHERS_EXECUTE, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_READ,
            PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_READ,
            PosixFilePermission.OWNER_EXECUTE, PosixFilePermission.OWNER_WRITE, PosixFilePermission.OWNER_READ
        };
        for (int bit = 0; bit < order.length; bit++) {
            if ((mode & (1 << bit)) != 0) {
                set.add(order[bit]);
            }
        }
        return set;
    }

    private void reply(Message message) {
        try {
            channel.send(message);
        } catch (IOException e) {
            // the host is gone
        }
    }
}
