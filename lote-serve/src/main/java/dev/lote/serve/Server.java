package dev.lote.serve;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.image.BadImageException;
import dev.lote.io.ModelInfo;
import dev.lote.predict.Classifier;
import dev.lote.predict.Prediction;
import dev.lote.report.Report;
import io.javalin.Javalin;
import io.javalin.config.SizeUnit;
import io.javalin.http.Context;
import io.javalin.http.UploadedFile;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * The prediction server: HTTP in and out around a {@link Classifier}. {@code POST /predict} (an image as the
 * body, or multipart files), {@code GET /model}, {@code GET /health}, the try-it page at {@code /} and the
 * training report at {@code /report}; every error is JSON with the status in it. The classifier decodes in the
 * request threads, within the server's limits, and batches concurrent requests.
 */
public final class Server implements AutoCloseable {
    /** {@code threads}: Jetty's request threads, which bound the bodies held in memory at once. */
    /** {@code token}: when not null, every request but /health must carry it ({@code Authorization: Bearer …} or {@code ?token=}). */
    public record Options(String host, int port, long maxBodyBytes, long maxPixels, int topK, int maxBatch, int queue, int threads, String token,
                          double unknownBelow) {
        public Options {
            if (!Double.isNaN(unknownBelow)) Prediction.checkThreshold(unknownBelow);
        }
        public Options(String host, int port, long maxBodyBytes, long maxPixels, int topK, int maxBatch, int queue, int threads, String token) {
            this(host, port, maxBodyBytes, maxPixels, topK, maxBatch, queue, threads, token, Double.NaN);
        }
        public static Options defaults() { return new Options("127.0.0.1", 8080, 20L << 20, 50_000_000L, 5, 16, 64, 48, null); }
        public Options at(String host, int port) { return new Options(host, port, maxBodyBytes, maxPixels, topK, maxBatch, queue, threads, token, unknownBelow); }
        public Options limits(long maxBodyBytes, long maxPixels) { return new Options(host, port, maxBodyBytes, maxPixels, topK, maxBatch, queue, threads, token, unknownBelow); }
        public Options token(String t) { return new Options(host, port, maxBodyBytes, maxPixels, topK, maxBatch, queue, threads, t, unknownBelow); }
        /** Answers {@code "class": "unknown"} when the top probability is below {@code p} (NaN: never; ?unknown_below= overrides). */
        public Options unknownBelow(double p) { return new Options(host, port, maxBodyBytes, maxPixels, topK, maxBatch, queue, threads, token, p); }

        /** True when only this machine can connect. */
        public boolean loopback() { return LOOPBACK.contains(host.toLowerCase(java.util.Locale.ROOT)); }
    }

    private static final java.util.Set<String> LOOPBACK = java.util.Set.of("127.0.0.1", "localhost", "::1", "[::1]");

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long WAIT_SECONDS = 60;
    static final long MIN_BODY_BYTES_PER_SECOND = 1024;

    private final Classifier classifier;
    private final Path modelFile;
    private final Options options;
    private final Javalin app;
    private final String page;
    private volatile String report;

    private Server(Classifier classifier, Path modelFile, Options options) {
        this.classifier = classifier;
        this.modelFile = modelFile;
        this.options = options;
        this.page = resource("index.html");
        this.app = Javalin.create(cfg -> {
            cfg.showJavalinBanner = false;
            cfg.startupWatcherEnabled = false;
            cfg.http.prefer405over404 = true;
            cfg.http.maxRequestSize = options.maxBodyBytes();
            cfg.jetty.threadPool = new QueuedThreadPool(options.threads(), Math.min(8, options.threads()));
            // slow uploads must not hold the request threads: a body arriving under 1 KB/s is cut off (408), an idle
            // connection closed after 15 s, and at most 256 connections accepted at once
            cfg.jetty.modifyHttpConfiguration(http -> {
                http.setMinRequestDataRate(MIN_BODY_BYTES_PER_SECOND);
                http.setIdleTimeout(15_000);
            });
            cfg.jetty.modifyServer(server -> server.addBean(new org.eclipse.jetty.server.ConnectionLimit(256, server)));
            cfg.jetty.multipartConfig.maxFileSize(options.maxBodyBytes(), SizeUnit.BYTES);
            cfg.jetty.multipartConfig.maxTotalRequestSize(options.maxBodyBytes(), SizeUnit.BYTES);
            cfg.jetty.multipartConfig.maxInMemoryFileSize((int) Math.min(Integer.MAX_VALUE, options.maxBodyBytes()), SizeUnit.BYTES);
        });
        app.before(this::guard);
        app.get("/", ctx -> ctx.header("Content-Security-Policy", "default-src 'self'; img-src 'self' data: blob:; "
                + "style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'").html(page));
        app.get("/health", ctx -> json(ctx, 200, Map.of("status", "ok")));
        app.get("/model", ctx -> json(ctx, 200, describe()));
        app.get("/report", ctx -> ctx.header("Content-Security-Policy", "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
                + "frame-ancestors 'none'").html(report()));
        app.post("/predict", this::predict);
        app.post("/explain", this::explain);
        app.exception(ApiError.class, (e, ctx) -> error(ctx, e.status, e.getMessage()));
        app.exception(Exception.class, (e, ctx) -> {
            System.err.println("lote serve: " + ctx.method() + " " + ctx.path() + " failed: " + e);
            error(ctx, 500, "Internal error: " + e.getMessage());
        });
        app.error(404, ctx -> error(ctx, 404, "No such path: " + ctx.method() + " " + ctx.path()
                + ". Try GET /, GET /model, GET /health, POST /predict or POST /explain."));
        app.error(405, ctx -> error(ctx, 405, "Method " + ctx.method() + " is not allowed on " + ctx.path() + "."));
    }

    /**
     * Starts serving the model in {@code modelFile}, classified within the options' limits and batches; port 0 picks
     * a free port ({@link #port()}).
     */
    public static Server start(Path modelFile, Options options) throws dev.lote.io.ModelFileException {
        Classifier classifier = Classifier.open(modelFile, new dev.lote.image.Limits(options.maxPixels(), options.maxBodyBytes()),
                options.maxBatch(), options.queue());
        Server s = new Server(classifier, modelFile, options);
        try {
            s.app.start(options.host(), options.port());
        } catch (RuntimeException e) {
            classifier.close();
            throw new IllegalArgumentException("Cannot listen on " + options.host() + ":" + options.port() + ": "
                    + (e.getCause() != null ? e.getCause().getMessage() : e.getMessage()), e);
        }
        return s;
    }

    public int port() { return app.port(); }

    public String url() {
        String host = options.host().contains(":") ? "[" + options.host() + "]" : options.host();
        return "http://" + host + ":" + port() + "/";
    }

    /**
     * What a web page in the user's browser must not do: reach a loopback server under another host name (DNS
     * rebinding) or send it work from another site (a cross-site POST needs no preflight when its type is "simple").
     */
    private void guard(Context ctx) {
        ctx.header("X-Content-Type-Options", "nosniff");
        if (options.loopback()) {
            String host = ctx.header("Host");
            String name = host == null ? "" : host.startsWith("[") ? host.substring(0, host.indexOf(']') + 1)
                    : host.contains(":") ? host.substring(0, host.lastIndexOf(':')) : host;
            if (!LOOPBACK.contains(name.toLowerCase(java.util.Locale.ROOT))) throw new ApiError(403, "Host '" + host
                    + "' is not this server: it listens on " + options.host() + " and answers only to localhost names.");
        }
        if (ctx.method() == io.javalin.http.HandlerType.POST) {
            String site = ctx.header("Sec-Fetch-Site"), origin = ctx.header("Origin");
            if (site != null && !site.equals("same-origin") && !site.equals("none")) throw new ApiError(403, "Cross-site requests are "
                    + "refused (Sec-Fetch-Site: " + site + ").");
            if (origin != null && !origin.equals("null") && !origin.equalsIgnoreCase("http://" + ctx.header("Host"))) {
                throw new ApiError(403, "Requests from " + origin + " are refused: only this server's own page may post to it.");
            }
            if (origin != null && origin.equals("null")) throw new ApiError(403, "Requests from an opaque origin are refused.");
        }
        if (options.token() != null && !ctx.path().equals("/health")) {
            String auth = ctx.header("Authorization"), query = ctx.queryParam("token");
            boolean ok = (auth != null && java.security.MessageDigest.isEqual(auth.getBytes(), ("Bearer " + options.token()).getBytes()))
                    || (query != null && java.security.MessageDigest.isEqual(query.getBytes(), options.token().getBytes()));
            if (!ok) throw new ApiError(401, "This server needs its token: send 'Authorization: Bearer TOKEN' or add ?token=TOKEN.");
        }
    }

    private void predict(Context ctx) throws IOException {
        int topK = topK(ctx.queryParam("top_k"));
        double unknownBelow = unknownBelow(ctx.queryParam("unknown_below"));
        List<String> names = new ArrayList<>();
        List<byte[]> bodies = new ArrayList<>();
        for (Upload u : uploads(ctx)) {
            names.add(u.name());
            bodies.add(u.bytes());
        }
        List<CompletableFuture<Prediction>> pending = new ArrayList<>();
        for (int i = 0; i < bodies.size(); i++) {
            try {
                pending.add(classifier.submit(bodies.get(i), names.get(i)));
            } catch (BadImageException e) {
                throw new ApiError(e.overLimit() ? 413 : 415, names.get(i) + ": " + e.reason());
            } catch (Classifier.Busy e) {
                ctx.header("Retry-After", "1");
                throw new ApiError(503, e.getMessage());
            }
            bodies.set(i, null); // the encoded bytes are no longer needed
        }
        List<Map<String, Object>> results = new ArrayList<>();
        for (CompletableFuture<Prediction> p : pending) results.add(await(p).json(topK, unknownBelow));
        json(ctx, 200, ctx.isMultipartFormData() ? Map.of("results", results) : results.get(0));
    }

    /** An uploaded image: its name (for messages and answers) and bytes. */
    private record Upload(String name, byte[] bytes) {}

    /** The images of a request: multipart file fields, or the body itself (Content-Type image/* or octet-stream). */
    private List<Upload> uploads(Context ctx) throws IOException {
        long declared = ctx.req().getContentLengthLong();
        if (declared > options.maxBodyBytes()) throw tooLarge(declared);
        List<Upload> out = new ArrayList<>();
        if (ctx.isMultipartFormData()) {
            List<UploadedFile> files;
            try {
                files = ctx.uploadedFiles();
            } catch (IllegalStateException e) { // Jetty's multipart limits
                throw tooLarge(declared);
            }
            if (files.isEmpty()) throw new ApiError(400, "No file in the multipart request: send images as file fields.");
            for (UploadedFile f : files) {
                try (InputStream in = f.content()) {
                    out.add(new Upload(f.filename() == null || f.filename().isBlank() ? "upload" : f.filename(), in.readAllBytes()));
                }
            }
        } else {
            String type = ctx.contentType() == null ? "" : ctx.contentType().toLowerCase(java.util.Locale.ROOT);
            if (!type.startsWith("image/") && !type.startsWith("application/octet-stream")) throw new ApiError(415, "Content-Type '"
                    + ctx.contentType() + "' is not an image: send the image with Content-Type image/* or application/octet-stream, "
                    + "or as multipart/form-data files.");
            byte[] body = readLimited(ctx.req().getInputStream(), options.maxBodyBytes());
            if (body.length == 0) throw new ApiError(400, "Empty body: send an image as the request body, or as multipart/form-data files.");
            out.add(new Upload(ctx.queryParam("name") != null ? ctx.queryParam("name") : "upload", body));
        }
        return out;
    }

    /** POST /explain: one image in, the image with its Grad-CAM heat map over it out (PNG), for the likeliest class. */
    private void explain(Context ctx) throws IOException {
        List<Upload> in = uploads(ctx);
        if (in.size() != 1) throw new ApiError(400, "Explain one image at a time, got " + in.size() + ".");
        dev.lote.predict.Explanation e;
        try {
            e = classifier.explain(in.get(0).bytes(), in.get(0).name(), ctx.queryParam("layer"));
        } catch (BadImageException x) {
            throw new ApiError(x.overLimit() ? 413 : 415, in.get(0).name() + ": " + x.reason());
        } catch (IllegalArgumentException x) {
            throw new ApiError(400, x.getMessage());
        }
        ctx.header("X-Lote-Class", e.className()).header("X-Lote-Layer", e.layer()).contentType("image/png").result(e.png(256));
    }

    private static Prediction await(CompletableFuture<Prediction> f) {
        try {
            return f.get(WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
            throw new ApiError(503, "No answer within " + WAIT_SECONDS + " s; the server is overloaded.");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ApiError(503, "Interrupted while waiting for the model.");
        } catch (ExecutionException e) {
            throw new IllegalStateException("inference failed: " + e.getCause(), e.getCause());
        }
    }

    private int topK(String value) {
        if (value == null) return Math.min(options.topK(), classifier.classes().size());
        try {
            int k = Integer.parseInt(value);
            if (k > 0) return Math.min(k, classifier.classes().size());
        } catch (NumberFormatException ignored) { /* the message below */ }
        throw new ApiError(400, "top_k must be a positive whole number, got '" + value + "'.");
    }

    private double unknownBelow(String value) {
        if (value == null) return options.unknownBelow();
        try {
            return Prediction.checkThreshold(Double.parseDouble(value));
        } catch (IllegalArgumentException e) { // not a number, or outside 0–1
            throw new ApiError(400, "unknown_below must be a probability from 0 to 1, got '" + value + "'.");
        }
    }

    private ApiError tooLarge(long declared) {
        return new ApiError(413, String.format(Locale.ROOT, "The request body%s is over the limit of %.1f MB.",
                declared > 0 ? String.format(Locale.ROOT, " (%.1f MB)", declared / 1048576.0) : "", options.maxBodyBytes() / 1048576.0));
    }

    private byte[] readLimited(InputStream in, long limit) throws IOException {
        byte[] bytes = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
        if (bytes.length > limit) throw tooLarge(-1);
        return bytes;
    }

    private Map<String, Object> describe() {
        ModelInfo info = classifier.info();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("file", modelFile == null ? null : modelFile.getFileName().toString());
        m.put("classes", info.classes());
        m.put("input", Map.of("height", info.preprocessing().height(), "width", info.preprocessing().width(), "channels", 3,
                "resize", info.preprocessing().resize()));
        m.put("parameters", info.architecture().parameterCount());
        Map<String, Object> metrics = new LinkedHashMap<>();
        if (info.training() != null && info.training().history() != null) {
            info.training().history().forEach((k, v) -> { if (!v.isEmpty()) metrics.put(k, v.get(v.size() - 1)); });
            m.put("epochs", info.training().epochsDone());
        }
        m.put("metrics", metrics);
        if (info.calibration() != null) m.put("calibration", info.calibration());
        if (!Double.isNaN(options.unknownBelow())) m.put("unknown_below", options.unknownBelow());
        m.put("created", info.created());
        m.put("lote_version", info.loteVersion());
        return m;
    }

    /** The report written beside the model when there is one, else one made from the model file (no evaluation). */
    private String report() throws IOException {
        if (modelFile != null) {
            Path beside = Report.besideModel(modelFile);
            if (Files.isRegularFile(beside)) return Files.readString(beside);
        }
        if (report == null) report = Report.withoutEvaluation(classifier.info());
        return report;
    }

    private static void json(Context ctx, int status, Object body) {
        try {
            ctx.status(status).contentType("application/json").result(JSON.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void error(Context ctx, int status, String message) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("error", message);
        m.put("status", status);
        json(ctx, status, m);
    }

    private static String resource(String name) {
        try (InputStream in = Server.class.getResourceAsStream(name)) {
            if (in == null) throw new IllegalStateException("missing resource " + name);
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The model this server classifies with. */
    public Classifier classifier() { return classifier; }

    @Override public void close() {
        app.stop();
        classifier.close();
    }

    /** An answer with an HTTP status and a message for the client. */
    static final class ApiError extends RuntimeException {
        final int status;

        ApiError(int status, String message) {
            super(message);
            this.status = status;
        }
    }
}
