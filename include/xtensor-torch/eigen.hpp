// xtensor-torch's Eigen support: dense maps and copies both ways
// (eigen/dense.hpp), sparse CSR/CSC maps (eigen/sparse.hpp) and TensorMaps
// (eigen/tensor.hpp). Needs Eigen 3.3 or newer; not in xtensor-torch.hpp.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_EIGEN_HPP
#define XTENSOR_TORCH_EIGEN_HPP

#include "eigen/dense.hpp"
#include "eigen/sparse.hpp"
#include "eigen/tensor.hpp"

/**
 * @namespace xtt::eigen
 * @brief Eigen maps of tensors: dense (xtt::eigen::map, map_vector), tensor
 * (tensor_map) and sparse (sparse_map). The conversions back to torch
 * (xtt::to_torch, xtt::as_tensor of Eigen objects) are in namespace xtt.
 */

#endif
