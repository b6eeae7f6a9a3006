// Tests of view.hpp: zero-copy views of every dtype and geometry, static
// layouts, writes that land where they belong, refusals, lifetime.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdlib>
#include <new>

#include "support/alloc_counter.hpp"
#include "support/common.hpp"

#if XTT_HAS_COW
#include <c10/core/impl/COW.h>
#endif

using namespace xtt_test;

namespace
{
    /// A dtype other than T's, for mismatch tests.
    template <class T>
    at::ScalarType other_dtype()
    {
        return dtype_of<T> == at::kFloat ? at::kDouble : at::kFloat;
    }
}

template <class T>
class view_typed : public ::testing::Test
{
};
XTT_TYPED_TEST_SUITE(view_typed, all_element_types);

TYPED_TEST(view_typed, every_geometry_shares_memory)
{
    using T = TypeParam;
    for (const auto& var : variants(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        const at::Tensor reference = var.tensor.clone();
        if (var.overlapping)
        {
            EXPECT_CONVERSION_ERROR(xtt::view<T>(var.tensor), "overlap", "xtt::stage::contiguous", ".contiguous()", "const");
            continue;
        }
        auto v = xtt::view<T>(var.tensor);
        EXPECT_TRUE(values_equal(v, reference));
        EXPECT_SHARES_MEMORY(v, var.tensor);
    }
}

TYPED_TEST(view_typed, const_view_reads_every_geometry_in_place)
{
    using T = TypeParam;
    for (const auto& var : variants(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        auto v = xtt::view<const T>(var.tensor);
        static_assert(std::is_same_v<typename decltype(v)::reference, const T&>);
        EXPECT_TRUE(values_equal(v, var.tensor));
        if (var.tensor.numel() > 0)
        {
            EXPECT_EQ(static_cast<const void*>(v.data()), var.tensor.data_ptr());
        }
    }
}

TYPED_TEST(view_typed, fixed_rank_view_shares_memory)
{
    using T = TypeParam;
    for (const auto& var : variants(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        if (var.overlapping)
        {
            continue;
        }
        const at::Tensor reference = var.tensor.clone();
        with_rank(var.tensor.dim(), [&](auto n) {
            auto v = xtt::view<T, decltype(n)::value>(var.tensor);
            static_assert(std::tuple_size<typename decltype(v)::shape_type>::value == decltype(n)::value);
            EXPECT_TRUE(values_equal(v, reference));
            EXPECT_SHARES_MEMORY(v, var.tensor);
        });
    }
}

TYPED_TEST(view_typed, row_major_view_needs_a_row_major_tensor)
{
    using T = TypeParam;
    for (const auto& var : variants(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        const at::Tensor reference = var.tensor.clone();
        if (var.tensor.is_contiguous())
        {
            auto v = xtt::view<T, xtt::dynamic, xt::layout_type::row_major>(var.tensor);
            EXPECT_EQ(v.layout(), xt::layout_type::row_major);
            EXPECT_TRUE(values_equal(v, reference));
            EXPECT_SHARES_MEMORY(v, var.tensor);
            continue;
        }
        EXPECT_CONVERSION_ERROR((xtt::view<T, xtt::dynamic, xt::layout_type::row_major>(var.tensor)),
                                "not row-major contiguous", "xtt::stage::contiguous", ".contiguous()",
                                "xt::layout_type::dynamic");
        auto copy = xtt::view<T, xtt::dynamic, xt::layout_type::row_major>(var.tensor, xtt::stage::contiguous);
        EXPECT_TRUE(values_equal(copy, reference));
        EXPECT_NE(static_cast<const void*>(copy.data()), var.tensor.data_ptr());
    }
}

TYPED_TEST(view_typed, column_major_view_needs_a_column_major_tensor)
{
    using T = TypeParam;
    for (const auto& var : variants(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        const at::Tensor reference = var.tensor.clone();
        if (is_column_major(var.tensor))
        {
            auto v = xtt::view<T, xtt::dynamic, xt::layout_type::column_major>(var.tensor);
            EXPECT_EQ(v.layout(), xt::layout_type::column_major);
            EXPECT_TRUE(values_equal(v, reference));
            EXPECT_SHARES_MEMORY(v, var.tensor);
            continue;
        }
        EXPECT_CONVERSION_ERROR((xtt::view<T, xtt::dynamic, xt::layout_type::column_major>(var.tensor)),
                                "not column-major contiguous", "xtt::stage::contiguous", "contiguous()");
        auto copy = xtt::view<T, xtt::dynamic, xt::layout_type::column_major>(var.tensor, xtt::stage::contiguous);
        EXPECT_TRUE(values_equal(copy, reference));
        EXPECT_TRUE(is_column_major(xtt::as_tensor(copy)));
    }
}

TYPED_TEST(view_typed, dtype_mismatch_names_both_dtypes_and_the_cast)
{
    using T = TypeParam;
    const at::ScalarType other = other_dtype<T>();
    const at::Tensor t = iota({2, 3}, other);
    const std::string has = std::string(xtt::dtype_name(other));
    const std::string wants = std::string(xtt::dtype_name(dtype_of<T>));
    const std::string constant = std::string(xtt::dtype_constant(dtype_of<T>));
    EXPECT_CONVERSION_ERROR(xtt::view<T>(t), has.c_str(), wants.c_str(), "xtt::to_xarray", constant.c_str());
}

TYPED_TEST(view_typed, rank_mismatch_names_both_ranks)
{
    using T = TypeParam;
    const at::Tensor t = iota({2, 3}, dtype_of<T>);
    EXPECT_CONVERSION_ERROR((xtt::view<T, 3>(t)), "rank 2", "not 3", "xtt::dynamic", ".reshape");
    EXPECT_CONVERSION_ERROR((xtt::view<T, 0>(t)), "rank 2", "not 0");
}

TYPED_TEST(view_typed, overlapping_tensor_copies_apart_with_contiguous)
{
    using T = TypeParam;
    const at::Tensor t = iota({1, 4}, dtype_of<T>).expand({3, 4});
    auto v = xtt::view<T>(t, xtt::stage::contiguous);
    EXPECT_TRUE(values_equal(v, t));
    v(0, 0) = different(v(0, 0));
    EXPECT_TRUE(values_equal(xtt::view<const T>(t), iota({1, 4}, dtype_of<T>).expand({3, 4})));
}

TEST(view, dynamic_view_layout_follows_the_strides)
{
    const at::Tensor t = iota({3, 4}, at::kFloat);
    EXPECT_EQ(xtt::view<float>(t).layout(), xt::layout_type::row_major);
    EXPECT_EQ(xtt::view<float>(t.t()).layout(), xt::layout_type::column_major);
    EXPECT_EQ(xtt::view<float>(t.slice(1, 0, 4, 2)).layout(), xt::layout_type::dynamic);
    EXPECT_TRUE(xtt::view<float>(t).is_contiguous());
    EXPECT_FALSE(xtt::view<float>(t.slice(1, 0, 4, 2)).is_contiguous());
}

TEST(view, size_one_dims_follow_the_xtensor_stride_convention)
{
    const at::Tensor t = iota({3, 1, 4}, at::kFloat);
    auto v = xtt::view<float>(t);
    EXPECT_EQ(v.strides()[1], 0);
    // broadcasting against a size-1 dim relies on the zero stride
    xt::xarray<float> sum = v + xt::zeros<float>({3, 5, 4});
    EXPECT_TRUE(values_equal(sum, t.expand({3, 5, 4})));
}

TEST(view, strides_and_storage_offset_are_the_tensors)
{
    const at::Tensor base = iota({5, 6}, at::kDouble);
    const at::Tensor t = base.narrow(0, 1, 3).slice(1, 1, 6, 2);
    auto v = xtt::view<double, 2>(t);
    EXPECT_EQ(v.strides()[0], 6);
    EXPECT_EQ(v.strides()[1], 2);
    EXPECT_EQ(v.data(), base.data_ptr<double>() + 7);
    EXPECT_EQ(v(2, 2), base[3][5].item<double>());
}

TEST(view, works_in_xtensor_expressions_and_prints)
{
    const at::Tensor t = iota({2, 3}, at::kFloat);
    auto v = xtt::view<const float, 2>(t);
    EXPECT_EQ(xt::sum(v)(), t.sum().item<float>());
    xt::xarray<float> e = xt::exp(v) * 2.f;
    EXPECT_TRUE(values_close(e, t.exp() * 2));
    std::ostringstream os;
    os << v;
    EXPECT_NE(os.str().find("5."), std::string::npos);
}

TEST(view, copies_of_a_view_share_and_assignment_copies_elements)
{
    at::Tensor a = iota({2, 2}, at::kFloat);
    at::Tensor b = iota({2, 2}, at::kFloat) + 10;
    auto va = xtt::view<float, 2>(a);
    auto copy = va;  // a second view of a's memory
    EXPECT_EQ(copy.data(), va.data());
    auto vb = xtt::view<float, 2>(b);
    va = vb;  // element-wise, geometry unchanged
    EXPECT_EQ(va.data(), a.data_ptr<float>());
    EXPECT_TRUE(tensors_equal(a, b));
    vb = xtt::view<float, 2>(iota({2, 2}, at::kFloat));  // from a temporary view: still element-wise
    EXPECT_EQ(vb.data(), b.data_ptr<float>());
    EXPECT_TRUE(tensors_equal(b, iota({2, 2}, at::kFloat)));
}

TEST(view, broadcasting_assignment_keeps_the_shape)
{
    at::Tensor t = iota({3, 4}, at::kFloat).t();  // transposed: 4 x 3
    auto v = xtt::view<float>(t);
    xt::xarray<float> row = {1.f, 2.f, 3.f};
    v = row;
    EXPECT_EQ(v.shape().size(), 2u);
    EXPECT_TRUE(tensors_equal(t, at::tensor({1.f, 2.f, 3.f}).expand({4, 3})));
    xt::xarray<float> other_row = {4.f, 5.f, 6.f};
    xt::noalias(v) = other_row;  // noalias broadcasts too
    EXPECT_TRUE(tensors_equal(t, at::tensor({4.f, 5.f, 6.f}).expand({4, 3})));
    xt::xarray<float> wrong = {1.f, 2.f};
    EXPECT_THROW(v = wrong, std::exception);  // xtensor's broadcast error; the view is unchanged
    EXPECT_TRUE(tensors_equal(t, at::tensor({4.f, 5.f, 6.f}).expand({4, 3})));
}

TEST(view, view_outlives_the_tensor_handle)
{
    auto v = [] {
        at::Tensor t = iota({64, 64}, at::kFloat);
        return xtt::view<float, 2>(t.slice(0, 8, 16));  // the handle and its base die here
    }();
    EXPECT_EQ(v(0, 0), 8 * 64 % 100);
    v += 1;  // writes to memory the view keeps alive
    EXPECT_EQ(v(0, 0), 8 * 64 % 100 + 1);
    EXPECT_EQ(v.tensor_storage().use_count(), 1);
}

TEST(view, view_of_a_staged_temporary_outlives_it)
{
    auto v = [] {
        at::Tensor t = iota({16, 8}, at::kDouble);
        return xtt::view<double, 2, xt::layout_type::row_major>(t.t(), xtt::stage::contiguous);
    }();
    EXPECT_EQ(v(1, 0), 1);
    v(1, 0) = 3;
    EXPECT_EQ(v(1, 0), 3);
    auto c = [] {
        at::Tensor t = at::complex(iota({4}, at::kFloat), iota({4}, at::kFloat)).conj();
        return xtt::view<std::complex<float>>(t, xtt::stage::resolve_conj);
    }();
    EXPECT_EQ(c(3), std::complex<float>(3, -3));
}

TEST(view_expressions, outlive_the_view_variables_they_were_made_from)
{
    static_assert(std::is_same_v<xt::const_xclosure_t<xtt::tensor_view<const float, 2>&>, xtt::tensor_view<const float, 2>>);
    static_assert(std::is_same_v<xt::xclosure_t<const xtt::tensor_view<float>&>, xtt::tensor_view<float>>);
    static_assert(std::is_same_v<xt::const_xclosure_t<xtt::edit_view<float>&>, const xtt::edit_view<float>&>);

    const at::Tensor a = iota({3, 4}, at::kFloat);
    const at::Tensor b = iota({4}, at::kFloat) * 10;
    // views taken by value, expressions returned lazily: the parameters are gone when they are read
    const auto add = [](auto x, auto y) { return x + y; };
    const auto affine = [](auto x) { return xt::exp(x) * 2.f + 1.f; };
    const auto row_sums = [](auto x) { return xt::sum(x, {1}); };
    const auto rows = [](auto x) { return xt::strided_view(x, {1, xt::all()}); };

    const auto sum = add(xtt::view<const float, 2>(a), xtt::view<const float, 1>(b));
    const xt::xtensor<float, 2> evaluated = sum;
    EXPECT_TRUE(at::equal(xtt::to_torch(evaluated), a + b));
    const auto e = affine(xtt::view<const float, 2>(a));
    EXPECT_TRUE(at::allclose(xtt::to_torch(e), at::exp(a) * 2 + 1));
    const xt::xtensor<float, 1> sums = row_sums(xtt::view<const float, 2>(a));
    EXPECT_TRUE(at::equal(xtt::to_torch(sums), a.sum(1)));
    const xt::xtensor<float, 1> row = rows(xtt::view<const float, 2>(a));
    EXPECT_TRUE(at::equal(xtt::to_torch(row), a[1]));

    // an expression keeps its views' memory alive, as the views do
    const auto doubled = [] {
        at::Tensor t = iota({5}, at::kDouble);
        auto v = xtt::view<double, 1>(t);
        return v * 2.0;
    }();
    const xt::xtensor<double, 1> d = doubled;
    EXPECT_EQ(d(4), 8);

    // a write through an xt::view of a named view still lands in the tensor
    at::Tensor w = at::zeros({2, 3}, at::kFloat);
    auto vw = xtt::view<float, 2>(w);
    xt::view(vw, 1, xt::all()) = xt::xtensor<float, 1>{1, 2, 3};
    xt::strided_view(vw, {0, xt::all()}) += 5.f;
    EXPECT_TRUE(at::equal(w, at::tensor({5.f, 5.f, 5.f, 1.f, 2.f, 3.f}).reshape({2, 3})));
}

TEST(view, copies_and_moves_of_a_view_keep_the_storage_alive)
{
    std::vector<xtt::tensor_view<float, 1>> views;
    {
        at::Tensor t = iota({10}, at::kFloat);
        auto v = xtt::view<float, 1>(t);
        views.push_back(v);
        views.push_back(std::move(v));
    }
    views.front()(9) = 42;
    EXPECT_EQ(views.back()(9), 42);
}

TEST(view, requires_grad_is_refused_only_in_grad_mode)
{
    at::Tensor t = iota({3}, at::kFloat).requires_grad_();
    EXPECT_CONVERSION_ERROR(xtt::view<float>(t), "requires grad", "xtt::stage::detach", ".detach()", "NoGradGuard");
    {
        c10::NoGradGuard no_grad;
        auto v = xtt::view<float>(t);
        EXPECT_SHARES_MEMORY(v, t);
    }
    auto v = xtt::view<float>(t, xtt::stage::detach);  // detach shares memory
    EXPECT_EQ(v.data(), t.data_ptr<float>());
    EXPECT_FALSE(xtt::would_copy(t, xtt::stage::detach));
}

TEST(view, conjugate_bit_needs_resolve_conj)
{
    const at::Tensor base = at::complex(iota({2, 3}, at::kDouble), iota({2, 3}, at::kDouble) + 1);
    const at::Tensor t = base.conj();
    EXPECT_CONVERSION_ERROR(xtt::view<std::complex<double>>(t), "conjugate bit", "xtt::stage::resolve_conj",
                            ".resolve_conj()");
    auto v = xtt::view<std::complex<double>>(t, xtt::stage::resolve_conj);
    EXPECT_TRUE(values_equal(v, t.resolve_conj()));
    EXPECT_NE(static_cast<void*>(v.data()), base.data_ptr());
    // a real tensor's conj() is the tensor itself and needs nothing
    const at::Tensor r = iota({3}, at::kFloat);
    EXPECT_SHARES_MEMORY(xtt::view<float>(r.conj()), r);
}

TEST(view, negative_bit_needs_resolve_neg)
{
    const at::Tensor base = iota({2, 3}, at::kFloat);
    const at::Tensor t = at::_neg_view(base);
    ASSERT_TRUE(t.is_neg());
    EXPECT_CONVERSION_ERROR(xtt::view<float>(t), "negative bit", "xtt::stage::resolve_neg", ".resolve_neg()");
    auto v = xtt::view<float>(t, xtt::stage::resolve_neg);
    EXPECT_TRUE(values_equal(v, t.resolve_neg()));
}

TEST(view, sparse_layouts_need_to_dense)
{
    const at::Tensor dense = iota({3, 4}, at::kFloat) * (iota({3, 4}, at::kLong).remainder(3) == 0).to(at::kFloat);
    const at::Tensor coo = dense.to_sparse();
    EXPECT_CONVERSION_ERROR(xtt::view<float>(coo), "sparse_coo", "xtt::stage::to_dense", ".to_dense()");
    const at::Tensor csr = dense.to_sparse_csr();
    EXPECT_CONVERSION_ERROR(xtt::view<float>(csr), "sparse_csr", "xtt::stage::to_dense", ".to_dense()");
    EXPECT_TRUE(values_equal(xtt::view<float>(coo, xtt::stage::to_dense), dense));
    EXPECT_TRUE(values_equal(xtt::view<float>(csr, xtt::stage::to_dense), dense));
}

TEST(view, mkldnn_layout_needs_to_dense)
{
    if (!at::hasMKLDNN())
    {
        GTEST_SKIP() << "LibTorch built without MKLDNN";
    }
    const at::Tensor dense = iota({2, 3}, at::kFloat);
    const at::Tensor m = dense.to_mkldnn();
    EXPECT_CONVERSION_ERROR(xtt::view<float>(m), "mkldnn", "xtt::stage::to_dense", ".to_dense()");
    EXPECT_TRUE(values_equal(xtt::view<float>(m, xtt::stage::to_dense), dense));
}

TEST(view, states_no_flag_fixes_are_refused_with_the_manual_fix)
{
    EXPECT_CONVERSION_ERROR(xtt::view<float>(at::Tensor()), "undefined", ".defined()");
    EXPECT_CONVERSION_ERROR(xtt::view<float>(at::Tensor(), xtt::stage::all), "undefined");
    const at::Tensor meta = at::empty({2, 3}, at::TensorOptions().device(at::kMeta));
    EXPECT_CONVERSION_ERROR(xtt::view<float>(meta, xtt::stage::all), "meta", "no data", "torch::kCPU");
    const at::Tensor q = at::quantize_per_tensor(iota({4}, at::kFloat), 0.5, 0, at::kQInt8);
    EXPECT_CONVERSION_ERROR(xtt::view<std::int8_t>(q, xtt::stage::all), "quantized", ".dequantize()", ".int_repr()");
    const at::Tensor nested = at::_nested_tensor_from_tensor_list({iota({2}, at::kFloat), iota({3}, at::kFloat)});
    EXPECT_CONVERSION_ERROR(xtt::view<float>(nested, xtt::stage::all), "nested", ".to_padded_tensor(0)");
}

TEST(view, messages_describe_the_tensor)
{
    const at::Tensor t = iota({2, 3}, at::kFloat).t();
    EXPECT_CONVERSION_ERROR((xtt::view<float, 2, xt::layout_type::row_major>(t)),
                            "can't view cpu float32 [3, 2] strides [1, 3] as xtensor");
    EXPECT_CONVERSION_ERROR((xtt::view<float, 3, xt::layout_type::column_major>(iota({2, 3, 4}, at::kFloat))),
                            ".permute({2, 1, 0}).contiguous().permute({2, 1, 0})");
}

/*
 * Creating a view allocates nothing: alloc_counter.cpp counts global operator new.
 */
TEST(view, creating_a_view_allocates_nothing)
{
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "operator new is AddressSanitizer's in this build";
#else
    const at::Tensor t = iota({2, 3, 4, 5}, at::kFloat);
    const at::Tensor strided = t.permute({3, 1, 0, 2}).slice(0, 0, 5, 2);
    float sum = 0;
    alloc_counter::start();
    {
        auto a = xtt::view<float, 4>(t);
        auto b = xtt::view<float, 4, xt::layout_type::row_major>(t);
        auto c = xtt::view<float>(t);
        auto d = xtt::view<const float>(strided);
        auto e = xtt::view<float, 4>(strided);
        sum = a(0, 0, 0, 1) + b(0, 0, 0, 1) + c(0, 0, 0, 1) + d(0, 0, 0, 0) + e(0, 0, 0, 0);
    }
    EXPECT_EQ(alloc_counter::stop(), 0u);
    EXPECT_EQ(sum, 3.f);
#endif
}

/*
 * Views and storage changes: valid(), and the checks where xtensor reads and
 * writes a view (on in this test binary: XTENSOR_TORCH_CHECK_VALIDITY=1).
 */
TEST(view, a_view_knows_when_its_tensor_was_given_new_memory)
{
    at::Tensor t = iota({2, 3}, at::kFloat);
    auto v = xtt::view<float, 2>(t);
    auto c = xtt::view<const float>(t);
    EXPECT_TRUE(v.valid());
    t.resize_({2, 3});  // same size: same memory
    EXPECT_TRUE(v.valid());
    t.set_(t.storage(), 0, {3}, {1});  // another geometry over the same storage
    EXPECT_TRUE(v.valid());
    t.resize_({1000, 1000});  // reallocates
    EXPECT_FALSE(v.valid());
    EXPECT_FALSE(c.valid());
    EXPECT_CONVERSION_ERROR(v += 1.f, "storage was given new memory", ".valid()");
    EXPECT_CONVERSION_ERROR(v = 2.f, "storage was given new memory");
    EXPECT_CONVERSION_ERROR(v.fill(2.f), "storage was given new memory");
    EXPECT_CONVERSION_ERROR(v = v * 2.f, "storage was given new memory");
    EXPECT_CONVERSION_ERROR(xt::noalias(v) = xt::zeros<float>({2, 3}), "storage was given new memory");
    EXPECT_CONVERSION_ERROR((xt::xarray<float>(c + 1.f)), "read a view", "storage was given new memory");
    at::Tensor other = iota({2, 3}, at::kFloat);
    auto w = xtt::view<float, 2>(other);
    EXPECT_CONVERSION_ERROR(w = v, "read a view");
    EXPECT_CONVERSION_ERROR(w += v, "read a view");
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(v), "storage was given new memory");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(c), "storage was given new memory");
    EXPECT_TRUE(tensors_equal(other, iota({2, 3}, at::kFloat)));  // nothing was written
    auto again = xtt::view<float, 2>(t.narrow(0, 0, 2).narrow(1, 0, 3));
    EXPECT_TRUE(again.valid());
}

/*
 * Zero tensors (autograd's efficient zeros): no memory to share.
 */
TEST(view, zero_tensors_are_refused_or_materialised_by_name)
{
    const at::Tensor z = at::_efficientzerotensor({2, 3});
    ASSERT_TRUE(z._is_zerotensor());
    EXPECT_CONVERSION_ERROR(xtt::view<const float>(z), "zero tensor", "xtt::stage::to_dense", ".clone()");
    EXPECT_CONVERSION_ERROR(xtt::view<float>(z), "zero tensor", "xtt::stage::to_dense");
    EXPECT_FALSE(xtt::would_copy(z, xtt::stage::none));
    EXPECT_TRUE(xtt::would_copy(z, xtt::stage::to_dense));
    auto v = xtt::view<float, 2>(z, xtt::stage::to_dense);
    EXPECT_TRUE(values_equal(v, at::zeros({2, 3})));
    v(1, 2) = 5.f;  // its own memory
    EXPECT_EQ(v(1, 2), 5.f);
    EXPECT_TRUE(values_equal(xtt::to_xarray<double>(z), at::zeros({2, 3})));
    EXPECT_CONVERSION_ERROR(xtt::to_xarray<double>(z, xtt::stage::none), "zero tensor");
}

/*
 * Overlap: decided exactly where it is cheap to decide.
 */
TEST(view, interleaved_layouts_that_do_not_overlap_are_writable)
{
    // sizes [6, 3], strides [3, 2]: offsets 3i + 2j are all distinct
    at::Tensor base = iota({20}, at::kFloat);
    at::Tensor aten = base.clone();
    const at::Tensor t = base.as_strided({6, 3}, {3, 2});
    auto v = xtt::view<float, 2>(t);
    v += 100.f;
    aten.as_strided({6, 3}, {3, 2}).add_(100);
    EXPECT_TRUE(tensors_equal(base, aten));
    // sizes [4, 4], strides [3, 2]: element (2, 0) is element (0, 3)
    EXPECT_CONVERSION_ERROR(xtt::view<float>(base.as_strided({4, 4}, {3, 2})), "overlap");
    EXPECT_NO_THROW(xtt::view<float>(base.as_strided({4, 3}, {3, 2})));
    // small 3-d layouts, decided by listing their offsets
    EXPECT_NO_THROW(xtt::view<float>(base.as_strided({2, 3, 2}, {3, 2, 12})));
    EXPECT_CONVERSION_ERROR(xtt::view<float>(base.as_strided({4, 2, 2}, {1, 4, 2})), "overlap");
}

TEST(view, may_overlap_agrees_with_listing_the_offsets)
{
    std::size_t checked = 0;
    for (std::int64_t s1 = 1; s1 <= 7; ++s1)
    {
        for (std::int64_t s2 = 1; s2 <= 7; ++s2)
        {
            for (std::int64_t s3 = 1; s3 <= 5; ++s3)
            {
                for (std::int64_t n : {2, 3, 4})
                {
                    const std::vector<std::int64_t> sizes = {n, 3, 2};
                    const std::vector<std::int64_t> strides = {s1, s2, s3};
                    std::vector<std::int64_t> offsets;
                    for (std::int64_t i = 0; i < n; ++i)
                        for (std::int64_t j = 0; j < 3; ++j)
                            for (std::int64_t k = 0; k < 2; ++k)
                                offsets.push_back(i * s1 + j * s2 + k * s3);
                    std::sort(offsets.begin(), offsets.end());
                    const bool overlap = std::adjacent_find(offsets.begin(), offsets.end()) != offsets.end();
                    EXPECT_EQ(xtt::detail::may_overlap(sizes, strides), overlap) << s1 << ' ' << s2 << ' ' << s3 << ' ' << n;
                    const std::vector<std::int64_t> two = {n, 3};
                    const std::vector<std::int64_t> two_strides = {s1, s2};
                    const bool overlap2 = [&] {
                        for (std::int64_t a = 0; a < n; ++a)
                            for (std::int64_t b = 0; b < 3; ++b)
                                for (std::int64_t c = 0; c < n; ++c)
                                    for (std::int64_t d = 0; d < 3; ++d)
                                        if ((a != c || b != d) && a * s1 + b * s2 == c * s1 + d * s2)
                                            return true;
                        return false;
                    }();
                    EXPECT_EQ(xtt::detail::may_overlap(two, two_strides), overlap2) << s1 << ' ' << s2 << ' ' << n;
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 700u);
}

#if XTT_HAS_COW
/*
 * Copy-on-write storages (at::_lazy_clone): a read-only view reads the shared
 * memory without materialising it; a writable view materialises its own copy
 * before any write, so the tensor it was cloned from never changes.
 */
TEST(view, copy_on_write_tensors_are_read_in_place_and_copied_before_writes)
{
    using c10::impl::cow::is_cow_data_ptr;
    const at::Tensor original = iota({2, 3}, at::kFloat);
    const at::Tensor lazy = at::_lazy_clone(original);
    ASSERT_TRUE(is_cow_data_ptr(lazy.storage().data_ptr()));
    auto reader = xtt::view<const float, 2>(lazy);
    EXPECT_TRUE(is_cow_data_ptr(lazy.storage().data_ptr()));  // reading did not copy
    EXPECT_EQ(static_cast<const void*>(reader.data()), original.const_data_ptr());
    EXPECT_TRUE(values_equal(reader, original));
    EXPECT_FALSE(xtt::would_copy(lazy, xtt::stage::none, xt::layout_type::dynamic, xtt::access::read_only));
    const float sum = xt::sum(reader)();
    EXPECT_EQ(sum, 15.f);
    EXPECT_TRUE(is_cow_data_ptr(lazy.storage().data_ptr()));

    auto writer = xtt::view<float, 2>(lazy);  // materialises lazy's own memory
    EXPECT_FALSE(is_cow_data_ptr(lazy.storage().data_ptr()));
    EXPECT_NE(static_cast<const void*>(writer.data()), original.const_data_ptr());
    writer(1, 2) = 42.f;
    EXPECT_EQ(lazy[1][2].item<float>(), 42.f);
    EXPECT_TRUE(tensors_equal(original, iota({2, 3}, at::kFloat)));  // never changed
    EXPECT_FALSE(reader.valid());  // made before the copy: it still points at the shared memory
}

/*
 * Copies read a copy-on-write source where it is, by every copy path (memcpy
 * into fresh and into existing memory, the transposing kernel, ATen's cast,
 * a staged copy): none materialises it.
 */
TEST(view, copies_of_copy_on_write_tensors_leave_them_shared)
{
    using c10::impl::cow::is_cow_data_ptr;
    const at::Tensor original = iota({64, 48}, at::kFloat);
    const at::Tensor lazy = at::_lazy_clone(original);
    const auto shared = [&] { return is_cow_data_ptr(lazy.storage().data_ptr()); };
    ASSERT_TRUE(shared());

    const xt::xarray<float> fresh = xtt::to_xarray<float>(lazy);
    EXPECT_TRUE(shared());
    EXPECT_TRUE(values_equal(fresh, original));

    xt::xarray<float> existing = xt::zeros<float>({64, 48});
    xtt::copy_to(lazy, existing);
    EXPECT_TRUE(shared());
    EXPECT_TRUE(values_equal(existing, original));

    const xt::xarray<float> transposed = xtt::to_xarray<float>(lazy.t());
    EXPECT_TRUE(shared());
    EXPECT_TRUE(values_equal(transposed, original.t()));

    const xt::xarray<double> cast = xtt::to_xarray<double>(lazy);
    EXPECT_TRUE(shared());
    EXPECT_TRUE(values_equal(cast, original.to(at::kDouble)));

    const auto staged = xtt::view<const float, 2, xt::layout_type::row_major>(lazy.t(), xtt::stage::contiguous);
    EXPECT_TRUE(shared());
    EXPECT_TRUE(values_equal(staged, original.t()));
    EXPECT_TRUE(tensors_equal(original, iota({64, 48}, at::kFloat)));
}
#endif

/*
 * mark_written: writes through views, counted by autograd's version counter.
 */
TEST(view, mark_written_lets_autograd_see_writes_through_a_view)
{
    const at::Tensor a = at::ones({3}, at::TensorOptions().requires_grad(true));
    const at::Tensor b = at::full({3}, 2.f);
    const at::Tensor y = (a * b).sum();  // saves b for a's gradient
    const auto before = b._version();
    {
        auto v = xtt::view<float, 1>(b);
        v *= 5.f;
    }
    EXPECT_EQ(b._version(), before);  // the write is invisible to autograd...
    xtt::mark_written(b);
    EXPECT_EQ(b._version(), before + 1);
    EXPECT_THROW(y.backward(), c10::Error);  // ...until it is marked: the saved b is stale

    const at::Tensor base = at::zeros({4});
    const at::Tensor slice = base.narrow(0, 1, 2);
    const auto base_before = base._version();
    xtt::mark_written(slice);  // a view shares its base's counter
    EXPECT_EQ(base._version(), base_before + 1);
    EXPECT_CONVERSION_ERROR(xtt::mark_written(at::Tensor()), "undefined");
    at::Tensor inference;
    {
        c10::InferenceMode guard;
        inference = at::zeros({2});
        EXPECT_NO_THROW(xtt::mark_written(inference));
    }
    EXPECT_CONVERSION_ERROR(xtt::mark_written(inference), "inference tensor", "c10::InferenceMode");
}
