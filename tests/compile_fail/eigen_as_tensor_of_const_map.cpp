// Must not compile: a read-only Eigen map never becomes a writable tensor.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/eigen.hpp>

at::Tensor f(const at::Tensor& t)
{
    auto m = xtt::eigen::map<const float>(t);
    return xtt::as_tensor(m);
}
