// Included after the library's headers by test files built with
// XTENSOR_TORCH_SEPARATE_KERNELS=1 (XTENSOR_TORCH_TEST_SEPARATE_KERNELS): what
// that mode is for is that the headers declare the permuted-copy kernels and
// compile none of them; one file of each binary includes kernels.hpp
// (tests/test_convert.cpp, tests/random/driver.cpp).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_TESTS_NO_KERNELS_HPP
#define XTENSOR_TORCH_TESTS_NO_KERNELS_HPP

#if XTENSOR_TORCH_SEPARATE_KERNELS && defined(XTENSOR_TORCH_DETAIL_TRANSPOSE_HPP)
#error "with XTENSOR_TORCH_SEPARATE_KERNELS=1, xtensor-torch.hpp must not compile the permuted-copy kernels"
#endif

#endif
