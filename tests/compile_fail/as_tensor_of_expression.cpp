// Must not compile: a lazy expression has no memory to borrow.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

at::Tensor f(xt::xarray<float>& a)
{
    auto e = a + a;
    return xtt::as_tensor(e);
}
