// The Eigen headers xtensor-torch's Eigen maps need (dense and sparse core),
// and Eigen's half-precision types in the dtype map.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_EIGEN_COMPAT_HPP
#define XTENSOR_TORCH_DETAIL_EIGEN_COMPAT_HPP

#include <Eigen/Core>
#include <Eigen/SparseCore>

#include "config.hpp"
#include "../dtype.hpp"

#if !EIGEN_VERSION_AT_LEAST(3, 3, 0)
#error "xtensor-torch's Eigen support needs Eigen 3.3 or newer"
#endif

// Eigen::bfloat16 arrived in Eigen 3.4.
#if EIGEN_VERSION_AT_LEAST(3, 4, 0)
#define XTT_HAS_EIGEN_BFLOAT16 1
#else
#define XTT_HAS_EIGEN_BFLOAT16 0
#endif

XTT_NAMESPACE_BEGIN

namespace detail
{
    // Layout-compatible with c10::Half / c10::BFloat16: 2 bytes, the same bits.
    static_assert(sizeof(Eigen::half) == 2, "Eigen::half is not 2 bytes");
    template <>
    struct scalar_type_of_impl<Eigen::half> : scalar_type_constant<at::kHalf>
    {
    };
#if XTT_HAS_EIGEN_BFLOAT16
    static_assert(sizeof(Eigen::bfloat16) == 2, "Eigen::bfloat16 is not 2 bytes");
    template <>
    struct scalar_type_of_impl<Eigen::bfloat16> : scalar_type_constant<at::kBFloat16>
    {
    };
#endif
}

XTT_NAMESPACE_END

#endif
