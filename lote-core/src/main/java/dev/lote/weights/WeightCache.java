package dev.lote.weights;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Pretrained weights on disk: {@code ~/.cache/lote/weights} (or {@code $LOTE_CACHE_DIR/weights}), filled on first
 * use from the URL torchvision publishes, as torchvision and Keras do. A download is checked against the SHA-256
 * prefix in its file name ({@code resnet18-f37072fd.pth}) and renamed into place only when whole and right, so the
 * cache never holds half a file. Without a network, the error names the URL to fetch by hand and the flag to pass.
 */
public final class WeightCache {
    /** torchvision's ImageNet weights (IMAGENET1K_V1); their licences and ImageNet's terms are the user's to check. */
    public static final Map<String, String> TORCHVISION = Map.of(
            "resnet18", "https://download.pytorch.org/models/resnet18-f37072fd.pth",
            "resnet50", "https://download.pytorch.org/models/resnet50-0676ba61.pth",
            "mobilenet_v2", "https://download.pytorch.org/models/mobilenet_v2-b0353104.pth",
            "mobilenet_v3_small", "https://download.pytorch.org/models/mobilenet_v3_small-047dcff4.pth",
            "mobilenet_v3_large", "https://download.pytorch.org/models/mobilenet_v3_large-8738ca79.pth",
            "efficientnet_b0", "https://download.pytorch.org/models/efficientnet_b0_rwightman-7f5810bc.pth");

    private static final Pattern HASH = Pattern.compile("-([0-9a-f]{6,64})\\.[A-Za-z]+$");

    private final Path dir;
    private final PrintStream progress;

    public WeightCache(Path dir, PrintStream progress) {
        this.dir = dir;
        this.progress = progress;
    }

    /** The default folder: {@code $LOTE_CACHE_DIR/weights}, else {@code ~/.cache/lote/weights}. */
    public static Path defaultDir() {
        String env = System.getenv("LOTE_CACHE_DIR");
        return (env != null ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "lote")).resolve("weights");
    }

    /** The file for {@code url}, downloaded now if it is not in the cache. */
    public Path get(String url, String flag) throws IOException {
        String name = url.substring(url.lastIndexOf('/') + 1);
        Path file = dir.resolve(name);
        if (Files.isRegularFile(file)) return file;
        Files.createDirectories(dir);
        Matcher m = HASH.matcher(name);
        String expected = m.find() ? m.group(1) : null;
        Path part = Files.createTempFile(dir, "." + name + ".", ".part");
        try {
            HttpClient http = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).connectTimeout(Duration.ofSeconds(20)).build();
            HttpResponse<InputStream> r;
            try {
                r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofMinutes(30)).build(), HttpResponse.BodyHandlers.ofInputStream());
            } catch (IOException e) {
                throw offline(url, flag, e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while downloading " + url);
            }
            if (r.statusCode() != 200) {
                r.body().close();
                throw offline(url, flag, "HTTP " + r.statusCode());
            }
            long total = r.headers().firstValueAsLong("Content-Length").orElse(-1);
            MessageDigest sha = sha256();
            try (InputStream in = new DigestInputStream(r.body(), sha); OutputStream out = Files.newOutputStream(part)) {
                byte[] buf = new byte[1 << 16];
                long done = 0, shown = 0;
                for (int n; (n = in.read(buf)) > 0; ) {
                    out.write(buf, 0, n);
                    done += n;
                    if (progress != null && (done - shown > total / 20 || done == total)) {
                        shown = done;
                        progress.printf(Locale.ROOT, "\rDownloading %s: %.1f%s MB", name, done / 1e6, total > 0 ? String.format(Locale.ROOT, " / %.1f", total / 1e6) : "");
                    }
                }
            }
            if (progress != null) progress.println();
            String got = HexFormat.of().formatHex(sha.digest());
            if (expected != null && !got.startsWith(expected)) throw new IOException("The download of " + url + " is damaged: its SHA-256 is "
                    + got.substring(0, 16) + "…, the file name says " + expected + ". Nothing was kept; try again.");
            try {
                Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(part, file, StandardCopyOption.REPLACE_EXISTING);
            }
            return file;
        } finally {
            Files.deleteIfExists(part);
        }
    }

    private static IllegalArgumentException offline(String url, String flag, String why) {
        return new IllegalArgumentException("Cannot download " + url + " (" + why + "). Fetch it by hand (curl -LO " + url
                + ") and pass " + flag + " FILE.");
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
