// Copies at memory speed, for the copies the library makes itself: huge-page
// advice for fresh destination buffers, and the strategy that picks, for each
// copy, the permuted-copy kernel (detail/transpose.hpp), memcpy or ATen's own.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_FAST_COPY_HPP
#define XTENSOR_TORCH_DETAIL_FAST_COPY_HPP

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <utility>

#include "config.hpp"
#include "parallel.hpp"
#include "torch_memory.hpp"

#if defined(__linux__)
#include <sys/mman.h>
#endif

// The permuted-copy kernels are most of the compile time of a file that can
// stage a copy: with XTENSOR_TORCH_SEPARATE_KERNELS they are compiled once,
// in the source file that includes <xtensor-torch/kernels.hpp>, and here
// declared only.
#if !XTENSOR_TORCH_SEPARATE_KERNELS
#include "transpose.hpp"
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

#if XTENSOR_TORCH_SEPARATE_KERNELS
    /// Copies src into dst with the transposing kernel, if the copy is one;
    /// returns false, having done nothing, if it is not (detail/transpose.hpp).
    bool transposed_copy(const at::Tensor& src, const at::Tensor& dst);
#endif

    /// The permuted copy of elements of `Size` bytes (0: of any size): that
    /// size's kernels, or, with XTENSOR_TORCH_SEPARATE_KERNELS, the program's
    /// one entry point, which has them all.
    template <std::size_t Size>
    inline bool transposed_copy_for(const at::Tensor& src, const at::Tensor& dst)
    {
#if XTENSOR_TORCH_SEPARATE_KERNELS
        return transposed_copy(src, dst);
#else
        return transposed_copy_of_size<Size>(src, dst);
#endif
    }

    /// A permuted-copy kernel as a conversion carries it: the kernels of its
    /// element type's size only, as a view's file compiles no others.
    using copy_kernel = bool (*)(const at::Tensor& src, const at::Tensor& dst);

    template <class T>
    inline constexpr copy_kernel copy_kernel_for = &transposed_copy_for<sizeof(T)>;

    /// Whether src and dst are dense CPU tensors whose elements lie in the
    /// same order in memory (the same strides): then the copy is a 1-D one.
    inline bool same_dense_layout(const at::Tensor& src, const at::Tensor& dst)
    {
        if (!src.device().is_cpu() || src.layout() != c10::kStrided || !src.is_non_overlapping_and_dense()
            || !dst.is_non_overlapping_and_dense())
        {
            return false;
        }
        const c10::IntArrayRef sizes = src.sizes();
        for (std::size_t i = 0; i < sizes.size(); ++i)
        {
            if (sizes[i] > 1 && src.stride(static_cast<std::int64_t>(i)) != dst.stride(static_cast<std::int64_t>(i)))
            {
                return false;
            }
        }
        return true;
    }

    /// The bytes [first, last) a strided CPU tensor's elements span.
    inline std::pair<std::uintptr_t, std::uintptr_t> byte_range(const at::Tensor& t)
    {
        const auto first = reinterpret_cast<std::uintptr_t>(read_data(t));
        std::int64_t reach = 0;
        for (std::int64_t i = 0; i < t.dim(); ++i)
        {
            reach += (t.size(i) - 1) * t.stride(i);
        }
        return {first, first + static_cast<std::uintptr_t>((reach + 1) * t.element_size())};
    }

    /// Whether the memory of two non-empty strided CPU tensors may overlap.
    inline bool ranges_overlap(const at::Tensor& a, const at::Tensor& b)
    {
        const auto [a0, a1] = byte_range(a);
        const auto [b0, b1] = byte_range(b);
        return a0 < b1 && b0 < a1;
    }

    /// memcpy in 1 MiB chunks on ATen's thread pool.
    inline void parallel_memcpy(void* dst, const void* src, std::size_t bytes)
    {
        auto* d = static_cast<char*>(dst);
        const auto* s = static_cast<const char*>(src);
        parallel_chunks(static_cast<std::int64_t>(bytes), std::int64_t(1) << 20, [&](std::int64_t begin, std::int64_t end) {
            std::memcpy(d + begin, s + begin, static_cast<std::size_t>(end - begin));
        });
    }

    /// Copies the elements of `t` (any state the copy plan allowed) into the
    /// CPU tensor `dst` over xtensor memory, a permutation with `kernel` (that
    /// of dst's element type); `fresh` when nothing was written to `dst` yet.
    inline void copy_elements(const at::Tensor& t, const at::Tensor& dst, bool fresh, copy_kernel kernel)
    {
        const c10::NoGradGuard no_grad;
        if (t._is_zerotensor())
        {
            dst.zero_();
            return;
        }
        at::Tensor src = t.layout() == c10::kStrided ? t : t.to_dense();
        if (src.device().is_cpu() && ranges_overlap(src, dst))
        {
            const bool same = read_data(src) == read_data(dst) && src.strides() == dst.strides()
                              && src.scalar_type() == dst.scalar_type() && !src.is_conj() && !src.is_neg();
            if (same)
            {
                return;  // the destination already holds these elements
            }
            src = src.clone();  // through a temporary, as the destination overwrites the source
        }
        // ATen's kernels do every copy (any dtype, device, strides, conj and neg
        // bits), but for those that are faster or steadier by hand (measured:
        // tests/benchmarks, copy/): a permutation of a dense tensor (a
        // transpose, channels-last), and a plain copy of bytes (glibc's memcpy).
        if (kernel(src, dst))
        {
            return;
        }
        if (same_dense_layout(src, dst) && src.scalar_type() == dst.scalar_type() && !src.is_conj() && !src.is_neg())
        {
            const auto bytes = static_cast<std::size_t>(src.nbytes());
            if (fresh)
            {
                // Into fresh memory the page faults are the cost, and they don't
                // split well across threads (times vary several-fold from run to
                // run); one thread is as fast as ATen's one-thread copy, and steady
                // (docs/performance.md).
                std::memcpy(dst.data_ptr(), read_data(src), bytes);
            }
            else
            {
                parallel_memcpy(dst.data_ptr(), read_data(src), bytes);
            }
        }
        else
        {
            // A cast, conj or neg bits, or strides the kernel did not take:
            // ATen's kernel, one call into the destination as it is (splitting
            // off a head so that the rest is 64-byte aligned, as ATen's own
            // tensors are, cost a second call and gained nothing measurable:
            // docs/performance.md, casts).
            dst.copy_(src);
        }
    }
}

XTT_NAMESPACE_END

#endif
