// Google Benchmark suite, Eigen part: map creation against a raw Eigen::Map,
// a matrix product through maps against owned matrices, sparse map creation
// for two sizes of nnz. Ratios are printed by benchmarks.cpp's reporter.
// SPDX-License-Identifier: BSD-3-Clause
#include <benchmark/benchmark.h>

#include <xtensor-torch/eigen.hpp>

#include "../support/alloc_counter.hpp"

namespace
{
    using row_major_matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    using dynamic_stride = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>;

    void eigen_map_plus_handle(benchmark::State& state)
    {
        const at::Tensor t = at::rand({64, 64});
        for (auto _ : state)
        {
            at::Tensor handle = t;
            Eigen::Map<row_major_matrix, Eigen::Unaligned, dynamic_stride> m(t.data_ptr<float>(), t.size(0), t.size(1),
                                                                              dynamic_stride(t.stride(0), t.stride(1)));
            benchmark::DoNotOptimize(m.data());
            benchmark::DoNotOptimize(handle);
        }
    }

    void eigen_map(benchmark::State& state)
    {
        const at::Tensor t = at::rand({64, 64});
        for (auto _ : state)
        {
            auto m = xtt::eigen::map<float>(t);
            benchmark::DoNotOptimize(m.data());
        }
        alloc_counter::start();
        benchmark::DoNotOptimize(xtt::eigen::map<float>(t).data());
        state.counters["allocs"] = static_cast<double>(alloc_counter::stop());
    }

    constexpr Eigen::Index n = 256;

    void product_owned(benchmark::State& state)
    {
        const row_major_matrix a = row_major_matrix::Random(n, n);
        const row_major_matrix b = row_major_matrix::Random(n, n);
        row_major_matrix c(n, n);
        for (auto _ : state)
        {
            c.noalias() = a * b;
            benchmark::DoNotOptimize(c.data());
        }
    }

    void product_map(benchmark::State& state)
    {
        const at::Tensor ta = at::rand({n, n});
        const at::Tensor tb = at::rand({n, n});
        at::Tensor tc = at::empty({n, n});
        const auto a = xtt::eigen::map<const float>(ta);
        const auto b = xtt::eigen::map<const float>(tb);
        auto c = xtt::eigen::map<float>(tc);
        for (auto _ : state)
        {
            c.noalias() = a * b;
            benchmark::DoNotOptimize(c.data());
        }
    }

    void product_packed_map(benchmark::State& state)
    {
        using packed = Eigen::Stride<0, 0>;
        const at::Tensor ta = at::rand({n, n});
        const at::Tensor tb = at::rand({n, n});
        at::Tensor tc = at::empty({n, n});
        const auto a = xtt::eigen::map<const float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, packed>(ta);
        const auto b = xtt::eigen::map<const float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, packed>(tb);
        auto c = xtt::eigen::map<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, packed>(tc);
        for (auto _ : state)
        {
            c.noalias() = a * b;
            benchmark::DoNotOptimize(c.data());
        }
    }

    at::Tensor csr_with_nnz(std::int64_t nnz)
    {
        const std::int64_t side = 4096;
        const at::Tensor flat = std::get<0>(at::randperm(side * side).narrow(0, 0, nnz).sort());
        const at::Tensor indices = at::stack({flat.div(side, "floor"), flat.remainder(side)});
        return at::sparse_coo_tensor(indices, at::rand({nnz}), {side, side}).coalesce().to_sparse_csr();
    }

    void raw_sparse_map_plus_handle(benchmark::State& state)
    {
        const at::Tensor csr = csr_with_nnz(state.range(0));
        for (auto _ : state)
        {
            at::Tensor handle = csr;
            Eigen::Map<Eigen::SparseMatrix<float, Eigen::RowMajor, std::int64_t>> m(
                csr.size(0), csr.size(1), csr._nnz(), csr.crow_indices().data_ptr<std::int64_t>(),
                csr.col_indices().data_ptr<std::int64_t>(), csr.values().data_ptr<float>());
            benchmark::DoNotOptimize(m.valuePtr());
            benchmark::DoNotOptimize(handle);
        }
    }

    void sparse_map(benchmark::State& state)
    {
        const at::Tensor csr = csr_with_nnz(state.range(0));
        for (auto _ : state)
        {
            auto m = xtt::eigen::sparse_map<float>(csr);
            benchmark::DoNotOptimize(m.valuePtr());
        }
    }
}

BENCHMARK(eigen_map_plus_handle)->Name("eigen/baseline_map+handle");
BENCHMARK(eigen_map)->Name("eigen/map");
BENCHMARK(product_owned)->Name("eigen/baseline_product_owned")->UseRealTime();
BENCHMARK(product_map)->Name("eigen/product_map")->UseRealTime();
BENCHMARK(product_packed_map)->Name("eigen/product_packed_map")->UseRealTime();
BENCHMARK(raw_sparse_map_plus_handle)->Name("eigen/baseline_sparse_map+handle")->Arg(1000)->Arg(1000000);
BENCHMARK(sparse_map)->Name("eigen/sparse_map")->Arg(1000)->Arg(1000000);
