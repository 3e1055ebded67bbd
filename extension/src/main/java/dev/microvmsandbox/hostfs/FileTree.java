package dev.microvmsandbox.hostfs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apiguardian.api.API;

/** Removal of a folder and everything in it. */
@API(status = API.Status.INTERNAL)
public final class FileTree {

    private FileTree() {}

    /**
     * Removes {@code root} and everything under it, deepest first. A link is removed, never
     * followed, so a link planted in the tree cannot make this delete anything outside it.
     *
     * @throws IOException naming the first file that could not be removed
     */
    public static void delete(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        try (Stream<Path> tree = Files.walk(root)) {
            for (Path p : (Iterable<Path>) tree.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }
}
