// Eigen's (unsupported, heavy) Tensor module, for xtt::eigen::tensor_map.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_EIGEN_TENSOR_COMPAT_HPP
#define XTENSOR_TORCH_DETAIL_EIGEN_TENSOR_COMPAT_HPP

#include "eigen_compat.hpp"

#include <unsupported/Eigen/CXX11/Tensor>

#endif
