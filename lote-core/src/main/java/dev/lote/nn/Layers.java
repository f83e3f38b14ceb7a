package dev.lote.nn;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The registry of layer kinds, by Keras class name: the one line a new kind adds besides its class, which holds all
 * the rest (config, shapes, weights, computation). {@code LayersTest} fails for a {@link Layer} class not listed here.
 */
public final class Layers {
    private Layers() {}

    /** A kind: the class that implements it and how it reads Keras' config. */
    public record Kind(String kerasName, Class<? extends Layer> type, Function<Config, Layer> reader) {}

    private static final Map<String, Kind> KINDS = new LinkedHashMap<>();

    private static void add(Class<? extends Layer> type, Function<Config, Layer> reader) {
        String name = type.getSimpleName();
        KINDS.put(name, new Kind(name, type, reader));
    }

    static {
        add(Conv2D.class, Conv2D::new);
        add(DepthwiseConv2D.class, DepthwiseConv2D::new);
        add(SeparableConv2D.class, SeparableConv2D::new);
        add(Dense.class, Dense::new);
        add(MaxPooling2D.class, MaxPooling2D::new);
        add(AveragePooling2D.class, AveragePooling2D::new);
        add(GlobalAveragePooling2D.class, GlobalAveragePooling2D::new);
        add(GlobalMaxPooling2D.class, GlobalMaxPooling2D::new);
        add(Flatten.class, Flatten::new);
        add(Dropout.class, Dropout::new);
        add(BatchNormalization.class, BatchNormalization::new);
        add(LayerNormalization.class, LayerNormalization::new);
        add(ZeroPadding2D.class, ZeroPadding2D::new);
        add(Cropping2D.class, Cropping2D::new);
        add(ReLU.class, ReLU::new);
        add(Rescaling.class, Rescaling::new);
        add(Normalization.class, Normalization::new);
        add(Reshape.class, Reshape::new);
        add(Permute.class, Permute::new);
        add(UpSampling2D.class, UpSampling2D::new);
        add(Conv2DTranspose.class, Conv2DTranspose::new);
        add(SpatialDropout2D.class, SpatialDropout2D::new);
        add(GroupNormalization.class, GroupNormalization::new);
        add(LayerScale.class, LayerScale::new);
        add(CustomScaleLayer.class, CustomScaleLayer::new);
        KINDS.put("Activation", new Kind("Activation", ActivationLayer.class, ActivationLayer::new));
        for (Merge.Op op : Merge.Op.values()) KINDS.put(op.keras(), new Kind(op.keras(), Merge.class, c -> new Merge(op, c)));
    }

    /** Every kind, in registration order. */
    public static List<Kind> all() { return List.copyOf(KINDS.values()); }

    static Set<String> names() { return KINDS.keySet(); }

    /** How to read a kind from Keras' config; null for a class name Lote does not have. */
    static Function<Config, Layer> reader(String kerasName) {
        Kind k = KINDS.get(kerasName);
        return k == null ? null : k.reader();
    }
}
