package dev.lote.nn;

import static dev.lote.nn.Activation.LINEAR;


import java.util.List;
import java.util.Map;

/**
 * torchvision's image classifiers as Lote models, layer for layer, with torchvision's module paths as layer names
 * ({@code layer1.0.conv1}, {@code features.3.block.1.0}), so its state dicts (and timm's) load by name. PyTorch pads
 * convolutions symmetrically, so strided ones get an explicit {@link ZeroPadding2D} (Keras' "same" would pad after).
 * {@code Torchvision.build("mobilenet_v3_large", 1000)}
 */
public final class Torchvision {
    private Torchvision() {}

    public static final List<String> NAMES = List.of("resnet18", "resnet50", "mobilenet_v2", "mobilenet_v3_small", "mobilenet_v3_large", "efficientnet_b0");

    /** The layer whose output is the backbone's features (before pooling and the classifier). */
    public static final Map<String, String> FEATURES = Map.of("resnet18", "layer4.1.relu", "resnet50", "layer4.2.relu",
            "mobilenet_v2", "features.18.2", "mobilenet_v3_small", "features.12.2", "mobilenet_v3_large", "features.16.2",
            "efficientnet_b0", "features.8.2");

    public static boolean has(String name) { return NAMES.contains(name); }

    /** The architecture at 224×224×3 with a {@code classes}-way classifier (1000 for ImageNet's weights). */
    public static Model build(String name, int classes) { return build(name, Shape.image(224, 224, 3), classes); }

    public static Model build(String name, Shape input, int classes) {
        Graph g = new Graph(input);
        Node out = switch (name) {
            case "resnet18" -> g.resnet(new int[] {2, 2, 2, 2}, false, classes);
            case "resnet50" -> g.resnet(new int[] {3, 4, 6, 3}, true, classes);
            case "mobilenet_v2" -> g.mobilenetV2(classes);
            case "mobilenet_v3_small" -> g.mobilenetV3(false, classes);
            case "mobilenet_v3_large" -> g.mobilenetV3(true, classes);
            case "efficientnet_b0" -> g.efficientnetB0(classes);
            default -> throw new IllegalArgumentException("Unknown backbone '" + name + "'. Available: " + NAMES + ".");
        };
        return new Model(name, List.of(g.input), out);
    }

    /** torchvision's {@code _make_divisible}: channels rounded to a multiple of 8, never more than 10 % down. */
    static int divisible(double v) {
        int n = Math.max(8, (int) (v + 4) / 8 * 8);
        return n < 0.9 * v ? n + 8 : n;
    }

    private static final class Graph {
        final Node input;
        double momentum = 0.9, epsilon = 1e-5; // torch's BatchNorm2d: momentum 0.1 of the new batch, eps 1e-5

        Graph(Shape in) { input = Input.of(in); }

        /** Conv (padded as PyTorch) → BatchNorm → activation, named {@code path.0}, {@code path.1}, {@code path.2}. */
        Node convBn(Node x, String path, int out, int k, int stride, int groups, Activation act) {
            return bnAct(conv(x, path + ".0", out, k, stride, groups, false), path + ".1", act, path + ".2");
        }

        Node conv(Node x, String name, int out, int k, int stride, int groups, boolean bias) {
            int in = x.shape().channels(), p = (k - 1) / 2;
            if (stride > 1 && p > 0) {
                x = new ZeroPadding2D(p, p, p, p).<ZeroPadding2D>name(name + ".pad").call(x);
            }
            Padding padding = stride > 1 ? Padding.VALID : Padding.SAME;
            if (groups == in && groups == out && groups > 1) {
                return new DepthwiseConv2D(k).strides(stride).padding(padding).useBias(bias).<DepthwiseConv2D>name(name).call(x);
            }
            return new Conv2D(out, k).strides(stride).padding(padding).groups(groups).useBias(bias).<Conv2D>name(name).call(x);
        }

        Node bnAct(Node x, String bn, Activation act, String actName) {
            x = new BatchNormalization(momentum, epsilon).<BatchNormalization>name(bn).call(x);
            return act == LINEAR ? x : new ActivationLayer(act).<ActivationLayer>name(actName).call(x);
        }

        Node add(String name, Node a, Node b) { return new Merge(Merge.Op.ADD).<Merge>name(name).call(a, b); }

        Node head(Node x, String pool, List<Object[]> layers) {
            x = new GlobalAveragePooling2D().<GlobalAveragePooling2D>name(pool).call(x);
            for (Object[] l : layers) x = ((Layer) l[1]).<Layer>name((String) l[0]).call(x);
            return x;
        }

        Node resnet(int[] blocks, boolean bottleneck, int classes) {
            Node x = conv(input, "conv1", 64, 7, 2, 1, false);
            x = bnAct(x, "bn1", Activation.RELU, "relu");
            x = new ZeroPadding2D(1, 1, 1, 1).<ZeroPadding2D>name("maxpool.pad").call(x); // after ReLU, zeros pad like −∞
            x = new MaxPooling2D(3).strides(2).<MaxPooling2D>name("maxpool").call(x);
            int in = 64;
            for (int s = 0; s < 4; s++) {
                int planes = 64 << s;
                for (int b = 0; b < blocks[s]; b++) {
                    String p = "layer" + (s + 1) + "." + b;
                    int stride = b == 0 && s > 0 ? 2 : 1, out = bottleneck ? planes * 4 : planes;
                    Node y;
                    if (bottleneck) {
                        y = bnAct(conv(x, p + ".conv1", planes, 1, 1, 1, false), p + ".bn1", Activation.RELU, p + ".relu1");
                        y = bnAct(conv(y, p + ".conv2", planes, 3, stride, 1, false), p + ".bn2", Activation.RELU, p + ".relu2");
                        y = bnAct(conv(y, p + ".conv3", out, 1, 1, 1, false), p + ".bn3", LINEAR, null);
                    } else {
                        y = bnAct(conv(x, p + ".conv1", planes, 3, stride, 1, false), p + ".bn1", Activation.RELU, p + ".relu1");
                        y = bnAct(conv(y, p + ".conv2", planes, 3, 1, 1, false), p + ".bn2", LINEAR, null);
                    }
                    Node shortcut = x;
                    if (stride != 1 || in != out) {
                        shortcut = bnAct(conv(x, p + ".downsample.0", out, 1, stride, 1, false), p + ".downsample.1", LINEAR, null);
                    }
                    x = new ActivationLayer(Activation.RELU).<ActivationLayer>name(p + ".relu").call(add(p + ".add", y, shortcut));
                    in = out;
                }
            }
            return head(x, "avgpool", List.<Object[]>of(new Object[] {"fc", new Dense(classes).activation(Activation.SOFTMAX)}));
        }

        Node mobilenetV2(int classes) {
            Node x = convBn(input, "features.0", 32, 3, 2, 1, Activation.RELU6);
            int in = 32, index = 1;
            int[][] cfg = {{1, 16, 1, 1}, {6, 24, 2, 2}, {6, 32, 3, 2}, {6, 64, 4, 2}, {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};
            for (int[] c : cfg) {
                for (int i = 0; i < c[2]; i++) {
                    String p = "features." + index++ + ".conv";
                    int stride = i == 0 ? c[3] : 1, hidden = in * c[0];
                    Node y = x;
                    int at = 0;
                    if (c[0] != 1) y = convBn(y, p + "." + at++, hidden, 1, 1, 1, Activation.RELU6);
                    y = convBn(y, p + "." + at++, hidden, 3, stride, hidden, Activation.RELU6);
                    y = conv(y, p + "." + at++, c[1], 1, 1, 1, false);
                    y = bnAct(y, p + "." + at, LINEAR, null);
                    x = stride == 1 && in == c[1] ? add(p.substring(0, p.length() - 5) + ".add", x, y) : y;
                    in = c[1];
                }
            }
            x = convBn(x, "features.18", 1280, 1, 1, 1, Activation.RELU6);
            return head(x, "avgpool", List.of(new Object[] {"classifier.0", new Dropout(0.2)},
                    new Object[] {"classifier.1", new Dense(classes).activation(Activation.SOFTMAX)}));
        }

        /** Squeeze and excitation: pooled channels → fc1 → act → fc2 → scale activation, times the input. */
        Node se(Node x, String p, int squeeze, Activation act, Activation scale) {
            Node s = new GlobalAveragePooling2D().keepdims(true).<GlobalAveragePooling2D>name(p + ".avgpool").call(x);
            s = new Conv2D(squeeze, 1).activation(act).<Conv2D>name(p + ".fc1").call(s);
            s = new Conv2D(x.shape().channels(), 1).activation(scale).<Conv2D>name(p + ".fc2").call(s);
            return new Merge(Merge.Op.MULTIPLY).<Merge>name(p + ".scale").call(s, x);
        }

        Node mobilenetV3(boolean large, int classes) {
            momentum = 0.99; // torchvision: BatchNorm2d(eps=0.001, momentum=0.01)
            epsilon = 1e-3;
            Activation re = Activation.RELU, hs = Activation.HARD_SILU;
            // in, kernel, expanded, out, squeeze-excite, activation, stride
            Object[][] cfg = large ? new Object[][] {
                    {16, 3, 16, 16, false, re, 1}, {16, 3, 64, 24, false, re, 2}, {24, 3, 72, 24, false, re, 1},
                    {24, 5, 72, 40, true, re, 2}, {40, 5, 120, 40, true, re, 1}, {40, 5, 120, 40, true, re, 1},
                    {40, 3, 240, 80, false, hs, 2}, {80, 3, 200, 80, false, hs, 1}, {80, 3, 184, 80, false, hs, 1},
                    {80, 3, 184, 80, false, hs, 1}, {80, 3, 480, 112, true, hs, 1}, {112, 3, 672, 112, true, hs, 1},
                    {112, 5, 672, 160, true, hs, 2}, {160, 5, 960, 160, true, hs, 1}, {160, 5, 960, 160, true, hs, 1}}
                    : new Object[][] {
                    {16, 3, 16, 16, true, re, 2}, {16, 3, 72, 24, false, re, 2}, {24, 3, 88, 24, false, re, 1},
                    {24, 5, 96, 40, true, hs, 2}, {40, 5, 240, 40, true, hs, 1}, {40, 5, 240, 40, true, hs, 1},
                    {40, 5, 120, 48, true, hs, 1}, {48, 5, 144, 48, true, hs, 1}, {48, 5, 288, 96, true, hs, 2},
                    {96, 5, 576, 96, true, hs, 1}, {96, 5, 576, 96, true, hs, 1}};
            Node x = convBn(input, "features.0", 16, 3, 2, 1, hs);
            int index = 1;
            for (Object[] c : cfg) {
                int in = (int) c[0], k = (int) c[1], exp = (int) c[2], out = (int) c[3], stride = (int) c[6];
                Activation act = (Activation) c[5];
                String p = "features." + index++ + ".block";
                Node y = x;
                int at = 0;
                if (exp != in) y = convBn(y, p + "." + at++, exp, 1, 1, 1, act);
                y = convBn(y, p + "." + at++, exp, k, stride, exp, act);
                if ((boolean) c[4]) y = se(y, p + "." + at++, divisible(exp / 4.0), Activation.RELU, Activation.HARD_SIGMOID);
                y = convBn(y, p + "." + at, out, 1, 1, 1, LINEAR);
                x = stride == 1 && in == out ? add(p.substring(0, p.length() - 6) + ".add", x, y) : y;
            }
            int last = 6 * (int) cfg[cfg.length - 1][3];
            x = convBn(x, "features." + index, last, 1, 1, 1, hs);
            return head(x, "avgpool", List.of(new Object[] {"classifier.0", new Dense(large ? 1280 : 1024).activation(hs)},
                    new Object[] {"classifier.2", new Dropout(0.2)},
                    new Object[] {"classifier.3", new Dense(classes).activation(Activation.SOFTMAX)}));
        }

        Node efficientnetB0(int classes) {
            Activation silu = Activation.SILU;
            Node x = convBn(input, "features.0", 32, 3, 2, 1, silu);
            // expand ratio, kernel, stride, in, out, layers
            int[][] cfg = {{1, 3, 1, 32, 16, 1}, {6, 3, 2, 16, 24, 2}, {6, 5, 2, 24, 40, 2}, {6, 3, 2, 40, 80, 3},
                    {6, 5, 1, 80, 112, 3}, {6, 5, 2, 112, 192, 4}, {6, 3, 1, 192, 320, 1}};
            for (int s = 0; s < cfg.length; s++) {
                int[] c = cfg[s];
                for (int b = 0; b < c[5]; b++) {
                    int in = b == 0 ? c[3] : c[4], stride = b == 0 ? c[2] : 1, exp = divisible(in * (double) c[0]);
                    String p = "features." + (s + 1) + "." + b + ".block";
                    Node y = x;
                    int at = 0;
                    if (exp != in) y = convBn(y, p + "." + at++, exp, 1, 1, 1, silu);
                    y = convBn(y, p + "." + at++, exp, c[1], stride, exp, silu);
                    y = se(y, p + "." + at++, Math.max(1, in / 4), silu, Activation.SIGMOID);
                    y = convBn(y, p + "." + at, c[4], 1, 1, 1, LINEAR);
                    // stochastic depth only acts while training in torchvision; Lote leaves the residual whole
                    x = stride == 1 && in == c[4] ? add(p.substring(0, p.length() - 6) + ".add", x, y) : y;
                }
            }
            x = convBn(x, "features.8", 1280, 1, 1, 1, silu);
            return head(x, "avgpool", List.of(new Object[] {"classifier.0", new Dropout(0.2)},
                    new Object[] {"classifier.1", new Dense(classes).activation(Activation.SOFTMAX)}));
        }
    }

}
