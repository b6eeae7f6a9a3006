// Must not compile: xtt::op without a signature, for a callable that takes
// something other than views; one message names the fix.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/op.hpp>

void f()
{
    const auto k = xtt::op<float>([](int, double) { return 0; });
    (void)k;
}
