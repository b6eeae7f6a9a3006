// Must not compile: a read-only view never becomes a writable tensor.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/xtensor-torch.hpp>

at::Tensor f(const at::Tensor& t)
{
    return xtt::as_tensor(xtt::view<const float, 1>(t));
}
