// The compile-time C++ type <-> c10::ScalarType map and the names of dtypes.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DTYPE_HPP
#define XTENSOR_TORCH_DTYPE_HPP

#include <complex>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "detail/config.hpp"
#include "detail/print_compat.hpp"

XTT_NAMESPACE_BEGIN

namespace detail
{
    template <at::ScalarType S>
    using scalar_type_constant = std::integral_constant<at::ScalarType, S>;

    template <class T, class = void>
    struct scalar_type_of_impl
    {
    };

    template <>
    struct scalar_type_of_impl<bool> : scalar_type_constant<at::kBool>
    {
    };

    // Every integer type maps by size and signedness, so `long long` and `long`
    // both find int64. Plain `char` has no fixed signedness and maps to nothing.
    template <class T>
    struct integer_scalar_type
    {
    };
    template <> struct integer_scalar_type<std::int8_t> : scalar_type_constant<at::kChar> {};
    template <> struct integer_scalar_type<std::int16_t> : scalar_type_constant<at::kShort> {};
    template <> struct integer_scalar_type<std::int32_t> : scalar_type_constant<at::kInt> {};
    template <> struct integer_scalar_type<std::int64_t> : scalar_type_constant<at::kLong> {};
    template <> struct integer_scalar_type<std::uint8_t> : scalar_type_constant<at::kByte> {};
#if XTT_HAS_WIDE_UNSIGNED
    template <> struct integer_scalar_type<std::uint16_t> : scalar_type_constant<at::ScalarType::UInt16> {};
    template <> struct integer_scalar_type<std::uint32_t> : scalar_type_constant<at::ScalarType::UInt32> {};
    template <> struct integer_scalar_type<std::uint64_t> : scalar_type_constant<at::ScalarType::UInt64> {};
#endif

    template <std::size_t Size, bool Signed>
    struct fixed_width_integer;
    template <> struct fixed_width_integer<1, true> { using type = std::int8_t; };
    template <> struct fixed_width_integer<2, true> { using type = std::int16_t; };
    template <> struct fixed_width_integer<4, true> { using type = std::int32_t; };
    template <> struct fixed_width_integer<8, true> { using type = std::int64_t; };
    template <> struct fixed_width_integer<1, false> { using type = std::uint8_t; };
    template <> struct fixed_width_integer<2, false> { using type = std::uint16_t; };
    template <> struct fixed_width_integer<4, false> { using type = std::uint32_t; };
    template <> struct fixed_width_integer<8, false> { using type = std::uint64_t; };

    template <class T>
    struct scalar_type_of_impl<
        T,
        std::enable_if_t<std::is_integral_v<T> && !std::is_same_v<T, bool> && !std::is_same_v<T, char>
                         && !std::is_same_v<T, wchar_t> && !std::is_same_v<T, char16_t>
                         && !std::is_same_v<T, char32_t>>>
        : integer_scalar_type<typename fixed_width_integer<sizeof(T), std::is_signed_v<T>>::type>
    {
    };

    template <> struct scalar_type_of_impl<c10::Half> : scalar_type_constant<at::kHalf> {};
    template <> struct scalar_type_of_impl<c10::BFloat16> : scalar_type_constant<at::kBFloat16> {};
    template <> struct scalar_type_of_impl<float> : scalar_type_constant<at::kFloat> {};
    template <> struct scalar_type_of_impl<double> : scalar_type_constant<at::kDouble> {};
    template <> struct scalar_type_of_impl<c10::complex<c10::Half>> : scalar_type_constant<at::kComplexHalf> {};
    template <> struct scalar_type_of_impl<c10::complex<float>> : scalar_type_constant<at::kComplexFloat> {};
    template <> struct scalar_type_of_impl<c10::complex<double>> : scalar_type_constant<at::kComplexDouble> {};
    template <> struct scalar_type_of_impl<std::complex<float>> : scalar_type_constant<at::kComplexFloat> {};
    template <> struct scalar_type_of_impl<std::complex<double>> : scalar_type_constant<at::kComplexDouble> {};
#if XTT_HAS_FLOAT8
    template <> struct scalar_type_of_impl<c10::Float8_e5m2> : scalar_type_constant<at::ScalarType::Float8_e5m2> {};
    template <> struct scalar_type_of_impl<c10::Float8_e4m3fn> : scalar_type_constant<at::ScalarType::Float8_e4m3fn> {};
#endif
#if XTT_HAS_FLOAT8_FNUZ
    template <> struct scalar_type_of_impl<c10::Float8_e5m2fnuz> : scalar_type_constant<at::ScalarType::Float8_e5m2fnuz> {};
    template <> struct scalar_type_of_impl<c10::Float8_e4m3fnuz> : scalar_type_constant<at::ScalarType::Float8_e4m3fnuz> {};
#endif
#if XTT_HAS_FLOAT8_E8M0
    template <> struct scalar_type_of_impl<c10::Float8_e8m0fnu> : scalar_type_constant<at::ScalarType::Float8_e8m0fnu> {};
#endif

    template <class T, class = void>
    struct has_scalar_type : std::false_type
    {
    };

    template <class T>
    struct has_scalar_type<T, std::void_t<decltype(scalar_type_of_impl<T>::value)>> : std::true_type
    {
    };
}

/**
 * @brief The LibTorch dtype of the C++ element type `T` (cv-qualifiers ignored).
 *
 * Defines `value` (a `c10::ScalarType`) for every type LibTorch stores on the
 * CPU: `bool`, every fixed-width integer (by size and signedness, so `long long`
 * is int64), `c10::Half`, `c10::BFloat16`, `float`, `double`, and complex numbers
 * as either `std::complex<T>` or `c10::complex<T>`; newer dtypes (unsigned 16/32/64,
 * float8) where the LibTorch version has them. Has no `value` for other types.
 * @tparam T the C++ element type.
 */
template <class T>
struct scalar_type_of : detail::scalar_type_of_impl<std::remove_cv_t<T>>
{
};

/// @brief Whether `T` has a LibTorch dtype (see scalar_type_of).
template <class T>
inline constexpr bool has_scalar_type_v = detail::has_scalar_type<std::remove_cv_t<T>>::value;

/// @brief The LibTorch dtype of `T`, e.g. `scalar_type_v<float> == at::kFloat`.
template <class T>
inline constexpr at::ScalarType scalar_type_v = scalar_type_of<T>::value;

/**
 * @brief The C++ element type xtensor-torch uses for a runtime dtype: the one
 * xtt::visit hands out. Complex dtypes map to `std::complex<T>` (except complex32,
 * which is `c10::complex<c10::Half>`), half precision to `c10::Half` and
 * `c10::BFloat16`.
 * @tparam S a `c10::ScalarType` that LibTorch can hold on the CPU.
 */
template <at::ScalarType S>
struct cpp_type;

/// @brief `cpp_type<S>::type`.
template <at::ScalarType S>
using cpp_type_t = typename cpp_type<S>::type;

// X(C++ type, ScalarType, PyTorch name, C++ constant)
#define XTT_FOR_EACH_CORE_DTYPE(X)                                                          \
    X(bool, at::kBool, "bool", "torch::kBool")                                              \
    X(std::uint8_t, at::kByte, "uint8", "torch::kUInt8")                                    \
    X(std::int8_t, at::kChar, "int8", "torch::kInt8")                                       \
    X(std::int16_t, at::kShort, "int16", "torch::kInt16")                                   \
    X(std::int32_t, at::kInt, "int32", "torch::kInt32")                                     \
    X(std::int64_t, at::kLong, "int64", "torch::kInt64")                                    \
    X(c10::Half, at::kHalf, "float16", "torch::kFloat16")                                   \
    X(c10::BFloat16, at::kBFloat16, "bfloat16", "torch::kBFloat16")                         \
    X(float, at::kFloat, "float32", "torch::kFloat32")                                      \
    X(double, at::kDouble, "float64", "torch::kFloat64")                                    \
    X(c10::complex<c10::Half>, at::kComplexHalf, "complex32", "torch::kComplexHalf")        \
    X(std::complex<float>, at::kComplexFloat, "complex64", "torch::kComplexFloat")          \
    X(std::complex<double>, at::kComplexDouble, "complex128", "torch::kComplexDouble")

#if XTT_HAS_WIDE_UNSIGNED
#define XTT_FOR_EACH_WIDE_UNSIGNED_DTYPE(X)                                                 \
    X(std::uint16_t, at::ScalarType::UInt16, "uint16", "torch::kUInt16")                    \
    X(std::uint32_t, at::ScalarType::UInt32, "uint32", "torch::kUInt32")                    \
    X(std::uint64_t, at::ScalarType::UInt64, "uint64", "torch::kUInt64")
#else
#define XTT_FOR_EACH_WIDE_UNSIGNED_DTYPE(X)
#endif

#if XTT_HAS_FLOAT8
#define XTT_FOR_EACH_FLOAT8_DTYPE(X)                                                                \
    X(c10::Float8_e5m2, at::ScalarType::Float8_e5m2, "float8_e5m2", "torch::kFloat8_e5m2")          \
    X(c10::Float8_e4m3fn, at::ScalarType::Float8_e4m3fn, "float8_e4m3fn", "torch::kFloat8_e4m3fn")
#else
#define XTT_FOR_EACH_FLOAT8_DTYPE(X)
#endif

#if XTT_HAS_FLOAT8_FNUZ
#define XTT_FOR_EACH_FLOAT8_FNUZ_DTYPE(X)                                                                   \
    X(c10::Float8_e5m2fnuz, at::ScalarType::Float8_e5m2fnuz, "float8_e5m2fnuz", "torch::kFloat8_e5m2fnuz")  \
    X(c10::Float8_e4m3fnuz, at::ScalarType::Float8_e4m3fnuz, "float8_e4m3fnuz", "torch::kFloat8_e4m3fnuz")
#else
#define XTT_FOR_EACH_FLOAT8_FNUZ_DTYPE(X)
#endif

#if XTT_HAS_FLOAT8_E8M0
#define XTT_FOR_EACH_FLOAT8_E8M0_DTYPE(X) \
    X(c10::Float8_e8m0fnu, at::ScalarType::Float8_e8m0fnu, "float8_e8m0fnu", "torch::kFloat8_e8m0fnu")
#else
#define XTT_FOR_EACH_FLOAT8_E8M0_DTYPE(X)
#endif

/// Every dtype xtensor-torch can view: the core ones, then those only newer
/// LibTorch versions have (wide unsigned, float8 kinds). Not
/// here, so refused with a message: the packed sub-byte dtypes
/// (float4_e2m1fn_x2, uint1..7, int1..7) and the bits dtypes, which have no
/// element type one can compute with.
#define XTT_FOR_EACH_DTYPE(X)              \
    XTT_FOR_EACH_CORE_DTYPE(X)             \
    XTT_FOR_EACH_WIDE_UNSIGNED_DTYPE(X)    \
    XTT_FOR_EACH_FLOAT8_DTYPE(X)           \
    XTT_FOR_EACH_FLOAT8_FNUZ_DTYPE(X)      \
    XTT_FOR_EACH_FLOAT8_E8M0_DTYPE(X)

#define XTT_DEFINE_CPP_TYPE(T, S, NAME, CONSTANT) \
    template <>                                   \
    struct cpp_type<S>                            \
    {                                             \
        using type = T;                           \
    };
XTT_FOR_EACH_DTYPE(XTT_DEFINE_CPP_TYPE)
#undef XTT_DEFINE_CPP_TYPE

/**
 * @brief PyTorch's name of a dtype, as Python prints it without `torch.`:
 * "float32", "int64", "complex64", "bfloat16", ...
 * @param s any `c10::ScalarType`, also those xtensor-torch cannot view.
 */
inline std::string_view dtype_name(at::ScalarType s) noexcept
{
    switch (s)
    {
#define XTT_DTYPE_NAME_CASE(T, S, NAME, CONSTANT) \
    case S:                                       \
        return NAME;
        XTT_FOR_EACH_DTYPE(XTT_DTYPE_NAME_CASE)
#undef XTT_DTYPE_NAME_CASE
        case at::kQInt8:
            return "qint8";
        case at::kQUInt8:
            return "quint8";
        case at::kQInt32:
            return "qint32";
        case at::kQUInt4x2:
            return "quint4x2";
        default:
            return c10::toString(s);
    }
}

/**
 * @brief The C++ constant that names a dtype, e.g. "torch::kFloat32", for
 * messages that tell the user what to write.
 * @param s any `c10::ScalarType`.
 */
inline std::string_view dtype_constant(at::ScalarType s) noexcept
{
    switch (s)
    {
#define XTT_DTYPE_CONSTANT_CASE(T, S, NAME, CONSTANT) \
    case S:                                           \
        return CONSTANT;
        XTT_FOR_EACH_DTYPE(XTT_DTYPE_CONSTANT_CASE)
#undef XTT_DTYPE_CONSTANT_CASE
        default:
            return c10::toString(s);
    }
}

/// @brief Whether xtensor-torch has a C++ element type for the runtime dtype `s`.
inline bool is_supported_dtype(at::ScalarType s) noexcept
{
    switch (s)
    {
#define XTT_DTYPE_SUPPORTED_CASE(T, S, NAME, CONSTANT) case S:
        XTT_FOR_EACH_DTYPE(XTT_DTYPE_SUPPORTED_CASE)
#undef XTT_DTYPE_SUPPORTED_CASE
        return true;
        default:
            return false;
    }
}

namespace detail
{
    template <class T>
    struct type_tag
    {
        using type = T;
    };

    // Calls f(type_tag<cpp_type_t<s>>{}) for a supported dtype, else
    // unsupported(). Both must return the same type.
    template <class F, class U>
    decltype(auto) dispatch_dtype(at::ScalarType s, F&& f, U&& unsupported)
    {
        switch (s)
        {
#define XTT_DISPATCH_CASE(T, S, NAME, CONSTANT) \
    case S:                                     \
        return std::forward<F>(f)(type_tag<T>{});
            XTT_FOR_EACH_DTYPE(XTT_DISPATCH_CASE)
#undef XTT_DISPATCH_CASE
            default:
                return std::forward<U>(unsupported)();
        }
    }
}

XTT_NAMESPACE_END

#endif
