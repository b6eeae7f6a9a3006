// The cost of xtt::op: an operator adapted from a lambda against the same
// operator written by hand (views, dtype dispatch, to_torch), and against
// ATen's own add, each called through LibTorch's dispatcher as Python and
// TorchScript call them.
// SPDX-License-Identifier: BSD-3-Clause
#include <benchmark/benchmark.h>

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <xtensor-torch/op.hpp>
#include <xtensor-torch/xtensor-torch.hpp>

namespace
{
    template <class T>
    at::Tensor add_views(const at::Tensor& a, const at::Tensor& b)
    {
        const auto va = xtt::view<const T>(a, xtt::stage::detach);
        const auto vb = xtt::view<const T>(b, xtt::stage::detach);
        return xtt::to_torch(va + vb);
    }

    /// What an extension author writes without xtt::op.
    at::Tensor add_by_hand(const at::Tensor& a, const at::Tensor& b)
    {
        if (a.scalar_type() == at::kDouble)
        {
            return add_views<double>(a, b);
        }
        return add_views<float>(a, b);  // any other dtype: the view refuses it
    }

    using add_signature = at::Tensor(const at::Tensor&, const at::Tensor&);

    c10::TypedOperatorHandle<add_signature> handle(const char* name)
    {
        return c10::Dispatcher::singleton().findSchemaOrThrow(name, "").typed<add_signature>();
    }

    void call_op(benchmark::State& state, const char* name)
    {
        const auto op = handle(name);
        const at::Tensor a = at::rand({state.range(0)});
        const at::Tensor b = at::rand({state.range(0)});
        for (auto _ : state)
        {
            at::Tensor r = op.call(a, b);
            benchmark::DoNotOptimize(r.data_ptr());
        }
    }

    void op_by_hand(benchmark::State& state)
    {
        call_op(state, "xtt_bench_ops::add_by_hand");
    }

    void op_adapted(benchmark::State& state)
    {
        call_op(state, "xtt_bench_ops::add_adapted");
    }

    void aten_add(benchmark::State& state)
    {
        const at::Tensor a = at::rand({state.range(0)});
        const at::Tensor b = at::rand({state.range(0)});
        for (auto _ : state)
        {
            at::Tensor r = at::add(a, b);  // through the dispatcher, as every ATen operator
            benchmark::DoNotOptimize(r.data_ptr());
        }
    }
}

TORCH_LIBRARY(xtt_bench_ops, m)
{
    m.def("add_by_hand", &add_by_hand);
    m.def("add_adapted", xtt::op<float, double>([](auto a, auto b) { return a + b; }));
}

BENCHMARK(op_by_hand)->Name("op/baseline_by_hand")->Arg(16)->Arg(1 << 16);
BENCHMARK(op_adapted)->Name("op/adapted")->Arg(16)->Arg(1 << 16);
BENCHMARK(aten_add)->Name("op/aten_add")->Arg(16)->Arg(1 << 16);
