// Must not compile: a const view is read-only, also for expressions.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

void f(const at::Tensor& t)
{
    auto v = xtt::view<const float, 1>(t);
    v = v * 2.f;
}
