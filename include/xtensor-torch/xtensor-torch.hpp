// xtensor-torch: LibTorch tensors as xtensor expressions and back. Includes
// every header but eigen.hpp, which needs Eigen.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_HPP
#define XTENSOR_TORCH_HPP

#include "version.hpp"
#include "dtype.hpp"
#include "error.hpp"
#include "stage.hpp"
#include "view.hpp"
#include "convert.hpp"
#include "edit.hpp"

/**
 * @namespace xtt
 * @brief xtensor-torch: LibTorch tensors as xtensor expressions (xtt::view,
 * xtt::visit), owning copies (xtt::to_xarray, xtt::copy_to), and the way back
 * (xtt::to_torch, xtt::as_tensor), with every copy named by a staging flag
 * (xtt::stage) and every refusal an xtt::conversion_error.
 */

#endif
