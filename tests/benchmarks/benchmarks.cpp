// Google Benchmark suite: every xtensor-torch operation beside the baseline it
// is judged against, measured in the same run; the table printed at the end
// gives each as a ratio (time / baseline time) next to its target.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <xtensor-torch/xtensor-torch.hpp>

#include "../xtensor_headers.hpp"

#include "../alloc_counter.hpp"

namespace
{
    constexpr std::int64_t big = 16 * 1024 * 1024;  // 64 MiB of float
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
     * torch -> xtensor copies of 64 MiB.
     */
    void memcpy_fresh(benchmark::State& state)
    {
        const at::Tensor t = at::rand({big});
        for (auto _ : state)
        {
            std::unique_ptr<float[]> out(new float[big]);
            std::memcpy(out.get(), t.data_ptr<float>(), big * sizeof(float));
            benchmark::DoNotOptimize(out.get());
        }
        state.SetBytesProcessed(state.iterations() * big * static_cast<std::int64_t>(sizeof(float)));
    }

    void memcpy_existing(benchmark::State& state)
    {
        const at::Tensor t = at::rand({big});
        std::unique_ptr<float[]> out(new float[big]);
        for (auto _ : state)
        {
            std::memcpy(out.get(), t.data_ptr<float>(), big * sizeof(float));
            benchmark::DoNotOptimize(out.get());
        }
        state.SetBytesProcessed(state.iterations() * big * static_cast<std::int64_t>(sizeof(float)));
    }

    void to_xarray_fresh(benchmark::State& state)
    {
        const at::Tensor t = at::rand({big});
        for (auto _ : state)
        {
            auto a = xtt::to_xarray<float>(t);
            benchmark::DoNotOptimize(a.data());
        }
        state.SetBytesProcessed(state.iterations() * big * static_cast<std::int64_t>(sizeof(float)));
    }

    void to_xarray_existing(benchmark::State& state)
    {
        const at::Tensor t = at::rand({big});
        xt::xarray<float> out = xt::zeros<float>({big});
        for (auto _ : state)
        {
            xtt::to_xarray(t, out);
            benchmark::DoNotOptimize(out.data());
        }
        state.SetBytesProcessed(state.iterations() * big * static_cast<std::int64_t>(sizeof(float)));
    }

    void aten_clone(benchmark::State& state)
    {
        const at::Tensor t = at::rand({big});
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(t.clone().data_ptr());
        }
    }

    void aten_contiguous_transposed(benchmark::State& state)
    {
        const at::Tensor t = at::rand({4096, big / 4096}).t();
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(t.contiguous().data_ptr());
        }
    }

    void to_xarray_transposed(benchmark::State& state)
    {
        const at::Tensor t = at::rand({4096, big / 4096}).t();
        for (auto _ : state)
        {
            auto a = xtt::to_xarray<float>(t);
            benchmark::DoNotOptimize(a.data());
        }
    }

    void xtensor_assign_transposed(benchmark::State& state)
    {
        const at::Tensor t = at::rand({4096, big / 4096}).t();
        for (auto _ : state)
        {
            xt::xarray<float> a = xtt::view<const float, 2>(t);  // xtensor's strided assignment
            benchmark::DoNotOptimize(a.data());
        }
    }

    void aten_to_double(benchmark::State& state)
    {
        const at::Tensor t = at::rand({big});
        for (auto _ : state)
        {
            benchmark::DoNotOptimize(t.to(at::kDouble).data_ptr());
        }
    }

    void to_xarray_double(benchmark::State& state)
    {
        const at::Tensor t = at::rand({big});
        for (auto _ : state)
        {
            auto a = xtt::to_xarray<double>(t);
            benchmark::DoNotOptimize(a.data());
        }
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
     * xtensor -> torch.
     */
    void eval_into_xarray(benchmark::State& state)
    {
        const xt::xarray<float> a = xtt::to_xarray<float>(at::rand({medium}));
        for (auto _ : state)
        {
            xt::xarray<float> r = xt::exp(a) * 2.f + 1.f;
            benchmark::DoNotOptimize(r.data());
        }
    }

    void eval_then_copy_to_tensor(benchmark::State& state)
    {
        const xt::xarray<float> a = xtt::to_xarray<float>(at::rand({medium}));
        for (auto _ : state)
        {
            xt::xarray<float> r = xt::exp(a) * 2.f + 1.f;
            at::Tensor t = at::from_blob(r.data(), {medium}).clone();  // the naive way
            benchmark::DoNotOptimize(t.data_ptr());
        }
    }

    void to_torch_expr(benchmark::State& state)
    {
        const xt::xarray<float> a = xtt::to_xarray<float>(at::rand({medium}));
        for (auto _ : state)
        {
            at::Tensor t = xtt::to_torch(xt::exp(a) * 2.f + 1.f);
            benchmark::DoNotOptimize(t.data_ptr());
        }
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

BENCHMARK(memcpy_fresh)->Name("copy64MiB/baseline_memcpy_fresh")->UseRealTime();
BENCHMARK(to_xarray_fresh)->Name("copy64MiB/to_xarray")->UseRealTime();
BENCHMARK(memcpy_existing)->Name("copy64MiB/baseline_memcpy_existing")->UseRealTime();
BENCHMARK(to_xarray_existing)->Name("copy64MiB/to_xarray_existing")->UseRealTime();
BENCHMARK(aten_clone)->Name("copy64MiB/baseline_aten_clone")->UseRealTime();
BENCHMARK(aten_contiguous_transposed)->Name("copy64MiB/baseline_aten_t_contiguous")->UseRealTime();
BENCHMARK(to_xarray_transposed)->Name("copy64MiB/to_xarray_transposed")->UseRealTime();
BENCHMARK(xtensor_assign_transposed)->Name("copy64MiB/xtensor_assign_transposed")->UseRealTime();
BENCHMARK(aten_to_double)->Name("copy64MiB/baseline_aten_to_double")->UseRealTime();
BENCHMARK(to_xarray_double)->Name("copy64MiB/to_xarray_double")->UseRealTime();

BENCHMARK(sum_xarray)->Name("compute/baseline_sum_xarray")->UseRealTime();
BENCHMARK(sum_view)->Name("compute/sum_row_major_view")->UseRealTime();
BENCHMARK(expr_xarray)->Name("compute/baseline_expr_xarray")->UseRealTime();
BENCHMARK(expr_view)->Name("compute/expr_row_major_view")->UseRealTime();

BENCHMARK(eval_into_xarray)->Name("to_torch/baseline_eval_into_xarray")->UseRealTime();
BENCHMARK(eval_then_copy_to_tensor)->Name("to_torch/naive_eval_then_copy")->UseRealTime();
BENCHMARK(to_torch_expr)->Name("to_torch/expr")->UseRealTime();
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
            struct ratio
            {
                const char* candidate;
                const char* baseline;
                const char* target;
            };
            static const ratio ratios[] = {
                {"view/fixed/rank:1/0", "view/baseline_adapt+handle/rank:1/0", "<= 2x"},
                {"view/dynamic/rank:1/0/1", "view/baseline_adapt+handle/rank:1/0", "(dynamic rank)"},
                {"view/row_major/rank:1/0", "view/baseline_adapt+handle/rank:1/0", "<= 2x"},
                {"view/fixed/rank:2/0", "view/baseline_adapt+handle/rank:2/0", "<= 2x"},
                {"view/dynamic/rank:2/0/2", "view/baseline_adapt+handle/rank:2/0", "(dynamic rank)"},
                {"view/row_major/rank:2/0", "view/baseline_adapt+handle/rank:2/0", "<= 2x"},
                {"view/fixed/rank:2/strided/1", "view/baseline_adapt+handle/rank:2/strided/1", "<= 2x"},
                {"view/dynamic/rank:2/strided/1/2", "view/baseline_adapt+handle/rank:2/strided/1", "(dynamic rank)"},
                {"view/fixed/rank:4/0", "view/baseline_adapt+handle/rank:4/0", "<= 2x"},
                {"view/dynamic/rank:4/0/4", "view/baseline_adapt+handle/rank:4/0", "(dynamic rank)"},
                {"view/row_major/rank:4/0", "view/baseline_adapt+handle/rank:4/0", "<= 2x"},
                {"view/fixed/rank:4/strided/1", "view/baseline_adapt+handle/rank:4/strided/1", "<= 2x"},
                {"view/dynamic/rank:4/strided/1/4", "view/baseline_adapt+handle/rank:4/strided/1", "(dynamic rank)"},
                {"copy64MiB/to_xarray/real_time", "copy64MiB/baseline_memcpy_fresh/real_time", "<= 1.25x (>= 0.8x speed)"},
                {"copy64MiB/to_xarray_existing/real_time", "copy64MiB/baseline_memcpy_existing/real_time",
                 "<= 1.25x (>= 0.8x speed)"},
                {"copy64MiB/to_xarray/real_time", "copy64MiB/baseline_aten_clone/real_time", "<= 1x"},
                {"copy64MiB/to_xarray_transposed/real_time", "copy64MiB/baseline_aten_t_contiguous/real_time", "<= 1x"},
                {"copy64MiB/xtensor_assign_transposed/real_time", "copy64MiB/baseline_aten_t_contiguous/real_time",
                 "(xtensor's own strided assignment, for reference)"},
                {"copy64MiB/to_xarray_double/real_time", "copy64MiB/baseline_aten_to_double/real_time", "<= 1x"},
                {"compute/sum_row_major_view/real_time", "compute/baseline_sum_xarray/real_time", "<= 1.1x"},
                {"compute/expr_row_major_view/real_time", "compute/baseline_expr_xarray/real_time", "<= 1.1x"},
                {"to_torch/expr/real_time", "to_torch/baseline_eval_into_xarray/real_time", "<= 1.1x"},
                {"to_torch/expr/real_time", "to_torch/naive_eval_then_copy/real_time", "< 1x"},
                {"adopt/to_torch_move/16", "adopt/baseline_from_blob_deleter/16", "<= 1.2x"},
                {"adopt/to_torch_move/1048576", "adopt/baseline_from_blob_deleter/1048576", "<= 1.2x"},
                {"borrow/as_tensor/16", "borrow/baseline_from_blob_deleter/16", "<= 1.2x"},
                {"borrow/as_tensor/1048576", "borrow/baseline_from_blob_deleter/1048576", "<= 1.2x"},
                {"borrow/as_tensor/16", "borrow/at_from_blob/16", "(at::from_blob, no deleter)"},
                {"eigen/map", "eigen/baseline_map+handle", "<= 2x"},
                {"eigen/product_map/real_time", "eigen/baseline_product_owned/real_time", "<= 1.1x"},
                {"eigen/product_packed_map/real_time", "eigen/baseline_product_owned/real_time", "<= 1.1x"},
                {"eigen/sparse_map/1000", "eigen/baseline_sparse_map+handle/1000", "(sparse map, nnz 1e3)"},
                {"eigen/sparse_map/1000000", "eigen/baseline_sparse_map+handle/1000000", "(sparse map, nnz 1e6)"},
                {"eigen/sparse_map/1000000", "eigen/sparse_map/1000", "~1x: O(1) in nnz"},
            };
            auto& os = GetOutputStream();
            os << "\nratios (time / baseline time, same run; medians when repeated):\n";
            for (const auto& r : ratios)
            {
                const auto c = m_times.find(r.candidate);
                const auto b = m_times.find(r.baseline);
                if (c == m_times.end() || b == m_times.end() || b->second <= 0)
                {
                    continue;
                }
                char line[256];
                std::snprintf(line, sizeof line, "  %-42s / %-46s = %6.2fx   target %s\n", r.candidate, r.baseline,
                              c->second / b->second, r.target);
                os << line;
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
    ratio_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return 0;
}
