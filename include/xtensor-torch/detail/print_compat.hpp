// Stream output for the LibTorch element types that LibTorch itself leaves
// unprintable, so that xtensor's `<<` prints views and copies of every dtype.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_PRINT_COMPAT_HPP
#define XTENSOR_TORCH_DETAIL_PRINT_COMPAT_HPP

#include <complex>
#include <ostream>

#include "torch_compat.hpp"

// xtensor prints an element type it does not know with `stream << value`.
// Some LibTorch versions have no operator<< for c10::BFloat16 (the call is then
// ambiguous between the conversions to float and to other arithmetic types),
// and c10's operator<< for c10::complex<T> converts to std::complex<T>, which
// does not compile for T = c10::Half. Both overloads below are templates on the
// stream, found by argument-dependent lookup: a non-template overload that a
// LibTorch version declares for the same type is preferred to them, and the
// complex<Half> one is more specialised than c10's complex<T> template.
namespace c10
{
    template <class CharT, class Traits>
    std::basic_ostream<CharT, Traits>& operator<<(std::basic_ostream<CharT, Traits>& os, const BFloat16& value)
    {
        return os << static_cast<float>(value);
    }

    template <class CharT, class Traits>
    std::basic_ostream<CharT, Traits>& operator<<(std::basic_ostream<CharT, Traits>& os, const complex<Half>& value)
    {
        return os << std::complex<float>(static_cast<float>(value.real()), static_cast<float>(value.imag()));
    }
}

#endif
