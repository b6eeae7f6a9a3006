// The permuted-copy kernels, compiled once: for programs built with
// XTENSOR_TORCH_SEPARATE_KERNELS=1, include this header in exactly one source
// file (and nothing else need be in it).
//
// Every file that can make a copy (a conversion with a policy, to_xarray,
// copy_to) otherwise compiles the kernels of the element sizes it converts
// itself, about 2 s a file for one (docs/performance.md, "Compile cost"). With the macro set for the whole program, those files
// only declare the kernels' entry point, and this file defines it. The copies
// are the same either way.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_KERNELS_HPP
#define XTENSOR_TORCH_KERNELS_HPP

#include "detail/config.hpp"

#if !XTENSOR_TORCH_SEPARATE_KERNELS
#error "xtensor-torch/kernels.hpp is for programs built with XTENSOR_TORCH_SEPARATE_KERNELS=1 (define it for every file of the program); without it, the headers compile the kernels themselves"
#endif

#include "detail/transpose.hpp"

#endif
