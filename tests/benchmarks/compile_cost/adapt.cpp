// The baseline of compile_cost.sh: a 2-D float tensor's memory read through
// xt::adapt over data_ptr(), as code without xtensor-torch does it.
// SPDX-License-Identifier: BSD-3-Clause
#include <array>
#include <cstddef>

#include <torch/types.h>
#include <xtensor/xadapt.hpp>

float first_of_sum(const at::Tensor& t)
{
    const std::array<std::size_t, 2> shape{static_cast<std::size_t>(t.size(0)), static_cast<std::size_t>(t.size(1))};
    const std::array<std::ptrdiff_t, 2> strides{t.stride(0), t.stride(1)};
    auto v = xt::adapt(t.data_ptr<float>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(), shape, strides);
    v(0, 0) += v(0, 1);
    return v(0, 0);
}
