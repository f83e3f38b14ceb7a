package dev.lote.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a web page in the user's browser must not be able to do to {@code lote serve} (issue 13, item 4), spoken in raw
 * HTTP over loopback, since Java's HttpClient will not send a forged Host header.
 */
class ServerSecurityTest {
    @TempDir static Path dir;
    static Server open, locked;
    static byte[] image;

    @BeforeAll
    static void start() throws Exception {
        Path data = Images.sampleFolder(dir.resolve("data"), 2, 4, 24, 32);
        Path model = dir.resolve("m.lote");
        Trained.model(data, 1, 4, model);
        open = Server.start(model, Server.Options.defaults().at("127.0.0.1", 0));
        locked = Server.start(model, Server.Options.defaults().at("127.0.0.1", 0).token("s3cret"));
        image = Files.readAllBytes(data.resolve("0/0_0.jpg"));
    }

    @AfterAll
    static void stop() {
        if (open != null) open.close();
        if (locked != null) locked.close();
    }

    /** Status line and headers, then the body. */
    static String raw(Server s, String request, byte[] body) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", s.port())) {
            OutputStream out = socket.getOutputStream();
            out.write(request.replace("\n", "\r\n").getBytes(StandardCharsets.ISO_8859_1));
            if (body != null) out.write(body);
            out.flush();
            InputStream in = socket.getInputStream();
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            in.transferTo(all);
            return all.toString(StandardCharsets.ISO_8859_1);
        }
    }

    static String get(Server s, String path, String host, String extra) throws Exception {
        return raw(s, "GET " + path + " HTTP/1.1\nHost: " + host + "\n" + extra + "Connection: close\n\n", null);
    }

    static String post(Server s, String host, String type, String extra, byte[] body) throws Exception {
        return raw(s, "POST /predict HTTP/1.1\nHost: " + host + "\nContent-Type: " + type + "\nContent-Length: " + body.length + "\n" + extra
                + "Connection: close\n\n", body);
    }

    @Test
    void aRebindingHostNameGetsNothing() throws Exception {
        String r = get(open, "/report", "attacker.example:" + open.port(), "");
        assertTrue(r.startsWith("HTTP/1.1 403"), r);
        assertTrue(r.contains("Host 'attacker.example:" + open.port() + "' is not this server"), r);
        assertTrue(get(open, "/health", "localhost:" + open.port(), "").startsWith("HTTP/1.1 200"));
        assertTrue(get(open, "/model", "127.0.0.1:" + open.port(), "").startsWith("HTTP/1.1 200"));
    }

    @Test
    void crossSitePostsAndNonImageBodiesAreRefused() throws Exception {
        String host = "127.0.0.1:" + open.port();
        String r = post(open, host, "text/plain", "Origin: http://evil.example\n", image);
        assertTrue(r.startsWith("HTTP/1.1 403") && r.contains("Requests from http://evil.example are refused"), r);
        r = post(open, host, "image/jpeg", "Sec-Fetch-Site: cross-site\n", image);
        assertTrue(r.startsWith("HTTP/1.1 403") && r.contains("Cross-site requests are refused"), r);
        r = post(open, host, "text/plain", "", image);
        assertTrue(r.startsWith("HTTP/1.1 415") && r.contains("is not an image"), r);
        r = post(open, host, "image/jpeg", "Origin: http://" + host + "\nSec-Fetch-Site: same-origin\n", image);
        assertTrue(r.startsWith("HTTP/1.1 200") && r.contains("\"predictions\""), r); // the server's own page
    }

    @Test
    void pagesForbidSniffingAndForeignContent() throws Exception {
        String page = get(open, "/", "localhost:" + open.port(), "");
        assertTrue(page.contains("X-Content-Type-Options: nosniff"), page.substring(0, 400));
        assertTrue(page.contains("Content-Security-Policy: default-src 'self'"), page.substring(0, 400));
        String report = get(open, "/report", "localhost:" + open.port(), "");
        assertTrue(report.contains("Content-Security-Policy: default-src 'none'; img-src data:"), report.substring(0, 400));
    }

    @Test
    void aTokenIsRequiredWhenGiven() throws Exception {
        String host = "127.0.0.1:" + locked.port();
        assertTrue(get(locked, "/model", host, "").startsWith("HTTP/1.1 401"));
        assertTrue(get(locked, "/model", host, "Authorization: Bearer wrong\n").startsWith("HTTP/1.1 401"));
        assertTrue(get(locked, "/model", host, "Authorization: Bearer s3cret\n").startsWith("HTTP/1.1 200"));
        assertTrue(get(locked, "/model?token=s3cret", host, "").startsWith("HTTP/1.1 200"));
        assertTrue(get(locked, "/health", host, "").startsWith("HTTP/1.1 200"), "health stays open for probes");
        assertTrue(post(locked, host, "image/jpeg", "", image).startsWith("HTTP/1.1 401"));
    }

    /** Slow uploads (a byte every 300 ms on every request thread) are cut off, and /health still answers meanwhile. */
    @Test
    void slowUploadsCannotHoldEveryRequestThread() throws Exception {
        Path model = dir.resolve("m.lote");
        try (Server small = Server.start(model, new Server.Options("127.0.0.1", 0, 20L << 20, 50_000_000L, 5, 16, 64, 8, null))) {
            java.util.List<Socket> slow = new java.util.ArrayList<>();
            try {
                for (int i = 0; i < 12; i++) {
                    Socket s = new Socket("127.0.0.1", small.port());
                    s.getOutputStream().write(("POST /predict HTTP/1.1\r\nHost: 127.0.0.1:" + small.port()
                            + "\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    slow.add(s);
                }
                Thread dribble = new Thread(() -> {
                    try {
                        for (int t = 0; t < 40; t++) {
                            for (Socket s : slow) if (!s.isClosed()) try { s.getOutputStream().write(0); } catch (Exception closed) { /* cut off */ }
                            Thread.sleep(300);
                        }
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                });
                dribble.setDaemon(true);
                dribble.start();
                Thread.sleep(1500); // every request thread is now reading a slow body
                long start = System.nanoTime();
                String health;
                try (Socket h = new Socket("127.0.0.1", small.port())) {
                    h.setSoTimeout(10_000);
                    h.getOutputStream().write(("GET /health HTTP/1.1\r\nHost: 127.0.0.1:" + small.port() + "\r\nConnection: close\r\n\r\n")
                            .getBytes(StandardCharsets.ISO_8859_1));
                    health = new String(h.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
                }
                assertTrue(health.startsWith("HTTP/1.1 200"), health);
                assertTrue((System.nanoTime() - start) / 1e9 < 8, "answered while the slow uploads ran");
                dribble.interrupt();
            } finally {
                for (Socket s : slow) s.close();
            }
        }
    }
}
