// Must not compile: to_torch needs a value type with a LibTorch dtype.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

at::Tensor f(const xt::xarray<long double>& a)
{
    return xtt::to_torch(a);
}
