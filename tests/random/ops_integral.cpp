// Random cases typed bool and the integer dtypes.
// SPDX-License-Identifier: BSD-3-Clause
#include "ops.hpp"

#define XTT_RANDOM_INTEGRAL(X)                   \
    X(bool, at::kBool, "", "")                   \
    X(std::uint8_t, at::kByte, "", "")           \
    X(std::int8_t, at::kChar, "", "")            \
    X(std::int16_t, at::kShort, "", "")          \
    X(std::int32_t, at::kInt, "", "")            \
    X(std::int64_t, at::kLong, "", "")           \
    XTT_FOR_EACH_WIDE_UNSIGNED_DTYPE(X)

XTT_RANDOM_GROUP(run_integral, XTT_RANDOM_INTEGRAL)
