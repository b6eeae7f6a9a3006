// What compile_cost.sh measures beside view.cpp: the same view with a staging
// policy, which can copy, so the file compiles the permuted-copy kernels of
// float's size (or, with XTENSOR_TORCH_SEPARATE_KERNELS, only calls them).
// SPDX-License-Identifier: BSD-3-Clause
#include <torch/types.h>
#include <xtensor-torch/view.hpp>

float first_of_sum(const at::Tensor& t)
{
    auto v = xtt::view<float, 2>(t, xtt::stage::contiguous);
    v(0, 0) += v(0, 1);
    return v(0, 0);
}
