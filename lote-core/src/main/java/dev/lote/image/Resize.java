package dev.lote.image;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Locale;

/** How an image is brought to the model's input size. */
public enum Resize {
    /** Scale each axis to fit exactly, changing the aspect ratio (Keras' default). */
    STRETCH,
    /** Cut the centre to the target's aspect ratio, then scale (Keras' {@code crop_to_aspect_ratio}). */
    CROP,
    /** Scale to fit inside, then pad with black (Keras' {@code pad_to_aspect_ratio}). */
    PAD;

    @JsonCreator public static Resize parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("Unknown resize policy '" + s + "'. Expected stretch, crop or pad.");
        }
    }

    @JsonValue public String label() { return name().toLowerCase(Locale.ROOT); }
}
