// Google Benchmark suite: every xtensor-torch operation beside the baseline it
// is judged against, measured in the same run; the table printed at the end
// gives each as a ratio (time / baseline time) next to its target.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <xtensor-torch/xtensor-torch.hpp>

#include "../support/xtensor_headers.hpp"

#include "../support/alloc_counter.hpp"
#include "warm_memory.hpp"

namespace
{
    constexpr std::int64_t medium = 4 * 1024 * 1024;

    at::Tensor tensor_of_rank(int rank, bool strided)
    {
        static const std::vector<std::vector<std::int64_t>> shapes = {{}, {64}, {8, 8}, {2, 4, 2, 4}};
        const auto& sizes = shapes[static_cast<std::size_t>(rank == 4 ? 3 : rank)];
        at::Tensor t = at::rand(sizes);
        return strided && rank >= 2 ? t.transpose(0, rank - 1) : t;
    }

    /// Allocations per iteration, as a counter.
    template <class F>
    void count_allocations(benchmark::State& state, F&& body)
    {
        alloc_counter::start();
        body();
        state.counters["allocs"] = static_cast<double>(alloc_counter::stop());
    }

    /*
     * View creation.
     */
    template <std::size_t N>
    void adapt_plus_handle(benchmark::State& state)
    {
        const at::Tensor t = tensor_of_rank(static_cast<int>(N), state.range(0) != 0);
        std::array<std::size_t, N> shape;
        std::array<std::ptrdiff_t, N> strides;
        for (std::size_t i = 0; i < N; ++i)
        {
            shape[i] = static_cast<std::size_t>(t.size(static_cast<std::int64_t>(i)));
            strides[i] = t.stride(static_cast<std::int64_t>(i));
        }
        for (auto _ : state)
        {
            at::Tensor handle = t;  // what keeping the tensor alive costs at least
            auto a = xt::adapt(t.data_ptr<float>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(), shape, strides);
            benchmark::DoNotOptimize(a.data());
            benchmark::DoNotOptimize(handle);
        }
        count_allocations(state, [&] {
            at::Tensor handle = t;
            auto a = xt::adapt(t.data_ptr<float>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(), shape, strides);
            benchmark::DoNotOptimize(a.data());
        });
    }

    template <std::size_t N, xt::layout_type L>
    void view_fixed(benchmark::State& state)
    {
        const at::Tensor t = tensor_of_rank(static_cast<int>(N), state.range(0) != 0);
        for (auto _ : state)
        {
            auto v = xtt::view<float, N, L>(t);
            benchmark::DoNotOptimize(v.data());
        }
        count_allocations(state, [&] { benchmark::DoNotOptimize(xtt::view<float, N, L>(t).data()); });
    }

    void view_dynamic(benchmark::State& state)
    {
        const at::Tensor t = tensor_of_rank(static_cast<int>(state.range(1)), state.range(0) != 0);
        for (auto _ : state)
        {
            auto v = xtt::view<float>(t);
            benchmark::DoNotOptimize(v.data());
        }
        count_allocations(state, [&] { benchmark::DoNotOptimize(xtt::view<float>(t).data()); });
    }

    /*
     * Copies, at 1, 64 and 256 MiB (state.range(0) is the size in MiB), each
     * beside ATen's own call and memcpy into memory written before.
     */
    std::int64_t floats(const benchmark::State& state)
    {
        return state.range(0) * (std::int64_t(1) << 20) / static_cast<std::int64_t>(sizeof(float));
    }

    /// A square-ish 2-D shape of n floats, for the transposes.
    std::pair<std::int64_t, std::int64_t> square(std::int64_t n)
    {
        std::int64_t rows = 1;
        while (rows * rows * 4 <= n)
        {
            rows *= 2;
        }
        return {rows, n / rows};
    }

    void bytes_processed(benchmark::State& state)
    {
        state.SetBytesProcessed(state.iterations() * state.range(0) * (std::int64_t(1) << 20));
    }

    void memcpy_existing(benchmark::State& state)
    {
        const at::Tensor t = at::rand({floats(state)});
        std::unique_ptr<float[]> out(new float[static_cast<std::size_t>(floats(state))]);
        std::memset(out.get(), 0, static_cast<std::size_t>(t.nbytes()));
        for (auto _ : state)
        {
            std::memcpy(out.get(), t.data_ptr<float>(), static_cast<std::size_t>(t.nbytes()));
            benchmark::DoNotOptimize(out.get());
        }
        bytes_processed(state);
    }

    /// The floor of any copy into fresh memory: allocating it (huge pages
    /// advised) and writing it once, with no source to read.
    void fresh_pages(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(floats(state));
        for (auto _ : state)
        {
            xt::xarray<float> a = xt::xarray<float>::from_shape({n});
            xtt::detail::advise_huge_pages(a.data(), n * sizeof(float));
            std::memset(a.data(), 0, n * sizeof(float));
            benchmark::DoNotOptimize(a.data());
        }
        bytes_processed(state);
    }

    void aten_clone(benchmark::State& state)
    {
        const at::Tensor t = at::rand({floats(state)});
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(t.clone().data_ptr());
        }
        bytes_processed(state);
    }

    void to_xarray_fresh(benchmark::State& state)
    {
        const at::Tensor t = at::rand({floats(state)});
        for (auto _ : state)
        {
            auto a = xtt::to_xarray<float>(t);
            benchmark::DoNotOptimize(a.data());
        }
        bytes_processed(state);
    }

    void to_xarray_existing(benchmark::State& state)
    {
        const at::Tensor t = at::rand({floats(state)});
        xt::xarray<float> out = xt::zeros<float>({static_cast<std::size_t>(floats(state))});
        for (auto _ : state)
        {
            xtt::to_xarray(t, out);
            benchmark::DoNotOptimize(out.data());
        }
        bytes_processed(state);
    }

    at::Tensor transposed(const benchmark::State& state)
    {
        const auto [rows, cols] = square(floats(state));
        return at::rand({rows, cols}).t();
    }

    void aten_t_contiguous(benchmark::State& state)
    {
        const at::Tensor t = transposed(state);
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(t.contiguous().data_ptr());
        }
        bytes_processed(state);
    }

    void aten_copy_transposed_existing(benchmark::State& state)
    {
        const at::Tensor t = transposed(state);
        at::Tensor out = at::zeros(t.sizes());
        for (auto _ : state)
        {
            out.copy_(t);
            benchmark::DoNotOptimize(out.data_ptr());
        }
        bytes_processed(state);
    }

    void to_xarray_transposed(benchmark::State& state)
    {
        const at::Tensor t = transposed(state);
        for (auto _ : state)
        {
            auto a = xtt::to_xarray<float>(t);
            benchmark::DoNotOptimize(a.data());
        }
        bytes_processed(state);
    }

    void copy_to_transposed_existing(benchmark::State& state)
    {
        const at::Tensor t = transposed(state);
        xt::xarray<float> out = xt::zeros<float>({static_cast<std::size_t>(t.size(0)), static_cast<std::size_t>(t.size(1))});
        for (auto _ : state)
        {
            xtt::copy_to(t, out);
            benchmark::DoNotOptimize(out.data());
        }
        bytes_processed(state);
    }

    void staged_row_major_transposed(benchmark::State& state)
    {
        const at::Tensor t = transposed(state);
        for (auto _ : state)
        {
            auto v = xtt::view<const float, 2, xt::layout_type::row_major>(t, xtt::stage::contiguous);
            benchmark::DoNotOptimize(v.data());
        }
        bytes_processed(state);
    }

    void xtensor_assign_transposed(benchmark::State& state)
    {
        const at::Tensor t = transposed(state);
        for (auto _ : state)
        {
            xt::xarray<float> a = xtt::view<const float, 2>(t);  // xtensor's own strided assignment
            benchmark::DoNotOptimize(a.data());
        }
        bytes_processed(state);
    }

    /// NCHW sizes of n floats, 32 channels, stored channels-last.
    at::Tensor channels_last(const benchmark::State& state)
    {
        const auto [h, w] = square(floats(state) / 32);
        return at::rand({1, 32, h, w}).contiguous(at::MemoryFormat::ChannelsLast);
    }

    void aten_channels_last_contiguous(benchmark::State& state)
    {
        const at::Tensor t = channels_last(state);
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(t.contiguous().data_ptr());
        }
        bytes_processed(state);
    }

    void to_xarray_channels_last(benchmark::State& state)
    {
        const at::Tensor t = channels_last(state);
        for (auto _ : state)
        {
            auto a = xtt::to_xarray<float>(t);
            benchmark::DoNotOptimize(a.data());
        }
        bytes_processed(state);
    }

    void aten_copy_into_channels_last(benchmark::State& state)
    {
        const at::Tensor t = channels_last(state).contiguous();
        at::Tensor out = at::zeros(t.sizes()).contiguous(at::MemoryFormat::ChannelsLast);
        for (auto _ : state)
        {
            out.copy_(t);
            benchmark::DoNotOptimize(out.data_ptr());
        }
        bytes_processed(state);
    }

    void copy_to_into_channels_last(benchmark::State& state)
    {
        const at::Tensor t = channels_last(state).contiguous();
        at::Tensor out = at::zeros(t.sizes()).contiguous(at::MemoryFormat::ChannelsLast);
        auto v = xtt::view<float, 4>(out);
        for (auto _ : state)
        {
            xtt::copy_to(t, v);
            benchmark::DoNotOptimize(out.data_ptr());
        }
        bytes_processed(state);
    }

    /*
     * Write-back: edit a float16 tensor as float (a cast copy), and a
     * transposed tensor through a static row-major view (a contiguous copy);
     * xtt::edit against the same steps written by hand.
     */
    void edit_half_by_hand(benchmark::State& state)
    {
        const at::Tensor h = at::rand({floats(state)}).to(at::kHalf);
        for (auto _ : state)
        {
            const at::Tensor f = h.to(at::kFloat);
            auto v = xtt::view<float, 1, xt::layout_type::row_major>(f);
            v *= 2.f;
            h.copy_(f);
        }
        bytes_processed(state);
    }

    void edit_half(benchmark::State& state)
    {
        const at::Tensor h = at::rand({floats(state)}).to(at::kHalf);
        for (auto _ : state)
        {
            auto v = xtt::edit<float, 1, xt::layout_type::row_major>(h, xtt::stage::cast);
            v *= 2.f;
        }
        bytes_processed(state);
    }

    void edit_transposed_by_hand(benchmark::State& state)
    {
        const at::Tensor t = transposed(state);
        for (auto _ : state)
        {
            const at::Tensor c = t.contiguous();
            auto v = xtt::view<float, 2, xt::layout_type::row_major>(c);
            v *= 2.f;
            t.copy_(c);
        }
        bytes_processed(state);
    }

    void edit_transposed(benchmark::State& state)
    {
        const at::Tensor t = transposed(state);
        for (auto _ : state)
        {
            auto v = xtt::edit<float, 2, xt::layout_type::row_major>(t, xtt::stage::contiguous);
            v *= 2.f;
        }
        bytes_processed(state);
    }

    void aten_to_double(benchmark::State& state)
    {
        const at::Tensor t = at::rand({floats(state)});
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(t.to(at::kDouble).data_ptr());
        }
        bytes_processed(state);
    }

    void to_xarray_double(benchmark::State& state)
    {
        const at::Tensor t = at::rand({floats(state)});
        for (auto _ : state)
        {
            auto a = xtt::to_xarray<double>(t);
            benchmark::DoNotOptimize(a.data());
        }
        bytes_processed(state);
    }

    /*
     * xtensor computation on a row-major view vs a native xarray.
     */
    void sum_xarray(benchmark::State& state)
    {
        const xt::xarray<float> a = xtt::to_xarray<float>(at::rand({medium}));
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(xt::sum(a)());
        }
    }

    void sum_view(benchmark::State& state)
    {
        const at::Tensor t = at::rand({medium});
        const auto v = xtt::view<const float, 1, xt::layout_type::row_major>(t);
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(xt::sum(v)());
        }
    }

    void expr_xarray(benchmark::State& state)
    {
        const xt::xarray<float> a = xtt::to_xarray<float>(at::rand({medium}));
        xt::xarray<float> out = xt::zeros<float>({medium});
        for (auto _ : state)
        {
            xt::noalias(out) = a * 2.f + 1.f;
            benchmark::DoNotOptimize(out.data());
        }
    }

    void expr_view(benchmark::State& state)
    {
        const at::Tensor t = at::rand({medium});
        at::Tensor o = at::zeros({medium});
        const auto v = xtt::view<const float, 1, xt::layout_type::row_major>(t);
        auto out = xtt::view<float, 1, xt::layout_type::row_major>(o);
        for (auto _ : state)
        {
            xt::noalias(out) = v * 2.f + 1.f;
            benchmark::DoNotOptimize(out.data());
        }
    }

    /*
     * xtensor -> torch: evaluating into a new tensor, against evaluating into
     * an existing xt::xarray (no allocation, no fresh pages) and the naive way.
     */
    void eval_into_existing_xarray(benchmark::State& state)
    {
        const xt::xarray<float> a = xtt::to_xarray<float>(at::rand({floats(state)}));
        xt::xarray<float> r = xt::zeros<float>(a.shape());
        for (auto _ : state)
        {
            xt::noalias(r) = xt::exp(a) * 2.f + 1.f;
            benchmark::DoNotOptimize(r.data());
        }
        bytes_processed(state);
    }

    void eval_then_copy_to_tensor(benchmark::State& state)
    {
        const xt::xarray<float> a = xtt::to_xarray<float>(at::rand({floats(state)}));
        for (auto _ : state)
        {
            xt::xarray<float> r = xt::exp(a) * 2.f + 1.f;
            at::Tensor t = at::from_blob(r.data(), {floats(state)}).clone();  // the naive way
            benchmark::DoNotOptimize(t.data_ptr());
        }
        bytes_processed(state);
    }

    void to_torch_expr(benchmark::State& state)
    {
        const xt::xarray<float> a = xtt::to_xarray<float>(at::rand({floats(state)}));
        for (auto _ : state)
        {
            at::Tensor t = xtt::to_torch(xt::exp(a) * 2.f + 1.f);
            benchmark::DoNotOptimize(t.data_ptr());
        }
        bytes_processed(state);
    }

    // Adopting an xarray by hand: move it to the heap, from_blob with a deleter.
    void from_blob_with_deleter(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        for (auto _ : state)
        {
            auto a = xt::xarray<float>::from_shape({n});
            auto* holder = new xt::xarray<float>(std::move(a));
            at::Tensor t = at::from_blob(
                holder->data(), {static_cast<std::int64_t>(n)}, [holder](void*) { delete holder; }, at::kFloat);
            benchmark::DoNotOptimize(t.data_ptr());
        }
    }

    void to_torch_adopt(benchmark::State& state)
    {
        const auto n = static_cast<std::size_t>(state.range(0));
        for (auto _ : state)
        {
            auto a = xt::xarray<float>::from_shape({n});
            at::Tensor t = xtt::to_torch(std::move(a));
            benchmark::DoNotOptimize(t.data_ptr());
        }
    }

    void from_blob_borrow(benchmark::State& state)
    {
        xt::xarray<float> a = xt::zeros<float>({static_cast<std::size_t>(state.range(0))});
        for (auto _ : state)
        {
            at::Tensor t = at::from_blob(a.data(), {state.range(0)}, at::kFloat);
            benchmark::DoNotOptimize(t.data_ptr());
        }
    }

    void from_blob_with_noop_deleter(benchmark::State& state)
    {
        xt::xarray<float> a = xt::zeros<float>({static_cast<std::size_t>(state.range(0))});
        for (auto _ : state)
        {
            at::Tensor t = at::from_blob(a.data(), {state.range(0)}, [](void*) {}, at::kFloat);
            benchmark::DoNotOptimize(t.data_ptr());
        }
    }

    void as_tensor(benchmark::State& state)
    {
        xt::xarray<float> a = xt::zeros<float>({static_cast<std::size_t>(state.range(0))});
        for (auto _ : state)
        {
            at::Tensor t = xtt::as_tensor(a);
            benchmark::DoNotOptimize(t.data_ptr());
        }
    }
}

// Contiguous (0) and strided (1) tensors of rank 1, 2 and 4.
BENCHMARK(adapt_plus_handle<1>)->Name("view/baseline_adapt+handle/rank:1")->Arg(0);
BENCHMARK(view_fixed<1, xt::layout_type::dynamic>)->Name("view/fixed/rank:1")->Arg(0);
BENCHMARK(view_dynamic)->Name("view/dynamic/rank:1")->Args({0, 1});
BENCHMARK(view_fixed<1, xt::layout_type::row_major>)->Name("view/row_major/rank:1")->Arg(0);
BENCHMARK(adapt_plus_handle<2>)->Name("view/baseline_adapt+handle/rank:2")->Arg(0);
BENCHMARK(view_fixed<2, xt::layout_type::dynamic>)->Name("view/fixed/rank:2")->Arg(0);
BENCHMARK(view_dynamic)->Name("view/dynamic/rank:2")->Args({0, 2});
BENCHMARK(view_fixed<2, xt::layout_type::row_major>)->Name("view/row_major/rank:2")->Arg(0);
BENCHMARK(adapt_plus_handle<2>)->Name("view/baseline_adapt+handle/rank:2/strided")->Arg(1);
BENCHMARK(view_fixed<2, xt::layout_type::dynamic>)->Name("view/fixed/rank:2/strided")->Arg(1);
BENCHMARK(view_dynamic)->Name("view/dynamic/rank:2/strided")->Args({1, 2});
BENCHMARK(adapt_plus_handle<4>)->Name("view/baseline_adapt+handle/rank:4")->Arg(0);
BENCHMARK(view_fixed<4, xt::layout_type::dynamic>)->Name("view/fixed/rank:4")->Arg(0);
BENCHMARK(view_dynamic)->Name("view/dynamic/rank:4")->Args({0, 4});
BENCHMARK(view_fixed<4, xt::layout_type::row_major>)->Name("view/row_major/rank:4")->Arg(0);
BENCHMARK(adapt_plus_handle<4>)->Name("view/baseline_adapt+handle/rank:4/strided")->Arg(1);
BENCHMARK(view_fixed<4, xt::layout_type::dynamic>)->Name("view/fixed/rank:4/strided")->Arg(1);
BENCHMARK(view_dynamic)->Name("view/dynamic/rank:4/strided")->Args({1, 4});

#define XTT_COPY_BENCHMARK(fn, name) \
    BENCHMARK(fn)->Name(name)->Arg(1)->Arg(64)->Arg(256)->Unit(benchmark::kMillisecond)->UseRealTime()
XTT_COPY_BENCHMARK(memcpy_existing, "copy/baseline_memcpy_existing");
XTT_COPY_BENCHMARK(fresh_pages, "copy/baseline_fresh_pages");
XTT_COPY_BENCHMARK(aten_clone, "copy/baseline_aten_clone");
XTT_COPY_BENCHMARK(to_xarray_fresh, "copy/to_xarray");
XTT_COPY_BENCHMARK(to_xarray_existing, "copy/to_xarray_existing");
XTT_COPY_BENCHMARK(aten_t_contiguous, "transposed/baseline_aten_t_contiguous");
XTT_COPY_BENCHMARK(aten_copy_transposed_existing, "transposed/baseline_aten_copy_existing");
XTT_COPY_BENCHMARK(to_xarray_transposed, "transposed/to_xarray");
XTT_COPY_BENCHMARK(copy_to_transposed_existing, "transposed/copy_to_existing");
XTT_COPY_BENCHMARK(staged_row_major_transposed, "transposed/view_row_major_staged");
XTT_COPY_BENCHMARK(xtensor_assign_transposed, "transposed/xtensor_assign");
XTT_COPY_BENCHMARK(aten_channels_last_contiguous, "channels_last/baseline_aten_contiguous");
XTT_COPY_BENCHMARK(to_xarray_channels_last, "channels_last/to_xarray");
XTT_COPY_BENCHMARK(aten_copy_into_channels_last, "channels_last/baseline_aten_copy_back");
XTT_COPY_BENCHMARK(copy_to_into_channels_last, "channels_last/copy_to_back");
XTT_COPY_BENCHMARK(edit_half_by_hand, "edit/baseline_half_by_hand");
XTT_COPY_BENCHMARK(edit_half, "edit/half_as_float");
XTT_COPY_BENCHMARK(edit_transposed_by_hand, "edit/baseline_transposed_by_hand");
XTT_COPY_BENCHMARK(edit_transposed, "edit/transposed_row_major");
XTT_COPY_BENCHMARK(aten_to_double, "cast/baseline_aten_to_double");
XTT_COPY_BENCHMARK(to_xarray_double, "cast/to_xarray_double");

BENCHMARK(sum_xarray)->Name("compute/baseline_sum_xarray")->UseRealTime();
BENCHMARK(sum_view)->Name("compute/sum_row_major_view")->UseRealTime();
BENCHMARK(expr_xarray)->Name("compute/baseline_expr_xarray")->UseRealTime();
BENCHMARK(expr_view)->Name("compute/expr_row_major_view")->UseRealTime();

XTT_COPY_BENCHMARK(eval_into_existing_xarray, "to_torch/baseline_eval_into_existing_xarray");
XTT_COPY_BENCHMARK(eval_then_copy_to_tensor, "to_torch/naive_eval_then_copy");
XTT_COPY_BENCHMARK(to_torch_expr, "to_torch/expr");
BENCHMARK(from_blob_with_deleter)->Name("adopt/baseline_from_blob_deleter")->Arg(16)->Arg(1 << 20);
BENCHMARK(to_torch_adopt)->Name("adopt/to_torch_move")->Arg(16)->Arg(1 << 20);
BENCHMARK(from_blob_borrow)->Name("borrow/at_from_blob")->Arg(16)->Arg(1 << 20);
BENCHMARK(from_blob_with_noop_deleter)->Name("borrow/baseline_from_blob_deleter")->Arg(16)->Arg(1 << 20);
BENCHMARK(as_tensor)->Name("borrow/as_tensor")->Arg(16)->Arg(1 << 20);

namespace
{
    /// Prints, after the usual table, each result as a ratio to its baseline.
    class ratio_reporter : public benchmark::ConsoleReporter
    {
    public:

        void ReportRuns(const std::vector<Run>& runs) override
        {
            ConsoleReporter::ReportRuns(runs);
            for (const auto& r : runs)
            {
                // one time per benchmark: the median when repeated
                if (r.run_type == Run::RT_Iteration || r.aggregate_name == "median")
                {
                    m_times[r.run_name.str()] = r.GetAdjustedRealTime();
                }
            }
        }

        void Finalize() override
        {
            ConsoleReporter::Finalize();
            // XTT_BENCH_RATIOS=file: the ratios as tab-separated values, for chart.sh
            std::FILE* tsv = nullptr;
            if (const char* path = std::getenv("XTT_BENCH_RATIOS"))
            {
                tsv = std::fopen(path, "w");
            }
            auto& os = GetOutputStream();
            os << "\nratios (time / baseline time, same run; medians when repeated; lower is faster):\n";
            // target: the ratio to stay at or below; 0: for reference only
            const auto report = [&](const std::string& candidate, const std::string& baseline, double target) {
                const auto c = m_times.find(candidate);
                const auto b = m_times.find(baseline);
                if (c == m_times.end() || b == m_times.end() || b->second <= 0)
                {
                    return;
                }
                const double value = c->second / b->second;
                char verdict[64] = "(reference)";
                if (target > 0)
                {
                    std::snprintf(verdict, sizeof verdict, "target <= %.2f%s", target, value <= target ? "" : "  MISSED");
                }
                char line[320];
                std::snprintf(line, sizeof line, "  %-46s / %-50s = %6.2f   %s\n", candidate.c_str(), baseline.c_str(),
                              value, verdict);
                os << line;
                if (tsv != nullptr)
                {
                    std::fprintf(tsv, "%s / %s\t%.4f\t%.4f\n", candidate.c_str(), baseline.c_str(), value, target);
                }
            };
            report("view/fixed/rank:1/0", "view/baseline_adapt+handle/rank:1/0", 2);
            report("view/row_major/rank:1/0", "view/baseline_adapt+handle/rank:1/0", 2);
            report("view/fixed/rank:2/0", "view/baseline_adapt+handle/rank:2/0", 2);
            report("view/row_major/rank:2/0", "view/baseline_adapt+handle/rank:2/0", 2);
            report("view/fixed/rank:2/strided/1", "view/baseline_adapt+handle/rank:2/strided/1", 2);
            report("view/fixed/rank:4/0", "view/baseline_adapt+handle/rank:4/0", 2);
            report("view/row_major/rank:4/0", "view/baseline_adapt+handle/rank:4/0", 2);
            report("view/fixed/rank:4/strided/1", "view/baseline_adapt+handle/rank:4/strided/1", 2);
            report("view/dynamic/rank:1/0/1", "view/fixed/rank:1/0", 1.5);
            report("view/dynamic/rank:2/0/2", "view/fixed/rank:2/0", 1.5);
            report("view/dynamic/rank:2/strided/1/2", "view/fixed/rank:2/strided/1", 1.5);
            report("view/dynamic/rank:4/0/4", "view/fixed/rank:4/0", 1.5);
            report("view/dynamic/rank:4/strided/1/4", "view/fixed/rank:4/strided/1", 1.5);
            for (const char* mib : {"1", "64", "256"})
            {
                const auto at = [&](const char* name) { return std::string(name) + "/" + mib + "/real_time"; };
                const bool big = std::string(mib) == "64";  // the targets are set at 64 MiB
                report(at("copy/to_xarray"), at("copy/baseline_aten_clone"), big ? 1.0 / 3 : 0);
                report(at("copy/to_xarray"), at("copy/baseline_memcpy_existing"), 0);
                report(at("copy/to_xarray"), at("copy/baseline_fresh_pages"), big ? 1.5 : 0);
                report(at("copy/to_xarray_existing"), at("copy/baseline_memcpy_existing"), 1.25);
                report(at("transposed/to_xarray"), at("transposed/baseline_aten_t_contiguous"), big ? 0.4 : 0);
                report(at("transposed/copy_to_existing"), at("transposed/baseline_aten_copy_existing"), big ? 0.8 : 0);
                report(at("transposed/view_row_major_staged"), at("transposed/baseline_aten_t_contiguous"), big ? 0.4 : 0);
                report(at("transposed/xtensor_assign"), at("transposed/baseline_aten_t_contiguous"), 0);
                report(at("channels_last/to_xarray"), at("channels_last/baseline_aten_contiguous"), 1);
                report(at("channels_last/copy_to_back"), at("channels_last/baseline_aten_copy_back"), 1);
                report(at("cast/to_xarray_double"), at("cast/baseline_aten_to_double"), 1);
                report(at("to_torch/expr"), at("to_torch/baseline_eval_into_existing_xarray"), big ? 1.3 : 0);
                report(at("to_torch/expr"), at("to_torch/naive_eval_then_copy"), big ? 1.0 : 0.0);
                report(at("edit/half_as_float"), at("edit/baseline_half_by_hand"), big ? 1.1 : 0);
                report(at("edit/transposed_row_major"), at("edit/baseline_transposed_by_hand"), big ? 1.1 : 0);
            }
            report("compute/sum_row_major_view/real_time", "compute/baseline_sum_xarray/real_time", 1.1);
            report("compute/expr_row_major_view/real_time", "compute/baseline_expr_xarray/real_time", 1.1);
            report("adopt/to_torch_move/16", "adopt/baseline_from_blob_deleter/16", 1.2);
            report("adopt/to_torch_move/1048576", "adopt/baseline_from_blob_deleter/1048576", 1.2);
            report("borrow/as_tensor/16", "borrow/baseline_from_blob_deleter/16", 1.2);
            report("borrow/as_tensor/1048576", "borrow/baseline_from_blob_deleter/1048576", 1.2);
            report("borrow/as_tensor/16", "borrow/at_from_blob/16", 0);
            for (const char* n : {"16", "65536"})
            {
                const auto at = [&](const char* name) { return std::string(name) + "/" + n; };
                report(at("op/adapted"), at("op/baseline_by_hand"), 1.1);
                report(at("op/adapted"), at("op/aten_add"), 0);
            }
            report("eigen/map", "eigen/baseline_map+handle", 2);
            report("eigen/product_map/real_time", "eigen/baseline_product_owned/real_time", 1.1);
            report("eigen/product_packed_map/real_time", "eigen/baseline_product_owned/real_time", 1.1);
            report("eigen/sparse_map/1000000", "eigen/sparse_map/1000", 1.2);
            if (tsv != nullptr)
            {
                std::fclose(tsv);
            }
        }

    private:

        std::map<std::string, double> m_times;
    };
}

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
    {
        return 1;
    }
    xtt_bench::warm_memory();
    ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}
