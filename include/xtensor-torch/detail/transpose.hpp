// The permuted-copy kernels: a cache-blocked transposing copy with SIMD tiles
// for permuted (transposed, channels-last) dense tensors, and its entry points:
// detail::transposed_copy_of_size<Size>, which compiles one element size's
// kernels only, and, with XTENSOR_TORCH_SEPARATE_KERNELS, detail::transposed_copy,
// every size's. Included by detail/fast_copy.hpp, or, with
// XTENSOR_TORCH_SEPARATE_KERNELS, by the one source file that includes
// <xtensor-torch/kernels.hpp> (see there).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_TRANSPOSE_HPP
#define XTENSOR_TORCH_DETAIL_TRANSPOSE_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <utility>

#include "config.hpp"
#include "parallel.hpp"
#include "torch_memory.hpp"

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define XTT_HAS_X86_KERNELS 1
// SSE2's intrinsics; the AVX2 tiles are written with the compiler's vector
// types instead of <immintrin.h>, which takes most of a second to parse in
// every file that includes the library
#include <emmintrin.h>
#else
#define XTT_HAS_X86_KERNELS 0
#endif

XTT_NAMESPACE_BEGIN

namespace detail
{
    /*
     * The transposing copy: dst[a * ldd + b] = src[b * lds + a] for a < rows,
     * b < cols, elements of 1, 2, 4, 8 or 16 bytes moved as unsigned integers
     * (16: as a pair of them).
     *
     * Each tile of TA x TB elements goes through a small buffer: register
     * transposes (SSE2, or AVX2 where the CPU has it) read it from the source,
     * TB rows of TA elements, and write it into the buffer; the buffer's TA
     * rows of TB elements are then stored into the destination, each as one
     * run (non-temporal stores of whole cache lines when the destination is
     * large). So each row of either side is touched in runs of 128-512 bytes
     * and never twice, whatever its stride: the cache-set and TLB conflicts of
     * power-of-two strides, which evicted a tile before its lines were used
     * up, have nothing left to evict. Source rows 8 ahead (into the next
     * tile) are prefetched while a tile is moved, and tiles are visited in
     * blocks of about 4 KiB a side, so that the pages a block touches stay in
     * the TLB. Sizes measured: docs/performance.md, "The copy sweep"
     * (tests/benchmarks/sweep_benchmarks.cpp).
     */
    struct bytes16
    {
        std::uint64_t lo;
        std::uint64_t hi;

        friend bool operator==(const bytes16& a, const bytes16& b) noexcept
        {
            return a.lo == b.lo && a.hi == b.hi;
        }
    };

    template <class U>
    inline void transpose_scalar(const U* src, std::int64_t lds, U* dst, std::int64_t ldd, std::int64_t rows,
                                 std::int64_t cols) noexcept
    {
        for (std::int64_t a = 0; a < rows; ++a)
        {
            for (std::int64_t b = 0; b < cols; ++b)
            {
                dst[a * ldd + b] = src[b * lds + a];
            }
        }
    }

    /// Tile sizes in elements: TA along the source's rows (its runs), TB along
    /// the destination's, and the block of tiles visited together (a side).
    template <class U>
    struct transpose_tile
    {
        static constexpr std::int64_t a = sizeof(U) <= 2 ? 64 : 256 / static_cast<std::int64_t>(sizeof(U));
        static constexpr std::int64_t b = (sizeof(U) <= 4 ? 512 : 256) / static_cast<std::int64_t>(sizeof(U));
        static constexpr std::int64_t block = std::min<std::int64_t>(1024, 4096 / static_cast<std::int64_t>(sizeof(U)));
        static constexpr std::int64_t prefetch_distance = 8;  // rows ahead
    };

    /// Destinations from this size on are written with non-temporal stores:
    /// they would not stay in the cache, and reading them in first (to write
    /// part of a line) costs a third of the traffic. Below it the copy and
    /// what reads it next run from the cache (measured: 16-byte elements at
    /// 4 MiB take 1.5x as long streamed, 0.7x at 16 MiB).
    inline constexpr std::size_t streaming_store_threshold = std::size_t(8) << 20;

    /// Copies `bytes` from the buffer `src` into `dst`; with `stream`, the whole
    /// cache lines among them with non-temporal stores.
    inline void store_run(void* dst, const void* src, std::size_t bytes, bool stream) noexcept
    {
        auto* d = static_cast<char*>(dst);
        const auto* s = static_cast<const char*>(src);
#if XTT_HAS_X86_KERNELS
        const std::size_t head = (64 - reinterpret_cast<std::uintptr_t>(d) % 64) % 64;
        if (stream && bytes >= head + 64)
        {
            std::memcpy(d, s, head);  // a line shared with the run before: a plain store
            std::size_t o = head;
            for (; o + 64 <= bytes; o += 64)
            {
                for (std::size_t q = 0; q < 64; q += 16)
                {
                    _mm_stream_si128(reinterpret_cast<__m128i*>(d + o + q),
                                     _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + o + q)));
                }
            }
            std::memcpy(d + o, s + o, bytes - o);
            return;
        }
#else
        static_cast<void>(stream);
#endif
        std::memcpy(d, s, bytes);
    }

    /// store_run of a whole tile row, from a 64-byte aligned buffer.
    template <std::size_t Bytes>
    inline void store_tile_row(void* dst, const void* src, bool stream) noexcept
    {
#if XTT_HAS_X86_KERNELS
        if (stream && reinterpret_cast<std::uintptr_t>(dst) % 64 == 0)
        {
            auto* d = static_cast<char*>(dst);
            const auto* s = static_cast<const char*>(src);
            for (std::size_t o = 0; o < Bytes; o += 16)
            {
                _mm_stream_si128(reinterpret_cast<__m128i*>(d + o), _mm_load_si128(reinterpret_cast<const __m128i*>(s + o)));
            }
            return;
        }
#endif
        store_run(dst, src, Bytes, stream);
    }

    inline void streaming_stores_done(bool stream) noexcept
    {
#if XTT_HAS_X86_KERNELS
        if (stream)
        {
            _mm_sfence();  // non-temporal stores are ordered before whatever reads the destination next
        }
#else
        static_cast<void>(stream);
#endif
    }

#if XTT_HAS_X86_KERNELS
    /*
     * Register transposes of a k x k block: `src` rows (stride lds) become
     * `dst` rows (stride ldd). SSE2 is part of x86-64; the AVX2 ones are
     * compiled for AVX2 alone and called only where the CPU has it.
     */
    inline void transpose_8x8(const std::uint8_t* src, std::int64_t lds, std::uint8_t* dst, std::int64_t ldd) noexcept
    {
        const auto row = [&](int i) { return _mm_loadl_epi64(reinterpret_cast<const __m128i*>(src + i * lds)); };
        const __m128i t0 = _mm_unpacklo_epi8(row(0), row(1));
        const __m128i t1 = _mm_unpacklo_epi8(row(2), row(3));
        const __m128i t2 = _mm_unpacklo_epi8(row(4), row(5));
        const __m128i t3 = _mm_unpacklo_epi8(row(6), row(7));
        const __m128i u0 = _mm_unpacklo_epi16(t0, t1);
        const __m128i u1 = _mm_unpackhi_epi16(t0, t1);
        const __m128i u2 = _mm_unpacklo_epi16(t2, t3);
        const __m128i u3 = _mm_unpackhi_epi16(t2, t3);
        const __m128i v[4] = {_mm_unpacklo_epi32(u0, u2), _mm_unpackhi_epi32(u0, u2), _mm_unpacklo_epi32(u1, u3),
                              _mm_unpackhi_epi32(u1, u3)};
        for (int i = 0; i < 4; ++i)
        {
            _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + (2 * i) * ldd), v[i]);
            _mm_storel_epi64(reinterpret_cast<__m128i*>(dst + (2 * i + 1) * ldd), _mm_unpackhi_epi64(v[i], v[i]));
        }
    }

    inline void transpose_8x8(const std::uint16_t* src, std::int64_t lds, std::uint16_t* dst, std::int64_t ldd) noexcept
    {
        __m128i r[8];
        for (int i = 0; i < 8; ++i)
        {
            r[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i * lds));
        }
        __m128i t[8];
        for (int i = 0; i < 4; ++i)
        {
            t[2 * i] = _mm_unpacklo_epi16(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm_unpackhi_epi16(r[2 * i], r[2 * i + 1]);
        }
        // t[0]: a0b0 a1b1 a2b2 a3b3, t[1]: a4b4 .. a7b7, t[2], t[3]: cd, t[4], t[5]: ef, t[6], t[7]: gh
        const __m128i u[8] = {_mm_unpacklo_epi32(t[0], t[2]), _mm_unpackhi_epi32(t[0], t[2]),
                              _mm_unpacklo_epi32(t[1], t[3]), _mm_unpackhi_epi32(t[1], t[3]),
                              _mm_unpacklo_epi32(t[4], t[6]), _mm_unpackhi_epi32(t[4], t[6]),
                              _mm_unpacklo_epi32(t[5], t[7]), _mm_unpackhi_epi32(t[5], t[7])};
        // u[j] (j < 4): columns 2j, 2j + 1 of rows a..d; u[j + 4]: of rows e..h
        for (int j = 0; j < 4; ++j)
        {
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (2 * j) * ldd), _mm_unpacklo_epi64(u[j], u[j + 4]));
            _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + (2 * j + 1) * ldd), _mm_unpackhi_epi64(u[j], u[j + 4]));
        }
    }

    inline void transpose_4x4(const std::uint32_t* src, std::int64_t lds, std::uint32_t* dst, std::int64_t ldd) noexcept
    {
        __m128 r0 = _mm_loadu_ps(reinterpret_cast<const float*>(src));
        __m128 r1 = _mm_loadu_ps(reinterpret_cast<const float*>(src + lds));
        __m128 r2 = _mm_loadu_ps(reinterpret_cast<const float*>(src + 2 * lds));
        __m128 r3 = _mm_loadu_ps(reinterpret_cast<const float*>(src + 3 * lds));
        _MM_TRANSPOSE4_PS(r0, r1, r2, r3);
        _mm_storeu_ps(reinterpret_cast<float*>(dst), r0);
        _mm_storeu_ps(reinterpret_cast<float*>(dst + ldd), r1);
        _mm_storeu_ps(reinterpret_cast<float*>(dst + 2 * ldd), r2);
        _mm_storeu_ps(reinterpret_cast<float*>(dst + 3 * ldd), r3);
    }

    inline void transpose_2x2(const std::uint64_t* src, std::int64_t lds, std::uint64_t* dst, std::int64_t ldd) noexcept
    {
        const __m128d r0 = _mm_loadu_pd(reinterpret_cast<const double*>(src));
        const __m128d r1 = _mm_loadu_pd(reinterpret_cast<const double*>(src + lds));
        _mm_storeu_pd(reinterpret_cast<double*>(dst), _mm_unpacklo_pd(r0, r1));
        _mm_storeu_pd(reinterpret_cast<double*>(dst + ldd), _mm_unpackhi_pd(r0, r1));
    }

    inline void transpose_1x1(const bytes16* src, std::int64_t, bytes16* dst, std::int64_t) noexcept
    {
        _mm_storeu_si128(reinterpret_cast<__m128i*>(dst), _mm_loadu_si128(reinterpret_cast<const __m128i*>(src)));
    }

    /*
     * The AVX2 register transposes, in 32-byte vectors of the compiler's
     * (moved as floats or doubles: shuffles and moves keep every bit). Each
     * shuffle is one of AVX's: the index lists below are unpacklo/unpackhi,
     * shuffle_ps 0x44/0xEE and permute2f128 0x20/0x31.
     */
    typedef float f32x8 __attribute__((vector_size(32)));
    typedef double f64x4 __attribute__((vector_size(32)));
    // unaligned, and of any element type, as loads and stores see memory
    typedef float f32x8_u __attribute__((vector_size(32), aligned(1), may_alias));
    typedef double f64x4_u __attribute__((vector_size(32), aligned(1), may_alias));
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define XTT_SHUFFLE(MASK, A, B, ...) __builtin_shufflevector(A, B, __VA_ARGS__)
#endif
#endif
#ifndef XTT_SHUFFLE  // g++ before 12
    typedef int i32x8 __attribute__((vector_size(32)));
    typedef long long i64x4 __attribute__((vector_size(32)));
#define XTT_SHUFFLE(MASK, A, B, ...) __builtin_shuffle(A, B, MASK{__VA_ARGS__})
#endif

    // (No lambdas in them: a lambda would not be compiled for AVX2.)
    __attribute__((target("avx2"), always_inline)) inline void transpose_8x8_avx2(const std::uint32_t* src, std::int64_t lds,
                                                                   std::uint32_t* dst, std::int64_t ldd) noexcept
    {
        f32x8 r[8];
        for (int i = 0; i < 8; ++i)
        {
            r[i] = *reinterpret_cast<const f32x8_u*>(src + i * lds);
        }
        f32x8 t[8];
        for (int i = 0; i < 4; ++i)
        {
            t[2 * i] = XTT_SHUFFLE(i32x8, r[2 * i], r[2 * i + 1], 0, 8, 1, 9, 4, 12, 5, 13);  // unpacklo
            t[2 * i + 1] = XTT_SHUFFLE(i32x8, r[2 * i], r[2 * i + 1], 2, 10, 3, 11, 6, 14, 7, 15);  // unpackhi
        }
        f32x8 u[8];
        for (int i = 0; i < 2; ++i)
        {
            u[4 * i] = XTT_SHUFFLE(i32x8, t[4 * i], t[4 * i + 2], 0, 1, 8, 9, 4, 5, 12, 13);  // shuffle_ps 0x44
            u[4 * i + 1] = XTT_SHUFFLE(i32x8, t[4 * i], t[4 * i + 2], 2, 3, 10, 11, 6, 7, 14, 15);  // 0xEE
            u[4 * i + 2] = XTT_SHUFFLE(i32x8, t[4 * i + 1], t[4 * i + 3], 0, 1, 8, 9, 4, 5, 12, 13);
            u[4 * i + 3] = XTT_SHUFFLE(i32x8, t[4 * i + 1], t[4 * i + 3], 2, 3, 10, 11, 6, 7, 14, 15);
        }
        for (int j = 0; j < 4; ++j)
        {
            *reinterpret_cast<f32x8_u*>(dst + j * ldd) = XTT_SHUFFLE(i32x8, u[j], u[j + 4], 0, 1, 2, 3, 8, 9, 10, 11);  // permute2f128 0x20
            *reinterpret_cast<f32x8_u*>(dst + (j + 4) * ldd) = XTT_SHUFFLE(i32x8, u[j], u[j + 4], 4, 5, 6, 7, 12, 13, 14, 15);  // 0x31
        }
    }

    // (Named registers: arrays of them, in loops the optimiser leaves rolled
    // at -O2, stay on the stack.)
    __attribute__((target("avx2"), always_inline)) inline void transpose_4x4_avx2(const std::uint64_t* src, std::int64_t lds,
                                                                   std::uint64_t* dst, std::int64_t ldd) noexcept
    {
        const f64x4 r0 = *reinterpret_cast<const f64x4_u*>(src);
        const f64x4 r1 = *reinterpret_cast<const f64x4_u*>(src + lds);
        const f64x4 r2 = *reinterpret_cast<const f64x4_u*>(src + 2 * lds);
        const f64x4 r3 = *reinterpret_cast<const f64x4_u*>(src + 3 * lds);
        const f64x4 t0 = XTT_SHUFFLE(i64x4, r0, r1, 0, 4, 2, 6);  // unpacklo
        const f64x4 t1 = XTT_SHUFFLE(i64x4, r0, r1, 1, 5, 3, 7);  // unpackhi
        const f64x4 t2 = XTT_SHUFFLE(i64x4, r2, r3, 0, 4, 2, 6);
        const f64x4 t3 = XTT_SHUFFLE(i64x4, r2, r3, 1, 5, 3, 7);
        *reinterpret_cast<f64x4_u*>(dst) = XTT_SHUFFLE(i64x4, t0, t2, 0, 1, 4, 5);  // permute2f128 0x20
        *reinterpret_cast<f64x4_u*>(dst + ldd) = XTT_SHUFFLE(i64x4, t1, t3, 0, 1, 4, 5);
        *reinterpret_cast<f64x4_u*>(dst + 2 * ldd) = XTT_SHUFFLE(i64x4, t0, t2, 2, 3, 6, 7);  // permute2f128 0x31
        *reinterpret_cast<f64x4_u*>(dst + 3 * ldd) = XTT_SHUFFLE(i64x4, t1, t3, 2, 3, 6, 7);
    }

    __attribute__((target("avx2"), always_inline)) inline void transpose_2x2_avx2(const bytes16* src, std::int64_t lds,
                                                                   bytes16* dst, std::int64_t ldd) noexcept
    {
        const f64x4 r0 = *reinterpret_cast<const f64x4_u*>(src);
        const f64x4 r1 = *reinterpret_cast<const f64x4_u*>(src + lds);
        *reinterpret_cast<f64x4_u*>(dst) = XTT_SHUFFLE(i64x4, r0, r1, 0, 1, 4, 5);
        *reinterpret_cast<f64x4_u*>(dst + ldd) = XTT_SHUFFLE(i64x4, r0, r1, 2, 3, 6, 7);
    }
#undef XTT_SHUFFLE
#endif

    /*
     * Rows [a0, a1) of the transpose, block by block and tile by tile, through
     * the tile buffer (see above). A macro rather than a template, so that the
     * AVX2 variants are compiled for AVX2 and their register transposes inline
     * (a template instance does not take its caller's target).
     */
#define XTT_TRANSPOSE_ROWS(NAME, ATTRIBUTES, U, K, BLOCK)                                                          \
    ATTRIBUTES inline void NAME(const U* src, std::int64_t lds, U* dst, std::int64_t ldd, std::int64_t a0,         \
                                std::int64_t a1, std::int64_t cols, bool stream) noexcept                          \
    {                                                                                                               \
        constexpr std::int64_t TA = transpose_tile<U>::a;                                                          \
        constexpr std::int64_t TB = transpose_tile<U>::b;                                                          \
        constexpr std::int64_t S = transpose_tile<U>::block;                                                       \
        constexpr std::int64_t PD = transpose_tile<U>::prefetch_distance;                                          \
        alignas(64) U buffer[TA * TB];                                                                              \
        for (std::int64_t B = 0; B < cols; B += S)                                                                  \
        {                                                                                                           \
            const std::int64_t b_end = std::min(cols, B + S);                                                       \
            for (std::int64_t A = a0; A < a1; A += S)                                                               \
            {                                                                                                       \
                const std::int64_t a_end = std::min(a1, A + S);                                                     \
                for (std::int64_t b = B; b < b_end; b += TB)                                                        \
                {                                                                                                   \
                    const std::int64_t tb = std::min(TB, b_end - b);                                                \
                    for (std::int64_t a = A; a < a_end; a += TA)                                                    \
                    {                                                                                               \
                        const std::int64_t ta = std::min(TA, a_end - a);                                            \
                        const U* s = src + b * lds + a;                                                             \
                        U* d = dst + a * ldd + b;                                                                   \
                        if (ta == TA && tb == TB)                                                                   \
                        {                                                                                           \
                            /* the next tile of this block: to the right, or the first of the next rows */         \
                            const bool right = a + 2 * TA <= a_end;                                                 \
                            const bool down = !right && a + TA >= a_end && b + 2 * TB <= b_end;                     \
                            const U* next = right ? s + TA : down ? src + (b + TB) * lds + A : nullptr;             \
                            for (std::int64_t j = 0; j < TB; j += (K))                                              \
                            {                                                                                       \
                                for (std::int64_t r = j + PD; r < j + PD + (K); ++r)                    \
                                {                                                                                   \
                                    const U* row = r < TB ? s + r * lds : next != nullptr ? next + (r - TB) * lds : nullptr; \
                                    if (row != nullptr && r < 2 * TB)                                               \
                                    {                                                                               \
                                        const char* p = reinterpret_cast<const char*>(row);                         \
                                        for (std::int64_t o = 0; o < TA * std::int64_t(sizeof(U)); o += 64)         \
                                        {                                                                           \
                                            __builtin_prefetch(p + o);                                              \
                                        }                                                                           \
                                    }                                                                               \
                                }                                                                                   \
                                for (std::int64_t i = 0; i < TA; i += (K))                                          \
                                {                                                                                   \
                                    BLOCK(s + j * lds + i, lds, buffer + i * TB + j, TB);                           \
                                }                                                                                   \
                            }                                                                                       \
                            for (std::int64_t r = 0; r < TA; ++r)                                                   \
                            {                                                                                       \
                                store_tile_row<TB * sizeof(U)>(d + r * ldd, buffer + r * TB, stream);               \
                            }                                                                                       \
                            continue;                                                                               \
                        }                                                                                           \
                        const std::int64_t fa = ta - ta % (K);                                                      \
                        const std::int64_t fb = tb - tb % (K);                                                      \
                        for (std::int64_t j = 0; j < fb; j += (K))                                                  \
                        {                                                                                           \
                            for (std::int64_t i = 0; i < fa; i += (K))                                              \
                            {                                                                                       \
                                BLOCK(s + j * lds + i, lds, buffer + i * TB + j, TB);                               \
                            }                                                                                       \
                        }                                                                                           \
                        transpose_scalar(s + fb * lds, lds, buffer + fb, TB, fa, tb - fb);                          \
                        transpose_scalar(s + fa, lds, buffer + fa * TB, TB, ta - fa, tb);                           \
                        for (std::int64_t r = 0; r < ta; ++r)                                                       \
                        {                                                                                           \
                            store_run(d + r * ldd, buffer + r * TB, static_cast<std::size_t>(tb) * sizeof(U), stream); \
                        }                                                                                           \
                    }                                                                                               \
                }                                                                                                   \
            }                                                                                                       \
        }                                                                                                           \
    }

#if XTT_HAS_X86_KERNELS
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint8_t, 8, transpose_8x8)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint16_t, 8, transpose_8x8)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint32_t, 4, transpose_4x4)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint64_t, 2, transpose_2x2)
    XTT_TRANSPOSE_ROWS(transpose_rows, , bytes16, 1, transpose_1x1)
    XTT_TRANSPOSE_ROWS(transpose_rows_avx2, __attribute__((target("avx2"))), std::uint32_t, 8, transpose_8x8_avx2)
    XTT_TRANSPOSE_ROWS(transpose_rows_avx2, __attribute__((target("avx2"))), std::uint64_t, 4, transpose_4x4_avx2)
    XTT_TRANSPOSE_ROWS(transpose_rows_avx2, __attribute__((target("avx2"))), bytes16, 2, transpose_2x2_avx2)

    inline bool cpu_has_avx2() noexcept
    {
        static const bool has = __builtin_cpu_supports("avx2") != 0;
        return has;
    }
#else
    // no register transposes: blocks of single elements
    template <class U>
    inline void transpose_1x1(const U* src, std::int64_t, U* dst, std::int64_t) noexcept
    {
        *dst = *src;
    }
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint8_t, 1, transpose_1x1)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint16_t, 1, transpose_1x1)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint32_t, 1, transpose_1x1)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint64_t, 1, transpose_1x1)
    XTT_TRANSPOSE_ROWS(transpose_rows, , bytes16, 1, transpose_1x1)
#endif
#undef XTT_TRANSPOSE_ROWS

    /*
     * Transposes with a side too short for tiles (the 3 channels of an image):
     * C short rows on one side are C interleaved streams on the other. Both
     * sides are walked in order; with C known at compile time the loops
     * unroll and vectorize. (Tiles would store runs of C elements, or read
     * them, one call at a time: slower than ATen.)
     */
    inline constexpr std::int64_t narrow_transpose = 16;

    // g++ vectorizes the unrolled interleaving loops at -O3 only (2-3x faster);
    // clang does at -O2 already
#if defined(__GNUC__) && !defined(__clang__)
#define XTT_VECTORIZE __attribute__((optimize("O3")))
#else
#define XTT_VECTORIZE
#endif

    /// dst[a * ldd + b] = src[b * lds + a] for a in [a0, a1), b < C: C source
    /// rows interleaved into destination rows of C elements.
    template <int C, class U>
    XTT_VECTORIZE inline void interleave_rows(const U* src, std::int64_t lds, U* dst, std::int64_t ldd, std::int64_t a0,
                                              std::int64_t a1, bool stream) noexcept
    {
        static_cast<void>(stream);  // non-temporal stores on x86-64 only
        constexpr std::int64_t chunk = 4096 / C;
        alignas(64) U buffer[chunk * C];
        for (std::int64_t a = a0; a < a1; a += chunk)
        {
            const std::int64_t n = std::min(chunk, a1 - a);
            U* out = ldd == C ? dst + a * ldd : buffer;  // contiguous destination rows: written in place
            const U* s = src + a;
#if XTT_HAS_X86_KERNELS
            if constexpr (sizeof(U) == 16)
            {
                if (stream && out != buffer && reinterpret_cast<std::uintptr_t>(out) % 16 == 0)
                {
                    for (std::int64_t i = 0; i < n; ++i)
                    {
                        for (int b = 0; b < C; ++b)
                        {
                            _mm_stream_si128(reinterpret_cast<__m128i*>(out + i * C + b),
                                             _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + b * lds + i)));
                        }
                    }
                    continue;
                }
            }
#endif
            for (std::int64_t i = 0; i < n; ++i)
            {
                for (int b = 0; b < C; ++b)
                {
                    out[i * C + b] = s[b * lds + i];
                }
            }
            if (ldd != C)
            {
                for (std::int64_t i = 0; i < n; ++i)
                {
                    std::memcpy(dst + (a + i) * ldd, buffer + i * C, sizeof(U) * C);
                }
            }
        }
    }

    /// dst[a * ldd + b] = src[b * lds + a] for a < C, b < cols: source rows of
    /// C elements split into C destination rows.
    template <int C, class U>
    XTT_VECTORIZE inline void deinterleave_rows(const U* src, std::int64_t lds, U* dst, std::int64_t ldd, std::int64_t cols) noexcept
    {
        for (std::int64_t b = 0; b < cols; ++b)
        {
            for (int a = 0; a < C; ++a)
            {
                dst[a * ldd + b] = src[b * lds + a];
            }
        }
    }

#undef XTT_VECTORIZE

    /// Calls f(std::integral_constant<int, c>) for the run-time width c in
    /// 1..narrow_transpose, so that each width gets its own unrolled loop.
    template <class F, int... C>
    inline void with_narrow_width(std::int64_t c, F&& f, std::integer_sequence<int, C...>) noexcept
    {
        (void)((c == C + 1 && (f(std::integral_constant<int, C + 1>{}), true)) || ...);
    }

    template <class U>
    inline void transpose_narrow(const U* src, std::int64_t lds, U* dst, std::int64_t ldd, std::int64_t a0,
                                 std::int64_t a1, std::int64_t cols, bool stream) noexcept
    {
        constexpr auto widths = std::make_integer_sequence<int, narrow_transpose>{};
        if (cols <= narrow_transpose)
        {
            with_narrow_width(
                cols, [&](auto c) { interleave_rows<decltype(c)::value>(src, lds, dst, ldd, a0, a1, stream); }, widths);
        }
        else
        {
            with_narrow_width(
                a1 - a0, [&](auto c) { deinterleave_rows<decltype(c)::value>(src + a0, lds, dst + a0 * ldd, ldd, cols); },
                widths);
        }
    }

    /// Rows [a0, a1) of dst[a * ldd + b] = src[b * lds + a], elements of sizeof(U) bytes.
    template <class U>
    inline void transpose_part(const U* src, std::int64_t lds, U* dst, std::int64_t ldd, std::int64_t a0,
                               std::int64_t a1, std::int64_t cols, bool stream) noexcept
    {
        if (cols <= narrow_transpose || a1 - a0 <= narrow_transpose)
        {
            transpose_narrow(src, lds, dst, ldd, a0, a1, cols, stream);
            return;
        }
#if XTT_HAS_X86_KERNELS
        if constexpr (sizeof(U) >= 4)
        {
            if (cpu_has_avx2())
            {
                transpose_rows_avx2(src, lds, dst, ldd, a0, a1, cols, stream);
                return;
            }
        }
#endif
        transpose_rows(src, lds, dst, ldd, a0, a1, cols, stream);
    }

    /*
     * A copy between two dense layouts of the same elements whose innermost
     * dimensions differ (a transpose, a permutation, channels-last to
     * row-major): a batch of 2-D transposes between the source's innermost
     * dimension and the destination's.
     */
    struct transpose_plan
    {
        std::int64_t rows = 0;  // along the source's innermost dim
        std::int64_t cols = 0;  // along the destination's innermost dim
        std::int64_t lds = 0;   // source stride of the destination's innermost dim
        std::int64_t ldd = 0;   // destination stride of the source's innermost dim
        dim_vector batch_sizes, src_strides, dst_strides;  // the other dims
    };

    /// Whether src -> dst is such a copy; fills `plan` when it is.
    inline bool plan_transpose(const at::Tensor& src, const at::Tensor& dst, transpose_plan& plan)
    {
        if (!src.device().is_cpu() || src.layout() != c10::kStrided || !dst.device().is_cpu()
            || src.scalar_type() != dst.scalar_type() || src.is_conj() || src.is_neg() || dst.is_conj() || dst.is_neg()
            || src._is_zerotensor() || src.sizes() != dst.sizes())
        {
            return false;
        }
        const std::size_t itemsize = c10::elementSize(src.scalar_type());
        if ((itemsize != 1 && itemsize != 2 && itemsize != 4 && itemsize != 8 && itemsize != 16) || src.numel() < 2
            || !src.is_non_overlapping_and_dense() || !dst.is_non_overlapping_and_dense())
        {
            return false;
        }
        int s_in = -1;
        int d_in = -1;
        for (std::int64_t i = 0; i < src.dim(); ++i)
        {
            if (src.size(i) > 1 && src.stride(i) == 1)
            {
                s_in = static_cast<int>(i);
            }
            if (dst.size(i) > 1 && dst.stride(i) == 1)
            {
                d_in = static_cast<int>(i);
            }
        }
        if (s_in < 0 || d_in < 0 || s_in == d_in)
        {
            return false;  // the same innermost dim: rows copy as they are
        }
        plan.rows = src.size(s_in);
        plan.cols = src.size(d_in);
        plan.lds = src.stride(d_in);
        plan.ldd = dst.stride(s_in);
        plan.batch_sizes.clear();
        plan.src_strides.clear();
        plan.dst_strides.clear();
        // Another dim that continues the source's rows (or the destination's)
        // in both layouts makes them longer instead of adding a batch dim:
        // NHWC -> NCHW is C x (H * W), not H transposes of C x W.
        dim_vector others;
        for (std::int64_t i = 0; i < src.dim(); ++i)
        {
            if (i != s_in && i != d_in && src.size(i) > 1)
            {
                others.push_back(i);
            }
        }
        for (bool merged = true; merged;)
        {
            merged = false;
            for (auto it = others.begin(); it != others.end(); ++it)
            {
                const std::int64_t i = *it;
                if (src.stride(i) == plan.rows && dst.stride(i) == plan.rows * plan.ldd)
                {
                    plan.rows *= src.size(i);
                }
                else if (dst.stride(i) == plan.cols && src.stride(i) == plan.cols * plan.lds)
                {
                    plan.cols *= src.size(i);
                }
                else
                {
                    continue;
                }
                others.erase(it);
                merged = true;
                break;
            }
        }
        for (const std::int64_t i : others)
        {
            plan.batch_sizes.push_back(src.size(i));
            plan.src_strides.push_back(src.stride(i));
            plan.dst_strides.push_back(dst.stride(i));
        }
        return true;
    }

    /// The transposes of a plan, split over ATen's threads when they are many.
    template <class U>
    inline void run_transpose(const U* src, U* dst, const transpose_plan& p)
    {
        std::int64_t batches = 1;
        for (auto n : p.batch_sizes)
        {
            batches *= n;
        }
        const std::int64_t units = batches * p.rows;  // (batch, source-inner index) pairs
        const bool stream = static_cast<std::size_t>(units * p.cols) * sizeof(U) >= streaming_store_threshold;
        // at least a row of tiles, and 256 KiB, a thread
        const std::int64_t grain = std::max<std::int64_t>(transpose_tile<U>::a,
                                                          (std::int64_t(1) << 18) / static_cast<std::int64_t>(sizeof(U))
                                                              / std::max<std::int64_t>(p.cols, 1));
        const auto work = [&](std::int64_t begin, std::int64_t end) {
            while (begin < end)
            {
                std::int64_t batch = begin / p.rows;
                const std::int64_t a0 = begin % p.rows;
                const std::int64_t a1 = std::min(p.rows, a0 + (end - begin));
                std::int64_t src_offset = 0;
                std::int64_t dst_offset = 0;
                for (std::size_t k = p.batch_sizes.size(); k-- > 0;)
                {
                    const std::int64_t index = batch % p.batch_sizes[k];
                    batch /= p.batch_sizes[k];
                    src_offset += index * p.src_strides[k];
                    dst_offset += index * p.dst_strides[k];
                }
                transpose_part(src + src_offset, p.lds, dst + dst_offset, p.ldd, a0, a1, p.cols, stream);
                begin += a1 - a0;
            }
            streaming_stores_done(stream);
        };
        parallel_chunks(units, grain, work);
    }

    /// Copies src into dst with the transposing kernel, if the copy is one
    /// (see plan_transpose) of elements of `Size` bytes (0: of any size);
    /// returns false, having done nothing, if it is not. A caller that knows
    /// the element type names its size, and compiles that size's kernels only.
    template <std::size_t Size>
    inline bool transposed_copy_of_size(const at::Tensor& src, const at::Tensor& dst)
    {
        static_assert(Size == 0 || Size == 1 || Size == 2 || Size == 4 || Size == 8 || Size == 16,
                      "the kernels move elements of 1, 2, 4, 8 or 16 bytes");
        const std::size_t itemsize = c10::elementSize(src.scalar_type());
        if (Size != 0 && itemsize != Size)
        {
            return false;  // checked first: cheaper than the plan
        }
        transpose_plan plan;
        if (!plan_transpose(src, dst, plan))
        {
            return false;
        }
        const void* s = read_data(src);  // a copy-on-write source stays shared
        void* d = dst.data_ptr();
        const auto run = [&](auto element) {
            using U = decltype(element);
            if constexpr (Size == 0 || Size == sizeof(U))
            {
                if (itemsize == sizeof(U))
                {
                    run_transpose(static_cast<const U*>(s), static_cast<U*>(d), plan);
                }
            }
        };
        run(std::uint8_t());
        run(std::uint16_t());
        run(std::uint32_t());
        run(std::uint64_t());
        run(bytes16());
        return true;  // plan_transpose takes only the sizes above
    }

#if XTENSOR_TORCH_SEPARATE_KERNELS
    /// The kernels of every element size, compiled once (kernels.hpp).
    bool transposed_copy(const at::Tensor& src, const at::Tensor& dst)
    {
        return transposed_copy_of_size<0>(src, dst);
    }
#endif
}

XTT_NAMESPACE_END

#endif
