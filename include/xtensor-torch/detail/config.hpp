// Namespace and helper macros shared by every xtensor-torch header.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_CONFIG_HPP
#define XTENSOR_TORCH_DETAIL_CONFIG_HPP

#include "../version.hpp"

#if __cplusplus < 201703L && (!defined(_MSVC_LANG) || _MSVC_LANG < 201703L)
#error "xtensor-torch needs C++17 or newer"
#endif

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

// LibTorch >= 2.1 reads tensors through const_data_ptr() without
// materialising copy-on-write storage.
#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 1)
#define XTT_HAS_CONST_DATA_PTR 1
#else
#define XTT_HAS_CONST_DATA_PTR 0
#endif

#endif
