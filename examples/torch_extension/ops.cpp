// A custom PyTorch operator library written with xtensor: every operator is
// an xtensor expression over zero-copy xtt::views of its inputs. Registered
// with TORCH_LIBRARY, so Python loads it with torch.ops.load_library and
// calls torch.ops.xtt_ops.<name>; TorchScript sees the operators too.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdint>

#include <torch/library.h>
#include <torch/torch.h>

#include <xtensor-torch/xtensor-torch.hpp>

namespace
{
    // Calls f<float> or f<double> for the dtype of `t`. Any other dtype goes
    // to float, where xtt::view refuses it with a message naming the dtype.
    template <template <class> class F, class... Args>
    torch::Tensor by_dtype(const torch::Tensor& t, Args&&... args)
    {
        if (t.scalar_type() == torch::kDouble)
        {
            return F<double>::run(std::forward<Args>(args)...);
        }
        return F<float>::run(std::forward<Args>(args)...);
    }

    // Inputs are read through const views with stage::detach: a tensor that
    // requires grad is read in place, with no copy.
    constexpr auto read = xtt::stage::detach;

    /// a * x + b, broadcast like torch's operators, evaluated straight into a new tensor.
    template <class T>
    struct mul_add_op
    {
        static torch::Tensor run(const torch::Tensor& a, const torch::Tensor& x, const torch::Tensor& b)
        {
            auto va = xtt::view<const T>(a, read);
            auto vx = xtt::view<const T>(x, read);
            auto vb = xtt::view<const T>(b, read);
            return xtt::to_torch(va * vx + vb);
        }
    };

    /// x = a * x + b in place, through a view of x's own memory.
    template <class T>
    struct mul_add_inplace_op
    {
        static torch::Tensor run(const torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& b)
        {
            auto vx = xtt::view<T>(x);  // writable: refused if x requires grad, as an in-place op on a leaf
            vx = xtt::view<const T>(a, read) * vx + xtt::view<const T>(b, read);
            xtt::mark_written(x);  // the write went around autograd: count it
            return x;
        }
    };

    /// Row-wise softmax of a 2-D tensor: y = exp(x - max) / sum(exp(x - max)).
    template <class T>
    struct softmax_forward_op
    {
        static torch::Tensor run(const torch::Tensor& x)
        {
            auto v = xtt::view<const T, 2>(x, read);
            // reductions are evaluated before they are broadcast: xtensor 0.24
            // broadcasts a lazy keep_dims reducer wrongly
            const auto row_max = xt::eval(xt::amax(v, {1}, xt::keep_dims));
            const auto e = xt::eval(xt::exp(v - row_max));
            const auto row_sum = xt::eval(xt::sum(e, {1}, xt::keep_dims));
            return xtt::to_torch(e / row_sum);
        }
    };

    /// Its backward: dx = y * (dy - sum(dy * y, row)).
    template <class T>
    struct softmax_backward_op
    {
        static torch::Tensor run(const torch::Tensor& grad, const torch::Tensor& y)
        {
            auto dy = xtt::view<const T, 2>(grad, read);  // may be expanded (stride 0): read-only views take it
            auto vy = xtt::view<const T, 2>(y, read);
            const auto dot = xt::eval(xt::sum(dy * vy, {1}, xt::keep_dims));
            return xtt::to_torch(vy * (dy - dot));
        }
    };

    torch::Tensor mul_add(const torch::Tensor& a, const torch::Tensor& x, const torch::Tensor& b)
    {
        return by_dtype<mul_add_op>(x, a, x, b);
    }

    torch::Tensor mul_add_(torch::Tensor& x, const torch::Tensor& a, const torch::Tensor& b)
    {
        return by_dtype<mul_add_inplace_op>(x, x, a, b);
    }

    torch::Tensor softmax_forward(const torch::Tensor& x)
    {
        return by_dtype<softmax_forward_op>(x, x);
    }

    torch::Tensor softmax_backward(const torch::Tensor& grad, const torch::Tensor& y)
    {
        return by_dtype<softmax_backward_op>(y, grad, y);
    }

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
            const torch::Tensor y = ctx->get_saved_variables()[0];
            return {softmax_backward(grads[0], y)};
        }
    };

    torch::Tensor softmax(const torch::Tensor& x)
    {
        return softmax_function::apply(x);
    }

    /// Where a read of `t` starts: the tests compare it with t.data_ptr() to
    /// show that a tensor that requires grad is read without a copy.
    std::int64_t read_address(const torch::Tensor& t)
    {
        return static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(xtt::view<const float>(t, read).data()));
    }
}

TORCH_LIBRARY(xtt_ops, m)
{
    m.def("mul_add(Tensor a, Tensor x, Tensor b) -> Tensor", &mul_add);
    m.def("mul_add_(Tensor(a!) x, Tensor a, Tensor b) -> Tensor(a!)", &mul_add_);
    m.def("softmax(Tensor x) -> Tensor", &softmax);
    m.def("softmax_forward(Tensor x) -> Tensor", &softmax_forward);
    m.def("softmax_backward(Tensor grad, Tensor y) -> Tensor", &softmax_backward);
    m.def("read_address(Tensor t) -> int", &read_address);
}
