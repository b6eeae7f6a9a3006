// Shared by the benchmark binaries: warming the machine's memory before a run.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_BENCHMARKS_WARM_MEMORY_HPP
#define XTENSOR_TORCH_BENCHMARKS_WARM_MEMORY_HPP

#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <vector>

#include <benchmark/benchmark.h>

#include <xtensor-torch/detail/fast_copy.hpp>

namespace xtt_bench
{
    /// XTT_BENCH_WARM_GIB=n: writes n GiB once (huge pages advised) and frees
    /// them before the run. On a virtual machine, memory the guest never wrote
    /// is backed by the host on first touch, and copies into fresh buffers
    /// then vary by 10x from one repetition to the next; warming the memory
    /// first measures what a machine that has been running for a while sees.
    inline void warm_memory()
    {
        const char* value = std::getenv("XTT_BENCH_WARM_GIB");
        const long gib = value != nullptr ? std::strtol(value, nullptr, 10) : 0;
        constexpr std::size_t chunk = std::size_t(1) << 30;
        std::vector<std::unique_ptr<char[]>> chunks;
        for (long i = 0; i < gib; ++i)
        {
            std::unique_ptr<char[]> p(new (std::nothrow) char[chunk]);
            if (p == nullptr)
            {
                break;
            }
            xtt::detail::advise_huge_pages(p.get(), chunk);
            std::memset(p.get(), 1, chunk);
            benchmark::DoNotOptimize(p.get());
            chunks.push_back(std::move(p));
        }
        if (gib > 0)
        {
            std::printf("warmed %zu GiB of memory\n", chunks.size());
        }
    }
}  // namespace xtt_bench

#endif
