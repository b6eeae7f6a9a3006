// Splitting the library's own copies over ATen's threads.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_PARALLEL_HPP
#define XTENSOR_TORCH_DETAIL_PARALLEL_HPP

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>

#include <ATen/Parallel.h>

#include "config.hpp"

XTT_NAMESPACE_BEGIN

namespace detail
{
    /*
     * at::parallel_for is a header template. With the OpenMP backend that
     * LibTorch is usually built with, it runs in parallel only in a
     * translation unit compiled with -fopenmp (it tests _OPENMP, and defines
     * INTRA_OP_PARALLEL, in the including file); everywhere else it calls the
     * function once, on the calling thread, whatever at::get_num_threads()
     * says. Few users compile with -fopenmp, so without INTRA_OP_PARALLEL the
     * chunks go to ATen's inter-op pool (at::launch, compiled into LibTorch),
     * and the calling thread takes chunks too: chunks are claimed from a
     * counter, so the copy finishes even when the pool is busy (or is the
     * caller), and the caller waits only for chunks a pool thread has
     * claimed.
     */
    struct chunk_state
    {
        std::atomic<std::int64_t> next{0};
        std::atomic<std::int64_t> finished{0};
        std::int64_t chunks = 0;
        std::int64_t units = 0;
        std::int64_t size = 0;  // units per chunk
        void (*call)(const void*, std::int64_t, std::int64_t) = nullptr;
        const void* f = nullptr;
        std::mutex mutex;
        std::condition_variable done;
        std::exception_ptr error;

        // Runs chunks until none is left to claim.
        void run() noexcept
        {
            for (std::int64_t i = next.fetch_add(1, std::memory_order_acq_rel); i < chunks;
                 i = next.fetch_add(1, std::memory_order_acq_rel))
            {
                const std::int64_t begin = i * size;
                try
                {
                    call(f, begin, std::min(units, begin + size));
                }
                catch (...)
                {
                    const std::lock_guard<std::mutex> lock(mutex);
                    if (!error)
                    {
                        error = std::current_exception();
                    }
                }
                if (finished.fetch_add(1, std::memory_order_acq_rel) + 1 == chunks)
                {
                    const std::lock_guard<std::mutex> lock(mutex);
                    done.notify_all();
                }
            }
        }
    };

    /// LibTorch makes its inter-op pool on first use, behind a static whose
    /// fast path ThreadSanitizer can't see in an uninstrumented library; made
    /// here once, under a guard it does see, copies that start on several
    /// threads at once are not reported as racing on the new pool.
    inline void make_pool_once()
    {
        static const bool made = (at::launch([] {}), true);
        static_cast<void>(made);
    }

    /// Calls f(begin, end) over [0, units) in chunks of at least `grain`
    /// units, on up to at::get_num_threads() threads (see chunk_state).
    template <class F>
    void parallel_chunks(std::int64_t units, std::int64_t grain, const F& f)
    {
        const std::int64_t threads = at::get_num_threads();
        grain = std::max<std::int64_t>(grain, 1);
        if (threads <= 1 || units <= grain || at::in_parallel_region())
        {
            f(0, units);
            return;
        }
#if defined(INTRA_OP_PARALLEL)
        at::parallel_for(0, units, grain, f);
#else
        const auto state = std::make_shared<chunk_state>();
        state->chunks = std::min(threads, (units + grain - 1) / grain);
        state->size = (units + state->chunks - 1) / state->chunks;
        state->units = units;
        state->f = &f;
        state->call = [](const void* g, std::int64_t begin, std::int64_t end) { (*static_cast<const F*>(g))(begin, end); };
        state->next.store(0, std::memory_order_release);  // publishes the fields above to the pool threads
        try
        {
            make_pool_once();
            for (std::int64_t i = 1; i < state->chunks; ++i)
            {
                // a pool thread that starts after the last chunk is claimed touches only the state it owns a share of
                at::launch([state] { state->run(); });
            }
        }
        catch (...)
        {
            // no pool: the calling thread runs the chunks nobody claimed
        }
        state->run();
        std::unique_lock<std::mutex> lock(state->mutex);
        state->done.wait(lock, [&] { return state->finished.load(std::memory_order_acquire) == state->chunks; });
        if (state->error)
        {
            std::rethrow_exception(state->error);
        }
#endif
    }
}  // namespace detail

XTT_NAMESPACE_END

#endif
