package dev.lote.torch;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** Test-time augmentation's views of a batch (fastai's {@code tta}): the images, mirrored, and 90 % crops resized back. */
final class Views {
    private Views() {}

    /** Views at most: the image, mirrored, and five 90 % crops. */
    static final int MAX = 7;

    /** View {@code v} of an (n, c, h, w) batch: 0 itself, 1 mirrored, 2 to 6 a 90 % crop (centre, corners) resized back. */
    static Tensor view(Tensor x, int v) {
        if (v == 0) return x;
        if (v == 1) return x.flip(3);
        long h = x.size(2), w = x.size(3), ch = Math.max(1, Math.round(h * 0.9)), cw = Math.max(1, Math.round(w * 0.9));
        long[][] corner = {{(h - ch) / 2, (w - cw) / 2}, {0, 0}, {0, w - cw}, {h - ch, 0}, {h - ch, w - cw}};
        Tensor crop = x.narrow(2, corner[v - 2][0], ch).narrow(3, corner[v - 2][1], cw);
        return torch.upsample_bilinear2d(crop, new long[] {h, w}, false);
    }
}
