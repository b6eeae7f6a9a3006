// xtensor-torch's version; including it also checks the LibTorch and xtensor
// versions (LibTorch 1.13 or newer, xtensor 0.24 or newer).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_VERSION_HPP
#define XTENSOR_TORCH_VERSION_HPP

// Hand-written, read by CMakeLists.txt: keep the three lines in this form.
#define XTENSOR_TORCH_VERSION_MAJOR 0
#define XTENSOR_TORCH_VERSION_MINOR 2
#define XTENSOR_TORCH_VERSION_PATCH 0

#include "detail/config.hpp"

#endif
