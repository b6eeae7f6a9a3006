// Must not compile: a tensor borrowing a temporary container would dangle.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

at::Tensor f()
{
    return xtt::as_tensor(xt::xarray<float>{1.f, 2.f});
}
