// The LibTorch headers xtensor-torch needs: ATen only, never <torch/torch.h>.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_TORCH_COMPAT_HPP
#define XTENSOR_TORCH_DETAIL_TORCH_COMPAT_HPP

#include <ATen/ATen.h>
#include <ATen/MemoryOverlap.h>
#include <ATen/Parallel.h>
#include <c10/core/GradMode.h>
#include <c10/util/complex.h>

// TORCH_VERSION_MAJOR / TORCH_VERSION_MINOR; the header sits in LibTorch's
// C++ API include directory, which find_package(Torch) puts on the path.
#include <torch/version.h>

#endif
