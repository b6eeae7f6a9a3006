// Must not compile: a view needs an element type with a LibTorch dtype.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

void f(const at::Tensor& t)
{
    auto v = xtt::view<long double>(t);
    (void)v;
}
