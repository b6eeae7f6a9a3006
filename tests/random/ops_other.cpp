// Random cases typed with the float8 dtypes, where LibTorch has them.
// SPDX-License-Identifier: BSD-3-Clause
#include "ops.hpp"

#define XTT_RANDOM_OTHER(X)             \
    XTT_FOR_EACH_FLOAT8_DTYPE(X)        \
    XTT_FOR_EACH_FLOAT8_FNUZ_DTYPE(X)   \
    XTT_FOR_EACH_FLOAT8_E8M0_DTYPE(X)

XTT_RANDOM_GROUP(run_other, XTT_RANDOM_OTHER)
