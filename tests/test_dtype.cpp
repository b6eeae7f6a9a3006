// Tests of dtype.hpp: the C++ type <-> dtype map, names, and xtt::visit.
// SPDX-License-Identifier: BSD-3-Clause
#include "support/common.hpp"

using namespace xtt_test;

static_assert(xtt::scalar_type_v<bool> == at::kBool);
static_assert(xtt::scalar_type_v<std::uint8_t> == at::kByte);
static_assert(xtt::scalar_type_v<std::int8_t> == at::kChar);
static_assert(xtt::scalar_type_v<std::int16_t> == at::kShort);
static_assert(xtt::scalar_type_v<std::int32_t> == at::kInt);
static_assert(xtt::scalar_type_v<std::int64_t> == at::kLong);
static_assert(xtt::scalar_type_v<long long> == at::kLong);
static_assert(xtt::scalar_type_v<long> == at::kLong);
static_assert(xtt::scalar_type_v<c10::Half> == at::kHalf);
static_assert(xtt::scalar_type_v<c10::BFloat16> == at::kBFloat16);
static_assert(xtt::scalar_type_v<float> == at::kFloat);
static_assert(xtt::scalar_type_v<const double> == at::kDouble);
static_assert(xtt::scalar_type_v<std::complex<float>> == at::kComplexFloat);
static_assert(xtt::scalar_type_v<c10::complex<float>> == at::kComplexFloat);
static_assert(xtt::scalar_type_v<std::complex<double>> == at::kComplexDouble);
static_assert(xtt::scalar_type_v<c10::complex<double>> == at::kComplexDouble);
static_assert(xtt::scalar_type_v<c10::complex<c10::Half>> == at::kComplexHalf);
static_assert(!xtt::has_scalar_type_v<char>, "plain char has no fixed signedness");
static_assert(!xtt::has_scalar_type_v<long double>);
static_assert(!xtt::has_scalar_type_v<std::complex<long double>>);
static_assert(!xtt::has_scalar_type_v<void*>);
#if !XTT_HAS_WIDE_UNSIGNED
static_assert(!xtt::has_scalar_type_v<std::uint32_t>, "uint32 arrived in LibTorch 2.3");
#endif
static_assert(std::is_same_v<xtt::cpp_type_t<at::kComplexFloat>, std::complex<float>>);
static_assert(std::is_same_v<xtt::cpp_type_t<at::kHalf>, c10::Half>);
static_assert(std::is_same_v<xtt::cpp_type_t<at::kLong>, std::int64_t>);

template <class T>
class dtype_typed : public ::testing::Test
{
};
XTT_TYPED_TEST_SUITE(dtype_typed, all_element_types);

TYPED_TEST(dtype_typed, round_trips_through_cpp_type)
{
    using T = TypeParam;
    constexpr at::ScalarType s = xtt::scalar_type_v<T>;
    using U = xtt::cpp_type_t<s>;
    static_assert(xtt::scalar_type_v<U> == s);
    static_assert(sizeof(U) == sizeof(T));
    EXPECT_EQ(c10::elementSize(s), sizeof(T));
    EXPECT_TRUE(xtt::is_supported_dtype(s));
}

TEST(dtype, names_are_pytorchs)
{
    EXPECT_EQ(xtt::dtype_name(at::kFloat), "float32");
    EXPECT_EQ(xtt::dtype_name(at::kDouble), "float64");
    EXPECT_EQ(xtt::dtype_name(at::kHalf), "float16");
    EXPECT_EQ(xtt::dtype_name(at::kBFloat16), "bfloat16");
    EXPECT_EQ(xtt::dtype_name(at::kLong), "int64");
    EXPECT_EQ(xtt::dtype_name(at::kByte), "uint8");
    EXPECT_EQ(xtt::dtype_name(at::kBool), "bool");
    EXPECT_EQ(xtt::dtype_name(at::kComplexHalf), "complex32");
    EXPECT_EQ(xtt::dtype_name(at::kComplexFloat), "complex64");
    EXPECT_EQ(xtt::dtype_name(at::kComplexDouble), "complex128");
    EXPECT_EQ(xtt::dtype_name(at::kQInt8), "qint8");
    EXPECT_EQ(xtt::dtype_constant(at::kFloat), "torch::kFloat32");
    EXPECT_EQ(xtt::dtype_constant(at::kComplexDouble), "torch::kComplexDouble");
    EXPECT_FALSE(xtt::is_supported_dtype(at::kQInt8));
}

TEST(dtype, visit_hands_out_a_view_of_the_runtime_dtype)
{
    const std::vector<at::ScalarType> dtypes = {at::kBool, at::kByte, at::kChar, at::kShort, at::kInt,
                                                at::kLong, at::kHalf, at::kBFloat16, at::kFloat, at::kDouble,
                                                at::kComplexHalf, at::kComplexFloat, at::kComplexDouble};
    for (const at::ScalarType s : dtypes)
    {
        SCOPED_TRACE(std::string(xtt::dtype_name(s)));
        at::Tensor t = iota({2, 3}, s).t();
        const auto seen = xtt::visit(t, [&](auto v) {
            using V = decltype(v);
            EXPECT_EQ(xtt::scalar_type_v<typename V::value_type>, s);
            EXPECT_TRUE(values_equal(v, t));
            v(2, 1) = different(v(2, 1));  // a mutable view of t's memory
            return xtt::scalar_type_v<typename V::value_type>;
        });
        EXPECT_EQ(seen, s);
        EXPECT_FALSE(tensors_equal(t, iota({2, 3}, s).t()));
    }
}

TEST(dtype, visit_read_only_reads_overlapping_tensors)
{
    const at::Tensor t = iota({1, 3}, at::kFloat).expand({4, 3});
    const double sum = xtt::visit<xtt::access::read_only>(t, [](auto v) {
        static_assert(std::is_const_v<std::remove_reference_t<typename decltype(v)::reference>>);
        double s = 0;
        for (auto x : v)
        {
            s += as_complex(x).real();
        }
        return s;
    });
    EXPECT_EQ(sum, 12.0);
    EXPECT_CONVERSION_ERROR(xtt::visit(t, [](auto) {}), "overlap", "xtt::stage::contiguous");
}

TEST(dtype, visit_refuses_what_view_refuses)
{
    EXPECT_CONVERSION_ERROR(xtt::visit(at::Tensor(), [](auto) {}), "undefined");
    const at::Tensor q = at::quantize_per_tensor(iota({4}, at::kFloat), 0.5, 0, at::kQInt8);
    EXPECT_CONVERSION_ERROR(xtt::visit(q, [](auto) {}), "quantized", ".dequantize()");
    EXPECT_CONVERSION_ERROR(xtt::visit(iota({2}, at::kFloat).requires_grad_(), [](auto) {}), "xtt::stage::detach");
    EXPECT_NO_THROW(xtt::visit(iota({2}, at::kFloat).requires_grad_(), [](auto) {}, xtt::stage::detach));
}

/*
 * Printing: every element type visit hands out prints through xtensor's <<.
 */
TYPED_TEST(dtype_typed, views_and_copies_print_through_xtensor)
{
    using T = TypeParam;
    const at::Tensor t = iota({2, 3}, dtype_of<T>);
    std::ostringstream view_text;
    view_text << xtt::view<const T, 2>(t);
    EXPECT_NE(view_text.str().find('{'), std::string::npos) << view_text.str();
    std::ostringstream copy_text;
    copy_text << xtt::to_xarray<T>(t);
    EXPECT_EQ(copy_text.str(), view_text.str());
    // the last element (5, true, or 32 for float8_e8m0fnu) is printed
    const std::complex<double> last = element(t, {1, 2});
    const std::string expected = std::is_same_v<T, bool> ? "true" : std::to_string(static_cast<int>(last.real()));
    EXPECT_NE(view_text.str().find(expected), std::string::npos) << view_text.str();
}

TEST(dtype, visit_prints_every_dtype)
{
    for (const at::ScalarType s : {at::kBool, at::kByte, at::kChar, at::kShort, at::kInt, at::kLong, at::kHalf,
                                   at::kBFloat16, at::kFloat, at::kDouble, at::kComplexHalf, at::kComplexFloat,
                                   at::kComplexDouble})
    {
        SCOPED_TRACE(std::string(xtt::dtype_name(s)));
        std::ostringstream os;
        xtt::visit(iota({3}, s), [&](auto v) { os << v; });
        EXPECT_EQ(os.str().front(), '{') << os.str();
    }
}
