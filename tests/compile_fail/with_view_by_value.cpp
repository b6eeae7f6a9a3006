// Must not compile: with_view's function takes the edit view by value, which
// would copy a view that writes back once.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

void f(const at::Tensor& t)
{
    xtt::with_view<float, 2>(t, xtt::stage::none, [](auto v) { v *= 2.f; });
}
