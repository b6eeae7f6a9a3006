// Random cases typed float16, bfloat16, float32, float64.
// SPDX-License-Identifier: BSD-3-Clause
#include "ops.hpp"

#define XTT_RANDOM_FLOATING(X)                   \
    X(c10::Half, at::kHalf, "", "")              \
    X(c10::BFloat16, at::kBFloat16, "", "")      \
    X(float, at::kFloat, "", "")                 \
    X(double, at::kDouble, "", "")

XTT_RANDOM_GROUP(run_floating, XTT_RANDOM_FLOATING)
