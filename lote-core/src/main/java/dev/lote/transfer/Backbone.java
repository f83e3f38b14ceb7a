package dev.lote.transfer;

import dev.lote.io.ModelFileException;
import dev.lote.nn.Activation;
import dev.lote.nn.Dense;
import dev.lote.nn.Dropout;
import dev.lote.nn.GlobalAveragePooling2D;
import dev.lote.nn.Input;
import dev.lote.nn.Layer;
import dev.lote.nn.Model;
import dev.lote.nn.Node;
import dev.lote.nn.Normalization;
import dev.lote.nn.Rescaling;
import dev.lote.nn.Sequential;
import dev.lote.nn.Shape;
import dev.lote.nn.Torchvision;
import dev.lote.weights.StateDict;
import dev.lote.weights.WeightCache;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A pretrained network cut below its classifier, with its weights and the preprocessing it was trained with: one of
 * torchvision's architectures with ImageNet's weights, or any model Lote reads (Keras, TensorFlow.js, .lote) cut at a
 * named layer. {@link #classifier} puts a new head on it: global pooling, dropout and a softmax {@code Dense}.
 */
public final class Backbone {
    /** ImageNet's channel statistics, as torchvision normalises. */
    static final double[] MEAN = {0.485, 0.456, 0.406}, STD = {0.229, 0.224, 0.225};

    public static final String HEAD = "head", HEAD_DROPOUT = "head_dropout", HEAD_POOL = "head_pool", HEAD_NORMALIZE = "head_normalize";

    private final Model features;
    private final Map<String, float[]> weights;
    private final boolean imagenet; // torchvision's: ÷ 255 then ImageNet's mean and std, inside the model
    private final double pixelScale;

    private Backbone(Model features, Map<String, float[]> weights, boolean imagenet, double pixelScale) {
        this.features = features;
        this.weights = weights;
        this.imagenet = imagenet;
        this.pixelScale = pixelScale;
    }

    public static boolean isTorchvision(String name) { return Torchvision.has(name); }

    /**
     * torchvision's {@code name} at 224×224 with weights from {@code weightsFile} (.pth or .safetensors), or when that is
     * null its ImageNet weights, downloaded into {@code cache} on first use.
     */
    public static Backbone torchvision(String name, Path weightsFile, WeightCache cache) throws ModelFileException, IOException {
        Model full = Torchvision.build(name, 1000);
        Path file = weightsFile != null ? weightsFile : cache.get(WeightCache.TORCHVISION.get(name), "--backbone-weights");
        Map<String, float[]> all = StateDict.toModel(full, StateDict.read(file), file);
        Model cut = full.upTo(Torchvision.FEATURES.get(name)).name(name);
        return new Backbone(cut, subset(all, cut), true, 1);
    }

    /**
     * A model (its architecture, its weights by path, what its pixels are multiplied by) cut at {@code layer}: its
     * features are that layer's output.
     */
    public static Backbone cut(Model model, Map<String, float[]> weights, double pixelScale, String layer) {
        Model cut = model.upTo(layer).name("backbone");
        return new Backbone(cut, subset(weights, cut), false, pixelScale);
    }

    private static Map<String, float[]> subset(Map<String, float[]> all, Model cut) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String k : cut.weightsByPath().keySet()) out.put(k, all.get(k));
        return out;
    }

    public Model features() { return features; }
    public Shape inputShape() { return features.inputShape(); }

    /** What pixels are multiplied by before they reach the classifier (its own layers do the rest). */
    public double pixelScale() { return pixelScale; }

    /**
     * The backbone (frozen) under a new head: [÷ 255 and ImageNet's normalisation for torchvision's] → backbone →
     * global average pooling (when the features are an image) → [the features' standardisation, from phase 1] →
     * dropout → {@code Dense(classes, softmax)}. {@code mean} and {@code variance} may be null (no standardisation).
     */
    public Model classifier(int classes, double dropout, double[] mean, double[] variance) {
        features.trainable(false);
        Node x = Input.of(inputShape());
        Node y = x;
        if (imagenet) {
            y = new Rescaling(1 / 255.0, 0).<Rescaling>name("preprocess_scale").call(y);
            double[] var = new double[3];
            for (int i = 0; i < 3; i++) var[i] = STD[i] * STD[i];
            y = new Normalization(MEAN, var).<Normalization>name("preprocess_normalize").call(y);
        }
        y = features.call(y);
        if (y.shape().isImage()) y = new GlobalAveragePooling2D().<GlobalAveragePooling2D>name(HEAD_POOL).call(y);
        if (mean != null) y = new Normalization(mean, variance).<Normalization>name(HEAD_NORMALIZE).call(y);
        y = new Dropout(dropout).<Dropout>name(HEAD_DROPOUT).call(y);
        y = new Dense(classes).activation(Activation.SOFTMAX).<Dense>name(HEAD).call(y);
        return new Model(features.name() + "_classifier", List.of(x), y);
    }

    /** The head alone, on feature vectors of {@code width}: what phase 1 trains on cached features. */
    public static Model head(int width, int classes, double dropout, double[] mean, double[] variance) {
        return new Sequential(HEAD, new Shape(width), List.<Layer>of(new Normalization(mean, variance).<Normalization>name(HEAD_NORMALIZE),
                new Dropout(dropout).<Dropout>name(HEAD_DROPOUT), new Dense(classes).activation(Activation.SOFTMAX).<Dense>name(HEAD)));
    }

    /** The backbone's weights as paths in the classifier (under the nested model's name). */
    public Map<String, float[]> weightsIn(Model classifier) {
        Map<String, float[]> out = new LinkedHashMap<>();
        weights.forEach((k, v) -> out.put(features.name() + "/" + k, v));
        return out;
    }

    /** The backbone's pooled features (with its own pixel preprocessing) as an embedder; images are centre-cropped. */
    public dev.lote.predict.Embedder embedder() {
        Model classifier = classifier(1, 0, null, null);
        return dev.lote.predict.Embedder.of(pooled(classifier), weightsIn(classifier), pixelScale, 0, dev.lote.image.Resize.CROP);
    }

    /** The classifier up to its pooled features (what phase 1 caches and {@code lote embed} writes). */
    public static Model pooled(Model classifier) {
        for (Layer l : classifier.layers()) if (l.name().equals(HEAD_POOL)) return classifier.upTo(HEAD_POOL);
        Model.Call first = classifier.calls().stream().filter(c -> c.layer().name().equals(HEAD_NORMALIZE) || c.layer().name().equals(HEAD_DROPOUT))
                .findFirst().orElseThrow();
        return classifier.upTo(classifier.calls().get(first.inputs().get(0)).layer().name());
    }

    /**
     * Makes the backbone trainable for phase 2, all but its BatchNormalization layers, which stay in inference mode
     * (Keras' transfer-learning advice: small batches would spoil statistics learned on a million images). With
     * {@code top} (not null), only the last {@code top} convolution and dense layers (that share of them, below 1) and
     * what follows them train, as Keras' guide's {@code layers[:fine_tune_at]} frozen: the layers below take no
     * gradients, so backward neither keeps their activations nor runs through them. Returns {trained, all} of those layers.
     */
    public static long[] unfreeze(Model classifier, Double top) {
        long[] counts = {0, 0};
        for (Layer l : classifier.layers()) {
            if (!(l instanceof Model backbone)) continue;
            backbone.trainable(true);
            List<Layer> all = new java.util.ArrayList<>();
            flatten(backbone, all);
            long weighted = all.stream().filter(Backbone::weighted).count();
            long trained = top == null ? weighted : top < 1 ? Math.round(top * weighted) : Math.min(weighted, top.longValue());
            long frozen = weighted - trained, seen = 0;
            counts[0] += trained;
            counts[1] += weighted;
            for (Layer x : all) {
                if (weighted(x)) seen++;
                x.trainable(!(x instanceof dev.lote.nn.BatchNormalization) && seen > frozen);
            }
        }
        return counts;
    }

    /**
     * Phase 2's learning rates ({@code net} trains {@code classifier}): the backbone at {@code ft}'s scale of the head's
     * rate; with discriminative rates (fastai's {@code slice(lo, hi)}), that scale is the bottom trained layer's, and
     * each layer above gets a geometrically larger share, up to the head's.
     */
    public static void learningRates(dev.lote.torch.Network net, Model classifier, dev.lote.train.Recipe.FineTuning ft) {
        for (Layer l : classifier.layers()) {
            if (!(l instanceof Model backbone)) continue;
            net.learningRateScale(backbone.name() + "/", ft.backboneLrScale());
            if (!ft.discriminative()) continue;
            List<String> trained = new java.util.ArrayList<>();
            paths(backbone, backbone.name() + "/", trained);
            for (int i = 0; i < trained.size(); i++)
                net.learningRateScale(trained.get(i), Math.pow(ft.backboneLrScale(), 1 - (i + 1.0) / (trained.size() + 1)));
        }
    }

    /** The weight paths (prefixes) of the trained convolution and dense layers under {@code m}, bottom to top. */
    private static void paths(Model m, String prefix, List<String> out) {
        for (Layer l : m.layers()) {
            if (l instanceof Model inner) paths(inner, prefix + inner.name() + "/", out);
            else if (weighted(l) && l.trainable()) out.add(prefix + l.name() + "/");
        }
    }

    /** The layers of {@code m} and of the models inside it, in the order they are called. */
    private static void flatten(Model m, List<Layer> out) {
        for (Layer l : m.layers()) {
            if (l instanceof Model inner) {
                inner.trainable(true);
                flatten(inner, out);
            } else out.add(l);
        }
    }

    private static boolean weighted(Layer l) { return dev.lote.nn.Fusion.isConvolution(l) || l instanceof dev.lote.nn.Dense; }
}
