package dev.lote.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lote.data.Batch;
import dev.lote.io.ModelFileException;
import dev.lote.nn.Model;
import dev.lote.nn.Shape;
import dev.lote.nn.Torchvision;
import dev.lote.testing.Fixtures;
import dev.lote.torch.Engine;
import dev.lote.torch.Network;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * torchvision's architectures with PyTorch's own weights (random, from torchvision 0.14 and Debian's PyTorch) predict
 * what PyTorch predicts, read from .pth and from .safetensors. Skipped where /usr/bin/python3 has no torch and
 * torchvision, except with LOTE_TORCH_TESTS=required (CI).
 */
class TorchvisionTest {
    @TempDir static Path dir;
    static boolean ready;

    @BeforeAll
    static void reference() throws Exception {
        Process p = new ProcessBuilder("/usr/bin/python3", "src/test/python/torchvision_reference.py", dir.toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        ready = p.waitFor(600, TimeUnit.SECONDS) && p.exitValue() == 0;
        if (!ready && "required".equals(System.getenv("LOTE_TORCH_TESTS"))) throw new IllegalStateException("the PyTorch reference script failed: " + out);
    }

    @ParameterizedTest
    @ValueSource(strings = {"resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0"})
    void predictsAsPyTorchFromPthAndSafetensors(String name) throws Exception {
        assumeTrue(ready, "Skipped: Debian's python3-torch and python3-torchvision are not installed.");
        Model m = Torchvision.build(name, 1000);
        Shape in = m.inputShape();
        byte[] px = Files.readAllBytes(dir.resolve("input.u8"));
        Batch b = new Batch(px, new int[2], in, Collections.nCopies(2, null));
        float[] want = Fixtures.floats(dir.resolve(name + ".logp.f32"));
        Engine.start(0);
        for (String ext : new String[] {".pth", ".safetensors"}) {
            Path file = dir.resolve(name + ext);
            Map<String, float[]> w = StateDict.toModel(m, StateDict.read(file), file);
            try (Network net = Network.build(m, 0).pixels(1 / 255.0, 0)) {
                net.setWeightValues(w);
                float[][] p = net.predict(b);
                double worst = 0; // every class's log-probability (the reference spreads the logits to a std of 3)
                for (int i = 0; i < 2; i++) for (int c = 0; c < 1000; c++) worst = Math.max(worst, Math.abs(Math.log(p[i][c]) - want[i * 1000 + c]));
                System.out.printf("%s%s: largest log-probability difference from PyTorch %.2e%n", name, ext, worst);
                assertTrue(worst < 1e-4, name + ext + ": largest log-probability difference from PyTorch " + worst);
            }
        }
    }

    @Test
    void aPickleThatWouldRunCodeIsRefusedWithoutRunningIt() {
        assumeTrue(ready, "Skipped: Debian's python3-torch and python3-torchvision are not installed.");
        Path evil = dir.resolve("evil.pth");
        var e = assertThrows(ModelFileException.class, () -> StateDict.read(evil));
        assertEquals(evil + ": refused: the file asks for posix.system; a weights file holds only tensors", e.getMessage());
        assertFalse(Files.exists(dir.resolve("pwned")), "nothing ran");
    }

    @Test
    void aStateDictOfAnotherArchitectureNamesTheKey() {
        assumeTrue(ready, "Skipped: Debian's python3-torch and python3-torchvision are not installed.");
        Path file = dir.resolve("resnet18.pth");
        var e = assertThrows(ModelFileException.class, () -> StateDict.toModel(Torchvision.build("mobilenet_v2", 1000), StateDict.read(file), file));
        assertTrue(e.getMessage().contains("has no features.0.0.weight (for layer 'features.0.0'); is it a mobilenet_v2 state dict?"), e.getMessage());
    }
}
