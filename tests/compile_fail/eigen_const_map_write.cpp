// Must not compile: a map of const T is read-only.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/eigen.hpp>

void f(const at::Tensor& t)
{
    auto m = xtt::eigen::map<const float>(t);
    m(0, 0) = 1.f;
}
