// Shared test helpers: element types, a factory of tensor geometries,
// reference values from ATen, and the two assertions every test file uses.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_TESTS_COMMON_HPP
#define XTENSOR_TORCH_TESTS_COMMON_HPP

#include <complex>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <xtensor-torch/xtensor-torch.hpp>

#include "no_kernels.hpp"
#include "xtensor_headers.hpp"

namespace xtt_test
{
    /// Every element type the LibTorch version has on the CPU, with both spellings of complex.
    using all_element_types = ::testing::Types<bool,
                                               std::uint8_t,
                                               std::int8_t,
                                               std::int16_t,
                                               std::int32_t,
                                               std::int64_t,
                                               c10::Half,
                                               c10::BFloat16,
                                               float,
                                               double,
                                               std::complex<float>,
                                               std::complex<double>,
                                               c10::complex<float>,
                                               c10::complex<double>,
                                               c10::complex<c10::Half>
#if XTT_HAS_WIDE_UNSIGNED
                                               ,
                                               std::uint16_t,
                                               std::uint32_t,
                                               std::uint64_t
#endif
#if XTT_HAS_FLOAT8
                                               ,
                                               c10::Float8_e5m2,
                                               c10::Float8_e4m3fn
#endif
#if XTT_HAS_FLOAT8_FNUZ
                                               ,
                                               c10::Float8_e5m2fnuz,
                                               c10::Float8_e4m3fnuz
#endif
#if XTT_HAS_FLOAT8_E8M0
                                               ,
                                               c10::Float8_e8m0fnu
#endif
                                               >;

    template <class T>
    constexpr at::ScalarType dtype_of = xtt::scalar_type_v<T>;

    template <class T>
    struct is_c10_complex : std::false_type
    {
    };
    template <class T>
    struct is_c10_complex<c10::complex<T>> : std::true_type
    {
    };

    /// Typed-test names: the dtype, and which complex spelling ("float32", "c10_complex64").
    struct dtype_names
    {
        template <class T>
        static std::string GetName(int)
        {
            const std::string name(xtt::dtype_name(xtt::scalar_type_v<T>));
            return is_c10_complex<T>::value ? "c10_" + name : name;
        }
    };

    /// Calls f(std::integral_constant<std::size_t, rank>) for a rank 0..5.
    template <class F>
    void with_rank(std::int64_t rank, F&& f)
    {
        switch (rank)
        {
            case 0: return f(std::integral_constant<std::size_t, 0>{});
            case 1: return f(std::integral_constant<std::size_t, 1>{});
            case 2: return f(std::integral_constant<std::size_t, 2>{});
            case 3: return f(std::integral_constant<std::size_t, 3>{});
            case 4: return f(std::integral_constant<std::size_t, 4>{});
            case 5: return f(std::integral_constant<std::size_t, 5>{});
            default: FAIL() << "rank " << rank << " not covered";
        }
    }

    template <class T>
    struct is_complex : std::false_type
    {
    };
    template <class T>
    struct is_complex<std::complex<T>> : std::true_type
    {
    };
    template <class T>
    struct is_complex<c10::complex<T>> : std::true_type
    {
    };
    template <class T>
    inline constexpr bool is_complex_v = is_complex<std::remove_const_t<T>>::value;

    /// Any element as a complex double: the one type every value is compared in.
    template <class T>
    std::complex<double> as_complex(const T& x)
    {
        if constexpr (is_complex_v<T>)
        {
            return {static_cast<double>(static_cast<float>(x.real())), static_cast<double>(static_cast<float>(x.imag()))};
        }
        else if constexpr (std::is_same_v<T, bool>)
        {
            return {x ? 1.0 : 0.0, 0.0};
        }
        else
        {
            return {static_cast<double>(static_cast<float>(x)), 0.0};
        }
    }

    /// A value of T different from x, exact in every dtype (powers of two for float8_e8m0fnu).
    template <class T>
    T different(const T& x)
    {
        if constexpr (std::is_same_v<T, bool>)
        {
            return !x;
        }
        else if constexpr (is_complex_v<T>)
        {
            using R = std::decay_t<decltype(x.real())>;
            return T(R(static_cast<float>(x.real()) == 4.0f ? 8.0f : 4.0f), R(2.0f));
        }
        else
        {
            return T(static_cast<float>(x) == 4.0f ? 8.0f : 4.0f);
        }
    }

    /// Deterministic values: element k is k % 100 (imaginary part k % 7 + 1 for complex, k % 2 for bool,
    /// 2^(k % 8) for float8_e8m0fnu), rounded to the dtype.
    inline at::Tensor iota(c10::IntArrayRef sizes, at::ScalarType dtype)
    {
        std::int64_t numel = 1;
        for (auto s : sizes)
        {
            numel *= s;
        }
        at::Tensor k = at::arange(numel, at::kLong);
        at::Tensor values;
        if (dtype == at::kBool)
        {
            values = k.remainder(2).to(at::kBool);
        }
#if XTT_HAS_FLOAT8_E8M0
        else if (dtype == at::ScalarType::Float8_e8m0fnu)
        {
            // only powers of two, and no zero
            values = at::pow(2.0, k.remainder(8).to(at::kFloat)).to(dtype);
        }
#endif
        else if (c10::isComplexType(dtype))
        {
            values = at::complex(k.remainder(100).to(at::kFloat), (k.remainder(7) + 1).to(at::kFloat)).to(dtype);
        }
        else
        {
            values = k.remainder(100).to(dtype);
        }
        return values.reshape(sizes).clone();
    }

    /// A named tensor geometry.
    struct variant
    {
        std::string name;
        at::Tensor tensor;
        bool overlapping = false;  // elements share memory (expanded, unfolded)
    };

    inline at::Tensor column_major(const at::Tensor& t)
    {
        std::vector<std::int64_t> reverse;
        for (auto i = t.dim(); i-- > 0;)
        {
            reverse.push_back(i);
        }
        return t.permute(reverse).contiguous().permute(reverse);
    }

    /// Whether ATen itself calls t contiguous in column-major order.
    inline bool is_column_major(const at::Tensor& t)
    {
        std::vector<std::int64_t> reverse;
        for (auto i = t.dim(); i-- > 0;)
        {
            reverse.push_back(i);
        }
        return t.permute(reverse).is_contiguous();
    }

    /// Every geometry the library must handle, ranks 0..5, for one dtype.
    inline std::vector<variant> variants(at::ScalarType dtype)
    {
        auto v = [dtype](c10::IntArrayRef sizes) { return iota(sizes, dtype); };
        return {
            {"rank0", v({}), false},
            {"rank1", v({7}), false},
            {"rank2", v({3, 4}), false},
            {"rank3", v({2, 3, 4}), false},
            {"rank4", v({2, 3, 2, 3}), false},
            {"rank5", v({2, 1, 3, 2, 2}), false},
            {"size_one_dims", v({1, 3, 1}), false},
            {"transposed", v({3, 4}).t(), false},
            {"permuted3", v({2, 3, 4}).permute({2, 0, 1}), false},
            {"permuted5", v({2, 3, 1, 2, 2}).permute({4, 2, 0, 3, 1}), false},
            {"sliced_with_step", v({6, 8}).slice(0, 0, 6, 2).slice(1, 1, 8, 3), false},
            {"narrowed_offset", v({5, 6}).narrow(0, 1, 3).narrow(1, 2, 3), false},
            {"offset_rank0", v({5}).select(0, 3), false},
            {"offset_rank1", v({4, 5}).select(0, 2), false},
            {"strided_column", v({4, 5}).select(1, 2), false},
            {"diagonal", v({4, 4}).diagonal(), false},
            {"column_major2", column_major(v({3, 4})), false},
            {"column_major3", column_major(v({2, 3, 4})), false},
            {"channels_last", v({2, 3, 4, 5}).contiguous(at::MemoryFormat::ChannelsLast), false},
            {"interleaved", v({12}).as_strided({2, 3}, {1, 2}), false},
            {"empty1", v({0}), false},
            {"empty2", v({3, 0}), false},
            {"empty_sliced", v({4, 5}).slice(1, 2, 2), false},
            {"expanded", v({1, 4}).expand({3, 4}), true},
            {"expanded_middle", v({3, 1, 2}).expand({3, 4, 2}), true},
            {"expanded_scalar", v({}).expand({2, 3}), true},
            {"unfolded", v({8}).unfold(0, 3, 1), true},
        };
    }

    /// Checks every element of `e` (row-major order) against ATen's `expected`.
    template <class E>
    ::testing::AssertionResult values_equal(const E& e, const at::Tensor& expected)
    {
        const at::Tensor ref = expected.to(at::kComplexDouble).contiguous();
        const auto& shape = e.shape();
        if (shape.size() != static_cast<std::size_t>(ref.dim())
            || !std::equal(shape.begin(), shape.end(), ref.sizes().begin(),
                           [](std::size_t a, std::int64_t b) { return static_cast<std::int64_t>(a) == b; }))
        {
            return ::testing::AssertionFailure() << "shape differs from " << ref.sizes();
        }
        const auto* r = ref.data_ptr<c10::complex<double>>();
        std::size_t k = 0;
        for (auto it = e.cbegin(); it != e.cend(); ++it, ++k)
        {
            const std::complex<double> got = as_complex(*it);
            const std::complex<double> want(r[k].real(), r[k].imag());
            if (got != want)
            {
                return ::testing::AssertionFailure() << "element " << k << " is " << got << ", ATen has " << want;
            }
        }
        if (static_cast<std::int64_t>(k) != ref.numel())
        {
            return ::testing::AssertionFailure() << "visited " << k << " elements of " << ref.numel();
        }
        return ::testing::AssertionSuccess();
    }

    /// values_equal within float rounding, for math functions whose last bit
    /// differs between xtensor and ATen.
    template <class E>
    ::testing::AssertionResult values_close(const E& e, const at::Tensor& expected)
    {
        const at::Tensor ref = expected.to(at::kDouble).contiguous();
        const auto* r = ref.data_ptr<double>();
        std::size_t k = 0;
        for (auto it = e.cbegin(); it != e.cend(); ++it, ++k)
        {
            const double got = static_cast<double>(*it);
            if (std::abs(got - r[k]) > 1e-5 * std::max(1.0, std::abs(r[k])))
            {
                return ::testing::AssertionFailure() << "element " << k << " is " << got << ", ATen has " << r[k];
            }
        }
        return static_cast<std::int64_t>(k) == ref.numel() ? ::testing::AssertionSuccess()
                                                           : ::testing::AssertionFailure() << "element count differs";
    }

    /// Whether two tensors hold the same values (bitwise for floats, NaN-free data).
    inline ::testing::AssertionResult tensors_equal(const at::Tensor& a, const at::Tensor& b)
    {
        if (a.sizes() != b.sizes())
        {
            return ::testing::AssertionFailure() << "sizes " << a.sizes() << " vs " << b.sizes();
        }
        if (!at::equal(a.to(at::kComplexDouble), b.to(at::kComplexDouble)))
        {
            return ::testing::AssertionFailure() << "values differ:\n" << a << "\nvs\n" << b;
        }
        return ::testing::AssertionSuccess();
    }

    inline std::complex<double> element(const at::Tensor& t, const std::vector<std::int64_t>& index)
    {
        at::Tensor e = t;
        for (auto i : index)
        {
            e = e.select(0, i);
        }
        const auto c = e.to(at::kComplexDouble).item<c10::complex<double>>();
        return {c.real(), c.imag()};
    }

    /// Zero-copy proof: the same first element address, and a write through
    /// either side seen on the other (at the last element, and at the first).
    template <class V>
    ::testing::AssertionResult shares_memory(V&& v, const at::Tensor& t)
    {
        using value_type = typename std::decay_t<V>::value_type;
        if (t.numel() == 0)
        {
            return v.size() == 0 ? ::testing::AssertionSuccess() : ::testing::AssertionFailure() << "view of empty tensor not empty";
        }
        if (static_cast<const void*>(v.data()) != t.data_ptr())
        {
            return ::testing::AssertionFailure() << "data pointers differ: " << static_cast<const void*>(v.data()) << " vs "
                                                 << t.data_ptr();
        }
        std::vector<std::int64_t> last;
        typename std::decay_t<V>::shape_type index = v.shape();
        for (std::size_t i = 0; i < index.size(); ++i)
        {
            index[i] -= 1;
            last.push_back(static_cast<std::int64_t>(index[i]));
        }
        // write through the view, read through the tensor
        const value_type written = different(v.element(index.begin(), index.end()));
        v.element(index.begin(), index.end()) = written;
        if (element(t, last) != as_complex(written))
        {
            return ::testing::AssertionFailure() << "write through the view not seen by the tensor";
        }
        // write through the tensor, read through the view
        std::vector<std::int64_t> first(last.size(), 0);
        at::Tensor target = t;
        for (auto i : first)
        {
            target = target.select(0, i);
        }
        const value_type before = *v.cbegin();
        const value_type next = different(before);
        const std::complex<double> c = as_complex(next);
        const at::Tensor value = is_complex_v<value_type>
                                     ? at::scalar_tensor(c10::complex<double>(c.real(), c.imag()), at::kComplexDouble)
                                     : at::scalar_tensor(c.real(), at::kDouble);
        target.copy_(value.to(t.scalar_type()));
        if (as_complex(*v.cbegin()) != c)
        {
            return ::testing::AssertionFailure() << "write through the tensor not seen by the view";
        }
        return ::testing::AssertionSuccess();
    }

    inline ::testing::AssertionResult message_has(const std::string& message, std::initializer_list<const char*> keywords)
    {
        for (const char* k : keywords)
        {
            if (message.find(k) == std::string::npos)
            {
                return ::testing::AssertionFailure() << "message lacks \"" << k << "\": " << message;
            }
        }
        if (message.rfind("xtensor-torch: can't ", 0) != 0)
        {
            return ::testing::AssertionFailure() << "message does not open with \"xtensor-torch: can't \": " << message;
        }
        return ::testing::AssertionSuccess();
    }
}

namespace xtt_test
{
    /// Whether `storage` is the storage of the strided tensor `t`.
    inline bool same_storage(const c10::Storage& storage, const at::Tensor& t)
    {
        return t.defined() && t.layout() == c10::kStrided && t.has_storage()
               && storage.unsafeGetStorageImpl() == t.storage().unsafeGetStorageImpl();
    }

    /// The flags of a policy, for messages.
    inline std::string policy_name(xtt::stage policy)
    {
        static const std::pair<xtt::stage, const char*> names[] = {
            {xtt::stage::to_cpu, "to_cpu"},         {xtt::stage::detach, "detach"},
            {xtt::stage::resolve_conj, "resolve_conj"}, {xtt::stage::resolve_neg, "resolve_neg"},
            {xtt::stage::to_dense, "to_dense"},     {xtt::stage::contiguous, "contiguous"},
            {xtt::stage::to_sparse_csr, "to_sparse_csr"}};
        std::string out;
        for (const auto& [flag, name] : names)
        {
            if (xtt::allows(policy, flag))
            {
                out += out.empty() ? name : std::string(" | ") + name;
            }
        }
        return out.empty() ? "none" : out;
    }

    /// Every policy made of the given flags.
    inline std::vector<xtt::stage> every_policy(const std::vector<xtt::stage>& flags)
    {
        std::vector<xtt::stage> out;
        for (unsigned bits = 0; bits < (1u << flags.size()); ++bits)
        {
            xtt::stage p = xtt::stage::none;
            for (std::size_t i = 0; i < flags.size(); ++i)
            {
                if (bits & (1u << i))
                {
                    p |= flags[i];
                }
            }
            out.push_back(p);
        }
        return out;
    }

    /**
     * would_copy<Target>(t, policy) is true exactly when `convert(t, policy)`
     * succeeds and `shares(result, t)` is false; a refusal is a
     * conversion_error and nothing else.
     */
    template <class Target, class Convert, class Shares>
    ::testing::AssertionResult would_copy_is_exact(const at::Tensor& t, xtt::stage policy, Convert&& convert, Shares&& shares)
    {
        bool copied = false;
        std::string outcome = "refused";
        try
        {
            const auto result = convert(t, policy);
            copied = !shares(result, t);
            outcome = copied ? "copied" : "shared";
        }
        catch (const xtt::conversion_error&)
        {
        }
        const bool predicted = xtt::would_copy<Target>(t, policy);
        if (predicted != copied)
        {
            return ::testing::AssertionFailure() << "would_copy says " << predicted << ", the conversion " << outcome
                                                 << ", policy " << policy_name(policy);
        }
        return ::testing::AssertionSuccess();
    }
}

/// Zero-copy: pointer identity and a write seen both ways.
#define EXPECT_SHARES_MEMORY(view, tensor) EXPECT_TRUE(::xtt_test::shares_memory(view, tensor))

/// `statement` throws xtt::conversion_error whose message has every keyword
/// (the state, the flag, the manual call), in the one message shape.
#define EXPECT_CONVERSION_ERROR(statement, ...)                                                            \
    do                                                                                                     \
    {                                                                                                      \
        try                                                                                                \
        {                                                                                                  \
            statement;                                                                                     \
            ADD_FAILURE() << "expected xtt::conversion_error from: " #statement;                           \
        }                                                                                                  \
        catch (const xtt::conversion_error& xtt_error_)                                                    \
        {                                                                                                  \
            EXPECT_TRUE(::xtt_test::message_has(xtt_error_.what(), {__VA_ARGS__})) << "from: " #statement; \
        }                                                                                                  \
        catch (const std::exception& xtt_error_)                                                           \
        {                                                                                                  \
            ADD_FAILURE() << "expected xtt::conversion_error from: " #statement ", got: " << xtt_error_.what(); \
        }                                                                                                  \
    } while (false)

/// TYPED_TEST_SUITE with readable names (and no empty variadic macro argument).
#define XTT_TYPED_TEST_SUITE(suite, types) TYPED_TEST_SUITE(suite, types, ::xtt_test::dtype_names)

#endif
