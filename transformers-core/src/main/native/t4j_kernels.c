/*
 * transformers4j native kernels: the parts of a batch-1 decoding step that LibTorch does slower than the memory
 * allows (docs/performance.md has the measurements):
 *   t4j_gemv_bf16 / t4j_gemv_bf16_parallel  one-row bfloat16 linear layers (Bf16Gemv.java)
 *   t4j_attention_decode                    attention for a few query rows per head (DecodeAttention.java)
 *   t4j_rms_norm                            LlamaRMSNorm (TorchOps.fusedRmsNorm)
 *   t4j_rotary                              apply_rotary_pos_emb for one tensor (TorchOps.fusedRotary)
 *   t4j_decoder_layer                       a whole Llama-family decoder layer for one token on a static cache,
 *                                           from the kernels above (FusedDecoderLayer.java)
 * Each keeps Python's roundings; the Java side checks dtypes, shapes and strides and falls back to LibTorch for
 * anything a kernel does not take.
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
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <immintrin.h>

#define T4J_KERNELS_ABI 8

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

/* Bytes ahead of the current position to prefetch (four 2 KB rows of a 1024-wide matrix). Chosen in place, over the
 * memory-mapped weights of the 156M decode benchmark: 8192 of 1-16 KB, 9.4 vs 8.7 GB/s at 2048 on one thread and 15.2
 * vs 14.2 on two (means of 3-5 noisy runs); in a synthetic test over fresh memory 2048 had looked best. */
#define PREFETCH_BYTES 8192

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

/* y = W x for float32, for the fused decoder layer (the op-by-op path leaves float32 products to LibTorch's MKL).
 * Four rows at a time, one float32 accumulator each, prefetching each row 8 KB ahead: four streams in flight read
 * 10.4-12.2 GB/s on one Sapphire Rapids core where one row at a time (the bfloat16 kernel's loop) read 8.8-10.3 and
 * MKL's product is a little faster than that (a C test over 491 MB of rows). Sums in another order than MKL's. */
__attribute__((target("avx512f")))
void t4j_gemv_f32(const float *w, const float *x, float *y, int64_t in, int64_t row_begin, int64_t row_end) {
    const int64_t body = in - in % 16;
    const __mmask16 tail = (__mmask16) ((1u << (in % 16)) - 1u);
    int64_t o = row_begin;
    for (; o + 4 <= row_end; o += 4) {
        const float *r0 = w + o * in, *r1 = r0 + in, *r2 = r1 + in, *r3 = r2 + in;
        __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps(), a2 = _mm512_setzero_ps(), a3 = _mm512_setzero_ps();
        int64_t j = 0;
        for (; j < body; j += 16) {
            _mm_prefetch((const char *) (r0 + j) + PREFETCH_BYTES, _MM_HINT_T0);
            _mm_prefetch((const char *) (r1 + j) + PREFETCH_BYTES, _MM_HINT_T0);
            _mm_prefetch((const char *) (r2 + j) + PREFETCH_BYTES, _MM_HINT_T0);
            _mm_prefetch((const char *) (r3 + j) + PREFETCH_BYTES, _MM_HINT_T0);
            __m512 xv = _mm512_loadu_ps(x + j);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(r0 + j), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(r1 + j), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(r2 + j), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(r3 + j), xv, a3);
        }
        if (tail != 0) {
            __m512 xv = _mm512_maskz_loadu_ps(tail, x + j);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r0 + j), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r1 + j), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r2 + j), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r3 + j), xv, a3);
        }
        y[o] = _mm512_reduce_add_ps(a0);
        y[o + 1] = _mm512_reduce_add_ps(a1);
        y[o + 2] = _mm512_reduce_add_ps(a2);
        y[o + 3] = _mm512_reduce_add_ps(a3);
    }
    for (; o < row_end; o++) {
        const float *r = w + o * in;
        __m512 a0 = _mm512_setzero_ps();
        int64_t j = 0;
        for (; j < body; j += 16) {
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(r + j), _mm512_loadu_ps(x + j), a0);
        }
        if (tail != 0) {
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(tail, r + j), _mm512_maskz_loadu_ps(tail, x + j), a0);
        }
        y[o] = _mm512_reduce_add_ps(a0);
    }
}

/* Rows [begin, end) of y = W x: dtype 0 float32, 1 bfloat16. */
static void gemv_rows(int dt, const void *w, const void *x, void *y, int64_t in, int64_t begin, int64_t end) {
    if (dt == 0) {
        t4j_gemv_f32((const float *) w, (const float *) x, (float *) y, in, begin, end);
    } else {
        t4j_gemv_bf16((const uint16_t *) w, (const uint16_t *) x, (uint16_t *) y, in, begin, end);
    }
}

struct multi_gemv_job {
    int dt;
    const void *x;
    int64_t in;
    int parts;
    const void *w[3];
    void *y[3];
    int64_t rows[3];
    int64_t total;
};

/* The rows of up to three matrices sharing one input (q, k and v; gate and up) as one list, thread t of n taking rows
 * [t * total / n, (t + 1) * total / n) with boundaries on multiples of 8: one parallel region instead of three.
 * (Rows handed out in chunks from an atomic counter were tried: no faster through the noise of a shared host.) */
static void multi_gemv_part(void *data) {
    const struct multi_gemv_job *j = (const struct multi_gemv_job *) data;
    int64_t t = omp_thread_num();
    int64_t n = omp_num_threads();
    int64_t begin = t == 0 ? 0 : (j->total * t / n) & ~(int64_t) 7;
    int64_t end = t == n - 1 ? j->total : (j->total * (t + 1) / n) & ~(int64_t) 7;
    int64_t base = 0;
    for (int p = 0; p < j->parts; p++) {
        int64_t b = begin > base ? begin - base : 0;
        int64_t e = end - base < j->rows[p] ? end - base : j->rows[p];
        if (b < e) {
            gemv_rows(j->dt, j->w[p], j->x, j->y[p], j->in, b, e);
        }
        base += j->rows[p];
    }
}

/* t4j_gemv_bf16 over all rows on `threads` threads of the OpenMP team (one, the caller, without t4j_use_gomp). */
void t4j_gemv_bf16_parallel(const uint16_t *w, const uint16_t *x, uint16_t *y, int64_t in, int64_t rows,
                            int32_t threads) {
    if (threads <= 1 || gomp_parallel == NULL) {
        t4j_gemv_bf16(w, x, y, in, 0, rows);
        return;
    }
    struct multi_gemv_job j = {1, x, in, 1, {w}, {y}, {rows}, rows};
    gomp_parallel(multi_gemv_part, &j, (unsigned) threads, 0);
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

/* ---------------------------------------------------------------------------------------------------------------
 * Attention of one new token (decoding): softmax(q k^T * scale + mask) v for every query row of every (batch, head),
 * over S cached keys. LibTorch's fused CPU kernel (flash attention) is made for blocks of queries; for a handful of
 * query rows its set-up dominates (in the decode benchmark this kernel takes attention from 7.9% to 4.7% of a step on
 * one thread). Same arithmetic as that kernel: float32 dot products, scale, additive mask, max-subtracted exponentials
 * summed in float32; for bfloat16 the exponentials are rounded to bfloat16 before they weight the values (LibTorch's
 * kernel multiplies them with V in bfloat16, as Python's eager attention casts its probabilities); a float32 weighted
 * sum, divided by the sum, rounded once to the output type. */

/* exp for float32 lanes: 2^n * p(r), x = n ln2 + r, |r| <= ln2 / 2, degree-6 polynomial (Cephes' coefficients):
 * within 2 ulp over the range softmax uses (x <= 0); underflows to 0 below -87.3. */
__attribute__((target("avx512f")))
static inline __m512 exp_ps(__m512 x) {
    const __m512 lo = _mm512_set1_ps(-87.33654f);
    x = _mm512_max_ps(x, lo);
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
    return _mm512_mul_ps(p, _mm512_castsi512_ps(e));
}

/* Non-negative finite float32 lanes rounded to bfloat16 values (nearest-even), kept as float32. */
__attribute__((target("avx512f")))
static inline __m512 round_bf16_ps(__m512 x) {
    __m512i u = _mm512_castps_si512(x);
    __m512i odd = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
    u = _mm512_add_epi32(u, _mm512_add_epi32(odd, _mm512_set1_epi32(0x7fff)));
    return _mm512_castsi512_ps(_mm512_and_si512(u, _mm512_set1_epi32((int) 0xffff0000u)));
}

/* Lane t of the result = the sum of the 16 lanes of a[t]: four shuffle-and-add levels for 16 sums. The levels leave
 * key 4i + k in lane 4k + i; the last permutation puts key t in lane t. */
__attribute__((target("avx512f")))
static inline __m512 reduce16_ps(const __m512 *a) {
    __m512 t[8], u[4], v[2];
    for (int i = 0; i < 8; i++) {
        t[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x44),
                             _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xEE));
    }
    for (int m = 0; m < 4; m++) {
        u[m] = _mm512_add_ps(_mm512_shuffle_f32x4(t[2 * m], t[2 * m + 1], 0x88),
                             _mm512_shuffle_f32x4(t[2 * m], t[2 * m + 1], 0xDD));
    }
    for (int m = 0; m < 2; m++) {
        v[m] = _mm512_add_ps(_mm512_shuffle_ps(u[2 * m], u[2 * m + 1], 0x44),
                             _mm512_shuffle_ps(u[2 * m], u[2 * m + 1], 0xEE));
    }
    __m512 w = _mm512_add_ps(_mm512_shuffle_ps(v[0], v[1], 0x88), _mm512_shuffle_ps(v[0], v[1], 0xDD));
    const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(order, w);
}

struct attn_job {
    int dtype;
    const char *q, *k, *v, *mask;
    char *out;
    int64_t batch, heads, rows, keys, dim;
    int64_t q_sb, q_sh, q_sr, k_sb, k_sh, k_ss, v_sb, v_sh, v_ss, m_sb, o_sb, o_sh, o_sr; /* element strides */
    float scale;
    volatile int failed; /* a row whose every key is masked: left to LibTorch */
};

#define T4J_MAX_ROWS 16
#define T4J_MAX_DIM 512

/* One (batch, head): R query rows against S keys. Always inlined into versions with a constant dtype and head size
 * (below), so the inner loops unroll and their accumulators stay in registers. The keys are visited in blocks that
 * stay in L1 while every query row reads them, and the values in column chunks that four rows share. */
#define T4J_KEY_BLOCK 64

__attribute__((target("avx512f,avx512bw"), always_inline))
static inline void attention_impl(const struct attn_job *j, int64_t b, int64_t h, float *scores, const int dt,
                                  const int64_t nv) {
    const int64_t esz = dt == 0 ? 4 : 2;
    const int64_t R = j->rows, S = j->keys;
    const float scale = j->scale;
    const char *kb = j->k + (b * j->k_sb + h * j->k_sh) * esz;
    const char *vb = j->v + (b * j->v_sb + h * j->v_sh) * esz;
    const char *mb = j->mask == NULL ? NULL : j->mask + b * j->m_sb * esz;
    float *inv_sum = scores + R * S; /* R more floats after the scores */

    /* scores[r][s] = q_r . k_s * scale + mask_s */
    for (int64_t s0 = 0; s0 < S; s0 += T4J_KEY_BLOCK) {
        int64_t s1 = s0 + T4J_KEY_BLOCK < S ? s0 + T4J_KEY_BLOCK : S;
        for (int64_t r = 0; r < R; r++) {
            const char *qr = j->q + (b * j->q_sb + h * j->q_sh + r * j->q_sr) * esz;
            __m512 q[T4J_MAX_DIM / 16];
#pragma GCC unroll 32
            for (int64_t c = 0; c < nv; c++) {
                q[c] = load16(qr, c * 16, dt);
            }
            float *sr = scores + r * S;
            int64_t s = s0;
            for (; s + 16 <= s1; s += 16) {
                /* 16 keys at once: one accumulator each, then one transposing reduction instead of 16 */
                __m512 acc[16];
#pragma GCC unroll 16
                for (int t = 0; t < 16; t++) {
                    acc[t] = _mm512_setzero_ps();
                }
#pragma GCC unroll 32
                for (int64_t c = 0; c < nv; c++) {
#pragma GCC unroll 16
                    for (int t = 0; t < 16; t++) {
                        acc[t] = _mm512_fmadd_ps(q[c], load16(kb + (s + t) * j->k_ss * esz, c * 16, dt), acc[t]);
                    }
                }
                __m512 sums = reduce16_ps(acc);
                sums = _mm512_mul_ps(sums, _mm512_set1_ps(scale));
                if (mb != NULL) {
                    sums = _mm512_add_ps(sums, load16(mb, s, dt));
                }
                _mm512_storeu_ps(sr + s, sums);
            }
            for (; s < s1; s++) {
                const char *ks = kb + s * j->k_ss * esz;
                __m512 a0 = _mm512_setzero_ps();
#pragma GCC unroll 32
                for (int64_t c = 0; c < nv; c++) {
                    a0 = _mm512_fmadd_ps(q[c], load16(ks, c * 16, dt), a0);
                }
                sr[s] = _mm512_reduce_add_ps(a0) * scale + (mb == NULL ? 0.0f : load1(mb, s, dt));
            }
        }
    }
    /* softmax numerators in place, and 1 / their sum */
    for (int64_t r = 0; r < R; r++) {
        float *sr = scores + r * S;
        __m512 vmax = _mm512_set1_ps(-INFINITY);
        int64_t s = 0;
        for (; s + 16 <= S; s += 16) {
            vmax = _mm512_max_ps(vmax, _mm512_loadu_ps(sr + s));
        }
        float mx = _mm512_reduce_max_ps(vmax);
        for (; s < S; s++) {
            mx = sr[s] > mx ? sr[s] : mx;
        }
        if (mx == -INFINITY) {
            ((struct attn_job *) j)->failed = 1;
            return;
        }
        __m512 vmx = _mm512_set1_ps(mx);
        __m512 vsum = _mm512_setzero_ps();
        for (s = 0; s + 16 <= S; s += 16) {
            __m512 e = exp_ps(_mm512_sub_ps(_mm512_loadu_ps(sr + s), vmx));
            vsum = _mm512_add_ps(vsum, e);
            _mm512_storeu_ps(sr + s, dt == 0 ? e : round_bf16_ps(e));
        }
        if (s < S) {
            __mmask16 mk = (__mmask16) ((1u << (S - s)) - 1u);
            __m512 e = exp_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(mk, sr + s), vmx));
            vsum = _mm512_add_ps(vsum, _mm512_maskz_mov_ps(mk, e));
            _mm512_mask_storeu_ps(sr + s, mk, dt == 0 ? e : round_bf16_ps(e));
        }
        inv_sum[r] = 1.0f / _mm512_reduce_add_ps(vsum);
    }
    /* out_r = sum_s p_rs v_s / sum_r: four rows at a time share each 64-column chunk of a value row */
    for (int64_t r0 = 0; r0 < R; r0 += 4) {
        int64_t rn = R - r0 < 4 ? R - r0 : 4;
        for (int64_t c0 = 0; c0 < nv; c0 += 4) {
            int64_t cn = nv - c0 < 4 ? nv - c0 : 4;
            __m512 acc[4][4];
#pragma GCC unroll 4
            for (int64_t r = 0; r < 4; r++) {
#pragma GCC unroll 4
                for (int64_t c = 0; c < 4; c++) {
                    acc[r][c] = _mm512_setzero_ps();
                }
            }
            for (int64_t s = 0; s < S; s++) {
                const char *vs = vb + s * j->v_ss * esz;
                __m512 vv[4];
#pragma GCC unroll 4
                for (int64_t c = 0; c < 4; c++) {
                    vv[c] = c < cn ? load16(vs, (c0 + c) * 16, dt) : _mm512_setzero_ps();
                }
#pragma GCC unroll 4
                for (int64_t r = 0; r < 4; r++) {
                    if (r < rn) {
                        __m512 p = _mm512_set1_ps(scores[(r0 + r) * S + s]);
#pragma GCC unroll 4
                        for (int64_t c = 0; c < 4; c++) {
                            acc[r][c] = _mm512_fmadd_ps(p, vv[c], acc[r][c]);
                        }
                    }
                }
            }
            for (int64_t r = 0; r < rn; r++) {
                char *orow = j->out + (b * j->o_sb + h * j->o_sh + (r0 + r) * j->o_sr) * esz;
                __m512 is = _mm512_set1_ps(inv_sum[r0 + r]);
                for (int64_t c = 0; c < cn; c++) {
                    __m512 o = _mm512_mul_ps(acc[r][c], is);
                    if (dt == 0) {
                        _mm512_storeu_ps((float *) orow + (c0 + c) * 16, o);
                    } else {
                        float tmp[16];
                        _mm512_storeu_ps(tmp, o);
                        for (int t = 0; t < 16; t++) {
                            ((uint16_t *) orow)[(c0 + c) * 16 + t] = to_bf16(tmp[t]);
                        }
                    }
                }
            }
        }
    }
}

#define T4J_ATTENTION_VERSION(NAME, DT, NV)                                                                    \
    __attribute__((target("avx512f,avx512bw"))) static void NAME(const struct attn_job *j, int64_t b, int64_t h,  \
                                                                  float *scores) {                             \
        attention_impl(j, b, h, scores, DT, NV);                                                                \
    }
T4J_ATTENTION_VERSION(attention_f32_64, 0, 4)
T4J_ATTENTION_VERSION(attention_f32_128, 0, 8)
T4J_ATTENTION_VERSION(attention_bf16_64, 1, 4)
T4J_ATTENTION_VERSION(attention_bf16_128, 1, 8)
T4J_ATTENTION_VERSION(attention_f32_any, 0, j->dim / 16)
T4J_ATTENTION_VERSION(attention_bf16_any, 1, j->dim / 16)

static void attention_one(const struct attn_job *j, int64_t b, int64_t h, float *scores) {
    if (j->dim == 128) {
        (j->dtype == 0 ? attention_f32_128 : attention_bf16_128)(j, b, h, scores);
    } else if (j->dim == 64) {
        (j->dtype == 0 ? attention_f32_64 : attention_bf16_64)(j, b, h, scores);
    } else {
        (j->dtype == 0 ? attention_f32_any : attention_bf16_any)(j, b, h, scores);
    }
}

static void attention_part(void *data) {
    struct attn_job *j = (struct attn_job *) data;
    int64_t t = gomp_parallel == NULL ? 0 : omp_thread_num();
    int64_t n = gomp_parallel == NULL ? 1 : omp_num_threads();
    int64_t tasks = j->batch * j->heads;
    float *scores = (float *) malloc(sizeof(float) * (size_t) (j->rows * (j->keys + 1)));
    if (scores == NULL) {
        j->failed = 1;
        return;
    }
    for (int64_t i = tasks * t / n; i < tasks * (t + 1) / n; i++) {
        attention_one(j, i / j->heads, i % j->heads, scores);
    }
    free(scores);
}

/* Returns 0, or -1 when it did not compute (unsupported sizes, a fully masked row, out of memory): the caller then
 * runs LibTorch's kernel. Strides are in elements; the last dimension of every tensor is contiguous. */
int t4j_attention_decode(int32_t dtype, const void *q, const void *k, const void *v, const void *mask, void *out,
                         int64_t batch, int64_t heads, int64_t rows, int64_t keys, int64_t dim,
                         const int64_t *strides, float scale, int32_t threads) {
    if ((dtype != 0 && dtype != 1) || rows < 1 || rows > T4J_MAX_ROWS || dim < 16 || dim > T4J_MAX_DIM
        || dim % 16 != 0 || keys < 1) {
        return -1;
    }
    struct attn_job j = {dtype, q, k, v, mask, out, batch, heads, rows, keys, dim,
                         strides[0], strides[1], strides[2], strides[3], strides[4], strides[5],
                         strides[6], strides[7], strides[8], strides[9], strides[10], strides[11], strides[12],
                         scale, 0};
    int64_t tasks = batch * heads;
    int64_t n = threads < tasks ? threads : tasks;
    if (n <= 1 || gomp_parallel == NULL) {
        /* serial: attention_part with one "thread" */
        float *scores = (float *) malloc(sizeof(float) * (size_t) (rows * (keys + 1)));
        if (scores == NULL) {
            return -1;
        }
        for (int64_t i = 0; i < tasks && !j.failed; i++) {
            attention_one(&j, i / heads, i % heads, scores);
        }
        free(scores);
    } else {
        gomp_parallel(attention_part, &j, (unsigned) n, 0);
    }
    return j.failed ? -1 : 0;
}

/* ---------------------------------------------------------------------------------------------------------------
 * A whole decoder layer of the Llama family (LlamaDecoderLayer) for one token of batch 1 on a preallocated (static)
 * cache, in one call:
 *   h1 = rms_norm(x); q, k, v = h1 Wq^T, h1 Wk^T, h1 Wv^T; q, k = rotary(q), rotary(k); cache[:, :, pos] = k, v
 *   a = attention(q, cache[:, :, :keys], mask) Wo^T; h = x + a
 *   h2 = rms_norm(h); out = h + (silu(h2 Wg^T) * (h2 Wu^T)) Wd^T
 * Why: a decoding step on two threads spent as long in the ~250 small calls around the matrix products (each a JNI
 * call, a tensor allocation and a dispatch, single-threaded) as in the products themselves; here a layer is one call
 * and five parallel regions.
 *
 * bfloat16: the same functions as the op-by-op path with the kernels on (t4j_rms_norm, t4j_gemv_bf16, t4j_rotary,
 * t4j_attention_decode) and the roundings of LibTorch's bfloat16 add and mul (the float32 result rounded once), so
 * the result is the op-by-op path's to the bit. silu comes from two 65536-entry tables of LibTorch's own bfloat16
 * silu indexed by the input's bits, made by the Java side: one from LibTorch's vectorised loop and one from its scalar
 * loop (std::exp instead of Sleef's exp: they differ in the last bit for some inputs), because LibTorch computes an
 * array's last (n mod 64) elements with the scalar loop.
 * float32: the op-by-op path's products are MKL's and its silu uses Sleef's exp, neither reproducible here, so the
 * result agrees to float32 rounding (sums in another order; silu as LibTorch's scalar loop, with expf). */

static void multi_gemv(struct multi_gemv_job *j, int32_t threads) {
    j->total = 0;
    for (int p = 0; p < j->parts; p++) {
        j->total += j->rows[p];
    }
    /* as Bf16Gemv: below 2^18 weights per thread a second thread is not worth waking */
    int64_t n = j->total * j->in / (1 << 18);
    n = n < threads ? n : threads;
    if (n <= 1 || gomp_parallel == NULL) {
        for (int p = 0; p < j->parts; p++) {
            gemv_rows(j->dt, j->w[p], j->x, j->y[p], j->in, 0, j->rows[p]);
        }
    } else {
        gomp_parallel(multi_gemv_part, j, (unsigned) n, 0);
    }
}

static inline float bf16_to_f(uint16_t v) {
    uint32_t u = (uint32_t) v << 16;
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* dst[i] = a[i] + b[i] in the tensors' type (bfloat16: the float32 sum rounded once, as LibTorch's add). */
static void add_rows(int dt, const void *a, const void *b, void *dst, int64_t n) {
    for (int64_t i = 0; i < n; i++) {
        if (dt == 0) {
            ((float *) dst)[i] = ((const float *) a)[i] + ((const float *) b)[i];
        } else {
            const uint16_t *ab = (const uint16_t *) a, *bb = (const uint16_t *) b;
            ((uint16_t *) dst)[i] = to_bf16(bf16_to_f(ab[i]) + bf16_to_f(bb[i]));
        }
    }
}

/* dtype 0 float32, 1 bfloat16 (every tensor in it)
 * p: x, input_layernorm weight, Wq, Wk, Wv, Wo, post_attention_layernorm weight, Wg, Wu, Wd, cos row, sin row,
 *    key cache (batch 0 of the layer's buffer), value cache, additive mask row (keys values), silu table (vectorised
 *    loop), silu table (scalar loop) (both bfloat16 only), out
 * n: hidden, heads, kv_heads, head_dim, intermediate, position, keys, key head stride, key position stride,
 *    value head stride, value position stride (strides in elements)
 * f: input norm eps, post-attention norm eps, attention scale
 * Returns 0; -1 when it declined (sizes the attention kernel does not take, a fully masked row, out of memory): the
 * cache row at `position` may then be written already, with the values the op-by-op path writes there again. */
int t4j_decoder_layer(int32_t dt, const int64_t *p, const int64_t *n, const float *f, int32_t threads) {
    const int64_t hidden = n[0], heads = n[1], kv_heads = n[2], dim = n[3], inter = n[4];
    const int64_t pos = n[5], keys = n[6];
    const int64_t rep = kv_heads > 0 ? heads / kv_heads : 0;
    if ((dt != 0 && dt != 1) || dim < 16 || dim > T4J_MAX_DIM || dim % 16 != 0 || rep < 1 || rep > T4J_MAX_ROWS
        || heads % kv_heads != 0 || keys < 1 || pos < 0 || pos >= keys || (dt == 1 && (p[15] == 0 || p[16] == 0))) {
        return -1;
    }
    const int64_t esz = dt == 0 ? 4 : 2;
    const int64_t qn = heads * dim, kn = kv_heads * dim;
    char *buf = (char *) malloc((size_t) ((hidden * 4 + qn * 3 + kn * 3 + inter * 3) * esz));
    if (buf == NULL) {
        return -1;
    }
    char *h1 = buf, *h = h1 + hidden * esz, *h2 = h + hidden * esz, *d = h2 + hidden * esz;
    char *q = d + hidden * esz, *qr = q + qn * esz, *attn = qr + qn * esz;
    char *k = attn + qn * esz, *kr = k + kn * esz, *v = kr + kn * esz;
    char *g = v + kn * esz, *u = g + inter * esz, *m = u + inter * esz;
    const void *x = (const void *) p[0];
    int rc = 0;

    /* attention block */
    rms_norm_rows(dt, x, (const void *) p[1], h1, 1, hidden, f[0]);
    struct multi_gemv_job qkv = {dt, h1, hidden, 3, {(const void *) p[2], (const void *) p[3], (const void *) p[4]},
                                 {q, k, v}, {qn, kn, kn}, 0};
    multi_gemv(&qkv, threads);
    const int64_t rot_q[12] = {qn, dim, dim, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    const int64_t rot_k[12] = {kn, dim, dim, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    t4j_rotary(dt, q, (const void *) p[10], (const void *) p[11], qr, 1, heads, 1, dim, rot_q);
    t4j_rotary(dt, k, (const void *) p[10], (const void *) p[11], kr, 1, kv_heads, 1, dim, rot_k);
    char *kc = (char *) p[12], *vc = (char *) p[13];
    for (int64_t hh = 0; hh < kv_heads; hh++) {
        memcpy(kc + (hh * n[7] + pos * n[8]) * esz, kr + hh * dim * esz, (size_t) (dim * esz));
        memcpy(vc + (hh * n[9] + pos * n[10]) * esz, v + hh * dim * esz, (size_t) (dim * esz));
    }
    /* the query heads of a key/value group are the group's rows: (1, kv_heads, rep, dim), as SdpaAttention passes */
    const int64_t st[13] = {qn, rep * dim, dim, 0, n[7], n[8], 0, n[9], n[10], 0, qn, rep * dim, dim};
    if (t4j_attention_decode(dt, qr, kc, vc, (const void *) p[14], attn, 1, kv_heads, rep, keys, dim, st, f[2],
                             threads) != 0) {
        rc = -1;
        goto done;
    }
    struct multi_gemv_job o = {dt, attn, qn, 1, {(const void *) p[5]}, {d}, {hidden}, 0};
    multi_gemv(&o, threads);
    add_rows(dt, x, d, h, hidden);

    /* MLP block */
    rms_norm_rows(dt, h, (const void *) p[6], h2, 1, hidden, f[1]);
    struct multi_gemv_job gu = {dt, h2, hidden, 2, {(const void *) p[7], (const void *) p[8]}, {g, u},
                                {inter, inter}, 0};
    multi_gemv(&gu, threads);
    if (dt == 0) {
        const float *gf = (const float *) g, *uf = (const float *) u;
        float *mf = (float *) m;
        for (int64_t i = 0; i < inter; i++) {
            mf[i] = gf[i] / (1.0f + expf(-gf[i])) * uf[i];
        }
    } else {
        const uint16_t *silu_vec = (const uint16_t *) p[15], *silu_scalar = (const uint16_t *) p[16];
        const uint16_t *gb = (const uint16_t *) g, *ub = (const uint16_t *) u;
        uint16_t *mb = (uint16_t *) m;
        const int64_t vec_end = inter - inter % 64;
        for (int64_t i = 0; i < inter; i++) {
            uint16_t a = i < vec_end ? silu_vec[gb[i]] : silu_scalar[gb[i]];
            mb[i] = to_bf16(bf16_to_f(a) * bf16_to_f(ub[i]));
        }
    }
    struct multi_gemv_job dn = {dt, m, inter, 1, {(const void *) p[9]}, {d}, {hidden}, 0};
    multi_gemv(&dn, threads);
    add_rows(dt, h, d, (void *) p[17], hidden);
done:
    free(buf);
    return rc;
}
