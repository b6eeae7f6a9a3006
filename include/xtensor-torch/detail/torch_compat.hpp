// The LibTorch headers xtensor-torch needs (ATen only, never <torch/torch.h>),
// the LibTorch versions it supports, and the features that differ between them.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_TORCH_COMPAT_HPP
#define XTENSOR_TORCH_DETAIL_TORCH_COMPAT_HPP

#include <ATen/ATen.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/core/InferenceMode.h>
#include <c10/util/complex.h>

// TORCH_VERSION_MAJOR / TORCH_VERSION_MINOR, and the check of the LibTorch version
#include "../version.hpp"

#define XTT_TORCH_AT_LEAST(major, minor) \
    (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

// Reads through const_data_ptr() do not materialise copy-on-write storage.
#define XTT_HAS_CONST_DATA_PTR XTT_TORCH_AT_LEAST(2, 1)
// Copy-on-write storages (at::_lazy_clone).
#define XTT_HAS_COW XTT_TORCH_AT_LEAST(2, 2)
// Dtypes that only newer LibTorch versions have.
#define XTT_HAS_FLOAT8 XTT_TORCH_AT_LEAST(2, 1)
#define XTT_HAS_FLOAT8_FNUZ XTT_TORCH_AT_LEAST(2, 2)
#define XTT_HAS_WIDE_UNSIGNED XTT_TORCH_AT_LEAST(2, 3)
#define XTT_HAS_FLOAT8_E8M0 XTT_TORCH_AT_LEAST(2, 7)

#endif
