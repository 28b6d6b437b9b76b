/*
 * transformers4j native kernels: what LibTorch does slower than the memory allows.
 *
 * t4j_gemv_bf16: y = W x for one bfloat16 row x (a decoding step's linear layer), W (rows, in) row-major bfloat16,
 * y bfloat16. At batch 1 a decoder's time is spent streaming its weights once per token; LibTorch's oneDNN path
 * reads bfloat16 weights at 7-9 GB/s on one Sapphire Rapids core where a plain loop of AVX512-BF16 dot products
 * with software prefetch reads 10-11 GB/s (docs/performance.md). Products are exact (bf16 x bf16 fits a float),
 * sums are float32 as in oneDNN, the result is rounded to nearest-even like c10::BFloat16. The instruction treats
 * subnormal inputs as zero (DAZ), as oneDNN's bf16 kernels on this CPU do.
 *
 * Threads: LibTorch's own OpenMP team runs the rows in parallel. The library links no OpenMP runtime; the Java side
 * hands it the addresses of GOMP_parallel, omp_get_thread_num and omp_get_num_threads from the libgomp LibTorch
 * loaded (t4j_use_gomp), so the kernel's threads are the ones LibTorch's ops use and spin on, not a second pool
 * competing with them for the cores.
 *
 * The caller (Bf16Gemv.java) checks shapes, types and contiguity; this file only computes. Built by build.sh at
 * `mvn compile`; without gcc or off x86-64 Linux the Java side uses LibTorch.
 */
#include <stdint.h>
#include <math.h>
#include <string.h>
#include <immintrin.h>

#define T4J_KERNELS_ABI 6

int t4j_kernels_abi(void) { return T4J_KERNELS_ABI; }

/* 1 when this CPU has the instructions t4j_gemv_bf16 uses (AVX-512 F/BW and BF16). */
int t4j_has_avx512bf16(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw")
        && __builtin_cpu_supports("avx512bf16");
}

/* c10::BFloat16's round_to_nearest_even: NaN stays a quiet NaN. */
static inline uint16_t to_bf16(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return 0x7fc0;
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    return (uint16_t) (u >> 16);
}

/* 16 elements of a row as float32: dtype 0 float32, 1 bfloat16. */
__attribute__((target("avx512f,avx512bw")))
static inline __m512 load16(const void *base, int64_t i, int dt) {
    if (dt == 0) {
        return _mm512_loadu_ps((const float *) base + i);
    }
    __m256i h = _mm256_loadu_si256((const __m256i *) ((const uint16_t *) base + i));
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16));
}

/* One element as float32: dtype 0 float32, 1 bfloat16. */
static inline float load1(const void *base, int64_t i, int dt) {
    if (dt == 0) {
        return ((const float *) base)[i];
    }
    uint32_t u = (uint32_t) ((const uint16_t *) base)[i] << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Bytes ahead of the current position to prefetch: measured 2048 best of 0/512/1024/2048 on Sapphire Rapids. */
#define PREFETCH_BYTES 2048

__attribute__((target("avx512f,avx512bw,avx512bf16")))
void t4j_gemv_bf16(const uint16_t *w, const uint16_t *x, uint16_t *y, int64_t in, int64_t row_begin,
                   int64_t row_end) {
    int64_t body = in - in % 128;
    int64_t rem32 = in % 32;
    for (int64_t o = row_begin; o < row_end; o++) {
        const uint16_t *r = w + o * in;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
        __m512 a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        int64_t j = 0;
        for (; j < body; j += 128) {
            const char *p = (const char *) (r + j) + PREFETCH_BYTES;
            _mm_prefetch(p, _MM_HINT_T0);
            _mm_prefetch(p + 64, _MM_HINT_T0);
            _mm_prefetch(p + 128, _MM_HINT_T0);
            _mm_prefetch(p + 192, _MM_HINT_T0);
            a0 = _mm512_dpbf16_ps(a0, (__m512bh) _mm512_loadu_si512(r + j), (__m512bh) _mm512_loadu_si512(x + j));
            a1 = _mm512_dpbf16_ps(a1, (__m512bh) _mm512_loadu_si512(r + j + 32),
                                  (__m512bh) _mm512_loadu_si512(x + j + 32));
            a2 = _mm512_dpbf16_ps(a2, (__m512bh) _mm512_loadu_si512(r + j + 64),
                                  (__m512bh) _mm512_loadu_si512(x + j + 64));
            a3 = _mm512_dpbf16_ps(a3, (__m512bh) _mm512_loadu_si512(r + j + 96),
                                  (__m512bh) _mm512_loadu_si512(x + j + 96));
        }
        for (; j + 32 <= in; j += 32) {
            a0 = _mm512_dpbf16_ps(a0, (__m512bh) _mm512_loadu_si512(r + j), (__m512bh) _mm512_loadu_si512(x + j));
        }
        if (rem32 != 0) {
            /* masked-off lanes load as zero and add nothing */
            __mmask32 m = (__mmask32) ((1u << rem32) - 1u);
            a1 = _mm512_dpbf16_ps(a1, (__m512bh) _mm512_maskz_loadu_epi16(m, r + j),
                                  (__m512bh) _mm512_maskz_loadu_epi16(m, x + j));
        }
        y[o] = to_bf16(_mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(a0, a1), _mm512_add_ps(a2, a3))));
    }
}

/* ---------------------------------------------------------------------------------------------------------------
 * Rows over LibTorch's OpenMP threads */

typedef void (*gomp_parallel_fn)(void (*fn)(void *), void *data, unsigned num_threads, unsigned flags);
typedef int (*omp_int_fn)(void);

static gomp_parallel_fn gomp_parallel;
static omp_int_fn omp_thread_num;
static omp_int_fn omp_num_threads;

/* libgomp's entry points (GCC's OpenMP ABI, stable since GCC 4.9); all three or none. */
int t4j_use_gomp(void *parallel, void *thread_num, void *num_threads) {
    if (parallel == NULL || thread_num == NULL || num_threads == NULL) {
        return -1;
    }
    gomp_parallel = (gomp_parallel_fn) parallel;
    omp_thread_num = (omp_int_fn) thread_num;
    omp_num_threads = (omp_int_fn) num_threads;
    return 0;
}

struct gemv_job {
    const uint16_t *w;
    const uint16_t *x;
    uint16_t *y;
    int64_t in;
    int64_t rows;
};

/* Thread t of n takes rows [t * rows / n, (t + 1) * rows / n), boundaries on multiples of 8 rows. */
static void gemv_part(void *data) {
    const struct gemv_job *j = (const struct gemv_job *) data;
    int64_t t = omp_thread_num();
    int64_t n = omp_num_threads();
    int64_t begin = t == 0 ? 0 : (j->rows * t / n) & ~(int64_t) 7;
    int64_t end = t == n - 1 ? j->rows : (j->rows * (t + 1) / n) & ~(int64_t) 7;
    if (begin < end) {
        t4j_gemv_bf16(j->w, j->x, j->y, j->in, begin, end);
    }
}

/* t4j_gemv_bf16 over all rows on `threads` threads of the OpenMP team (one, the caller, without t4j_use_gomp). */
void t4j_gemv_bf16_parallel(const uint16_t *w, const uint16_t *x, uint16_t *y, int64_t in, int64_t rows,
                            int32_t threads) {
    if (threads <= 1 || gomp_parallel == NULL) {
        t4j_gemv_bf16(w, x, y, in, 0, rows);
        return;
    }
    struct gemv_job j = {w, x, y, in, rows};
    gomp_parallel(gemv_part, &j, (unsigned) threads, 0);
}

/* ---------------------------------------------------------------------------------------------------------------
 * RMSNorm (LlamaRMSNorm, MistralRMSNorm) of contiguous rows, in Python's order of operations: the mean of squares and
 * the scaling in float32, the scaled row rounded to the input type, then multiplied by the weight (same type) with one
 * more rounding. One call instead of LibTorch's eight small ops per norm (two per layer per token while decoding). */
__attribute__((target("avx512f,avx512bw")))
static void rms_norm_rows(int dt, const void *x, const void *w, void *out, int64_t rows, int64_t n, float eps) {
    const int64_t body = n - n % 16;
    for (int64_t r = 0; r < rows; r++) {
        const char *xr = (const char *) x + r * n * (dt == 0 ? 4 : 2);
        char *orow = (char *) out + r * n * (dt == 0 ? 4 : 2);
        __m512 a0 = _mm512_setzero_ps();
        int64_t i = 0;
        for (; i < body; i += 16) {
            __m512 v = load16(xr, i, dt);
            a0 = _mm512_fmadd_ps(v, v, a0);
        }
        float sum = _mm512_reduce_add_ps(a0);
        for (; i < n; i++) {
            float v = load1(xr, i, dt);
            sum += v * v;
        }
        float variance = sum / (float) n;
        float rs = 1.0f / sqrtf(variance + eps);
        for (i = 0; i < n; i++) {
            float h = load1(xr, i, dt) * rs;
            if (dt == 0) {
                ((float *) orow)[i] = load1(w, i, dt) * h;
            } else {
                uint32_t hb = (uint32_t) to_bf16(h) << 16;
                float hr;
                memcpy(&hr, &hb, sizeof hr);
                ((uint16_t *) orow)[i] = to_bf16(load1(w, i, dt) * hr);
            }
        }
    }
}

/* dtype 0 float32, 1 bfloat16; x and out (rows, n) contiguous, w (n). Returns 0, or -1 for an unsupported dtype. */
int t4j_rms_norm(int32_t dtype, const void *x, const void *w, void *out, int64_t rows, int64_t n, float eps) {
    if ((dtype != 0 && dtype != 1) || n < 1 || rows < 0) {
        return -1;
    }
    rms_norm_rows(dtype, x, w, out, rows, n, eps);
    return 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * apply_rotary_pos_emb for one tensor: out = x * cos + rotate_half(x) * sin, rotate_half(x) = cat(-x2, x1) over the
 * halves of the last axis; each product and the sum rounded to the tensor's type, as LibTorch's three ops do (no
 * fused multiply-add: this file is compiled as ISO C, where GCC does not contract). x and the tables may be views
 * (strides in elements, 0 for a broadcast axis); out is (B, H, T, D) contiguous. */
static inline float round_to(float f, int dt) {
    if (dt == 0) {
        return f;
    }
    uint32_t u = (uint32_t) to_bf16(f) << 16;
    float r;
    memcpy(&r, &u, sizeof r);
    return r;
}

int t4j_rotary(int32_t dt, const void *x, const void *cos_t, const void *sin_t, void *out, int64_t B, int64_t H,
               int64_t T, int64_t D, const int64_t *st) {
    if ((dt != 0 && dt != 1) || D % 2 != 0) {
        return -1;
    }
    const int64_t half = D / 2;
    const int64_t esz = dt == 0 ? 4 : 2;
    int64_t o = 0;
    for (int64_t b = 0; b < B; b++) {
        for (int64_t h = 0; h < H; h++) {
            for (int64_t t = 0; t < T; t++) {
                const char *xr = (const char *) x + (b * st[0] + h * st[1] + t * st[2]) * esz;
                const char *cr = (const char *) cos_t + (b * st[4] + h * st[5] + t * st[6]) * esz;
                const char *sr = (const char *) sin_t + (b * st[8] + h * st[9] + t * st[10]) * esz;
                for (int64_t i = 0; i < D; i++) {
                    float xi = load1(xr, i * st[3], dt);
                    float rot = i < half ? -load1(xr, (i + half) * st[3], dt) : load1(xr, (i - half) * st[3], dt);
                    float v = round_to(round_to(xi * load1(cr, i * st[7], dt), dt)
                                       + round_to(rot * load1(sr, i * st[11], dt), dt), dt);
                    if (dt == 0) {
                        ((float *) out)[o + i] = v;
                    } else {
                        uint32_t u;
                        memcpy(&u, &v, sizeof u);
                        ((uint16_t *) out)[o + i] = (uint16_t) (u >> 16);
                    }
                }
                o += D;
            }
        }
    }
    return 0;
}
