package dev.lote.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A load test of {@code lote serve}: starts the server as its own process on 127.0.0.1 (so its memory is its own),
 * then {@code clients} threads each send {@code requests} images one after another. Every answer is checked
 * against the answer the idle server gave for the same image; latency and the server's RSS are taken for the
 * first and the second half separately, so a leak shows as growth between them.
 */
public final class ServeLoad {
    private ServeLoad() {}

    /** One half of the run. */
    public record Half(long requests, long errors, long wrong, double seconds, double p50Ms, double p99Ms, double maxMs, long rssBytes) {
        public double perSecond() { return requests / seconds; }
    }

    public record Result(List<Half> halves, long rssBeforeBytes, String firstError) {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** {@code serveCommand}: the command line that starts {@code lote serve MODEL --port 0} (it prints where it listens). */
    public static Result run(List<String> serveCommand, List<byte[]> images, int clients, int requests) throws Exception {
        Process server = new ProcessBuilder(serveCommand).redirectErrorStream(true).start();
        try {
            String url = awaitUrl(server);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(10)).build();
            // the answers of the idle server, one image at a time
            String[] expected = new String[images.size()];
            double[] expectedP = new double[images.size()];
            for (int i = 0; i < images.size(); i++) {
                HttpResponse<String> r = post(http, url, images.get(i));
                if (r.statusCode() != 200) throw new IllegalStateException("reference request failed: " + r.statusCode() + " " + r.body());
                JsonNode top = JSON.readTree(r.body()).get("predictions").get(0);
                expected[i] = top.get("class").asText();
                expectedP[i] = top.get("probability").asDouble();
            }
            long rssBefore = Rss.currentBytes(server.pid());
            int half = requests / 2;
            long[][] latency = new long[2][clients * half + clients];
            AtomicLong[] done = {new AtomicLong(), new AtomicLong()}, errors = {new AtomicLong(), new AtomicLong()},
                    wrong = {new AtomicLong(), new AtomicLong()};
            long[] rss = new long[2], ends = new long[2];
            String[] firstError = {null};
            long start = System.nanoTime();
            CyclicBarrier between = new CyclicBarrier(clients, () -> {
                ends[0] = System.nanoTime();
                rss[0] = Rss.currentBytes(server.pid());
            });
            List<Thread> threadsList = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                final int client = c;
                Thread t = new Thread(() -> {
                    try {
                        for (int i = 0; i < requests; i++) {
                            int part = i < half ? 0 : 1;
                            if (i == half) between.await();
                            int image = (client * 31 + i) % images.size();
                            long t0 = System.nanoTime();
                            boolean ok = false, right = true;
                            try {
                                HttpResponse<String> r = post(http, url, images.get(image));
                                ok = r.statusCode() == 200;
                                if (ok) {
                                    JsonNode top = JSON.readTree(r.body()).get("predictions").get(0);
                                    right = top.get("class").asText().equals(expected[image])
                                            && Math.abs(top.get("probability").asDouble() - expectedP[image]) < 1e-3;
                                } else if (firstError[0] == null) firstError[0] = r.statusCode() + " " + r.body();
                            } catch (IOException e) {
                                if (firstError[0] == null) firstError[0] = e.toString();
                            }
                            long n = done[part].getAndIncrement();
                            latency[part][(int) n] = System.nanoTime() - t0;
                            if (!ok) errors[part].incrementAndGet();
                            else if (!right) wrong[part].incrementAndGet();
                        }
                    } catch (Exception e) {
                        if (firstError[0] == null) firstError[0] = e.toString();
                    }
                }, "client-" + c);
                t.start();
                threadsList.add(t);
            }
            for (Thread t : threadsList) t.join();
            ends[1] = System.nanoTime();
            rss[1] = Rss.currentBytes(server.pid());
            List<Half> halves = new ArrayList<>();
            long[] starts = {start, ends[0]};
            for (int p = 0; p < 2; p++) {
                long n = done[p].get();
                long[] l = Arrays.copyOf(latency[p], (int) n);
                Arrays.sort(l);
                halves.add(new Half(n, errors[p].get(), wrong[p].get(), (ends[p] - starts[p]) / 1e9, percentile(l, 0.50),
                        percentile(l, 0.99), l.length == 0 ? Double.NaN : l[l.length - 1] / 1e6, rss[p]));
            }
            return new Result(halves, rssBefore, firstError[0]);
        } finally {
            server.destroy();
            if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly();
        }
    }

    private static HttpResponse<String> post(HttpClient http, String url, byte[] image) throws IOException {
        HttpRequest req = HttpRequest.newBuilder(URI.create(url + "predict")).timeout(Duration.ofSeconds(120))
                .header("Content-Type", "image/jpeg").POST(HttpRequest.BodyPublishers.ofByteArray(image)).build();
        try {
            return http.send(req, HttpResponse.BodyHandlers.ofString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }

    private static double percentile(long[] sorted, double q) {
        if (sorted.length == 0) return Double.NaN;
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1e6;
    }

    private static final Pattern SERVING = Pattern.compile("Serving .* at (http://\\S+/)");

    /** Reads the server's output until it says where it listens; keeps draining it afterwards. */
    private static String awaitUrl(Process server) throws IOException {
        BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder seen = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            Matcher m = SERVING.matcher(line);
            if (m.find()) {
                Thread drain = new Thread(() -> {
                    try {
                        while (out.readLine() != null) { /* keep the pipe empty */ }
                    } catch (IOException ignored) { /* the server stopped */ }
                }, "server-output");
                drain.setDaemon(true);
                drain.start();
                return m.group(1);
            }
            seen.append(line).append('\n');
        }
        throw new IllegalStateException("The server stopped before listening:\n" + seen);
    }
}
