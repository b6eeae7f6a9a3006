// The xtensor headers the tests, examples and benchmarks use, at their 0.26 /
// 0.27 paths or at the flat 0.24 / 0.25 ones, chosen the way the library
// chooses them (detail/xtensor_compat.hpp), so that one build never mixes two
// xtensor releases.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_TESTS_XTENSOR_HEADERS_HPP
#define XTENSOR_TORCH_TESTS_XTENSOR_HEADERS_HPP

#if __has_include(<xtensor/containers/xarray.hpp>)
#include <xtensor/containers/xadapt.hpp>
#include <xtensor/containers/xarray.hpp>
#include <xtensor/containers/xfixed.hpp>
#include <xtensor/containers/xtensor.hpp>
#include <xtensor/core/xmath.hpp>
#include <xtensor/core/xnoalias.hpp>
#include <xtensor/generators/xbuilder.hpp>
#include <xtensor/generators/xrandom.hpp>
#include <xtensor/io/xio.hpp>
#include <xtensor/misc/xmanipulation.hpp>
#include <xtensor/views/xstrided_view.hpp>
#include <xtensor/views/xview.hpp>
#if XTENSOR_VERSION_MAJOR == 0 && XTENSOR_VERSION_MINOR < 26
#error "xtensor's 0.26 header layout with an older xtensor version: two xtensor releases are on the include path"
#endif
#else
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xfixed.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xmanipulation.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xrandom.hpp>
#include <xtensor/xstrided_view.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xview.hpp>
#if XTENSOR_VERSION_MAJOR == 0 && XTENSOR_VERSION_MINOR >= 26
#error "xtensor's flat 0.24 header layout with a newer xtensor version: two xtensor releases are on the include path"
#endif
#endif

#endif
