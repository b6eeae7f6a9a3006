// version.hpp on its own: the version macros and the checks of the LibTorch
// and xtensor versions, without ATen, xtensor's containers or the rest of
// xtensor-torch. Compiled without the tests' precompiled header.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/version.hpp>

#if defined(XTENSOR_TORCH_DETAIL_CONFIG_HPP) || defined(XTENSOR_TORCH_DETAIL_TORCH_COMPAT_HPP)
#error "version.hpp includes the rest of xtensor-torch"
#endif
#if defined(AT_FORALL_SCALAR_TYPES) || defined(XTENSOR_ARRAY_HPP)
#error "version.hpp includes ATen or xtensor's containers"
#endif

static_assert(XTENSOR_TORCH_VERSION_MAJOR >= 0 && XTENSOR_TORCH_VERSION_MINOR >= 0 && XTENSOR_TORCH_VERSION_PATCH >= 0,
              "the version macros are numbers");
static_assert(TORCH_VERSION_MAJOR >= 1 && XTENSOR_VERSION_MINOR >= 0, "the LibTorch and xtensor versions are known");
