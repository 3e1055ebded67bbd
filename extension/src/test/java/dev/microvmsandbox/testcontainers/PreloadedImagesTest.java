package dev.microvmsandbox.testcontainers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.testcontainers.utility.DockerImageName;

/** Which preloaded image each name form a test may use finds (pure logic: the names as podman lists them). */
class PreloadedImagesTest {

    private static final PreloadedImages SAMPLES = new PreloadedImages(List.of(
            new PreloadedImages.Local(
                    "pg", List.of("localhost/samples/postgres:16-alpine", "localhost/samples/postgres:15")),
            new PreloadedImages.Local(
                    "redis", List.of("localhost/samples/redis:7", "localhost/samples/redis:7-alpine")),
            new PreloadedImages.Local("busybox", List.of("localhost/microvm-sandbox/busybox:latest")),
            new PreloadedImages.Local("untagged", List.of("<none>:<none>"))));

    /** The name exactly as Testcontainers hands it to the pull policy. */
    private static PreloadedImages.Found find(PreloadedImages store, DockerImageName name) {
        return store.find(ImageReference.parse(name.asCanonicalNameString()));
    }

    @Test
    void aModuleDefaultNameFindsTheSampleUnderLocalhost() {
        assertThat(find(SAMPLES, DockerImageName.parse("postgres:16-alpine")))
                .isEqualTo(new PreloadedImages.Alias("pg", "localhost/samples/postgres:16-alpine"));
        assertThat(find(SAMPLES, DockerImageName.parse("redis:7-alpine")))
                .isEqualTo(new PreloadedImages.Alias("redis", "localhost/samples/redis:7-alpine"));
    }

    @Test
    void theJdbcUrlsImageFindsIt() {
        // jdbc:tc:postgresql:16-alpine:///db: PostgreSQLContainerProvider asks for postgres with that tag
        assertThat(find(SAMPLES, DockerImageName.parse("postgres").withTag("16-alpine")))
                .isEqualTo(new PreloadedImages.Alias("pg", "localhost/samples/postgres:16-alpine"));
    }

    @Test
    void aFullyQualifiedDockerHubNameFindsIt() {
        assertThat(find(SAMPLES, DockerImageName.parse("docker.io/library/postgres:16-alpine")))
                .isEqualTo(new PreloadedImages.Alias("pg", "localhost/samples/postgres:16-alpine"));
    }

    @Test
    void aNameWithAPrefixFromSubstitutionFindsIt() {
        // hub.image.name.prefix=registry.example.com/mirror/ turns postgres:16-alpine into this
        assertThat(find(SAMPLES, DockerImageName.parse("registry.example.com/mirror/postgres:16-alpine")))
                .isEqualTo(new PreloadedImages.Alias("pg", "localhost/samples/postgres:16-alpine"));
    }

    @Test
    void theExactNameNeedsNoTag() {
        assertThat(find(SAMPLES, DockerImageName.parse("localhost/samples/redis:7")))
                .isInstanceOf(PreloadedImages.Exact.class);
        // podman qualifies Docker Hub names; so does the request
        PreloadedImages hub =
                new PreloadedImages(List.of(new PreloadedImages.Local("r", List.of("docker.io/library/redis:7"))));
        assertThat(find(hub, DockerImageName.parse("redis:7"))).isInstanceOf(PreloadedImages.Exact.class);
        assertThat(find(hub, DockerImageName.parse("redis"))).isInstanceOf(PreloadedImages.Missing.class);
    }

    @Test
    void theTagMustMatch() {
        assertThat(find(SAMPLES, DockerImageName.parse("postgres:17"))).isInstanceOf(PreloadedImages.Missing.class);
        assertThat(find(SAMPLES, DockerImageName.parse("postgres"))).isInstanceOf(PreloadedImages.Missing.class);
        assertThat(find(SAMPLES, DockerImageName.parse("postgres:15")))
                .isEqualTo(new PreloadedImages.Alias("pg", "localhost/samples/postgres:15"));
    }

    @Test
    void theImagesOwnNameMustMatchNotJustItsPrefix() {
        assertThat(find(SAMPLES, DockerImageName.parse("samples/mysql:16-alpine")))
                .isInstanceOf(PreloadedImages.Missing.class);
        assertThat(find(SAMPLES, DockerImageName.parse("postgresql:16-alpine")))
                .isInstanceOf(PreloadedImages.Missing.class);
    }

    @Test
    void theLongestCommonPathWins() {
        PreloadedImages store = new PreloadedImages(List.of(
                new PreloadedImages.Local("a", List.of("localhost/postgres:16")),
                new PreloadedImages.Local("b", List.of("localhost/bitnami/postgres:16"))));
        assertThat(find(store, DockerImageName.parse("bitnami/postgres:16")))
                .isEqualTo(new PreloadedImages.Alias("b", "localhost/bitnami/postgres:16"));
    }

    @Test
    void twoImagesThatFitEquallyAreAmbiguous() {
        PreloadedImages store = new PreloadedImages(List.of(
                new PreloadedImages.Local("a", List.of("localhost/one/postgres:16")),
                new PreloadedImages.Local("b", List.of("localhost/two/postgres:16"))));
        assertThat(find(store, DockerImageName.parse("postgres:16")))
                .isEqualTo(new PreloadedImages.Ambiguous(
                        List.of("localhost/one/postgres:16", "localhost/two/postgres:16")));
    }

    @Test
    void twoNamesOfOneImageAreNotAmbiguous() {
        PreloadedImages store = new PreloadedImages(List.of(
                new PreloadedImages.Local("a", List.of("localhost/one/postgres:16", "localhost/two/postgres:16"))));
        assertThat(find(store, DockerImageName.parse("postgres:16"))).isInstanceOf(PreloadedImages.Alias.class);
    }

    @Test
    void aDigestFindsOnlyItsExactName() {
        String digest = "sha256:" + "a".repeat(64);
        assertThat(find(SAMPLES, DockerImageName.parse("postgres@" + digest)))
                .isInstanceOf(PreloadedImages.Missing.class);
    }

    @Test
    void referencesAreReadAsDockerReadsThem() {
        assertThat(ImageReference.parse("postgres").canonical()).isEqualTo("docker.io/library/postgres:latest");
        assertThat(ImageReference.parse("bitnami/redis:7").canonical()).isEqualTo("docker.io/bitnami/redis:7");
        assertThat(ImageReference.parse("index.docker.io/library/redis:7").canonical())
                .isEqualTo("docker.io/library/redis:7");
        assertThat(ImageReference.parse("localhost:5000/x/y:1").registry()).isEqualTo("localhost:5000");
        assertThat(ImageReference.parse("localhost/samples/redis:7").nameSegments())
                .containsExactly("samples", "redis");
        assertThat(ImageReference.parse("postgres:16").nameSegments()).containsExactly("postgres");
        assertThat(ImageReference.parse("registry.example.com/mirror/postgres:16")
                        .repository())
                .isEqualTo("registry.example.com/mirror/postgres");
        assertThatThrownBy(() -> ImageReference.parse(" ")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aMissingImageIsOneSentenceNamingTheSetting() {
        assertThat(PreloadedImagePullPolicy.missing(
                        "postgres:16-alpine", List.of("localhost/samples/redis:7", "<none>:<none>")))
                .isEqualTo("postgres:16-alpine is not in the sandbox: add docker-archive:PATH or the image name to "
                        + "microvm.sandbox.images (the sandbox has localhost/samples/redis:7)");
        assertThat(PreloadedImagePullPolicy.missing("redis:7", List.of())).endsWith("(the sandbox has no images)");
    }
}
