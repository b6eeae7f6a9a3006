// A custom PyTorch operator library written with xtensor: each operator is a
// few lines of math over zero-copy views of its inputs, made into an ATen
// kernel by xtt::op. Registered with TORCH_LIBRARY, so Python loads it with
// torch.ops.load_library and calls torch.ops.xtt_ops.<name>; TorchScript
// sees the operators too.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdint>

#include <torch/library.h>
#include <torch/torch.h>

#include <xtensor-torch/op.hpp>
#include <xtensor-torch/xtensor-torch.hpp>

namespace
{
    // Every input is a read-only view (xtt::stage::detach: a tensor that
    // requires grad is read in place); float32 or float64, the first tensor's
    // dtype deciding; the expression returned is evaluated once into a new tensor.

    /// a * x + b, broadcast like torch's operators.
    const auto mul_add = xtt::op<float, double>([](auto a, auto x, auto b) { return a * x + b; });

    /// x = a * x + b in place: x is edited through a view of its own memory,
    /// and the write is counted in autograd's version counter.
    const auto mul_add_ = xtt::op<at::Tensor&(at::Tensor&, const at::Tensor&, const at::Tensor&), float, double>(
        [](auto& x, auto a, auto b) { x = a * x + b; });

    /// Row-wise softmax of a 2-D tensor: y = exp(x - max) / sum(exp(x - max)).
    /// (xtensor 0.24 broadcasts a lazy keep_dims reducer wrongly: evaluate it first.)
    const auto softmax_forward = xtt::op<xtt::ranks<2>, float, double>([](auto x) {
        const auto e = xt::eval(xt::exp(x - xt::eval(xt::amax(x, {1}, xt::keep_dims))));
        return xt::eval(e / xt::eval(xt::sum(e, {1}, xt::keep_dims)));
    });

    /// Its backward: dx = y * (dy - sum(dy * y, row)); dy may be expanded (stride 0).
    const auto softmax_backward = xtt::op<xtt::ranks<2, 2>, float, double>(
        [](auto dy, auto y) { return y * (dy - xt::eval(xt::sum(dy * y, {1}, xt::keep_dims))); });

    /// The softmax as a C++ autograd function: forward and backward above.
    struct softmax_function : torch::autograd::Function<softmax_function>
    {
        static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x)
        {
            torch::Tensor y = softmax_forward(x);
            ctx->save_for_backward({y});
            return y;
        }

        static torch::autograd::tensor_list backward(torch::autograd::AutogradContext* ctx,
                                                     torch::autograd::tensor_list grads)
        {
            return {softmax_backward(grads[0], ctx->get_saved_variables()[0])};
        }
    };

    torch::Tensor softmax(const torch::Tensor& x)
    {
        return softmax_function::apply(x);
    }

    /// Where the view of `t` starts: the tests compare it with t.data_ptr() to
    /// show that a tensor that requires grad is read without a copy.
    const auto read_address = xtt::op<std::int64_t(const at::Tensor&), float>(
        [](auto v) { return static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(v.data())); });
}

TORCH_LIBRARY(xtt_ops, m)
{
    m.def("mul_add", mul_add);  // schema inferred: mul_add(Tensor _0, Tensor _1, Tensor _2) -> Tensor
    m.def("mul_add_(Tensor(a!) x, Tensor a, Tensor b) -> Tensor(a!)", mul_add_);
    m.def("softmax(Tensor x) -> Tensor", &softmax);
    m.def("softmax_forward(Tensor x) -> Tensor", softmax_forward);
    m.def("softmax_backward(Tensor grad, Tensor y) -> Tensor", softmax_backward);
    m.def("read_address(Tensor t) -> int", read_address);
}
