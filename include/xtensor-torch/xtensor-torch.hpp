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

#endif
