package dev.microvmsandbox.testcontainers;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The images in the guest's podman store, and which of them a requested name means.
 *
 * <p>A request finds the image listed under exactly its name; otherwise an image with the same tag
 * whose repository path ends like the request's, under whatever registry or prefix: a request for
 * {@code postgres:16-alpine} (Docker Hub's {@code library/postgres}) finds
 * {@code localhost/samples/postgres:16-alpine}, and one rewritten by an image name prefix to
 * {@code registry.example.com/mirror/postgres:16-alpine} finds it too. The image whose path shares
 * the most trailing components with the request wins; two different images that tie are
 * ambiguous, and a request with a digest finds only its exact name.
 */
final class PreloadedImages {

    /** One image in the store: its id and every name it is listed under. */
    record Local(String id, List<String> names) {
        Local {
            names = List.copyOf(names);
        }
    }

    /** What a request found. */
    sealed interface Found {}

    /** The image is listed under the requested name: nothing to do. */
    record Exact() implements Found {}

    /** Another name of image {@code id} fits; tag it under the requested name. */
    record Alias(String id, String name) implements Found {}

    /** No image fits. */
    record Missing() implements Found {}

    /** More than one image fits equally well. */
    record Ambiguous(List<String> names) implements Found {}

    private final List<Local> images;

    PreloadedImages(List<Local> images) {
        this.images = List.copyOf(images);
    }

    Found find(ImageReference request) {
        String wanted = request.canonical();
        for (Local image : images) {
            for (String name : image.names()) {
                if (parse(name)
                        .map(ImageReference::canonical)
                        .filter(wanted::equals)
                        .isPresent()) {
                    return new Exact();
                }
            }
        }
        if (!request.digest().isEmpty()) {
            return new Missing();
        }
        List<String> want = request.nameSegments();
        int best = 0;
        List<Alias> winners = new ArrayList<>();
        for (Local image : images) {
            for (String name : image.names()) {
                Optional<ImageReference> have = parse(name);
                if (have.isEmpty() || !have.get().tag().equals(request.tag())) {
                    continue;
                }
                int score = commonTail(want, have.get().nameSegments());
                if (score == 0 || score < best) {
                    continue;
                }
                if (score > best) {
                    best = score;
                    winners.clear();
                }
                winners.add(new Alias(image.id(), name));
            }
        }
        Set<String> ids = new LinkedHashSet<>();
        winners.forEach(w -> ids.add(w.id()));
        if (ids.isEmpty()) {
            return new Missing();
        }
        if (ids.size() > 1) {
            return new Ambiguous(winners.stream().map(Alias::name).toList());
        }
        return winners.get(0);
    }

    /** Every name in the store, for messages. */
    List<String> names() {
        List<String> all = new ArrayList<>();
        images.forEach(i -> all.addAll(i.names()));
        return all;
    }

    private static int commonTail(List<String> a, List<String> b) {
        int n = 0;
        while (n < a.size() && n < b.size() && a.get(a.size() - 1 - n).equals(b.get(b.size() - 1 - n))) {
            n++;
        }
        return n;
    }

    /** Names podman lists that are not image names ({@code <none>:<none>}) are skipped. */
    private static Optional<ImageReference> parse(String name) {
        if (name == null || name.contains("<none>")) {
            return Optional.empty();
        }
        try {
            return Optional.of(ImageReference.parse(name));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
