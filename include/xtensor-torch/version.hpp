// xtensor-torch's version, and the check that the LibTorch and xtensor found
// are ones it supports (LibTorch 1.13 or newer, xtensor 0.24 or newer). It
// includes only their version headers, so it costs nothing to include.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_VERSION_HPP
#define XTENSOR_TORCH_VERSION_HPP

// Hand-written, read by CMakeLists.txt: keep the three lines in this form.
#define XTENSOR_TORCH_VERSION_MAJOR 0
#define XTENSOR_TORCH_VERSION_MINOR 2
#define XTENSOR_TORCH_VERSION_PATCH 0

// TORCH_VERSION_MAJOR / TORCH_VERSION_MINOR; the header sits in LibTorch's
// C++ API include directory, which find_package(Torch) puts on the path.
#include <torch/version.h>

#if !defined(TORCH_VERSION_MAJOR) || !defined(TORCH_VERSION_MINOR)
#error "xtensor-torch: torch/version.h was not found; add LibTorch's include directories (find_package(Torch) does)"
#elif TORCH_VERSION_MAJOR < 1 || (TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR < 13)
#error "xtensor-torch needs LibTorch 1.13 or newer"
#endif

// XTENSOR_VERSION_MAJOR / _MINOR, at xtensor 0.26's path or the flat 0.24 / 0.25 one.
#if __has_include(<xtensor/core/xtensor_config.hpp>)
#include <xtensor/core/xtensor_config.hpp>
#else
#include <xtensor/xtensor_config.hpp>
#endif

#if XTENSOR_VERSION_MAJOR == 0 && XTENSOR_VERSION_MINOR < 24
#error "xtensor-torch needs xtensor 0.24 or newer"
#endif

#endif
