/*
 * Lote's fused first block: DepthwiseConv2D(K×K, same, stride 1) → [relu] → Conv2D(F, 1×1) → MaxPooling2D(P×P,
 * stride P, valid) → [relu], forward and backward, one pool row at a time.
 *
 * Why: at full resolution this block is memory-bound in libtorch (each op writes a 5×16×768×1024 tensor, and
 * backward reads them again). Here each row's activations live in a few KB of cache and are recomputed in backward
 * instead of stored, so nothing but the block's output is ever written. relu(max(x)) = max(relu(x)), so the 1×1
 * convolution's relu is applied after pooling, to 1/P² of the values. The input never needs a gradient.
 *
 * Layouts (all float32, C order): x (B, H, W, C); wd (K, K, C); bd (C); wp (F, C); bp (F); out and g (B, Ho, Wo, F).
 * Rows [r0, r1) of the flattened (image, pool row) index are done by one call, so callers split work over threads.
 * Backward adds the weight gradients of its rows to grads = [dwd (K·K·C), dbd (C), dwp (F·C), dbp (F)].
 *
 * Compiled at run time with the machine's C compiler, one library per block shape (as torch.compile does), and
 * called through stem_jni.c; Lote falls back to libtorch's ops when there is no compiler. Both return 1, or 0 when
 * memory ran out.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The block's sizes are compile-time constants (-DSTEM_C=3 ...), so the compiler unrolls and vectorizes the inner
 * loops over channels and filters; Lote compiles one library per shape it meets. */
#if !defined(STEM_C) || !defined(STEM_K) || !defined(STEM_F) || !defined(STEM_P)
#error "compile with -DSTEM_C=… -DSTEM_K=… -DSTEM_F=… -DSTEM_P=…"
#endif
#define C STEM_C
#define K STEM_K
#define F STEM_F
#define P STEM_P

/* One vector holds the F filters of a position (F is a power of two: 8, 16, 32 or 64); rows go 16 floats at a time
 * (GCC's vector extensions: one AVX-512 register, two AVX ones, four SSE ones). */
typedef float vf __attribute__((vector_size(F * sizeof(float))));
typedef int vi __attribute__((vector_size(F * sizeof(float))));
typedef float v16 __attribute__((vector_size(64)));
typedef int i16 __attribute__((vector_size(64)));
#define V 16

static inline vf pick(vi mask, vf a, vf b) { return (vf) (((vi) a & mask) | ((vi) b & ~mask)); }
static inline vf load(const float *p) { vf v; memcpy(&v, p, sizeof v); return v; }
static inline v16 ld(const float *p) { v16 v; memcpy(&v, p, sizeof v); return v; }
static inline void st(float *p, v16 v) { memcpy(p, &v, sizeof v); }

typedef struct {
    int B, H, W, Ho, Wo, Wu, pad, relu1, relu2;
    size_t rowIn, rowD;  /* floats per row of xin and of d, wpat, bpat: multiples of V, zero or pattern beyond the data */
    const float *x, *wd, *bd, *wp, *bp;
    float *xin;   /* K+P-1 input rows, zero-padded by pad columns each side */
    float *d;     /* P rows of the depthwise output, Wu·C values each */
    float *wpat;  /* K·K depthwise weights repeated along a row: wpat[k][j] = wd[k][j % C] */
    float *bpat;  /* the depthwise bias repeated along a row */
    float *wpt;   /* the 1×1 kernel transposed, (C, F) */
} Stem;

static int stem_init(Stem *s, const float *x, int B, int H, int W, const float *wd, const float *bd,
                     const float *wp, const float *bp, int relu1, int relu2) {
    s->B = B; s->H = H; s->W = W;
    s->Ho = H / P; s->Wo = W / P; s->Wu = s->Wo * P; s->pad = K / 2; s->relu1 = relu1; s->relu2 = relu2;
    s->x = x; s->wd = wd; s->bd = bd; s->wp = wp; s->bp = bp;
    size_t rowD = ((size_t) s->Wu * C + V - 1) / V * V, rowIn = (size_t) (W + 2 * s->pad) * C + V;
    s->rowIn = rowIn; s->rowD = rowD;
    s->xin = calloc((size_t) (K + P - 1) * rowIn, sizeof(float));
    s->d = malloc((size_t) P * rowD * sizeof(float));
    s->wpat = malloc((size_t) K * K * rowD * sizeof(float));
    s->bpat = malloc(rowD * sizeof(float));
    s->wpt = malloc((size_t) C * F * sizeof(float));
    if (!s->xin || !s->d || !s->wpat || !s->bpat || !s->wpt) return 0;
    for (int k = 0; k < K * K; k++)
        for (size_t j = 0; j < rowD; j++) s->wpat[k * rowD + j] = wd[k * C + j % C];
    for (size_t j = 0; j < rowD; j++) s->bpat[j] = bd[j % C];
    for (int c = 0; c < C; c++)
        for (int f = 0; f < F; f++) s->wpt[c * F + f] = wp[f * C + c];
    return 1;
}

static void stem_free(Stem *s) {
    free(s->xin); free(s->d); free(s->wpat); free(s->bpat); free(s->wpt);
}

/* The depthwise output (after its relu) of the P input rows under pool row r of image b, into s->d. */
static void depthwise_rows(Stem *s, int b, int r) {
    const int pad = s->pad;
    const size_t rowIn = s->rowIn, rowD = s->rowD;
    for (int i = 0; i < K + P - 1; i++) {
        int y = r * P - pad + i;
        float *dst = s->xin + i * rowIn + (size_t) pad * C;
        if (y < 0 || y >= s->H) memset(dst, 0, (size_t) s->W * C * sizeof(float));
        else memcpy(dst, s->x + (((size_t) b * s->H + y) * s->W) * C, (size_t) s->W * C * sizeof(float));
    }
    for (int dy = 0; dy < P; dy++) {
        float *restrict d = s->d + dy * rowD;
        const float *restrict in = s->xin + dy * rowIn;
        /* all K·K taps are summed in registers before the one store */
        const v16 zero = {0};
        for (size_t j = 0; j < rowD; j += V) {
            v16 a = ld(s->bpat + j);
            for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++) a += ld(s->wpat + (ky * K + kx) * rowD + j) * ld(in + ky * rowIn + kx * C + j);
            if (s->relu1) a = (v16) ((i16) a & ~(a < zero)); /* keeps NaN, as relu does */
            st(d + j, a);
        }
    }
}

/* The 1×1 convolution at position (dy, column) of the rows in s->d. */
static inline vf pointwise(const Stem *s, const vf *w, vf bias, int dy, int column) {
    const float *dd = s->d + (size_t) dy * s->rowD + (size_t) column * C;
    vf a = bias;
    for (int c = 0; c < C; c++) a += w[c] * dd[c];
    return a;
}

int lote_stem_forward(const float *x, int B, int H, int W, const float *wd, const float *bd,
                      const float *wp, const float *bp, int relu1, int relu2, float *out, int r0, int r1) {
    Stem s;
    if (!stem_init(&s, x, B, H, W, wd, bd, wp, bp, relu1, relu2)) { stem_free(&s); return 0; }
    vf w[C], bias = load(bp), zero = {0};
    for (int c = 0; c < C; c++) w[c] = load(s.wpt + c * F);
    for (int t = r0; t < r1; t++) {
        depthwise_rows(&s, t / s.Ho, t % s.Ho);
        for (int q = 0; q < s.Wo; q++) {
            vf m = pointwise(&s, w, bias, 0, q * P);
            for (int k = 1; k < P * P; k++) {
                vf a = pointwise(&s, w, bias, k / P, q * P + k % P);
                m = pick((a > m) | (a != a), a, m);  /* libtorch's rule: the larger, or NaN */
            }
            if (relu2) m = pick(m < zero, zero, m);
            memcpy(out + ((size_t) t * s.Wo + q) * F, &m, sizeof m);
        }
    }
    stem_free(&s);
    return 1;
}

int lote_stem_backward(const float *x, int B, int H, int W, const float *wd, const float *bd,
                       const float *wp, const float *bp, int relu1, int relu2, const float *g, float *grads,
                       int r0, int r1) {
    Stem s;
    if (!stem_init(&s, x, B, H, W, wd, bd, wp, bp, relu1, relu2)) { stem_free(&s); return 0; }
    const size_t rowIn = s.rowIn, rowD = s.rowD, used = (size_t) s.Wu * C;
    float *gd = malloc((size_t) P * rowD * sizeof(float));         /* gradient at the depthwise output */
    float *wacc = calloc((size_t) K * K * rowD, sizeof(float));   /* depthwise kernel gradient along a row */
    float *bacc = calloc(rowD, sizeof(float));
    if (!gd || !wacc || !bacc) { free(gd); free(wacc); free(bacc); stem_free(&s); return 0; }
    vf w[C], bias = load(bp), zero = {0}, dbp = {0}, dwpt[C];
    for (int c = 0; c < C; c++) { w[c] = load(s.wpt + c * F); dwpt[c] = zero; }
    for (int t = r0; t < r1; t++) {
        depthwise_rows(&s, t / s.Ho, t % s.Ho);
        memset(gd, 0, (size_t) P * rowD * sizeof(float));
        for (int q = 0; q < s.Wo; q++) {
            /* per filter: the first maximum of the window (as libtorch picks it), and the gradient it receives */
            vf best = pointwise(&s, w, bias, 0, q * P);
            vi arg = {0};
            for (int k = 1; k < P * P; k++) {
                vf a = pointwise(&s, w, bias, k / P, q * P + k % P);
                vi take = (a > best) | (a != a);
                best = pick(take, a, best);
                arg = (arg & ~take) | (take & k);
            }
            vf gm = load(g + ((size_t) t * s.Wo + q) * F);
            if (relu2) gm = pick(best > zero, gm, zero);
            dbp += gm;
            for (int k = 0; k < P * P; k++) {
                vf gk = pick(arg == k, gm, zero);
                const float *dd = s.d + (k / P) * rowD + (size_t) (q * P + k % P) * C;
                for (int c = 0; c < C; c++) dwpt[c] += gk * dd[c];
            }
            float gmf[F];
            int argf[F];
            memcpy(gmf, &gm, sizeof gm);
            memcpy(argf, &arg, sizeof arg);
            for (int f = 0; f < F; f++) {
                if (gmf[f] == 0) continue;
                float *e = gd + (argf[f] / P) * rowD + (size_t) (q * P + argf[f] % P) * C;
                for (int c = 0; c < C; c++) e[c] += gmf[f] * wp[f * C + c];
            }
        }
        /* each tap's gradient over the P rows of this pool row, summed in registers before its one store */
        const v16 zero = {0};
        for (size_t j = 0; j < rowD; j += V) {
            v16 e[P], b = zero;
            for (int dy = 0; dy < P; dy++) {
                e[dy] = ld(gd + dy * rowD + j);
                if (relu1) e[dy] = (v16) ((i16) e[dy] & (ld(s.d + dy * rowD + j) > zero));
                b += e[dy];
            }
            st(bacc + j, ld(bacc + j) + b);
            for (int ky = 0; ky < K; ky++)
                for (int kx = 0; kx < K; kx++) {
                    v16 a = ld(wacc + (ky * K + kx) * rowD + j);
                    for (int dy = 0; dy < P; dy++) a += e[dy] * ld(s.xin + (dy + ky) * rowIn + kx * C + j);
                    st(wacc + (ky * K + kx) * rowD + j, a);
                }
        }
    }
    for (int k = 0; k < K * K; k++)
        for (size_t j = 0; j < used; j++) grads[k * C + j % C] += wacc[k * rowD + j];
    for (size_t j = 0; j < used; j++) grads[K * K * C + j % C] += bacc[j];
    float dwpf[C][F], dbpf[F];
    memcpy(dbpf, &dbp, sizeof dbp);
    for (int c = 0; c < C; c++) memcpy(dwpf[c], &dwpt[c], sizeof dwpt[c]);
    for (int f = 0; f < F; f++) {
        for (int c = 0; c < C; c++) grads[K * K * C + C + f * C + c] += dwpf[c][f];
        grads[K * K * C + C + F * C + f] += dbpf[f];
    }
    free(gd); free(wacc); free(bacc);
    stem_free(&s);
    return 1;
}
