// Many threads creating, copying and dropping views of shared tensors,
// copying from them, editing disjoint rows, and adopting buffers that other
// threads release. Run under ThreadSanitizer by the tsan preset.
// SPDX-License-Identifier: BSD-3-Clause
#include <atomic>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include <xtensor-torch/xtensor-torch.hpp>

#include "../support/xtensor_headers.hpp"

TEST(threads, views_copies_edits_and_adoption_across_threads)
{
    constexpr int threads = 6;
    constexpr int rounds = 60;
    constexpr std::int64_t width = 64;
    const at::Tensor constant = at::arange(threads * width, at::kFloat).reshape({threads, width});  // only read
    const at::Tensor shared = at::zeros({threads, width});  // row k is written by thread k only
    const float expected_sum = static_cast<float>(threads * width * (threads * width - 1) / 2);

    std::mutex handoff_mutex;
    // adopted tensors and views made in one thread, released by whichever thread drops them
    // (a deque: a view's assignment writes elements, as xtensor's views do, so no vector::erase)
    std::deque<at::Tensor> handoff;
    std::deque<xtt::tensor_view<const float, 2>> views;
    std::atomic<int> wrong{0};

    const auto work = [&](int k) {
        for (int r = 0; r < rounds; ++r)
        {
            // read-only views and copies of a tensor every thread reads
            const auto v = xtt::view<const float, 2>(constant);
            if (xt::sum(v)() != expected_sum)
            {
                ++wrong;
            }
            const xt::xarray<float> transposed = xtt::to_xarray<float>(constant.t());  // the tiled transpose
            const xt::xarray<double> cast = xtt::to_xarray<double>(constant);
            const auto staged = xtt::view<const float, 2, xt::layout_type::row_major>(constant.t(), xtt::stage::contiguous);
            if (transposed(3, 1) != v(1, 3) || cast(1, 3) != static_cast<double>(v(1, 3)) || staged(5, 0) != v(0, 5))
            {
                ++wrong;
            }
            // writes to this thread's row: through a view, and through a cast copy written back
            const at::Tensor row = shared.select(0, k);
            {
                auto w = xtt::view<float, 1>(row);
                w += 1.f;
                xtt::mark_written(row);
            }
            xtt::with_view<double, 1>(row, xtt::stage::cast, [](auto& e) { e += 1.0; });
            // adoption: made here, released by another thread
            xt::xarray<float> owned = xt::ones<float>({16});
            at::Tensor adopted = xtt::to_torch(std::move(owned));
            {
                const std::lock_guard<std::mutex> lock(handoff_mutex);
                handoff.push_back(adopted);
                views.push_back(v);
                if (handoff.size() > 4)
                {
                    if (xtt::view<const float, 1>(handoff.front())(15) != 1.f)
                    {
                        ++wrong;
                    }
                    handoff.pop_front();
                    views.pop_front();
                }
            }
        }
    };
    std::vector<std::thread> pool;
    for (int k = 0; k < threads; ++k)
    {
        pool.emplace_back(work, k);
    }
    for (auto& t : pool)
    {
        t.join();
    }
    EXPECT_EQ(wrong.load(), 0);
    EXPECT_TRUE(at::equal(shared, at::full({threads, width}, 2.f * rounds)));
}

TEST(threads, copies_split_over_the_pool_from_many_threads)
{
    // several threads at once make copies that each split over ATen's inter-op
    // pool (the transposing kernel, and memcpy into existing memory)
    const int saved = at::get_num_threads();
    at::set_num_threads(3);
    const at::Tensor source = at::arange(600 * 700, at::kFloat).reshape({600, 700});
    const at::Tensor expected = source.t().contiguous();
    std::atomic<int> wrong{0};
    const auto work = [&] {
        for (int r = 0; r < 4; ++r)
        {
            xt::xarray<float> transposed = xtt::to_xarray<float>(source.t());
            xt::xarray<float> existing = xt::zeros<float>({700, 600});
            xtt::copy_to(source.t(), existing);  // the kernel into memory written before
            xt::xarray<float> flat = xt::zeros<float>({600, 700});
            xtt::copy_to(source, flat);  // bytes, in chunks
            if (!at::equal(xtt::as_tensor(transposed), expected) || !at::equal(xtt::as_tensor(existing), expected)
                || !at::equal(xtt::as_tensor(flat), source))
            {
                ++wrong;
            }
        }
    };
    std::vector<std::thread> pool;
    for (int k = 0; k < 3; ++k)
    {
        pool.emplace_back(work);
    }
    for (auto& t : pool)
    {
        t.join();
    }
    at::set_num_threads(saved);
    EXPECT_EQ(wrong.load(), 0);
}
