// Must not compile: kernels.hpp in a program built without
// XTENSOR_TORCH_SEPARATE_KERNELS (its files compile the kernels themselves).
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/kernels.hpp>
