// What every xtensor-torch header starts from: the LibTorch and xtensor headers
// (through the compat headers), the language check, the namespace macros.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_CONFIG_HPP
#define XTENSOR_TORCH_DETAIL_CONFIG_HPP

#if __cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L)
#error "xtensor-torch needs C++17 or newer"
#endif

#include "../version.hpp"
#include "torch_compat.hpp"
#include "xtensor_compat.hpp"

#define XTT_CONCAT_IMPL(a, b, c, d) a##b##c##d
#define XTT_CONCAT(a, b, c, d) XTT_CONCAT_IMPL(a, b, c, d)

// Versioned inline namespace: two libraries that vendor different copies of
// xtensor-torch can link into one program; users still write `xtt::`.
#define XTT_ABI_NAMESPACE XTT_CONCAT(v, XTENSOR_TORCH_VERSION_MAJOR, _, XTENSOR_TORCH_VERSION_MINOR)
#define XTT_NAMESPACE_BEGIN \
    namespace xtt           \
    {                       \
    inline namespace XTT_ABI_NAMESPACE {
#define XTT_NAMESPACE_END \
    }                     \
    }

// Checks of a view's memory where xtensor reads and writes it (see
// tensor_view::valid): on in debug builds, unless the user decides.
#ifndef XTENSOR_TORCH_CHECK_VALIDITY
#ifdef NDEBUG
#define XTENSOR_TORCH_CHECK_VALIDITY 0
#else
#define XTENSOR_TORCH_CHECK_VALIDITY 1
#endif
#endif

// The permuted-copy kernels compiled once, in the one source file of the
// program that includes <xtensor-torch/kernels.hpp>, rather than in every
// file that can stage a copy: define it as 1 in every file of the program.
#ifndef XTENSOR_TORCH_SEPARATE_KERNELS
#define XTENSOR_TORCH_SEPARATE_KERNELS 0
#endif

#endif
