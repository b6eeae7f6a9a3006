// The xtensor headers xtensor-torch needs, and its users' expressions most
// often do (containers, math, printing), at their 0.26 / 0.27 paths or at the
// flat 0.24 / 0.25 ones (version.hpp checks which versions).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_XTENSOR_COMPAT_HPP
#define XTENSOR_TORCH_DETAIL_XTENSOR_COMPAT_HPP

#if __has_include(<xtensor/containers/xarray.hpp>)
#include <xtensor/containers/xarray.hpp>
#include <xtensor/containers/xbuffer_adaptor.hpp>
#include <xtensor/containers/xcontainer.hpp>
#include <xtensor/containers/xstorage.hpp>
#include <xtensor/containers/xtensor.hpp>
#include <xtensor/core/xassign.hpp>
#include <xtensor/core/xexpression.hpp>
#include <xtensor/core/xfunction.hpp>
#include <xtensor/core/xlayout.hpp>
#include <xtensor/core/xmath.hpp>
#include <xtensor/core/xnoalias.hpp>
#include <xtensor/core/xsemantic.hpp>
#include <xtensor/core/xstrides.hpp>
#include <xtensor/core/xtensor_config.hpp>
#include <xtensor/io/xio.hpp>
#else
#include <xtensor/xarray.hpp>
#include <xtensor/xassign.hpp>
#include <xtensor/xbuffer_adaptor.hpp>
#include <xtensor/xcontainer.hpp>
#include <xtensor/xexpression.hpp>
#include <xtensor/xfunction.hpp>
#include <xtensor/xio.hpp>
#include <xtensor/xlayout.hpp>
#include <xtensor/xmath.hpp>
#include <xtensor/xnoalias.hpp>
#include <xtensor/xsemantic.hpp>
#include <xtensor/xstorage.hpp>
#include <xtensor/xstrides.hpp>
#include <xtensor/xtensor.hpp>
#include <xtensor/xtensor_config.hpp>
#endif

#include "../version.hpp"  // checks the xtensor version

#endif
