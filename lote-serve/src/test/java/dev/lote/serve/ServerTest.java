package dev.lote.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.lote.predict.Classifier;
import dev.lote.testing.Images;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code lote serve}'s HTTP contract, spoken to over loopback with a real model. */
class ServerTest {
    @TempDir static Path dir;
    static Path data, modelFile;
    static Classifier classifier;
    static Server server;
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        data = Images.sampleFolder(dir.resolve("data"), 3, 8, 24, 32);
        modelFile = dir.resolve("m.lote");
        Trained.model(data, 2, 6, modelFile);
        classifier = Classifier.open(modelFile);
        server = Server.start(modelFile, Server.Options.defaults().at("127.0.0.1", 0).limits(1 << 20, 4_000_000));
    }

    @AfterAll
    static void stop() {
        if (server != null) server.close();
        if (classifier != null) classifier.close();
    }

    static List<Path> images() throws IOException {
        try (Stream<Path> s = Files.walk(data)) {
            return s.filter(p -> p.toString().endsWith(".jpg")).sorted().toList();
        }
    }

    static HttpResponse<String> send(String method, String path, byte[] body, String contentType) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(server.url() + path.substring(1)));
        if (contentType != null) b.header("Content-Type", contentType);
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofByteArray(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> r) throws IOException {
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("application/json"), r.headers().toString());
        return JSON.readTree(r.body());
    }

    /** A multipart/form-data body with one file field per image, as a browser's form sends it. */
    static byte[] multipart(String boundary, List<Path> files) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (Path f : files) {
            out.write(("--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + f.getFileName()
                    + "\"\r\nContent-Type: image/jpeg\r\n\r\n").getBytes(StandardCharsets.UTF_8));
            out.write(Files.readAllBytes(f));
            out.write("\r\n".getBytes(StandardCharsets.UTF_8));
        }
        out.write(("--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8));
        return out.toByteArray();
    }

    /**
     * An upload twice the model's size (48×64 for a 24×32 model), made of 2×2 blocks of one colour, is area-resized to
     * exactly the 24×32 picture: both answers agree. A server that cropped, padded or skipped the resize would not.
     */
    @Test
    void uploadsOfAnotherSizeAreResizedAsTheModelsImagesWere() throws Exception {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        java.awt.image.BufferedImage small = new java.awt.image.BufferedImage(32, 24, java.awt.image.BufferedImage.TYPE_INT_RGB);
        java.awt.image.BufferedImage big = new java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 24; y++) for (int x = 0; x < 32; x++) {
            int rgb = (x * 8 + r.nextInt(40)) << 16 | (y * 10 + r.nextInt(20)) << 8 | r.nextInt(256);
            small.setRGB(x, y, rgb);
            for (int dy = 0; dy < 2; dy++) for (int dx = 0; dx < 2; dx++) big.setRGB(2 * x + dx, 2 * y + dy, rgb);
        }
        float[] a = probabilitiesFromServer(png(small)), b = probabilitiesFromServer(png(big));
        for (int i = 0; i < a.length; i++) assertEquals(a[i], b[i], 1e-6f, "class " + i);
        java.awt.image.BufferedImage shifted = big.getSubimage(2, 0, 62, 48); // another picture must give another answer
        float[] c = probabilitiesFromServer(png(shifted));
        double diff = 0;
        for (int i = 0; i < a.length; i++) diff += Math.abs(a[i] - c[i]);
        assertTrue(diff > 1e-4, "a different picture gave the same probabilities: the test could not tell");
    }

    static byte[] png(java.awt.image.BufferedImage image) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    /** The server's probabilities in the model's class order. */
    float[] probabilitiesFromServer(byte[] image) throws Exception {
        HttpResponse<String> r = send("POST", "/predict?top_k=3", image, "image/png");
        assertEquals(200, r.statusCode(), r.body());
        float[] p = new float[classifier.classes().size()];
        for (JsonNode e : json(r).get("predictions")) p[classifier.classes().indexOf(e.get("class").asText())] = e.get("probability").floatValue();
        return p;
    }

    @Test
    void explainAnswersAPngOfWhatTheModelLookedAt() throws Exception {
        Path image = images().get(0);
        HttpRequest post = HttpRequest.newBuilder(URI.create(server.url() + "explain")).header("Content-Type", "image/jpeg")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(image))).build();
        HttpResponse<byte[]> r = http.send(post, HttpResponse.BodyHandlers.ofByteArray());
        assertEquals(200, r.statusCode(), new String(r.body(), StandardCharsets.UTF_8));
        assertEquals("image/png", r.headers().firstValue("Content-Type").orElse(""));
        assertEquals(classifier.classify(image).best().className(), r.headers().firstValue("X-Lote-Class").orElse(""));
        var drawn = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(r.body()));
        assertEquals(256, Math.min(drawn.getWidth(), drawn.getHeight()));
        assertEquals(415, send("POST", "/explain", "not a picture".getBytes(), "image/jpeg").statusCode());
        HttpResponse<String> wrongLayer = send("POST", "/explain?layer=nope", Files.readAllBytes(image), "image/jpeg");
        assertEquals(400, wrongLayer.statusCode());
        assertTrue(json(wrongLayer).get("error").asText().contains("has no layer 'nope'"), wrongLayer.body());
    }

    @Test
    void anImageBodyGetsTheSameProbabilitiesAsTheClassifier() throws Exception {
        Path image = images().get(0);
        HttpResponse<String> r = send("POST", "/predict?top_k=3", Files.readAllBytes(image), "image/jpeg");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode predictions = json(r).get("predictions");
        assertEquals(3, predictions.size());
        float[] direct = classifier.probabilities(image);
        int best = 0;
        for (int i = 1; i < direct.length; i++) if (direct[i] > direct[best]) best = i;
        assertEquals(classifier.classes().get(best), predictions.get(0).get("class").asText());
        assertEquals(direct[best], predictions.get(0).get("probability").floatValue(), 1e-5f);
        double sum = 0;
        for (JsonNode p : predictions) sum += p.get("probability").asDouble();
        assertEquals(1.0, sum, 1e-4, "3 classes: the top 3 are all of them");
    }

    /** A multi-label model's answer also lists its labels: every class at or above its threshold (0.5 where none were chosen). */
    @Test
    void aMultiLabelModelAnswersItsLabels() throws Exception {
        Path file = dir.resolve("tags.lote");
        List<String> classes = List.of("a", "b", "c");
        try (dev.lote.LoteModel m = dev.lote.LoteModel.create(dev.lote.nn.Presets.resolve("small-cnn", dev.lote.nn.Shape.image(24, 32, 3), 3)
                .sigmoidOutput(), classes, dev.lote.image.Resize.STRETCH, 4)) {
            m.save(file);
        }
        try (Server tags = Server.start(file, Server.Options.defaults().at("127.0.0.1", 0))) {
            HttpRequest post = HttpRequest.newBuilder(URI.create(tags.url() + "predict?top_k=3"))
                    .POST(HttpRequest.BodyPublishers.ofByteArray(Files.readAllBytes(images().get(0)))).header("Content-Type", "image/jpeg").build();
            HttpResponse<String> r = http.send(post, HttpResponse.BodyHandlers.ofString());
            assertEquals(200, r.statusCode(), r.body());
            JsonNode answer = json(r);
            List<String> expected = new ArrayList<>(), labels = new ArrayList<>();
            for (JsonNode p : answer.get("predictions")) {
                if (p.get("probability").asDouble() >= 0.5) expected.add(p.get("class").asText());
            }
            answer.get("labels").forEach(l -> labels.add(l.asText()));
            expected.sort(java.util.Comparator.comparing(classes::indexOf));
            assertEquals(expected, labels, r.body());
        }
    }

    /** {@code ?unknown_below=P}: "class" is the best class, or "unknown" when its probability is below P. */
    @Test
    void unknownBelowAnswersUnknownUnderTheThreshold() throws Exception {
        byte[] image = Files.readAllBytes(images().get(0));
        JsonNode sure = json(send("POST", "/predict?unknown_below=0", image, "image/jpeg"));
        assertEquals(sure.get("predictions").get(0).get("class").asText(), sure.get("class").asText());
        assertEquals(false, sure.get("unknown").asBoolean());
        JsonNode unsure = json(send("POST", "/predict?unknown_below=1", image, "image/jpeg"));
        assertEquals("unknown", unsure.get("class").asText());
        assertEquals(true, unsure.get("unknown").asBoolean());
        assertEquals(sure.get("predictions"), unsure.get("predictions"), "the ranked classes are still there");
        assertTrue(!json(send("POST", "/predict", image, "image/jpeg")).has("unknown"), "no threshold, no answer field");
        for (String bad : List.of("1.5", "-0.1", "half", "NaN")) {
            HttpResponse<String> r = send("POST", "/predict?unknown_below=" + bad, image, "image/jpeg");
            assertEquals(400, r.statusCode(), bad);
            assertEquals("unknown_below must be a probability from 0 to 1, got '" + bad + "'.", json(r).get("error").asText());
        }
    }

    @Test
    void aMultipartRequestWithSeveralFilesGetsOneResultPerFileInOrder() throws Exception {
        List<Path> files = images().subList(0, 3);
        HttpResponse<String> r = send("POST", "/predict", multipart("b0undary", files), "multipart/form-data; boundary=b0undary");
        assertEquals(200, r.statusCode(), r.body());
        JsonNode results = json(r).get("results");
        assertEquals(3, results.size());
        for (int i = 0; i < 3; i++) {
            assertEquals(files.get(i).getFileName().toString(), results.get(i).get("file").asText());
            assertEquals(3, results.get(i).get("predictions").size(), "top_k defaults to 5, capped at the number of classes");
        }
    }

    @Test
    void badRequestsGetClearJsonErrorsWithTheirStatus() throws Exception {
        HttpResponse<String> r = send("POST", "/predict", "not a picture".getBytes(StandardCharsets.UTF_8), "image/jpeg");
        assertEquals(415, r.statusCode());
        assertTrue(json(r).get("error").asText().contains("not an image"), r.body());

        r = send("POST", "/predict", new byte[(1 << 20) + 1], "image/jpeg");
        assertEquals(413, r.statusCode());
        assertTrue(json(r).get("error").asText().contains("over the limit of 1.0 MB"), r.body());

        r = send("POST", "/predict", multipart("xx", List.of(Files.write(dir.resolve("huge.bin"), new byte[(1 << 20) + 10]))),
                "multipart/form-data; boundary=xx");
        assertEquals(413, r.statusCode(), r.body());

        byte[] bomb = Files.readAllBytes(images().get(0)); // a JPEG whose header declares 60000x60000
        for (int i = 0; i + 8 < bomb.length; i++) {
            if ((bomb[i] & 0xff) == 0xFF && (bomb[i + 1] & 0xff) == 0xC0) {
                bomb[i + 5] = (byte) 0xEA; bomb[i + 6] = (byte) 0x60; bomb[i + 7] = (byte) 0xEA; bomb[i + 8] = (byte) 0x60;
                break;
            }
        }
        r = send("POST", "/predict", bomb, "image/jpeg");
        assertEquals(413, r.statusCode());
        assertTrue(json(r).get("error").asText().contains("megapixels, over the limit of 4"), r.body());

        r = send("POST", "/predict", new byte[0], "image/jpeg");
        assertEquals(400, r.statusCode());
        r = send("POST", "/predict?top_k=0", Files.readAllBytes(images().get(0)), "image/jpeg");
        assertEquals(400, r.statusCode());
        assertTrue(json(r).get("error").asText().contains("top_k"));

        r = send("GET", "/no/such/thing", null, null);
        assertEquals(404, r.statusCode());
        assertEquals(404, json(r).get("status").asInt());
        r = send("GET", "/predict", null, null);
        assertEquals(405, r.statusCode());
        json(r);

        // and the server still answers correctly afterwards
        r = send("POST", "/predict", Files.readAllBytes(images().get(0)), "image/jpeg");
        assertEquals(200, r.statusCode(), r.body());
    }

    @Test
    void modelHealthPageAndReport() throws Exception {
        JsonNode m = json(send("GET", "/model", null, null));
        assertEquals(List.of("0", "1", "2"), JSON.convertValue(m.get("classes"), List.class));
        assertEquals(24, m.get("input").get("height").asInt());
        assertEquals(32, m.get("input").get("width").asInt());
        assertEquals(2, m.get("epochs").asInt());
        assertTrue(m.get("metrics").has("val_accuracy"));
        assertEquals("ok", json(send("GET", "/health", null, null)).get("status").asText());
        HttpResponse<String> page = send("GET", "/", null, null);
        assertEquals(200, page.statusCode());
        assertTrue(page.body().contains("id=\"files\"") && page.body().contains("/report"));
        HttpResponse<String> report = send("GET", "/report", null, null);
        assertEquals(200, report.statusCode());
        assertTrue(report.body().contains("<svg class=\"curve\""), "train wrote the report beside the model and serve shows it");
    }

    @Test
    void manyConcurrentClientsAllGetTheirOwnAnswers() throws Exception {
        List<Path> files = images();
        float[][] expected = new float[files.size()][];
        for (int i = 0; i < files.size(); i++) expected[i] = classifier.probabilities(files.get(i));
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            List<Future<Boolean>> answers = new ArrayList<>();
            for (int c = 0; c < 16; c++) {
                final int client = c;
                answers.add(pool.submit(() -> {
                    for (int i = 0; i < 15; i++) {
                        int k = (client * 7 + i) % files.size();
                        HttpResponse<String> r = send("POST", "/predict?top_k=3", Files.readAllBytes(files.get(k)), "image/jpeg");
                        if (r.statusCode() != 200) return false;
                        float[] got = new float[3];
                        for (JsonNode p : json(r).get("predictions")) got[Integer.parseInt(p.get("class").asText())] = p.get("probability").floatValue();
                        for (int j = 0; j < 3; j++) if (Math.abs(got[j] - expected[k][j]) > 1e-4) return false;
                    }
                    return true;
                }));
            }
            for (Future<Boolean> a : answers) assertTrue(a.get(), "every answer is the image's own, batched or not");
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void aTakenPortIsAClearError() {
        var e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> Server.start(modelFile, Server.Options.defaults().at("127.0.0.1", server.port())));
        assertTrue(e.getMessage().contains("Cannot listen on 127.0.0.1:" + server.port()), e.getMessage());
    }
}
