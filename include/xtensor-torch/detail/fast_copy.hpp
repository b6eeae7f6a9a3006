// Copies at memory speed, for the copies the library makes itself: huge-page
// advice for fresh destination buffers, and a cache-blocked transposing copy
// with SIMD tiles for permuted (transposed, channels-last) tensors.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_FAST_COPY_HPP
#define XTENSOR_TORCH_DETAIL_FAST_COPY_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "config.hpp"
#include "torch_memory.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

#if (defined(__x86_64__) || defined(_M_X64)) && (defined(__GNUC__) || defined(__clang__))
#define XTT_HAS_X86_KERNELS 1
#include <immintrin.h>
#else
#define XTT_HAS_X86_KERNELS 0
#endif

XTT_NAMESPACE_BEGIN

namespace detail
{
    /*
     * Fresh memory: the first write to each 4 KiB page of a new buffer faults,
     * and for large copies the faults, not the bytes, are the cost (16384 of
     * them for 64 MiB). Advising transparent huge pages on the 2 MiB-aligned
     * interior of the buffer before its first write turns them into 32 faults.
     * Only buffers the library allocates itself for a result are advised, and
     * only from this size on: below it the interior holds no whole huge page
     * worth the system call (measured: tests/benchmarks, copy/fresh).
     */
    inline constexpr std::size_t huge_page_size = std::size_t(2) << 20;
    inline constexpr std::size_t huge_page_advice_threshold = std::size_t(4) << 20;

    inline void advise_huge_pages(void* data, std::size_t bytes) noexcept
    {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
        if (data == nullptr || bytes < huge_page_advice_threshold)
        {
            return;
        }
        const auto begin = reinterpret_cast<std::uintptr_t>(data);
        const std::uintptr_t first = (begin + huge_page_size - 1) & ~(huge_page_size - 1);
        const std::uintptr_t last = (begin + bytes) & ~(huge_page_size - 1);
        if (last > first)
        {
            // advice only: where transparent huge pages are off, nothing changes
            static_cast<void>(::madvise(reinterpret_cast<void*>(first), last - first, MADV_HUGEPAGE));
        }
#else
        static_cast<void>(data);
        static_cast<void>(bytes);
#endif
    }

    /// at::empty_strided, with huge pages advised for a large buffer.
    inline at::Tensor empty_for_writing(c10::IntArrayRef sizes, c10::IntArrayRef strides, at::ScalarType dtype)
    {
        at::Tensor t = at::empty_strided(sizes, strides, at::TensorOptions().dtype(dtype));
        advise_huge_pages(t.data_ptr(), static_cast<std::size_t>(t.nbytes()));
        return t;
    }

    /*
     * The transposing copy: dst[a * ldd + b] = src[b * lds + a] for a < rows,
     * b < cols, elements of 1, 2, 4 or 8 bytes moved as unsigned integers.
     * Tiles bound the memory both sides touch at a time; inside a tile, a
     * register transpose (SSE2, or AVX2 where the CPU has it) moves k x k
     * blocks, and the edges go element by element.
     */
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

    __attribute__((target("avx2"), always_inline)) inline void transpose_8x8_avx2(const std::uint32_t* src, std::int64_t lds,
                                                                   std::uint32_t* dst, std::int64_t ldd) noexcept
    {
        __m256 r[8];
        for (int i = 0; i < 8; ++i)
        {
            r[i] = _mm256_loadu_ps(reinterpret_cast<const float*>(src + i * lds));
        }
        __m256 t[8];
        for (int i = 0; i < 4; ++i)
        {
            t[2 * i] = _mm256_unpacklo_ps(r[2 * i], r[2 * i + 1]);
            t[2 * i + 1] = _mm256_unpackhi_ps(r[2 * i], r[2 * i + 1]);
        }
        __m256 u[8];
        for (int i = 0; i < 2; ++i)
        {
            u[4 * i] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
            u[4 * i + 1] = _mm256_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
            u[4 * i + 2] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
            u[4 * i + 3] = _mm256_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
        }
        for (int j = 0; j < 4; ++j)
        {
            _mm256_storeu_ps(reinterpret_cast<float*>(dst + j * ldd), _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
            _mm256_storeu_ps(reinterpret_cast<float*>(dst + (j + 4) * ldd), _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
        }
    }

    __attribute__((target("avx2"), always_inline)) inline void transpose_4x4_avx2(const std::uint64_t* src, std::int64_t lds,
                                                                   std::uint64_t* dst, std::int64_t ldd) noexcept
    {
        const __m256d r0 = _mm256_loadu_pd(reinterpret_cast<const double*>(src));
        const __m256d r1 = _mm256_loadu_pd(reinterpret_cast<const double*>(src + lds));
        const __m256d r2 = _mm256_loadu_pd(reinterpret_cast<const double*>(src + 2 * lds));
        const __m256d r3 = _mm256_loadu_pd(reinterpret_cast<const double*>(src + 3 * lds));
        const __m256d t0 = _mm256_unpacklo_pd(r0, r1);
        const __m256d t1 = _mm256_unpackhi_pd(r0, r1);
        const __m256d t2 = _mm256_unpacklo_pd(r2, r3);
        const __m256d t3 = _mm256_unpackhi_pd(r2, r3);
        _mm256_storeu_pd(reinterpret_cast<double*>(dst), _mm256_permute2f128_pd(t0, t2, 0x20));
        _mm256_storeu_pd(reinterpret_cast<double*>(dst + ldd), _mm256_permute2f128_pd(t1, t3, 0x20));
        _mm256_storeu_pd(reinterpret_cast<double*>(dst + 2 * ldd), _mm256_permute2f128_pd(t0, t2, 0x31));
        _mm256_storeu_pd(reinterpret_cast<double*>(dst + 3 * ldd), _mm256_permute2f128_pd(t1, t3, 0x31));
    }
#endif

    /// Tiles of 2 KiB rows (512 x 512 floats): the fastest of 16 to 4096
    /// elements measured for 4096 x 4096 floats (tests/benchmarks, copy/transposed).
    template <class U>
    inline constexpr std::int64_t transpose_tile_length = 2048 / static_cast<std::int64_t>(sizeof(U));

    /*
     * Rows [a0, a1) of the transpose, tile by tile: k x k register blocks,
     * scalar edges. A macro rather than a template, so that the AVX2 variants
     * are compiled for AVX2 and their register transposes inline (a template
     * instance does not take its caller's target).
     */
#define XTT_TRANSPOSE_ROWS(NAME, ATTRIBUTES, U, K, BLOCK)                                                       \
    ATTRIBUTES inline void NAME(const U* src, std::int64_t lds, U* dst, std::int64_t ldd, std::int64_t a0,      \
                                std::int64_t a1, std::int64_t cols) noexcept                                    \
    {                                                                                                            \
        constexpr std::int64_t T = transpose_tile_length<U>;                                                     \
        for (std::int64_t a = a0; a < a1; a += T)                                                                \
        {                                                                                                        \
            const std::int64_t rows = std::min(T, a1 - a);                                                       \
            const std::int64_t full_rows = rows - rows % (K);                                                    \
            for (std::int64_t b = 0; b < cols; b += T)                                                           \
            {                                                                                                    \
                const std::int64_t tile_cols = std::min(T, cols - b);                                            \
                const std::int64_t full_cols = tile_cols - tile_cols % (K);                                      \
                const U* s = src + b * lds + a;                                                                  \
                U* d = dst + a * ldd + b;                                                                        \
                for (std::int64_t i = 0; i < full_rows; i += (K))                                                \
                {                                                                                                \
                    for (std::int64_t j = 0; j < full_cols; j += (K))                                            \
                    {                                                                                            \
                        BLOCK(s + j * lds + i, lds, d + i * ldd + j, ldd);                                       \
                    }                                                                                            \
                }                                                                                                \
                transpose_scalar(s + full_cols * lds, lds, d + full_cols, ldd, full_rows, tile_cols - full_cols); \
                transpose_scalar(s + full_rows, lds, d + full_rows * ldd, ldd, rows - full_rows, tile_cols);     \
            }                                                                                                    \
        }                                                                                                        \
    }

#if XTT_HAS_X86_KERNELS
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint8_t, 8, transpose_8x8)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint16_t, 8, transpose_8x8)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint32_t, 4, transpose_4x4)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint64_t, 2, transpose_2x2)
    XTT_TRANSPOSE_ROWS(transpose_rows_avx2, __attribute__((target("avx2"))), std::uint32_t, 8, transpose_8x8_avx2)
    XTT_TRANSPOSE_ROWS(transpose_rows_avx2, __attribute__((target("avx2"))), std::uint64_t, 4, transpose_4x4_avx2)

    inline bool cpu_has_avx2() noexcept
    {
        static const bool has = __builtin_cpu_supports("avx2") != 0;
        return has;
    }
#else
    // no register transposes: tiles of single elements
    template <class U>
    inline void transpose_1x1(const U* src, std::int64_t, U* dst, std::int64_t) noexcept
    {
        *dst = *src;
    }
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint8_t, 1, transpose_1x1)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint16_t, 1, transpose_1x1)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint32_t, 1, transpose_1x1)
    XTT_TRANSPOSE_ROWS(transpose_rows, , std::uint64_t, 1, transpose_1x1)
#endif
#undef XTT_TRANSPOSE_ROWS

    /// Rows [a0, a1) of dst[a * ldd + b] = src[b * lds + a], elements of sizeof(U) bytes.
    template <class U>
    inline void transpose_part(const U* src, std::int64_t lds, U* dst, std::int64_t ldd, std::int64_t a0,
                               std::int64_t a1, std::int64_t cols) noexcept
    {
#if XTT_HAS_X86_KERNELS
        if constexpr (sizeof(U) >= 4)
        {
            if (cpu_has_avx2())
            {
                transpose_rows_avx2(src, lds, dst, ldd, a0, a1, cols);
                return;
            }
        }
#endif
        transpose_rows(src, lds, dst, ldd, a0, a1, cols);
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
        if ((itemsize != 1 && itemsize != 2 && itemsize != 4 && itemsize != 8) || src.numel() < 2
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
        for (std::int64_t i = 0; i < src.dim(); ++i)
        {
            if (i != s_in && i != d_in && src.size(i) > 1)
            {
                plan.batch_sizes.push_back(src.size(i));
                plan.src_strides.push_back(src.stride(i));
                plan.dst_strides.push_back(dst.stride(i));
            }
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
        const std::int64_t grain = std::max<std::int64_t>(transpose_tile_length<U>, (std::int64_t(1) << 18) / std::max<std::int64_t>(p.cols, 1));
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
                transpose_part(src + src_offset, p.lds, dst + dst_offset, p.ldd, a0, a1, p.cols);
                begin += a1 - a0;
            }
        };
        if (at::get_num_threads() > 1 && units > grain)
        {
            at::parallel_for(0, units, grain, work);
        }
        else
        {
            work(0, units);
        }
    }

    /// Copies src into dst with the transposing kernel, if the copy is one
    /// (see plan_transpose); returns false, having done nothing, if it is not.
    inline bool transposed_copy(const at::Tensor& src, const at::Tensor& dst)
    {
        transpose_plan plan;
        if (!plan_transpose(src, dst, plan))
        {
            return false;
        }
        const void* s = read_data(src);  // a copy-on-write source stays shared
        void* d = dst.data_ptr();
        switch (c10::elementSize(src.scalar_type()))
        {
            case 1:
                run_transpose(static_cast<const std::uint8_t*>(s), static_cast<std::uint8_t*>(d), plan);
                break;
            case 2:
                run_transpose(static_cast<const std::uint16_t*>(s), static_cast<std::uint16_t*>(d), plan);
                break;
            case 4:
                run_transpose(static_cast<const std::uint32_t*>(s), static_cast<std::uint32_t*>(d), plan);
                break;
            default:
                run_transpose(static_cast<const std::uint64_t*>(s), static_cast<std::uint64_t*>(d), plan);
                break;
        }
        return true;
    }
}

XTT_NAMESPACE_END

#endif
