/*
 * Lote's native kernels, compiled at run time for this CPU (see Native.java): Keras' Adam in one pass, and the JNI
 * side of the fused first block, which opens a compiled stem.c (one library per block shape, so the symbols of two
 * shapes never clash) and calls it by address. Pointers travel as addresses (a tensor's data_ptr).
 */
#include <dlfcn.h>
#include <jni.h>
#include <math.h>
#include <stdint.h>

typedef int (*forward_fn)(const float *, int, int, int, const float *, const float *, const float *, const float *,
                          int, int, float *, int, int);
typedef int (*backward_fn)(const float *, int, int, int, const float *, const float *, const float *, const float *,
                           int, int, const float *, float *, int, int);

/* The address of symbol in the library at path, or 0 (dlerror() is not thread-safe to report; Java says which). */
JNIEXPORT jlong JNICALL Java_dev_lote_torch_Native_symbol(JNIEnv *env, jclass cls, jstring path, jstring symbol) {
    (void) cls;
    const char *p = (*env)->GetStringUTFChars(env, path, NULL), *s = (*env)->GetStringUTFChars(env, symbol, NULL);
    void *lib = p ? dlopen(p, RTLD_NOW | RTLD_LOCAL) : NULL, *f = lib && s ? dlsym(lib, s) : NULL;
    if (p) (*env)->ReleaseStringUTFChars(env, path, p);
    if (s) (*env)->ReleaseStringUTFChars(env, symbol, s);
    return (jlong) (intptr_t) f;
}

JNIEXPORT jint JNICALL Java_dev_lote_torch_Native_stemForward(JNIEnv *env, jclass cls, jlong fn, jint b, jint h, jint w,
        jlong x, jlong wd, jlong bd, jlong wp, jlong bp, jint relu1, jint relu2, jlong out, jint r0, jint r1) {
    (void) env; (void) cls;
    return ((forward_fn) (intptr_t) fn)((const float *) (intptr_t) x, b, h, w, (const float *) (intptr_t) wd,
            (const float *) (intptr_t) bd, (const float *) (intptr_t) wp, (const float *) (intptr_t) bp, relu1, relu2,
            (float *) (intptr_t) out, r0, r1);
}

JNIEXPORT jint JNICALL Java_dev_lote_torch_Native_stemBackward(JNIEnv *env, jclass cls, jlong fn, jint b, jint h, jint w,
        jlong x, jlong wd, jlong bd, jlong wp, jlong bp, jint relu1, jint relu2, jlong g, jlong grads, jint r0, jint r1) {
    (void) env; (void) cls;
    return ((backward_fn) (intptr_t) fn)((const float *) (intptr_t) x, b, h, w, (const float *) (intptr_t) wd,
            (const float *) (intptr_t) bd, (const float *) (intptr_t) wp, (const float *) (intptr_t) bp, relu1, relu2,
            (const float *) (intptr_t) g, (float *) (intptr_t) grads, r0, r1);
}

/*
 * Keras' Adam on n weights, one pass over each array instead of libtorch's five: optional decoupled decay
 * (w *= decay), m += (1 - b1)(g - m), v = b2 v + (1 - b2) g², w -= alpha m / (√v + eps), and g = 0 for the next step.
 */
JNIEXPORT void JNICALL Java_dev_lote_torch_Native_adam(JNIEnv *env, jclass cls, jlong wa, jlong ga, jlong ma, jlong va,
        jlong n, jfloat oneMinusB1, jfloat b2, jfloat oneMinusB2, jfloat eps, jfloat alpha, jfloat decay) {
    (void) env; (void) cls;
    float *restrict w = (float *) (intptr_t) wa, *restrict g = (float *) (intptr_t) ga;
    float *restrict m = (float *) (intptr_t) ma, *restrict v = (float *) (intptr_t) va;
    for (jlong i = 0; i < n; i++) {
        float gi = g[i], mi = m[i] + oneMinusB1 * (gi - m[i]), vi = v[i] * b2 + oneMinusB2 * gi * gi;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i] * decay - alpha * mi / (sqrtf(vi) + eps);
        g[i] = 0;
    }
}

/* Sets the threads of the OpenBLAS that libtorch loaded (it reads OMP_NUM_THREADS once, at load, and ignores
 * at::set_num_threads). Returns 1, or 0 where no OpenBLAS is loaded. */
JNIEXPORT jint JNICALL Java_dev_lote_torch_Native_blasThreads(JNIEnv *env, jclass cls, jint n) {
    (void) env; (void) cls;
    void *lib = dlopen("libopenblas.so.0", RTLD_NOW | RTLD_NOLOAD);
    void (*set)(int) = lib ? (void (*)(int)) dlsym(lib, "openblas_set_num_threads") : NULL;
    if (!set) return 0;
    set(n);
    return 1;
}
