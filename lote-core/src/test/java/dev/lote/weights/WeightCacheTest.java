package dev.lote.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Downloads into the weight cache, from a real HTTP server on loopback: checked, atomic, once. */
class WeightCacheTest {
    @TempDir Path dir;

    @Test
    void downloadsOnceChecksTheHashInTheNameAndNeverKeepsABadFile() throws Exception {
        byte[] body = new byte[300_000];
        new java.util.Random(1).nextBytes(body);
        String hash = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(body)).substring(0, 8);
        AtomicInteger requests = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", ex -> {
            requests.incrementAndGet();
            ex.sendResponseHeaders(200, body.length);
            try (var out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        try {
            String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/models/";
            ByteArrayOutputStream progress = new ByteArrayOutputStream();
            WeightCache cache = new WeightCache(dir.resolve("weights"), new PrintStream(progress, true));
            Path file = cache.get(base + "net-" + hash + ".pth", "--backbone-weights");
            assertArrayEquals(body, Files.readAllBytes(file));
            assertTrue(progress.toString().contains("Downloading net-" + hash + ".pth: 0.3 / 0.3 MB"), progress.toString());
            assertEquals(file, cache.get(base + "net-" + hash + ".pth", "--backbone-weights"));
            assertEquals(1, requests.get(), "the second call reads the cache");

            var e = assertThrows(java.io.IOException.class, () -> cache.get(base + "net-deadbeef.pth", "--backbone-weights"));
            assertTrue(e.getMessage().contains("is damaged: its SHA-256 is " + hash), e.getMessage());
            try (var files = Files.list(dir.resolve("weights"))) {
                assertEquals(1, files.count(), "nothing of the bad download is left");
            }
        } finally {
            server.stop(0);
        }
    }

    @Test
    void withoutANetworkTheMessageNamesTheUrlAndTheFlag() throws Exception {
        int port;
        try (var s = new java.net.ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        String url = "http://127.0.0.1:" + port + "/models/resnet18-f37072fd.pth";
        var e = assertThrows(IllegalArgumentException.class, () -> new WeightCache(dir, null).get(url, "--backbone-weights"));
        assertTrue(e.getMessage().startsWith("Cannot download " + url + " ("), e.getMessage());
        assertTrue(e.getMessage().endsWith("Fetch it by hand (curl -LO " + url + ") and pass --backbone-weights FILE."), e.getMessage());
        assertFalse(Files.exists(dir.resolve("resnet18-f37072fd.pth")));
    }
}
