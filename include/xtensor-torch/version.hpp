// xtensor-torch version, and the LibTorch / xtensor versions it supports.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_VERSION_HPP
#define XTENSOR_TORCH_VERSION_HPP

// Hand-written, read by CMakeLists.txt: keep the three lines in this form.
#define XTENSOR_TORCH_VERSION_MAJOR 0
#define XTENSOR_TORCH_VERSION_MINOR 1
#define XTENSOR_TORCH_VERSION_PATCH 0

#include "detail/torch_compat.hpp"
#include "detail/xtensor_compat.hpp"

#if !defined(TORCH_VERSION_MAJOR) || !defined(TORCH_VERSION_MINOR)
#error "xtensor-torch: torch/version.h was not found; add LibTorch's include directories (find_package(Torch) does)"
#elif TORCH_VERSION_MAJOR < 1 || (TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR < 13)
#error "xtensor-torch needs LibTorch 1.13 or newer"
#endif

#if XTENSOR_VERSION_MAJOR == 0 && XTENSOR_VERSION_MINOR < 24
#error "xtensor-torch needs xtensor 0.24 or newer"
#endif

#endif
