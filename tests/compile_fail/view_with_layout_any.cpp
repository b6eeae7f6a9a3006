// Must not compile: xtt::view takes row_major, column_major or dynamic layouts only.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

void f(const at::Tensor& t)
{
    auto v = xtt::view<float, 2, xt::layout_type::any>(t);
    (void)v;
}
