package dev.microvmsandbox.containerimage;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.command.InspectImageResponse;
import com.github.dockerjava.api.exception.DockerException;
import com.github.dockerjava.api.exception.NotFoundException;
import com.github.dockerjava.core.DefaultDockerClientConfig;
import com.github.dockerjava.core.DockerClientConfig;
import com.github.dockerjava.core.DockerClientImpl;
import com.github.dockerjava.transport.DockerHttpClient;
import com.github.dockerjava.zerodep.ZerodepDockerHttpClient;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A container engine on the host (Docker or podman) reached through its Docker API with
 * docker-java, used only to find an image by name and export it as a docker-archive.
 *
 * <p>Every answer is read with a bound: API answers and error bodies up to
 * {@link #MAX_ANSWER_BYTES}, an export up to what the caller allows (the image's size plus slack).
 */
final class ContainerEngineExport implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ContainerEngineExport.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    static final long MAX_ANSWER_BYTES = 4L << 20;
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    /** Podman writes the whole export to a temporary file before the first byte; allow for a big image. */
    private static final Duration RESPONSE_TIMEOUT = Duration.ofMinutes(10);

    /** What {@link #inspect} learns: the content id (the cache key) and the uncompressed size. */
    record Image(String id, long size) {}

    private final String endpoint;
    private final Path socketFile;
    private final DockerClient client;

    private ContainerEngineExport(String endpoint, Path socketFile) {
        this.endpoint = endpoint;
        this.socketFile = socketFile;
        // built from the endpoint alone: the user's ~/.docker-java.properties, DOCKER_* variables
        // and docker contexts must not send an export somewhere other than what the error lists
        DockerClientConfig config = new DefaultDockerClientConfig.Builder()
                .withDockerHost(endpoint)
                .withDockerTlsVerify(false)
                .build();
        DockerHttpClient http = new BoundedAnswers(new ZerodepDockerHttpClient.Builder()
                .dockerHost(config.getDockerHost())
                .maxConnections(2)
                .connectionTimeout(CONNECT_TIMEOUT)
                .responseTimeout(RESPONSE_TIMEOUT)
                .build());
        // closing the client closes the transport too
        this.client = DockerClientImpl.getInstance(config, http);
    }

    /**
     * A client for {@code unix:///path} or {@code tcp://host:port}; connects on first use.
     *
     * @throws IllegalArgumentException for any other endpoint, or a TLS one (which would need
     *                                  client certificates this library does not read)
     */
    static ContainerEngineExport of(String endpoint, Map<String, String> env) {
        if (endpoint.startsWith("unix://")) {
            String path = endpoint.substring("unix://".length());
            if (path.isEmpty()) {
                throw new IllegalArgumentException("no socket path");
            }
            return new ContainerEngineExport(endpoint, Path.of(path));
        }
        if (endpoint.startsWith("tcp://")) {
            URI u;
            try {
                u = URI.create(endpoint);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("not a URI: " + e.getMessage());
            }
            if (u.getHost() == null) {
                throw new IllegalArgumentException("no host in " + endpoint);
            }
            if ("1".equals(env.get("DOCKER_TLS_VERIFY")) || u.getPort() == 2376) {
                throw new IllegalArgumentException("TLS endpoints are not supported; export the image with "
                        + "`docker save` and use docker-archive:PATH");
            }
            return new ContainerEngineExport(
                    u.getPort() < 0 ? endpoint.replaceFirst("/*$", "") + ":2375" : endpoint, null);
        }
        throw new IllegalArgumentException("unsupported endpoint (want unix:// or tcp://)");
    }

    String endpoint() {
        return endpoint;
    }

    /** False when the endpoint is a unix socket that does not exist (nothing to ask). */
    boolean present() {
        return socketFile == null || Files.exists(socketFile);
    }

    /** The image named {@code name}, or empty if this engine has none by that name. */
    Optional<Image> inspect(String name) throws IOException {
        InspectImageResponse info;
        try {
            info = client.inspectImageCmd(name).exec();
        } catch (NotFoundException e) {
            return Optional.empty();
        } catch (RuntimeException e) {
            throw failure("inspect", e);
        }
        String id = info.getId() == null ? "" : info.getId();
        if (!id.matches("(sha256:)?[0-9a-f]{64}")) {
            throw new IOException("inspect returned no usable image id");
        }
        long size = info.getSize() == null ? -1 : info.getSize();
        return Optional.of(new Image(id.startsWith("sha256:") ? id.substring(7) : id, size));
    }

    /**
     * Writes {@code name} as a docker-archive to {@code out}.
     *
     * @throws IOException if the engine fails, or the export passes {@code maxBytes}
     */
    void export(String name, OutputStream out, long maxBytes) throws IOException {
        try (InputStream in = client.saveImageCmd(name).exec()) {
            byte[] buf = new byte[1 << 16];
            long total = 0;
            for (int n; (n = in.read(buf)) >= 0; ) {
                total += n;
                if (total > maxBytes) {
                    throw new IOException("export larger than " + (maxBytes >> 20) + " MiB, more than the image's "
                            + "size allows; stopped reading");
                }
                out.write(buf, 0, n);
            }
        } catch (NotFoundException e) {
            throw new IOException("export: the image is gone (removed after inspect?)");
        } catch (RuntimeException e) {
            throw failure("export", e);
        }
    }

    /** One line for the what-was-tried list: the engine's own message or the transport's cause. */
    private static IOException failure(String what, RuntimeException e) {
        if (e instanceof DockerException d) {
            return new IOException(
                    what + " answered HTTP " + d.getHttpStatus() + ": " + engineMessage(d.getMessage()), e);
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
            if (root instanceof ConnectException) {
                return new IOException("cannot connect: " + root.getMessage(), e);
            }
        }
        String m = root.getMessage() == null ? root.getClass().getSimpleName() : root.getMessage();
        return new IOException(what + " failed: " + firstLine(m), e);
    }

    /** docker-java says "Status 500: {"message":"..."}"; the engine's message is what the user needs. */
    static String engineMessage(String text) {
        String body = text == null ? "" : text.replaceFirst("^Status \\d+: ", "");
        try {
            JsonNode m = JSON.readTree(body).path("message");
            if (m.isTextual()) {
                return firstLine(m.asText());
            }
        } catch (IOException | RuntimeException e) {
            // not JSON: the text itself
        }
        return firstLine(body);
    }

    private static String firstLine(String s) {
        String t = s == null ? "" : s.strip();
        int nl = t.indexOf('\n');
        t = nl < 0 ? t : t.substring(0, nl);
        return t.length() <= 300 ? t : t.substring(0, 300) + "...";
    }

    @Override
    public void close() {
        try {
            client.close();
        } catch (IOException e) {
            // nothing is left to flush: the export was written and closed already
            LOG.debug("closing the client for {}: {}", endpoint, e.toString());
        }
    }

    /**
     * Caps every answer body at {@link #MAX_ANSWER_BYTES} except a successful export, which
     * {@link #export} bounds itself: docker-java reads inspect answers and error bodies whole. An
     * export's body aborts the connection when closed, since closing it as it is would read the
     * rest of the stream (whatever its length) to keep the connection.
     */
    private record BoundedAnswers(DockerHttpClient delegate) implements DockerHttpClient {

        @Override
        public Response execute(Request request) {
            Response r = delegate.execute(request);
            boolean export = r.getStatusCode() == 200 && request.path().endsWith("/get");
            InputStream body = export ? new Aborting(r) : new Capped(r.getBody(), MAX_ANSWER_BYTES);
            return new Response() {
                @Override
                public int getStatusCode() {
                    return r.getStatusCode();
                }

                @Override
                public Map<String, List<String>> getHeaders() {
                    return r.getHeaders();
                }

                @Override
                public InputStream getBody() {
                    return body;
                }

                @Override
                public void close() {
                    r.close();
                }
            };
        }

        @Override
        public void close() throws IOException {
            delegate.close();
        }
    }

    private static final class Aborting extends FilterInputStream {
        private final DockerHttpClient.Response response;

        Aborting(DockerHttpClient.Response response) {
            super(response.getBody());
            this.response = response;
        }

        @Override
        public void close() {
            // the transport's response close aborts the request first: no draining
            response.close();
            try {
                super.close();
            } catch (IOException e) {
                LOG.trace("closing an aborted export: {}", e.toString());
            }
        }
    }

    private static final class Capped extends FilterInputStream {
        private long left;

        Capped(InputStream in, long max) {
            super(in);
            this.left = max;
        }

        @Override
        public int read() throws IOException {
            int b = super.read();
            if (b >= 0 && --left < 0) {
                throw tooLong();
            }
            return b;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = super.read(b, off, len);
            if (n > 0 && (left -= n) < 0) {
                throw tooLong();
            }
            return n;
        }

        private static IOException tooLong() {
            return new IOException("answer larger than " + MAX_ANSWER_BYTES + " bytes");
        }
    }
}
