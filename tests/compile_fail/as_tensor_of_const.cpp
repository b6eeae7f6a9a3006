// Must not compile: torch tensors are writable, so as_tensor needs a mutable container.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

at::Tensor f(const xt::xarray<float>& a)
{
    return xtt::as_tensor(a);
}
