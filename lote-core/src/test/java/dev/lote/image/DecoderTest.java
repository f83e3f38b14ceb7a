package dev.lote.image;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.lote.testing.Images;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecoderTest {
    @TempDir Path dir;
    private final Decoder decoder = new Decoder();

    /** A file from TwelveMonkeys' test corpus (a test-scope jar), copied out so the decoder reads it from disk. */
    private Path corpus(String name) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/" + name)) {
            if (in == null) fail("missing test resource " + name);
            Path p = dir.resolve(name.replace('/', '_'));
            Files.copy(in, p);
            return p;
        }
    }

    private Path photo(String name, int h, int w) throws IOException {
        BufferedImage img = dev.lote.sample.SampleImages.render(3, h, w, new SplittableRandom(1));
        Path p = dir.resolve(name);
        ImageIO.write(img, "jpg", p.toFile());
        return p;
    }

    private static double meanAbsDiff(Pixels a, Pixels b) {
        assertEquals(a.width(), b.width());
        assertEquals(a.height(), b.height());
        long sum = 0;
        for (int i = 0; i < a.rgb().length; i++) sum += Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff));
        return sum / (double) a.rgb().length;
    }

    private static int[] rgbAt(Pixels p, int x, int y) {
        int i = (y * p.width() + x) * 3;
        return new int[] {p.rgb()[i] & 0xff, p.rgb()[i + 1] & 0xff, p.rgb()[i + 2] & 0xff};
    }

    /** The reduced decode turns EXIF-oriented JPEGs upright too. */
    @Test
    void exifOrientationIsAppliedWhenDecodingReduced() throws Exception {
        Path first = corpus("exif/Landscape_1.jpg");
        Header h = decoder.header(first);
        int th = h.height() / 4, tw = h.width() / 4; // small enough for a 1/2 or 1/4 decode either way round
        Pixels upright = new Decoder().fullSize().read(first, th, tw, Resize.STRETCH);
        for (int o = 1; o <= 8; o++) {
            Path f = o == 1 ? first : corpus("exif/Landscape_" + o + ".jpg");
            byte[] bytes = Files.readAllBytes(f);
            assertTrue(Decoder.reduction(decoder.header(f), th, tw, Orientation.of(bytes) >= 5) > 1);
            Pixels p = decoder.read(f, th, tw, Resize.STRETCH);
            assertTrue(meanAbsDiff(upright, p) < 8, "orientation " + o + " differs by " + meanAbsDiff(upright, p));
        }
    }

    @Test
    void exifOrientationIsAppliedSoAllEightLookTheSame() throws Exception {
        Pixels upright = decoder.read(corpus("exif/Landscape_1.jpg"));
        for (int o = 2; o <= 8; o++) {
            Pixels p = decoder.read(corpus("exif/Landscape_" + o + ".jpg"));
            assertTrue(meanAbsDiff(upright, p) < 8, "orientation " + o + " differs by " + meanAbsDiff(upright, p));
        }
    }

    /** Issue 13: the ImageIO fallback (for JPEGs OpenCV cannot read) turns them upright too. */
    @Test
    void theFallbackDecoderAppliesExifOrientation() throws Exception {
        Pixels upright = decoder.read(corpus("exif/Landscape_1.jpg"));
        for (int o = 2; o <= 8; o++) {
            byte[] bytes = Files.readAllBytes(corpus("exif/Landscape_" + o + ".jpg"));
            assertEquals(o, Orientation.of(bytes));
            Pixels p = Orientation.apply(ImageIoDecoder.decode(Path.of("x.jpg"), bytes), Orientation.of(bytes));
            assertTrue(meanAbsDiff(upright, p) < 8, "orientation " + o + " differs by " + meanAbsDiff(upright, p));
        }
    }

    @Test
    void cmykJpegsGetTheColoursImageIoWithTwelveMonkeysGives() throws Exception {
        for (String name : List.of("jpeg/cmyk-sample.jpg", "jpeg/cmyk-sample-no-icc.jpg")) {
            Path f = corpus(name);
            Pixels ours = decoder.read(f);
            Pixels reference = ImageIoDecoder.toRgb(ImageIO.read(f.toFile()));
            assertTrue(meanAbsDiff(ours, reference) < 25, name + " differs by " + meanAbsDiff(ours, reference));
        }
    }

    @Test
    void greyscaleBecomesThreeEqualChannels() throws Exception {
        Pixels p = decoder.read(corpus("jpeg/gray-sample.jpg"));
        for (int i = 0; i < p.rgb().length; i += 3) {
            assertEquals(p.rgb()[i], p.rgb()[i + 1]);
            assertEquals(p.rgb()[i], p.rgb()[i + 2]);
        }
    }

    @Test
    void pngAlphaIsFlattenedOnWhite() throws Exception {
        BufferedImage img = new BufferedImage(4, 2, BufferedImage.TYPE_INT_ARGB);
        img.setRGB(0, 0, 0x00FF0000); // fully transparent red
        img.setRGB(1, 0, 0xFF0000FF); // opaque blue
        img.setRGB(2, 0, 0x80000000); // half-transparent black
        Path p = dir.resolve("alpha.png");
        ImageIO.write(img, "png", p.toFile());
        Pixels px = decoder.read(p);
        assertEquals(List.of(255, 255, 255), List.of(rgbAt(px, 0, 0)[0], rgbAt(px, 0, 0)[1], rgbAt(px, 0, 0)[2]));
        assertEquals(List.of(0, 0, 255), List.of(rgbAt(px, 1, 0)[0], rgbAt(px, 1, 0)[1], rgbAt(px, 1, 0)[2]));
        assertEquals(127, rgbAt(px, 2, 0)[0], 1);
    }

    @Test
    void sixteenBitPngIsScaledToEightBits() throws Exception {
        BufferedImage img = new BufferedImage(2, 1, BufferedImage.TYPE_USHORT_GRAY);
        img.getRaster().setSample(0, 0, 0, 65535);
        img.getRaster().setSample(1, 0, 0, 32896); // 128 × 257
        Path p = dir.resolve("gray16.png");
        ImageIO.write(img, "png", p.toFile());
        Pixels px = decoder.read(p);
        assertEquals(255, rgbAt(px, 0, 0)[0]);
        assertEquals(128, rgbAt(px, 1, 0)[2]);
    }

    @Test
    void bmpAndGifAreRead() throws Exception {
        for (String format : List.of("bmp", "gif")) {
            Path p = Images.write(dir.resolve("red." + format), 3, 5, 0xFF0000, format);
            Pixels px = decoder.read(p);
            assertEquals(5, px.width());
            assertTrue(rgbAt(px, 2, 1)[0] > 240 && rgbAt(px, 2, 1)[1] < 15, format);
        }
    }

    @Test
    void resizePoliciesGiveTheTargetSize() throws Exception {
        Path p = photo("wide.jpg", 100, 200);
        for (Resize r : Resize.values()) {
            Pixels px = decoder.read(p, 64, 48, r);
            assertEquals(48, px.width(), r.label());
            assertEquals(64, px.height(), r.label());
        }
        Pixels padded = decoder.read(p, 100, 100, Resize.PAD); // 200x100 → 100x50 in the middle, black above and below
        assertEquals(0, rgbAt(padded, 50, 5)[0] + rgbAt(padded, 50, 5)[1] + rgbAt(padded, 50, 5)[2]);
        Pixels larger = decoder.read(p, 300, 600, Resize.STRETCH);
        assertEquals(600, larger.width());
    }

    @Test
    void brokenFilesAreRefusedWithTheirReason() throws Exception {
        Path good = photo("good.jpg", 120, 160);
        byte[] bytes = Files.readAllBytes(good);

        Path truncated = dir.resolve("truncated.jpg");
        Files.write(truncated, java.util.Arrays.copyOf(bytes, bytes.length * 6 / 10));
        assertReason(truncated, "truncated");

        Path empty = Files.createFile(dir.resolve("empty.jpg"));
        assertReason(empty, "empty file");

        Path text = Files.writeString(dir.resolve("notes.jpg"), "hello, I am not a picture");
        assertReason(text, "not an image");

        Path missing = dir.resolve("missing.jpg");
        assertReason(missing, "no such file");
    }

    @Test
    void aHeaderDeclaringSixtyThousandSquaredIsRefusedBeforeDecoding() throws Exception {
        byte[] b = Files.readAllBytes(photo("small.jpg", 16, 16));
        for (int i = 0; i + 8 < b.length; i++) { // SOF0: FFC0 len(2) precision(1) height(2) width(2)
            if ((b[i] & 0xff) == 0xFF && (b[i + 1] & 0xff) == 0xC0) {
                b[i + 5] = (byte) 0xEA; b[i + 6] = (byte) 0x60;
                b[i + 7] = (byte) 0xEA; b[i + 8] = (byte) 0x60;
                break;
            }
        }
        Path bomb = Files.write(dir.resolve("bomb.jpg"), b);
        long before = dev.lote.testing.Project.peakRssBytes();
        BadImageException e = assertThrows(BadImageException.class, () -> decoder.read(bomb));
        assertTrue(e.reason().contains("60000x60000 = 3600 megapixels, over the limit of 100"), e.reason());
        assertTrue(dev.lote.testing.Project.peakRssBytes() - before < 100_000_000L, "no pixel buffer was allocated");
        assertEquals(60000, decoder.header(bomb).width());
    }

    @Test
    void bitFlippedJpegsNeverComeBackSilentlyGrey() throws Exception {
        byte[] good = Files.readAllBytes(photo("flip.jpg", 240, 320));
        SplittableRandom r = new SplittableRandom(3);
        int refused = 0;
        for (int k = 0; k < 20; k++) {
            byte[] b = good.clone();
            for (int j = 0; j < 8; j++) { // flip bytes in the entropy-coded data, after the headers
                int at = good.length / 3 + r.nextInt(good.length / 2);
                b[at] = (byte) (b[at] ^ (1 << r.nextInt(8)));
            }
            Path p = Files.write(dir.resolve("flipped" + k + ".jpg"), b);
            try {
                Pixels px = decoder.read(p);
                assertTrue(!Decoder.greyFilledBottom(px), "a grey-filled image came back for " + p);
            } catch (BadImageException e) {
                refused++;
                assertTrue(e.getMessage().startsWith(p.toString()), e.getMessage());
            }
        }
        System.out.println("bit-flipped JPEGs refused: " + refused + " of 20 (the rest decode with visible damage, not grey)");
    }

    @Test
    void theTwelveMonkeysBrokenCorpusNeverCrashesOrThrowsAnythingElse() throws Exception {
        List<String> names = new ArrayList<>();
        try (var zip = new java.util.zip.ZipInputStream(Files.newInputStream(Path.of(
                DecoderTest.class.getResource("/broken-jpeg/broken-sos-before-sof.jpg").toURI().toString().replaceAll("^jar:file:|!.*$", ""))))) {
            for (var e = zip.getNextEntry(); e != null; e = zip.getNextEntry()) {
                if (e.getName().startsWith("broken-jpeg/") && !e.isDirectory()) names.add(e.getName());
            }
        }
        assertTrue(names.size() > 10, names.toString());
        int refused = 0;
        for (String n : names) {
            try {
                Pixels p = decoder.read(corpus(n));
                assertTrue(p.width() > 0);
            } catch (BadImageException e) {
                refused++;
                assertTrue(!e.reason().isBlank());
            }
        }
        assertTrue(refused > 0);
    }

    private void assertReason(Path file, String reason) {
        BadImageException e = assertThrows(BadImageException.class, () -> decoder.read(file));
        assertTrue(e.reason().contains(reason), e.getMessage());
        assertTrue(e.getMessage().startsWith(file.toString()), e.getMessage());
        assertEquals(file, e.file());
    }

    /** Issue 13: canvases and byte costs read from the header, before anything is allocated. */
    @Test
    void bombsAreRefusedFromTheirHeaders() throws Exception {
        // a 35-byte GIF whose logical screen is 32767×32767 and whose only frame is 1×1
        byte[] gif = {'G', 'I', 'F', '8', '9', 'a', (byte) 0xff, 0x7f, (byte) 0xff, 0x7f, 0, 0, 0,
                0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0x02, 0x02, 0x44, 0x01, 0x00, 0x3b, 0, 0, 0, 0, 0, 0};
        var e = assertThrows(BadImageException.class, () -> decoder.read(Files.write(dir.resolve("bomb.gif"), gif), 8, 8, Resize.STRETCH));
        assertTrue(e.getMessage().contains("32767x32767"), e.getMessage());
        // a 16-bit RGBA PNG of 7000×7000 (49 MP, under a 50 MP pixel limit) takes 8 bytes a pixel to decode
        byte[] png = new byte[64];
        byte[] sig = {(byte) 0x89, 'P', 'N', 'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 'I', 'H', 'D', 'R'};
        System.arraycopy(sig, 0, png, 0, sig.length);
        java.nio.ByteBuffer.wrap(png, 16, 8).putInt(7000).putInt(7000);
        png[24] = 16;
        png[25] = 6;
        Decoder serve = new Decoder(new Limits(50_000_000L, 20L << 20));
        e = assertThrows(BadImageException.class, () -> serve.read(Files.write(dir.resolve("deep.png"), png), 8, 8, Resize.STRETCH));
        assertTrue(e.getMessage().contains("7000x7000 at 8 bytes a pixel = 392 MB to decode, over the limit of 150 MB"), e.getMessage());
        // an animated WebP's canvas (VP8X) of 16384×16384
        byte[] webp = new byte[40];
        byte[] riff = {'R', 'I', 'F', 'F', 32, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', 'X', 10, 0, 0, 0, 0x02, 0, 0, 0, (byte) 0xff, 0x3f, 0, (byte) 0xff, 0x3f, 0};
        System.arraycopy(riff, 0, webp, 0, riff.length);
        e = assertThrows(BadImageException.class, () -> decoder.read(Files.write(dir.resolve("canvas.webp"), webp), 8, 8, Resize.STRETCH));
        assertTrue(e.getMessage().contains("16384x16384"), e.getMessage());
    }

    /** A "motion photo": a whole JPEG with a video after its end marker decodes; the same JPEG cut short does not. */
    @Test
    void dataAfterTheEndOfImageIsNotTruncation() throws Exception {
        Path jpg = Images.write(dir.resolve("p.jpg"), 48, 64, 0x3366cc, "jpg");
        byte[] photo = Files.readAllBytes(jpg);
        byte[] video = new byte[64 * 1024];
        new SplittableRandom(2).nextBytes(video); // an MP4's bytes, FF D9 and FF DA included by chance
        byte[] motion = java.util.Arrays.copyOf(photo, photo.length + video.length);
        System.arraycopy(video, 0, motion, photo.length, video.length);
        Pixels px = decoder.read(Files.write(dir.resolve("motion.jpg"), motion), 48, 64, Resize.STRETCH);
        assertEquals(48 * 64 * 3, px.rgb().length);
        byte[] cut = java.util.Arrays.copyOf(photo, photo.length - 40);
        var e = assertThrows(BadImageException.class, () -> decoder.read(Files.write(dir.resolve("cut.jpg"), cut), 48, 64, Resize.STRETCH));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    /** Issue 13: libjpeg's stderr warnings about a file that still decodes become that file's notes, named. */
    @Test
    void libjpegsWarningsBelongToTheirFile() throws Exception {
        dev.lote.natives.NativeCode.enable(true); // as the CLI does, or Engine.options().nativeKernels(true)
        try {
            dev.lote.testing.NativeCodeTests.require(dev.lote.natives.NativeCode.compile(DecoderMessages.class, "messages.c", List.of()) != null);
            Path photo = Files.list(Images.sampleFolder(dir.resolve("warn"), 2, 1, 192, 256).resolve("0")).findFirst().orElseThrow();
            byte[] good = Files.readAllBytes(photo);
            assertTrue(decoder.verify(good, photo).isEmpty(), "a clean photo has no notes");
            int scan = indexOf(good, (byte) 0xff, (byte) 0xda);
            byte[] bad = new byte[good.length + 3]; // three stray bytes before the scan's marker: libjpeg warns and decodes on
            System.arraycopy(good, 0, bad, 0, scan);
            System.arraycopy(good, scan, bad, scan + 3, good.length - scan);
            Path file = Files.write(dir.resolve("stray.jpg"), bad);
            assertEquals("the decoder says: Corrupt JPEG data: 3 extraneous bytes before marker 0xda", decoder.verify(bad, file).get(0));
            assertEquals(192 * 256 * 3, decoder.read(file).rgb().length, "and it decodes");
        } finally {
            dev.lote.natives.NativeCode.enable(false);
        }
    }

    private static int indexOf(byte[] b, byte x, byte y) {
        for (int i = 0; i + 1 < b.length; i++) if (b[i] == x && b[i + 1] == y) return i;
        throw new AssertionError("no scan in the JPEG");
    }

    /** 32-bit samples (scientific TIFFs) scale by 2^32 − 1, not by (1 << 32) − 1 = 0. */
    @Test
    void thirtyTwoBitSamplesScaleToEightBits() {
        int w = 4, h = 1;
        var cs = java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB);
        var cm = new java.awt.image.ComponentColorModel(cs, new int[] {32, 32, 32}, false, false, java.awt.Transparency.OPAQUE,
                java.awt.image.DataBuffer.TYPE_INT);
        var raster = cm.createCompatibleWritableRaster(w, h);
        long[] levels = {0, 1L << 31, 3L << 30, 4294967295L};
        for (int x = 0; x < w; x++) for (int c = 0; c < 3; c++) raster.setSample(x, 0, c, (int) levels[x]);
        Pixels px = ImageIoDecoder.toRgb(new BufferedImage(cm, raster, false, null));
        assertEquals(List.of(0, 128, 191, 255), List.of(px.rgb()[0] & 0xff, px.rgb()[3] & 0xff, px.rgb()[6] & 0xff, px.rgb()[9] & 0xff));
    }

    /** Issue 13: inspect and train give each file one verdict; a second reader's remarks are notes, not "bad". */
    @Test
    void inspectAndTrainAgreeOnEveryOddJpegOfTheCorpus() throws Exception {
        java.net.URL jar = getClass().getResource("/jpeg/gray-sample.jpg");
        String path = jar.getPath().substring("file:".length(), jar.getPath().indexOf('!'));
        int files = 0, bad = 0, noted = 0;
        try (java.util.zip.ZipFile z = new java.util.zip.ZipFile(path)) {
            for (var e : java.util.Collections.list(z.entries())) {
                if (!e.getName().toLowerCase().matches(".*\\.jpe?g")) continue;
                byte[] bytes;
                try (InputStream in = z.getInputStream(e)) {
                    bytes = in.readAllBytes();
                }
                Path name = Path.of(e.getName());
                boolean trainSkips = false, inspectBad = false;
                try {
                    decoder.read(bytes, name, 0, 0, Resize.STRETCH);
                } catch (BadImageException x) {
                    trainSkips = true;
                }
                try {
                    if (!decoder.verify(bytes, name).isEmpty()) noted++;
                } catch (BadImageException x) {
                    inspectBad = true;
                }
                assertEquals(trainSkips, inspectBad, e.getName() + ": train " + (trainSkips ? "skips" : "takes") + " it, inspect calls it "
                        + (inspectBad ? "bad" : "fine"));
                files++;
                if (inspectBad) bad++;
            }
        }
        System.out.printf("TwelveMonkeys' JPEG corpus: %d files, %d bad (train skips them too), %d with notes%n", files, bad, noted);
        assertTrue(files > 40, "" + files);
    }

    /** Issue 15: a JPEG much larger than the input is decoded at 1/2, 1/4 or 1/8 in the DCT domain; pixels stay close. */
    @Test
    void largeJpegsDecodeReducedWithinASmallToleranceOfTheFullDecode() throws Exception {
        BufferedImage img = dev.lote.sample.SampleImages.render(2, 768, 1024, new SplittableRandom(4));
        Path f = dir.resolve("big.jpg");
        ImageIO.write(img, "jpg", f.toFile());
        assertEquals(8, Decoder.reduction(decoder.header(f), 96, 128, false));
        assertEquals(4, Decoder.reduction(decoder.header(f), 100, 128, false));
        assertEquals(4, Decoder.reduction(decoder.header(f), 96, 128, true)); // EXIF-turned: 1024 rows, 768 columns
        for (int[] size : new int[][] {{96, 128}, {100, 140}, {300, 400}}) {
            for (Resize policy : Resize.values()) {
                Pixels reduced = decoder.read(f, size[0], size[1], policy), full = new Decoder().fullSize().read(f, size[0], size[1], policy);
                double mean = meanAbsDiff(full, reduced);
                assertTrue(mean < 1.5, size[0] + "x" + size[1] + " " + policy + ": mean difference " + mean);
            }
        }
    }
}
