/*
 * Catches what the image decoders print on stderr while a decode runs, so Lote can name the file it belongs to.
 * libjpeg's warnings ("Corrupt JPEG data: 2 extraneous bytes before marker 0xd9") go through fprintf(stderr):
 * stderr becomes a stream whose writes land in the writing thread's buffer while that thread decodes, and go on to
 * file descriptor 2 at any other time (glibc lets a program assign stderr). Built by NativeCode.
 */
#define _GNU_SOURCE
#include <jni.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static __thread int capturing;
static __thread size_t length;
static __thread char captured[2048];

static ssize_t write_stderr(void *cookie, const char *data, size_t n) {
    (void) cookie;
    if (capturing) {
        size_t room = sizeof captured - 1 - length, k = n < room ? n : room;
        memcpy(captured + length, data, k);
        length += k;
        return (ssize_t) n;
    }
    size_t done = 0;
    while (done < n) {
        ssize_t w = write(STDERR_FILENO, data + done, n - done);
        if (w <= 0) break;
        done += (size_t) w;
    }
    return (ssize_t) n;
}

JNIEXPORT jboolean JNICALL Java_dev_lote_image_DecoderMessages_install0(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    static FILE *hook;
    if (hook) return JNI_TRUE;
    cookie_io_functions_t io = {.read = NULL, .write = write_stderr, .seek = NULL, .close = NULL};
    hook = fopencookie(NULL, "w", io);
    if (!hook) return JNI_FALSE;
    setvbuf(hook, NULL, _IONBF, 0);
    fflush(stderr);
    stderr = hook;
    return JNI_TRUE;
}

JNIEXPORT void JNICALL Java_dev_lote_image_DecoderMessages_begin0(JNIEnv *env, jclass cls) {
    (void) env; (void) cls;
    length = 0;
    capturing = 1;
}

/* What this thread's decode printed since begin(), or null. */
JNIEXPORT jstring JNICALL Java_dev_lote_image_DecoderMessages_end0(JNIEnv *env, jclass cls) {
    (void) cls;
    capturing = 0;
    if (length == 0) return NULL;
    captured[length] = 0;
    for (size_t i = 0; i < length; i++) if ((unsigned char) captured[i] >= 0x80) captured[i] = '?'; /* modified UTF-8 */
    length = 0;
    return (*env)->NewStringUTF(env, captured);
}
