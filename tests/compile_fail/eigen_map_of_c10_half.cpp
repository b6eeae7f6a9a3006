// Must not compile: Eigen maps take Eigen's half type, not c10::Half.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/eigen.hpp>

void f(const at::Tensor& t)
{
    auto m = xtt::eigen::map<c10::Half>(t);
    (void)m;
}
