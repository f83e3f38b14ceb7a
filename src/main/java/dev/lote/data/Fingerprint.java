package dev.lote.data;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/** A SHA-256 of a list of files' paths, sizes and modification times (not their bytes: fast on any folder). */
public final class Fingerprint {
    private Fingerprint() {}

    public static String of(List<Path> files, String extra) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(extra.getBytes(StandardCharsets.UTF_8));
            for (Path f : files) {
                d.update((f.toAbsolutePath() + " " + Files.size(f) + " " + Files.getLastModifiedTime(f).toMillis() + "\n")
                        .getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
