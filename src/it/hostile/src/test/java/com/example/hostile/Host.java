package com.example.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/** What the attacks aim at (host paths and the listener's port, written by the trusted setup) and small helpers. */
final class Host {

    private static final Properties PROPS = new Properties();

    static {
        try (InputStream in = Host.class.getResourceAsStream("/hostile.properties")) {
            if (in != null) {
                PROPS.load(in);
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private Host() {}

    static String get(String key) {
        String v = PROPS.getProperty(key);
        if (v == null) {
            throw new IllegalStateException("hostile.properties has no " + key + " (did the setup run?)");
        }
        return v;
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /** The file's hash, or what stopped us reading it. */
    static String hashOf(Path f) {
        try {
            return sha256(Files.readAllBytes(f));
        } catch (IOException | RuntimeException e) {
            return "unreadable(" + e.getClass().getSimpleName() + ": " + e.getMessage() + ")";
        }
    }

    /** Runs {@code sh -c script}; returns exit code and the first 4 KiB of combined output. */
    static String sh(String script, long seconds) throws Exception {
        Process p = new ProcessBuilder(List.of("sh", "-c", script))
                .redirectErrorStream(true)
                .start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            byte[] b = new byte[8192];
            try (InputStream in = p.getInputStream()) {
                for (int n; (n = in.read(b)) > 0; ) {
                    synchronized (out) {
                        if (out.size() < 4096) {
                            out.write(b, 0, Math.min(n, 4096 - out.size()));
                        }
                    }
                }
            } catch (IOException ignored) {
                // process gone
            }
        });
        reader.setDaemon(true);
        reader.start();
        boolean done = p.waitFor(seconds, TimeUnit.SECONDS);
        if (!done) {
            p.destroyForcibly();
        }
        reader.join(2000);
        synchronized (out) {
            return (done ? "exit=" + p.exitValue() : "still-running-after-" + seconds + "s") + " output="
                    + out.toString(StandardCharsets.UTF_8).trim();
        }
    }

    static void report(String what) {
        System.out.println("HOSTILE " + what);
    }
}
