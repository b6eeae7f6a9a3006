// Random cases typed complex32, complex64, complex128.
// SPDX-License-Identifier: BSD-3-Clause
#include "ops.hpp"

#define XTT_RANDOM_COMPLEX(X)                                   \
    X(c10::complex<c10::Half>, at::kComplexHalf, "", "")        \
    X(std::complex<float>, at::kComplexFloat, "", "")           \
    X(std::complex<double>, at::kComplexDouble, "", "")

XTT_RANDOM_GROUP(run_complex, XTT_RANDOM_COMPLEX)
