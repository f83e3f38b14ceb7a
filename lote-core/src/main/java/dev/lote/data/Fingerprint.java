package dev.lote.data;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * A SHA-256 of a list of files' paths, sizes and modification times (not their bytes: fast on any folder). A file that
 * cannot be looked at any more (deleted mid-run, say) counts as missing rather than failing whoever asked.
 */
public final class Fingerprint {
    private Fingerprint() {}

    public static String of(List<Path> files, String extra) {
        try {
            MessageDigest d = MessageDigest.getInstance("SHA-256");
            d.update(extra.getBytes(StandardCharsets.UTF_8));
            for (Path f : files) {
                String seen;
                try {
                    seen = Files.size(f) + " " + Files.getLastModifiedTime(f).toMillis();
                } catch (IOException e) {
                    seen = "missing";
                }
                d.update((f.toAbsolutePath() + " " + seen + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(d.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
