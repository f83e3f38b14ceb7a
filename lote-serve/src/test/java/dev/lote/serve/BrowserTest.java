package dev.lote.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.lote.predict.Classifier;
import dev.lote.report.Report;
import dev.lote.testing.Images;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The report and the serve page in a real Chromium (Debian's, driven by its chromedriver). Screenshots are kept
 * in target/browser/. Skipped where Chromium is not installed, unless LOTE_BROWSER_TESTS=required (as in CI).
 */
class BrowserTest {
    static final Path CHROMIUM = Path.of("/usr/bin/chromium"), DRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SHOTS = Path.of("target", "browser");
    @TempDir static Path dir;
    static Path data, modelFile;
    static ChromeDriver browser;

    @BeforeAll
    static void start() throws Exception {
        boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        if (!installed && "required".equals(System.getenv("LOTE_BROWSER_TESTS"))) {
            throw new IllegalStateException("LOTE_BROWSER_TESTS=required but " + CHROMIUM + " or " + DRIVER + " is missing "
                    + "(apt-get install chromium chromium-driver)");
        }
        Assumptions.assumeTrue(installed, "Chromium is not installed: apt-get install chromium chromium-driver");
        data = Images.sampleFolder(dir.resolve("data"), 3, 10, 48, 64);
        modelFile = dir.resolve("m.lote");
        Trained.model(data, 3, 6, modelFile);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                "--window-size=1200,1400", "--user-data-dir=" + Files.createDirectories(dir.resolve("chromium-profile")));
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        Files.createDirectories(SHOTS);
    }

    @AfterAll
    static void stop() {
        if (browser != null) browser.quit();
    }

    static void screenshot(String name) throws Exception {
        Files.write(SHOTS.resolve(name), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    /** Polls {@code condition} until it gives a non-null, non-false value (20 s at most). */
    static <T> T until(java.util.function.Supplier<T> condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (true) {
            T value = condition.get();
            if (value != null && !Boolean.FALSE.equals(value)) return value;
            if (System.nanoTime() > deadline) throw new AssertionError("the page did not get there within 20 s:\n" + browser.getPageSource());
            Thread.sleep(50);
        }
    }

    @SuppressWarnings("unchecked")
    static <T> T js(String script, Object... args) { return (T) ((JavascriptExecutor) browser).executeScript(script, args); }

    @Test
    void theReportRendersItsCurvesHeatMapAndThumbnails() throws Exception {
        Path report = Report.besideModel(modelFile);
        assertTrue(Files.isRegularFile(report), "train writes the report beside the model");
        browser.get(report.toUri().toString());
        List<Number> lengths = js("return Array.from(document.querySelectorAll('svg.curve polyline')).map(p => p.getTotalLength());");
        assertEquals(4, lengths.size(), "loss and accuracy, training and validation");
        for (Number l : lengths) assertTrue(l.doubleValue() > 50, "a drawn line, not an empty one: " + lengths);
        Number cells = js("return document.querySelectorAll('svg.heatmap rect.cell').length;");
        assertEquals(9, cells.intValue());
        Number counted = js("return Array.from(document.querySelectorAll('svg.heatmap rect.cell')).map(r => +r.dataset.count).reduce((a, b) => a + b, 0);");
        assertEquals(6, counted.intValue(), "every validation image (2 of 10 per class) is in the matrix");
        Number width = js("return document.querySelector('svg.heatmap').getBoundingClientRect().width;");
        assertTrue(width.doubleValue() > 100);
        Boolean thumbnails = js("const imgs = document.querySelectorAll('.worst img');"
                + "return imgs.length > 0 && Array.from(imgs).every(i => i.complete && i.naturalWidth > 0);");
        assertTrue(thumbnails, "the highest-loss thumbnails decode from their data URIs");
        Number external = js("return Array.from(document.querySelectorAll('[src],[href]')).filter(e => /^https?:/.test(e.getAttribute('src') || e.getAttribute('href'))).length;");
        assertEquals(0, external.intValue(), "nothing is fetched when the report is viewed");
        screenshot("report.png");
    }

    @Test
    void theServePageShowsThePredictionOfAnUploadedImage() throws Exception {
        Path image, text = Files.writeString(dir.resolve("notes.jpg"), "not a picture");
        try (Stream<Path> s = Files.walk(data.resolve("2"))) {
            image = s.filter(p -> p.toString().endsWith(".jpg")).sorted().findFirst().orElseThrow();
        }
        try (Classifier classifier = Classifier.open(modelFile);
             Server server = Server.start(modelFile, Server.Options.defaults().at("127.0.0.1", 0))) {
            float[] p = classifier.probabilities(image);
            int best = 0;
            for (int i = 1; i < p.length; i++) if (p[i] > p[best]) best = i;
            browser.get(server.url());
            until(() -> browser.findElement(By.id("model")).getText().contains("3 classes"));

            browser.findElement(By.id("files")).sendKeys(image.toAbsolutePath().toString());
            WebElement card = until(() -> browser.findElements(By.cssSelector(".card[data-state]")).stream().findFirst().orElse(null));
            assertEquals("done", card.getAttribute("data-state"), card.getText());
            List<WebElement> bars = card.findElements(By.cssSelector(".bar"));
            assertEquals(3, bars.size());
            assertEquals(classifier.classes().get(best), bars.get(0).findElement(By.cssSelector(".label")).getText());
            String shown = bars.get(0).findElement(By.cssSelector(".p")).getText();
            assertEquals(String.format(java.util.Locale.ROOT, "%.1f %%", 100 * p[best]), shown);
            Number fill = js("return arguments[0].querySelector('.fill').getBoundingClientRect().width;", bars.get(0));
            assertTrue(fill.doubleValue() > 0, "the bar is drawn");
            screenshot("serve.png");

            browser.findElement(By.id("overlay")).click(); // what the model looked at, over the image
            WebElement img = card.findElement(By.cssSelector("img"));
            until(() -> "heat".equals(img.getAttribute("data-shows")) ? true : null);
            assertTrue(img.getAttribute("src").startsWith("blob:"), img.getAttribute("src"));
            Number width = until(() -> { Number w = js("return arguments[0].naturalWidth;", img); return w.intValue() > 0 ? w : null; });
            assertTrue(width.intValue() >= 256, "the heat map is drawn at least 256 pixels on its shorter side: " + width);
            browser.findElement(By.id("overlay")).click();
            until(() -> "image".equals(img.getAttribute("data-shows")) ? true : null);
            browser.findElement(By.id("overlay")).click(); // back on for the next image

            browser.findElement(By.id("files")).sendKeys(text.toAbsolutePath().toString());
            WebElement error = until(() -> browser.findElements(By.cssSelector(".card[data-state=error]")).stream().findFirst().orElse(null));
            assertTrue(error.getText().contains("notes.jpg: not an image"), error.getText());
            assertTrue(browser.findElement(By.id("report-link")).getAttribute("href").endsWith("/report"));
        }
    }
}
