package dev.lote.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * Writes a file so that readers see the old one or the whole new one, never half: into a temporary file beside
 * the target, flushed to disk, then renamed over it. A failure leaves the target as it was and no temporary file.
 */
public final class AtomicFile {
    private AtomicFile() {}

    /** What writes the content; the stream is closed by {@link #write}. */
    public interface Writer {
        void writeTo(OutputStream out) throws IOException;
    }

    /** Fails now, not after hours of work, when {@code file} could not be written: its folder is made and a file tried in it. */
    public static void checkWritable(Path file, String what) {
        Path dir = file.toAbsolutePath().getParent();
        try {
            Files.createDirectories(dir);
            Files.delete(Files.createTempFile(dir, ".lote-check-", ".tmp"));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("Cannot write " + what + " to " + file + ": " + dir + " is not a writable folder ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ").");
        }
    }

    public static void write(Path target, Writer writer) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        removeAbandoned(dir, target.getFileName().toString());
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + ".", ".tmp");
        try {
            readableLikeAnyFile(tmp, target);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
                OutputStream out = Channels.newOutputStream(channel);
                writer.writeTo(out);
                out.flush();
                channel.force(true); // on disk before the rename makes it visible
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Temporary files of this target that a killed process left behind (untouched for an hour: no save is that slow)
     * go before a new save, so a crash costs disk space only until the next one.
     */
    private static void removeAbandoned(Path dir, String name) {
        long hourAgo = System.currentTimeMillis() - 3_600_000;
        try (var files = Files.newDirectoryStream(dir, "." + name + ".*.tmp")) {
            for (Path p : files) if (Files.getLastModifiedTime(p).toMillis() < hourAgo) Files.deleteIfExists(p);
        } catch (IOException | RuntimeException e) {
            // best effort: a folder we cannot list is the write's own problem to report
        }
    }

    /** Temporary files are private (0600); the result gets the target's permissions, or rw-r--r--. */
    private static void readableLikeAnyFile(Path tmp, Path target) throws IOException {
        if (!Files.getFileStore(tmp).supportsFileAttributeView("posix")) return;
        Files.setPosixFilePermissions(tmp, Files.exists(target) ? Files.getPosixFilePermissions(target)
                : PosixFilePermissions.fromString("rw-r--r--"));
    }
}
