// Must not compile: a const view is read-only, element by element.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

void f(const at::Tensor& t)
{
    auto v = xtt::view<const float, 1>(t);
    v(0) = 1.f;
}
