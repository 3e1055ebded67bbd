package dev.microvmsandbox.backend.kata.kubernetes;

import dev.microvmsandbox.backend.kata.ConsoleTail;
import dev.microvmsandbox.backend.kata.ContainerHandle;
import dev.microvmsandbox.backend.kata.ContainerRecipe;
import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.ExecWatch;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running sandbox Pod with its container's main process attached (Kubernetes' attach
 * subresource, over a websocket through the API server). Attach rather than exec: the guest agent
 * is then the bootstrap's child, inside the cgroups it delegated, where a process exec'd into the
 * container's cgroup would be refused once controllers are enabled there; and the Pod's stdin,
 * once, ends with this session.
 */
final class AttachedPod implements ContainerHandle {

    private static final Logger LOG = LoggerFactory.getLogger(AttachedPod.class);
    /** Websocket messages stay small, whatever the channel writes at once. */
    static final int MESSAGE_BYTES = 32 * 1024;
    /** How long the Pod may take to report its container's end after the session ended. */
    private static final long STOP_REPORT_MILLIS = 10_000;

    private final KubernetesClient client;
    private final String namespace;
    private final String name;
    private final ExecWatch watch;
    private final OutputStream stdin;
    private final CompletableFuture<String> stopped = new CompletableFuture<>();
    private final AtomicBoolean destroyed = new AtomicBoolean();

    private AttachedPod(KubernetesClient client, String namespace, String name, ExecWatch watch) {
        this.client = client;
        this.namespace = namespace;
        this.name = name;
        this.watch = watch;
        this.stdin = new SplitWrites(watch.getInput(), MESSAGE_BYTES);
    }

    static AttachedPod attach(KubernetesClient client, String namespace, String name, ConsoleTail console) {
        ExecWatch watch = client.pods()
                .inNamespace(namespace)
                .withName(name)
                .inContainer(ContainerRecipe.NAME)
                .redirectingInput()
                .redirectingOutput()
                .redirectingError()
                .attach();
        AttachedPod pod = new AttachedPod(client, namespace, name, watch);
        Thread errors = new Thread(
                () -> {
                    byte[] buf = new byte[8192];
                    try (InputStream err = watch.getError()) {
                        for (int n; (n = err.read(buf)) >= 0; ) {
                            console.append(buf, 0, n);
                        }
                    } catch (IOException e) {
                        // the session ended
                    }
                },
                name + "-stderr");
        errors.setDaemon(true);
        errors.start();
        watch.exitCode().whenComplete((code, failure) -> pod.sessionEnded());
        return pod;
    }

    /** The attach session ended; the Pod's container status says how the guest ended, once it has it. */
    private void sessionEnded() {
        Thread t = new Thread(
                () -> {
                    long deadline = System.currentTimeMillis() + STOP_REPORT_MILLIS;
                    while (!stopped.isDone() && System.currentTimeMillis() < deadline) {
                        try {
                            Pod pod = client.pods()
                                    .inNamespace(namespace)
                                    .withName(name)
                                    .get();
                            if (pod == null) {
                                stopped.complete("the Pod was deleted");
                                return;
                            }
                            for (ContainerStatus cs :
                                    pod.getStatus() == null || pod.getStatus().getContainerStatuses() == null
                                            ? java.util.List.<ContainerStatus>of()
                                            : pod.getStatus().getContainerStatuses()) {
                                if (cs.getState() != null && cs.getState().getTerminated() != null) {
                                    stopped.complete(
                                            PodFailure.terminated(cs.getState().getTerminated()));
                                    return;
                                }
                            }
                            Thread.sleep(500);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        } catch (RuntimeException e) {
                            LOG.debug("{}: reading the Pod's status: {}", name, e.toString());
                        }
                    }
                    stopped.complete("the attach session ended");
                },
                name + "-stopped");
        t.setDaemon(true);
        t.start();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public OutputStream stdin() {
        return stdin;
    }

    @Override
    public InputStream stdout() {
        return watch.getOutput();
    }

    @Override
    public CompletableFuture<String> stopped() {
        return stopped;
    }

    @Override
    public void destroy() {
        if (!destroyed.compareAndSet(false, true)) {
            return;
        }
        try {
            watch.close();
        } catch (RuntimeException e) {
            LOG.debug("{}: closing the attach session: {}", name, e.toString());
        }
        KataKubernetesBackend.delete(client, namespace, name);
        stopped.complete("the Pod was deleted");
    }

    /** Cuts every write into pieces of at most {@code max} bytes. */
    private static final class SplitWrites extends OutputStream {
        private final OutputStream out;
        private final int max;

        SplitWrites(OutputStream out, int max) {
            this.out = out;
            this.max = max;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            for (int at = off; at < off + len; at += max) {
                out.write(b, at, Math.min(max, off + len - at));
            }
        }

        @Override
        public void flush() throws IOException {
            out.flush();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }
}
