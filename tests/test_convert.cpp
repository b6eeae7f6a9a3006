// Tests of convert.hpp: owning copies torch -> xtensor, evaluation, adoption
// and borrowing xtensor -> torch, ownership and round trips.
// SPDX-License-Identifier: BSD-3-Clause
#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <set>
#include <stdexcept>
#include <thread>
#include <vector>

#include "support/common.hpp"

// Built with XTENSOR_TORCH_SEPARATE_KERNELS=1 (the option
// XTENSOR_TORCH_TEST_SEPARATE_KERNELS), this file holds the test binary's
// permuted-copy kernels, and the other files only declare them.
#if XTENSOR_TORCH_SEPARATE_KERNELS
#include <xtensor-torch/kernels.hpp>
#endif

using namespace xtt_test;

template <class T>
class convert_typed : public ::testing::Test
{
};
XTT_TYPED_TEST_SUITE(convert_typed, all_element_types);

TYPED_TEST(convert_typed, to_xarray_copies_every_geometry)
{
    using T = TypeParam;
    for (const auto& var : variants(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        xt::xarray<T> a = xtt::to_xarray<T>(var.tensor);
        EXPECT_TRUE(values_equal(a, var.tensor));
        if (a.size() > 0)
        {
            EXPECT_NE(static_cast<const void*>(a.data()), var.tensor.data_ptr());
        }
        xt::xarray<T, xt::layout_type::column_major> c = xtt::to_xarray<T, xt::layout_type::column_major>(var.tensor);
        EXPECT_TRUE(values_equal(c, var.tensor));
        with_rank(var.tensor.dim(), [&](auto n) {
            auto x = xtt::to_xtensor<T, decltype(n)::value>(var.tensor);
            EXPECT_TRUE(values_equal(x, var.tensor));
        });
    }
}

TYPED_TEST(convert_typed, to_xarray_casts_like_aten)
{
    using T = TypeParam;
    for (const at::ScalarType from : {at::kBool, at::kByte, at::kInt, at::kLong, at::kHalf, at::kFloat, at::kDouble})
    {
        SCOPED_TRACE(std::string(xtt::dtype_name(from)));
        const at::Tensor t = iota({3, 5}, from).t();
        EXPECT_TRUE(values_equal(xtt::to_xarray<T>(t), t.to(dtype_of<T>)));
    }
}

TYPED_TEST(convert_typed, to_torch_evaluates_into_a_tensor_of_the_value_type)
{
    using T = TypeParam;
    for (const auto& var : variants(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        const xt::xarray<T> a = xtt::to_xarray<T>(var.tensor);
        const at::Tensor t = xtt::to_torch(a);
        EXPECT_EQ(t.scalar_type(), dtype_of<T>);
        EXPECT_TRUE(t.is_contiguous());
        EXPECT_TRUE(tensors_equal(t, var.tensor));
        const at::Tensor v = xtt::to_torch(xtt::view<const T>(var.tensor));
        EXPECT_TRUE(tensors_equal(v, var.tensor));
    }
}

TYPED_TEST(convert_typed, adopting_keeps_the_buffer_and_its_strides)
{
    using T = TypeParam;
    const at::Tensor ref = iota({2, 3, 4}, dtype_of<T>);
    xt::xarray<T> a = xtt::to_xarray<T>(ref);
    const T* p = a.data();
    const at::Tensor t = xtt::to_torch(std::move(a));
    EXPECT_EQ(t.data_ptr(), static_cast<const void*>(p));
    EXPECT_TRUE(tensors_equal(t, ref));

    xt::xtensor<T, 3, xt::layout_type::column_major> c = xtt::to_xtensor<T, 3, xt::layout_type::column_major>(ref);
    const T* q = c.data();
    const at::Tensor u = xtt::to_torch(std::move(c));
    EXPECT_EQ(u.data_ptr(), static_cast<const void*>(q));
    EXPECT_EQ(u.strides(), c10::IntArrayRef({1, 2, 6}));
    EXPECT_TRUE(tensors_equal(u, ref));
}

TYPED_TEST(convert_typed, as_tensor_borrows_containers_and_views)
{
    using T = TypeParam;
    const at::Tensor ref = iota({4, 6}, dtype_of<T>);
    xt::xarray<T> a = xtt::to_xarray<T>(ref);
    const at::Tensor t = xtt::as_tensor(a);
    EXPECT_EQ(t.data_ptr(), static_cast<void*>(a.data()));
    EXPECT_TRUE(tensors_equal(t, ref));
    t[1][2].copy_(at::scalar_tensor(1, at::kDouble).to(dtype_of<T>));
    EXPECT_EQ(as_complex(a(1, 2)), std::complex<double>(1, 0));

    auto sliced = xt::view(a, xt::range(1, 4, 2), xt::range(0, 6, 3));
    const at::Tensor s = xtt::as_tensor(sliced);
    EXPECT_EQ(s.data_ptr(), static_cast<void*>(&a(1, 0)));
    EXPECT_EQ(s.strides(), c10::IntArrayRef({12, 3}));
    EXPECT_TRUE(values_equal(sliced, s));
}

/*
 * torch -> xtensor copies: destinations, staging, errors.
 */
TEST(convert, copy_into_an_existing_container_reuses_its_buffer)
{
    xt::xarray<double> out = xt::zeros<double>({4, 3});
    const double* p = out.data();
    const at::Tensor t = iota({3, 4}, at::kFloat).t();
    xtt::to_xarray(t, out);
    EXPECT_EQ(out.data(), p);
    EXPECT_TRUE(values_equal(out, t));
    xtt::copy_to(iota({2, 6}, at::kInt), out);  // same size, new shape
    EXPECT_EQ(out.data(), p);
    EXPECT_EQ(out.shape(), (xt::xarray<double>::shape_type{2, 6}));
    EXPECT_TRUE(values_equal(out, iota({2, 6}, at::kInt)));
    const at::Tensor same_dtype = iota({6, 2}, at::kDouble) + 0.5;  // a copy of bytes
    xtt::copy_to(same_dtype, out);
    EXPECT_EQ(out.data(), p);
    EXPECT_TRUE(values_equal(out, same_dtype));
    const at::Tensor offset = iota({4, 7}, at::kDouble).narrow(1, 1, 6).narrow(0, 1, 2);  // not dense: ATen's copy
    xtt::copy_to(offset, out);
    EXPECT_TRUE(values_equal(out, offset));

    xt::xarray<float, xt::layout_type::column_major> c = xt::zeros<float>({3, 4});
    const at::Tensor column = column_major(iota({3, 4}, at::kFloat));  // same strides as c: a copy of bytes
    xtt::copy_to(column, c);
    EXPECT_TRUE(values_equal(c, column));

    xt::xtensor<float, 2> x;
    xtt::to_xtensor(t, x);
    EXPECT_TRUE(values_equal(x, t));
    EXPECT_CONVERSION_ERROR(xtt::to_xtensor(iota({2, 3, 4}, at::kFloat), x), "rank 3", "not 2");
}

TEST(convert, copy_into_fixed_and_strided_destinations)
{
    xt::xtensor_fixed<float, xt::xshape<2, 3>> fixed;
    xtt::copy_to(iota({2, 3}, at::kDouble), fixed);
    EXPECT_TRUE(values_equal(fixed, iota({2, 3}, at::kDouble)));
    EXPECT_CONVERSION_ERROR(xtt::copy_to(iota({3, 2}, at::kDouble), fixed), "shape [2, 3]", "can't be resized");

    xt::xarray<int> big = xt::zeros<int>({4, 6});
    auto every_other = xt::view(big, xt::all(), xt::range(0, 6, 2));
    xtt::copy_to(iota({4, 3}, at::kLong), every_other);
    EXPECT_TRUE(values_equal(every_other, iota({4, 3}, at::kLong)));
    EXPECT_EQ(big(0, 1), 0);

    at::Tensor target = at::zeros({3, 4}, at::kFloat);
    auto v = xtt::view<float>(target.t());
    xtt::copy_to(iota({4, 3}, at::kInt), v);  // into another tensor's memory, through its strides
    EXPECT_TRUE(tensors_equal(target.t(), iota({4, 3}, at::kInt)));
}

TEST(convert, copies_resolve_staging_in_one_pass)
{
    const at::Tensor c = at::complex(iota({2, 3}, at::kDouble), iota({2, 3}, at::kDouble) + 1).conj();
    EXPECT_TRUE(values_equal(xtt::to_xarray<std::complex<double>>(c), c.resolve_conj()));
    EXPECT_CONVERSION_ERROR(xtt::to_xarray<std::complex<double>>(c, xtt::stage::none), "conjugate bit",
                            "xtt::stage::resolve_conj", "copy");
    const at::Tensor n = at::_neg_view(iota({2, 3}, at::kFloat));
    EXPECT_TRUE(values_equal(xtt::to_xarray<float>(n), n.resolve_neg()));
    const at::Tensor g = iota({2, 3}, at::kFloat).requires_grad_();
    EXPECT_TRUE(values_equal(xtt::to_xarray<float>(g), g.detach()));
    EXPECT_CONVERSION_ERROR(xtt::to_xarray<float>(g, xtt::stage::none), "requires grad", "xtt::stage::detach");
    EXPECT_TRUE(values_equal(xtt::to_xarray<float>(g, xtt::stage::none | xtt::stage::detach), g.detach()));
    const at::Tensor s = iota({3, 3}, at::kFloat).to_sparse();
    EXPECT_TRUE(values_equal(xtt::to_xarray<double>(s), s.to_dense()));
    EXPECT_CONVERSION_ERROR(xtt::to_xarray<double>(s, xtt::stage::all & ~xtt::stage::to_dense), "sparse_coo",
                            "xtt::stage::to_dense");
    // a plain tensor needs no flag: to_xarray copies by its name
    EXPECT_NO_THROW(xtt::to_xarray<float>(iota({2}, at::kFloat).t(), xtt::stage::none));
}

TEST(convert, copies_refuse_tensors_without_data)
{
    EXPECT_CONVERSION_ERROR(xtt::to_xarray<float>(at::Tensor()), "undefined");
    EXPECT_CONVERSION_ERROR(xtt::to_xarray<float>(at::empty({2}, at::TensorOptions().device(at::kMeta))), "meta");
    const at::Tensor q = at::quantize_per_tensor(iota({4}, at::kFloat), 0.5, 0, at::kQInt8);
    EXPECT_CONVERSION_ERROR(xtt::to_xarray<float>(q), "quantized", ".dequantize()");
}

/*
 * xtensor -> torch: evaluation.
 */
TEST(convert, to_torch_evaluates_lazy_expressions_once_into_the_tensor)
{
    xt::xarray<double> a = xtt::to_xarray<double>(iota({3, 4}, at::kDouble));
    xt::xarray<double> b = xtt::to_xarray<double>(iota({4}, at::kDouble));
    const at::Tensor t = xtt::to_torch(xt::exp(a / 10.0) + b);  // broadcasting
    const at::Tensor ta = iota({3, 4}, at::kDouble);
    EXPECT_TRUE(at::allclose(t, at::exp(ta / 10.0) + iota({4}, at::kDouble)));
    EXPECT_TRUE(t.is_contiguous());
    const at::Tensor mask = xtt::to_torch(a > 5.0);
    EXPECT_EQ(mask.scalar_type(), at::kBool);
    EXPECT_TRUE(tensors_equal(mask, ta > 5));
}

TEST(convert, zero_dim_expressions_give_zero_dim_tensors)
{
    xt::xarray<float> a = {1.f, 2.f, 3.f};
    const at::Tensor s = xtt::to_torch(xt::sum(a));
    EXPECT_EQ(s.dim(), 0);
    EXPECT_EQ(s.item<float>(), 6.f);
    const at::Tensor k = xtt::to_torch(xt::xscalar<double>(2.5));
    EXPECT_EQ(k.dim(), 0);
    EXPECT_EQ(k.item<double>(), 2.5);
}

TEST(convert, column_major_expressions_give_column_major_tensors)
{
    xt::xarray<float, xt::layout_type::column_major> a = {{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}};
    const at::Tensor t = xtt::to_torch(a * 2.f);
    EXPECT_EQ(t.strides(), c10::IntArrayRef({1, 2}));
    EXPECT_TRUE(tensors_equal(t, at::tensor({2.f, 4.f, 6.f, 8.f, 10.f, 12.f}).reshape({2, 3})));
}

TEST(convert, to_torch_options_cast_and_track_gradients)
{
    xt::xarray<int> a = {{1, 2}, {3, 4}};
    const at::Tensor f = xtt::to_torch(a, at::TensorOptions().dtype(at::kFloat).requires_grad(true));
    EXPECT_EQ(f.scalar_type(), at::kFloat);
    EXPECT_TRUE(f.requires_grad());
    EXPECT_TRUE(f.is_leaf());
    EXPECT_TRUE(tensors_equal(f.detach(), at::tensor({1.f, 2.f, 3.f, 4.f}).reshape({2, 2})));
    EXPECT_CONVERSION_ERROR(xtt::to_torch(a, at::TensorOptions().requires_grad(true)), "int32", "requires grad",
                            "floating");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(a, at::TensorOptions().layout(c10::kSparse)), "sparse_coo", "strided",
                            ".to_sparse()");
    xt::xarray<double> b = {1.0, 2.0};
    const double* p = b.data();
    const at::Tensor adopted = xtt::to_torch(std::move(b), at::TensorOptions().requires_grad(true));
    EXPECT_EQ(adopted.data_ptr(), static_cast<const void*>(p));
    EXPECT_TRUE(adopted.requires_grad());
}

/*
 * xtensor -> torch: adoption and ownership.
 */
namespace
{
    std::atomic<int> g_live_buffers{0};
    std::atomic<int> g_frees{0};

    template <class T>
    struct counting_allocator : std::allocator<T>
    {
        using value_type = T;
        template <class U>
        struct rebind
        {
            using other = counting_allocator<U>;
        };
        counting_allocator() = default;
        template <class U>
        counting_allocator(const counting_allocator<U>&) noexcept
        {
        }
        T* allocate(std::size_t n)
        {
            ++g_live_buffers;
            return std::allocator<T>::allocate(n);
        }
        void deallocate(T* p, std::size_t n)
        {
            --g_live_buffers;
            ++g_frees;
            std::allocator<T>::deallocate(p, n);
        }
    };

    using counted_array = xt::xarray_container<xt::uvector<double, counting_allocator<double>>, xt::layout_type::row_major,
                                               xt::svector<std::size_t, 4>>;

    counted_array make_counted()
    {
        counted_array a = counted_array::from_shape({8, 8});
        std::iota(a.begin(), a.end(), 0.0);
        return a;
    }

    struct ownership : ::testing::Test
    {
        void SetUp() override
        {
            g_live_buffers = 0;
            g_frees = 0;
        }
    };
}

TEST_F(ownership, adopted_buffer_is_freed_once_with_the_last_tensor)
{
    {
        at::Tensor t = xtt::to_torch(make_counted());
        EXPECT_EQ(g_live_buffers, 1);
        at::Tensor copy = t;
        t.reset();
        EXPECT_EQ(g_live_buffers, 1);
        EXPECT_EQ(copy[7][7].item<double>(), 63.0);
    }
    EXPECT_EQ(g_live_buffers, 0);
    EXPECT_EQ(g_frees, 1);
}

TEST_F(ownership, adopted_buffer_outlives_the_tensor_through_views)
{
    xtt::tensor_view<double, 2> v = [] {
        at::Tensor t = xtt::to_torch(make_counted());
        at::Tensor slice = t.slice(0, 2, 4);
        return xtt::view<double, 2>(slice);
    }();
    EXPECT_EQ(g_live_buffers, 1);
    EXPECT_EQ(v(0, 0), 16.0);
    v(1, 7) = -1;
    {
        xtt::tensor_view<double, 2> second = v;
        v = second;  // element-wise self copy
    }
    EXPECT_EQ(g_frees, 0);
    {
        const at::Tensor again = xtt::as_tensor(v);  // keeps the storage alive too
        v.~tensor_view();
        new (&v) xtt::tensor_view<double, 2>(xtt::view<double, 2>(again));
    }
    EXPECT_EQ(g_live_buffers, 1);
    EXPECT_EQ(v(1, 7), -1.0);
}

TEST_F(ownership, every_order_of_destruction_frees_once)
{
    for (int order = 0; order < 6; ++order)
    {
        SetUp();
        {
            auto t = std::make_unique<at::Tensor>(xtt::to_torch(make_counted()));
            auto view = std::make_unique<xtt::tensor_view<double>>(xtt::view<double>(*t));
            auto alias = std::make_unique<at::Tensor>(xtt::as_tensor(*view));
            std::vector<std::function<void()>> kills = {[&] { t.reset(); }, [&] { view.reset(); }, [&] { alias.reset(); }};
            std::vector<int> idx = {0, 1, 2};
            for (int k = 0; k < order; ++k)
            {
                std::next_permutation(idx.begin(), idx.end());
            }
            kills[idx[0]]();
            kills[idx[1]]();
            EXPECT_EQ(g_live_buffers, 1) << "order " << order;
            kills[idx[2]]();
            EXPECT_EQ(g_live_buffers, 0) << "order " << order;
        }
        EXPECT_EQ(g_frees, 1) << "order " << order;
    }
}

TEST(convert, owning_adaptors_and_fixed_containers_are_adopted)
{
    std::vector<float> buffer(6, 1.f);
    const float* p = buffer.data();
    auto owning = xt::adapt(std::move(buffer), std::vector<std::size_t>{2, 3});
    const at::Tensor t = xtt::to_torch(std::move(owning));
    EXPECT_EQ(t.data_ptr(), static_cast<const void*>(p));
    EXPECT_TRUE(tensors_equal(t, at::ones({2, 3})));

    xt::xtensor_fixed<double, xt::xshape<2, 2>> f = {{1., 2.}, {3., 4.}};
    const at::Tensor ft = xtt::to_torch(std::move(f));
    EXPECT_TRUE(tensors_equal(ft, at::tensor({1., 2., 3., 4.}).reshape({2, 2})));

    // an adaptor that does not own its memory is evaluated, not adopted
    std::vector<float> storage(4, 2.f);
    auto pointing = xt::adapt(storage.data(), 4, xt::no_ownership(), std::vector<std::size_t>{4});
    const at::Tensor copied = xtt::to_torch(std::move(pointing));
    EXPECT_NE(copied.data_ptr(), static_cast<void*>(storage.data()));
}

/*
 * xtensor -> torch: borrowing.
 */
TEST(convert, as_tensor_shares_memory_both_ways)
{
    xt::xtensor<float, 3> a = xt::zeros<float>({2, 3, 4});
    const at::Tensor t = xtt::as_tensor(a);
    t.add_(1);
    EXPECT_EQ(a(1, 2, 3), 1.f);
    a(0, 0, 0) = 5.f;
    EXPECT_EQ(t[0][0][0].item<float>(), 5.f);

    xt::xtensor_fixed<int, xt::xshape<2, 3>> f = {{1, 2, 3}, {4, 5, 6}};
    EXPECT_EQ(xtt::as_tensor(f).data_ptr(), static_cast<void*>(f.data()));

    std::vector<double> raw(12, 0.0);
    auto adapted = xt::adapt(raw.data(), raw.size(), xt::no_ownership(), std::vector<std::size_t>{3, 4});
    xtt::as_tensor(adapted).fill_(2.0);
    EXPECT_EQ(raw[11], 2.0);

    xt::xarray<double, xt::layout_type::column_major> c = {{1., 2.}, {3., 4.}};
    const at::Tensor ct = xtt::as_tensor(c);
    EXPECT_EQ(ct.strides(), c10::IntArrayRef({1, 2}));
    EXPECT_EQ(ct[0][1].item<double>(), 2.0);

    auto tr = xt::strided_view(a, {xt::all(), 1, xt::range(0, 4, 2)});
    const at::Tensor st = xtt::as_tensor(tr);
    EXPECT_EQ(st.sizes(), c10::IntArrayRef({2, 2}));
    EXPECT_EQ(st.data_ptr(), static_cast<void*>(&a(0, 1, 0)));
}

TEST(convert, as_tensor_refuses_what_torch_cannot_express)
{
    xt::xarray<float> a = {1.f, 2.f, 3.f, 4.f};
    auto reversed = xt::view(a, xt::range(3, xt::placeholders::_, -1));
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(reversed), "negative strides", "xtt::to_torch");
    EXPECT_TRUE(tensors_equal(xtt::to_torch(reversed), at::tensor({4.f, 3.f, 2.f, 1.f})));

    std::vector<std::complex<double>> buffer(5);
    // one double past an aligned start: complex128 wants 16 bytes
    auto* misaligned = reinterpret_cast<std::complex<double>*>(reinterpret_cast<char*>(buffer.data()) + 8);
    auto adapted = xt::adapt(misaligned, 4, xt::no_ownership(), std::vector<std::size_t>{4});
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(adapted), "complex128", "16-byte alignment");
}

/*
 * Round trips keep the data pointer.
 */
TEST(convert, as_tensor_of_a_view_is_an_alias_of_the_tensor)
{
    const at::Tensor t = iota({3, 4}, at::kFloat).t();
    auto v = xtt::view<float>(t);
    const at::Tensor back = xtt::as_tensor(v);
    EXPECT_EQ(back.data_ptr(), t.data_ptr());
    EXPECT_EQ(back.strides(), t.strides());
    EXPECT_TRUE(back.is_alias_of(t));  // the same storage, not a second one over the same pointer
    EXPECT_TRUE(xtt::as_tensor(xtt::view<float>(t)).is_alias_of(t));  // a temporary view too

    // ATen's overlap checks see the alias: a copy between overlapping parts is refused
    const at::Tensor base = iota({8}, at::kFloat);
    const at::Tensor alias = xtt::as_tensor(xtt::view<float, 1>(base));
    EXPECT_THROW(alias.narrow(0, 1, 5).copy_(base.narrow(0, 0, 5)), c10::Error);
    EXPECT_THROW(base.narrow(0, 1, 5).copy_(base.narrow(0, 0, 5)), c10::Error);  // as between two views of base

    // storage offsets and views of staged copies
    const at::Tensor offset = iota({5, 6}, at::kDouble).narrow(0, 2, 2).narrow(1, 1, 3);
    const at::Tensor o = xtt::as_tensor(xtt::view<double, 2>(offset));
    EXPECT_TRUE(o.is_alias_of(offset));
    EXPECT_EQ(o.storage_offset(), offset.storage_offset());
    EXPECT_TRUE(tensors_equal(o, offset));
    auto staged = xtt::view<double, 2, xt::layout_type::row_major>(offset, xtt::stage::contiguous);
    const at::Tensor s = xtt::as_tensor(staged);
    EXPECT_EQ(s.data_ptr(), static_cast<void*>(staged.data()));
    EXPECT_FALSE(s.is_alias_of(offset));
}

TEST(convert, to_torch_of_a_view_copies_whatever_its_value_category)
{
    const at::Tensor t = iota({3, 4}, at::kFloat);
    const at::Tensor from_temporary = xtt::to_torch(xtt::view<float, 2>(t));
    EXPECT_NE(from_temporary.data_ptr(), t.data_ptr());
    EXPECT_FALSE(from_temporary.is_alias_of(t));
    EXPECT_TRUE(tensors_equal(from_temporary, t));
    auto v = xtt::view<float, 2>(t);
    const at::Tensor from_lvalue = xtt::to_torch(v);
    const at::Tensor from_moved = xtt::to_torch(std::move(v));
    EXPECT_NE(from_lvalue.data_ptr(), t.data_ptr());
    EXPECT_NE(from_moved.data_ptr(), t.data_ptr());
    from_moved.fill_(-1);
    EXPECT_TRUE(tensors_equal(t, iota({3, 4}, at::kFloat)));  // a copy: t is untouched
    EXPECT_TRUE(tensors_equal(xtt::to_torch(xtt::view<const float>(t.t())), t.t()));
}

TEST(convert, moved_from_containers_are_refused)
{
    xt::xtensor<float, 1> a = {1.f, 2.f};
    xt::xtensor<float, 1> b = std::move(a);  // a keeps its shape, loses its buffer
    ASSERT_EQ(a.shape()[0], 2u);
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(a), "null", "moved-from");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(a), "null", "moved-from");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(a + 1.f), "null", "moved-from");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(xt::view(a, xt::range(0, 1))), "null", "moved-from");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(std::move(a)), "null", "moved-from");
    xt::xarray<double> c = {{1., 2.}, {3., 4.}};
    xt::xarray<double> d = std::move(c);
    if (xt::compute_size(c.shape()) > 0)  // xarray's shape may go with the buffer
    {
        EXPECT_CONVERSION_ERROR(xtt::as_tensor(c), "null");
    }
    else
    {
        EXPECT_EQ(xtt::as_tensor(c).numel(), 0);
    }
    EXPECT_TRUE(tensors_equal(xtt::to_torch(b), at::tensor({1.f, 2.f})));
    EXPECT_TRUE(tensors_equal(xtt::to_torch(d), at::tensor({1., 2., 3., 4.}).reshape({2, 2})));
}

TEST(convert, copy_to_an_aliasing_destination_goes_through_a_temporary)
{
    // destination = the source's own memory, transposed (ATen refuses t.copy_(t.t()))
    at::Tensor t = iota({4, 4}, at::kFloat);
    const at::Tensor expected = t.t().clone();
    auto v = xtt::view<float>(t);
    xtt::copy_to(t.t(), v);
    EXPECT_TRUE(tensors_equal(t, expected));
    // the other direction: the source is a transposed view of the destination
    at::Tensor u = iota({4, 4}, at::kDouble);
    const at::Tensor u_expected = u.t().clone();
    auto w = xtt::view<double>(u.t());
    xtt::copy_to(u, w);  // writes u's elements into u.t()
    EXPECT_TRUE(tensors_equal(u.t(), u_expected.t()));
    // partial overlap, shifted by one element, and with a cast
    at::Tensor base = iota({10}, at::kFloat);
    const at::Tensor shifted = base.narrow(0, 0, 8).clone();
    auto tail = xtt::view<float>(base.narrow(0, 2, 8));
    xtt::copy_to(base.narrow(0, 0, 8), tail);
    EXPECT_TRUE(tensors_equal(base.narrow(0, 2, 8), shifted));
    at::Tensor bytes = iota({8}, at::kInt);
    const at::Tensor expected_bytes = bytes.narrow(0, 1, 4).to(at::kFloat);
    auto same_memory = xtt::view<std::int32_t>(bytes.narrow(0, 0, 4));
    xtt::copy_to(bytes.narrow(0, 1, 4), same_memory);
    EXPECT_TRUE(tensors_equal(bytes.narrow(0, 0, 4), expected_bytes));
    // the same memory and layout: nothing to do
    at::Tensor same = iota({3, 3}, at::kFloat);
    auto sv = xtt::view<float>(same);
    xtt::copy_to(same, sv);
    EXPECT_TRUE(tensors_equal(same, iota({3, 3}, at::kFloat)));
}

TEST(convert, xtensor_to_torch_to_xtensor_keeps_the_pointer)
{
    xt::xarray<double> a = xt::ones<double>({5, 2});
    const double* p = a.data();
    const at::Tensor t = xtt::to_torch(std::move(a));
    auto v = xtt::view<double, 2, xt::layout_type::row_major>(t);
    EXPECT_EQ(v.data(), p);
    xt::xarray<double> b = xt::zeros<double>({2, 2});
    const at::Tensor borrowed = xtt::as_tensor(b);
    EXPECT_EQ(xtt::view<double>(borrowed).data(), b.data());
}

/*
 * The transposing copy (detail/fast_copy.hpp): permutations of dense tensors
 * large enough for the register blocks, every dtype, against ATen.
 */
TYPED_TEST(convert_typed, permuted_copies_match_aten)
{
    using T = TypeParam;
    const std::vector<std::pair<std::string, at::Tensor>> cases = {
        {"transposed", iota({67, 45}, dtype_of<T>).t()},
        {"transposed_square", iota({64, 64}, dtype_of<T>).t()},
        {"permuted3", iota({13, 37, 29}, dtype_of<T>).permute({2, 0, 1})},
        {"channels_last", iota({2, 19, 17, 23}, dtype_of<T>).contiguous(at::MemoryFormat::ChannelsLast)},
        {"column_major", column_major(iota({33, 18, 5}, dtype_of<T>))},
        {"size_one_dims", iota({1, 40, 1, 24}, dtype_of<T>).permute({3, 2, 1, 0})},
        // three channels: short rows on one side (the kernel's narrow paths), both ways
        {"nhwc_to_nchw_c3", iota({2, 3, 9, 11}, dtype_of<T>).contiguous(at::MemoryFormat::ChannelsLast)},
        {"nchw_to_nhwc_c3", iota({2, 3, 9, 11}, dtype_of<T>).permute({0, 2, 3, 1})},
        {"batched_transpose", iota({3, 70, 90}, dtype_of<T>).transpose(1, 2)},
        {"permuted5", iota({2, 3, 5, 7, 11}, dtype_of<T>).permute({0, 3, 1, 4, 2})},
        {"offset_transpose", iota({40, 30}, dtype_of<T>).narrow(0, 3, 35).narrow(1, 1, 27).contiguous().t()},
        {"more_than_a_block", iota({300, 1100}, dtype_of<T>).t()},
    };
    const int threads = at::get_num_threads();
    for (const auto& [name, t] : cases)
    {
        SCOPED_TRACE(name);
        at::set_num_threads(name == "more_than_a_block" || name == "batched_transpose" ? 2 : threads);  // split over threads too
        EXPECT_TRUE(values_equal(xtt::to_xarray<T>(t), t));  // into fresh memory
        xt::xarray<T> existing = xt::xarray<T>::from_shape(std::vector<std::size_t>(t.sizes().begin(), t.sizes().end()));
        xtt::copy_to(t, existing);  // into memory written before
        EXPECT_TRUE(values_equal(existing, t));
        xt::xarray<T, xt::layout_type::column_major> c = xtt::to_xarray<T, xt::layout_type::column_major>(t);
        EXPECT_TRUE(values_equal(c, t));
        auto staged = xtt::view<const T, xtt::dynamic, xt::layout_type::row_major>(t, xtt::stage::contiguous);
        EXPECT_TRUE(values_equal(staged, t));
        // and back: row-major memory into a permuted destination
        if (t.dim() == 2)
        {
            at::Tensor target = at::zeros(t.sizes(), t.options().dtype(dtype_of<T>)).t().contiguous().t();
            auto v = xtt::view<T, 2>(target);
            xtt::copy_to(t.contiguous(), v);
            EXPECT_TRUE(tensors_equal(target, t));
        }
    }
    at::set_num_threads(threads);
}

TEST(convert, transpose_kernels_agree_with_element_by_element)
{
    // every path of the tile loop: whole tiles (with and without the next
    // tile's prefetch, to the right and down), partial tiles in either
    // direction, remainders of the register blocks, several blocks of tiles,
    // a row range that starts inside a tile; strides that are powers of two
    // or not; plain and non-temporal stores (aligned or not)
    const auto check = [](auto tag) {
        using U = decltype(tag);
        constexpr std::int64_t TA = xtt::detail::transpose_tile<U>::a;
        constexpr std::int64_t TB = xtt::detail::transpose_tile<U>::b;
        constexpr std::int64_t S = xtt::detail::transpose_tile<U>::block;
        const std::vector<std::array<std::int64_t, 4>> cases = {
            // rows, cols, extra source stride, extra destination stride
            {1, 1, 0, 0}, {7, 9, 3, 5}, {8, 8, 0, 0}, {16, 16, 1, 0}, {33, 70, 0, 3},
            {TA, TB, 0, 0}, {2 * TA, 3 * TB, 0, 0}, {TA + 1, TB - 1, 2, 1}, {3 * TA - 5, 2 * TB + 7, 0, 0},
            {S + TA, 2 * TB, 0, 0}, {2 * TA, S + TB + 3, 1, 1}, {S + 3, S + 5, 0, 0}};
        for (const auto& [rows, cols, extra_s, extra_d] : cases)
        {
            const std::int64_t lds = rows + extra_s;
            const std::int64_t ldd = cols + extra_d;
            std::vector<U> src(static_cast<std::size_t>(lds * cols));
            auto* bytes = reinterpret_cast<unsigned char*>(src.data());
            for (std::size_t i = 0; i < src.size() * sizeof(U); ++i)
            {
                bytes[i] = static_cast<unsigned char>((i * 2654435761u) >> 13);
            }
            std::vector<U> expected(static_cast<std::size_t>(ldd * rows));
            std::memset(static_cast<void*>(expected.data()), 0, expected.size() * sizeof(U));
            xtt::detail::transpose_scalar(src.data(), lds, expected.data(), ldd, rows, cols);
            for (const bool stream : {false, true})
            {
                for (const std::int64_t a0 : {std::int64_t(0), std::min<std::int64_t>(rows - 1, 5)})
                {
                    std::vector<U> got = expected;
                    std::memset(static_cast<void*>(got.data() + a0 * ldd), 0, static_cast<std::size_t>((rows - a0) * ldd) * sizeof(U));
                    xtt::detail::transpose_rows(src.data(), lds, got.data(), ldd, a0, rows, cols, stream);
                    xtt::detail::streaming_stores_done(stream);
                    EXPECT_TRUE(got == expected) << sizeof(U) << "-byte, " << rows << "x" << cols << " from row " << a0
                                                 << (stream ? ", streamed" : "");
#if XTT_HAS_X86_KERNELS
                    if constexpr (sizeof(U) >= 4)
                    {
                        if (xtt::detail::cpu_has_avx2())
                        {
                            std::memset(static_cast<void*>(got.data() + a0 * ldd), 0, static_cast<std::size_t>((rows - a0) * ldd) * sizeof(U));
                            xtt::detail::transpose_rows_avx2(src.data(), lds, got.data(), ldd, a0, rows, cols, stream);
                            xtt::detail::streaming_stores_done(stream);
                            EXPECT_TRUE(got == expected) << "AVX2, " << sizeof(U) << "-byte, " << rows << "x" << cols
                                                         << " from row " << a0 << (stream ? ", streamed" : "");
                        }
                    }
#endif
                }
            }
        }
    };
    check(std::uint8_t{});
    check(std::uint16_t{});
    check(std::uint32_t{});
    check(std::uint64_t{});
    check(xtt::detail::bytes16{});
}

TEST(convert, narrow_transposes_agree_with_element_by_element)
{
    // a side of 1 to 16 elements (interleaving or splitting that many rows),
    // and 17 (the tiles again); destination or source rows adjacent or not;
    // long sides shorter and longer than a chunk of the narrow kernels
    const auto check = [](auto tag) {
        using U = decltype(tag);
        for (std::int64_t c = 1; c <= xtt::detail::narrow_transpose + 1; ++c)
        {
            for (const std::int64_t n : {std::int64_t(1), std::int64_t(37), std::int64_t(5000)})
            {
                for (const std::int64_t gap : {std::int64_t(0), std::int64_t(2)})
                {
                    for (const bool short_destination_rows : {true, false})
                    {
                        // short_destination_rows: a < n, b < c; else a < c, b < n
                        const std::int64_t rows = short_destination_rows ? n : c;
                        const std::int64_t cols = short_destination_rows ? c : n;
                        const std::int64_t lds = rows + gap;
                        const std::int64_t ldd = cols + gap;
                        std::vector<U> src(static_cast<std::size_t>(lds * cols));
                        auto* bytes = reinterpret_cast<unsigned char*>(src.data());
                        for (std::size_t i = 0; i < src.size() * sizeof(U); ++i)
                        {
                            bytes[i] = static_cast<unsigned char>((i * 2654435761u) >> 11);
                        }
                        std::vector<U> expected(static_cast<std::size_t>(ldd * rows));
                        std::memset(static_cast<void*>(expected.data()), 0, expected.size() * sizeof(U));
                        std::vector<U> got = expected;
                        xtt::detail::transpose_scalar(src.data(), lds, expected.data(), ldd, rows, cols);
                        for (const bool stream : {false, true})
                        {
                            std::memset(static_cast<void*>(got.data()), 0, got.size() * sizeof(U));
                            xtt::detail::transpose_part(src.data(), lds, got.data(), ldd, 0, rows, cols, stream);
                            xtt::detail::streaming_stores_done(stream);
                            EXPECT_TRUE(got == expected) << sizeof(U) << "-byte, " << rows << "x" << cols << ", lds " << lds
                                                         << ", ldd " << ldd << (stream ? ", streamed" : "");
                        }
                    }
                }
            }
        }
    };
    check(std::uint8_t{});
    check(std::uint16_t{});
    check(std::uint32_t{});
    check(std::uint64_t{});
    check(xtt::detail::bytes16{});
}

TEST(convert, permutations_fold_dims_that_continue_a_side)
{
    // NHWC -> NCHW is C x (H * W), one transpose per image, not H of C x W
    const at::Tensor src = iota({4, 3, 8, 5}, at::kFloat).contiguous(at::MemoryFormat::ChannelsLast);
    const at::Tensor dst = at::empty(src.sizes(), src.options());
    xtt::detail::transpose_plan plan;
    ASSERT_TRUE(xtt::detail::plan_transpose(src, dst, plan));
    EXPECT_EQ(plan.rows, 3);
    EXPECT_EQ(plan.cols, 8 * 5);
    EXPECT_EQ(plan.batch_sizes.size(), 1u);
    // and a batch of transposes whose batch dim continues nothing stays a batch
    const at::Tensor batched = iota({6, 10, 12}, at::kFloat).transpose(1, 2);
    const at::Tensor out = at::empty(batched.sizes(), batched.options());
    ASSERT_TRUE(xtt::detail::plan_transpose(batched, out, plan));
    EXPECT_EQ(plan.rows, 12);  // the source's rows: its dim 1, read as sizes [6, 12, 10]
    EXPECT_EQ(plan.cols, 10);
    EXPECT_EQ(plan.batch_sizes.size(), 1u);
}

TEST(convert, each_element_type_compiles_its_own_sizes_kernels)
{
    // a conversion to T carries the kernels of sizeof(T) only: another size's
    // entry leaves the copy (and the destination) alone, for ATen's copy
    const auto check = [](at::ScalarType dtype, auto kernel_of_size, auto other_size) {
        SCOPED_TRACE(xtt::dtype_name(dtype));
        const at::Tensor src = at::arange(37 * 29, at::kLong).remainder(100).reshape({37, 29}).to(dtype).t();
        const at::Tensor dst = at::zeros(src.sizes(), src.options());
        EXPECT_FALSE(xtt::detail::transposed_copy_of_size<decltype(other_size)::value>(src, dst));
        EXPECT_TRUE(at::equal(dst, at::zeros_like(dst)));
        EXPECT_TRUE(xtt::detail::transposed_copy_of_size<decltype(kernel_of_size)::value>(src, dst));
        EXPECT_TRUE(at::equal(dst, src));
        dst.zero_();
        EXPECT_TRUE(xtt::detail::transposed_copy_of_size<0>(src, dst));  // any size
        EXPECT_TRUE(at::equal(dst, src));
    };
    using one = std::integral_constant<std::size_t, 1>;
    using two = std::integral_constant<std::size_t, 2>;
    using four = std::integral_constant<std::size_t, 4>;
    using eight = std::integral_constant<std::size_t, 8>;
    using sixteen = std::integral_constant<std::size_t, 16>;
    check(at::kByte, one(), two());
    check(at::kHalf, two(), four());
    check(at::kFloat, four(), eight());
    check(at::kDouble, eight(), sixteen());
    check(at::kComplexFloat, eight(), four());
    check(at::kComplexDouble, sixteen(), one());
    // and the conversions name them by their element type
    EXPECT_EQ((xtt::detail::target_traits<xtt::tensor_view<const float>>::kernel()), &xtt::detail::transposed_copy_for<4>);
    EXPECT_EQ((xtt::detail::target_traits<xtt::edit_view<double, 2>>::kernel()), &xtt::detail::transposed_copy_for<8>);
    EXPECT_EQ(xtt::detail::copy_kernel_for<std::complex<double>>, &xtt::detail::transposed_copy_for<16>);
    EXPECT_EQ(xtt::detail::copy_kernel_for<c10::Half>, &xtt::detail::transposed_copy_for<2>);
}

TEST(convert, copies_split_over_threads_without_openmp)
{
    // the test binaries, as most users' code, are not compiled with -fopenmp, so
    // the chunks go to ATen's inter-op pool and the calling thread
    const int threads = at::get_num_threads();
    at::set_num_threads(3);
    std::vector<std::atomic<int>> covered(1000);
    std::mutex mutex;
    std::set<std::thread::id> ids;
    xtt::detail::parallel_chunks(1000, 100, [&](std::int64_t begin, std::int64_t end) {
        {
            const std::lock_guard<std::mutex> lock(mutex);
            ids.insert(std::this_thread::get_id());
        }
        for (std::int64_t i = begin; i < end; ++i)
        {
            ++covered[static_cast<std::size_t>(i)];
        }
        // the caller holds its first chunk until a pool thread has taken one
        const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (begin == 0 && std::chrono::steady_clock::now() < until)
        {
            {
                const std::lock_guard<std::mutex> lock(mutex);
                if (ids.size() > 1)
                {
                    break;
                }
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    });
    EXPECT_TRUE(std::all_of(covered.begin(), covered.end(), [](const auto& c) { return c.load() == 1; }));
    EXPECT_GT(ids.size(), 1u);
    // an exception in any chunk reaches the caller, after every claimed chunk ended
    EXPECT_THROW(xtt::detail::parallel_chunks(1000, 100,
                                              [](std::int64_t begin, std::int64_t) {
                                                  if (begin > 0)
                                                  {
                                                      throw std::runtime_error("chunk");
                                                  }
                                              }),
                 std::runtime_error);
    // called from a pool thread, with every chunk claimable by the caller: no deadlock
    std::promise<std::int64_t> sum;
    at::launch([&] {
        std::atomic<std::int64_t> s{0};
        xtt::detail::parallel_chunks(1000, 10, [&](std::int64_t begin, std::int64_t end) { s += end - begin; });
        sum.set_value(s.load());
    });
    auto result = sum.get_future();
    ASSERT_EQ(result.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    EXPECT_EQ(result.get(), 1000);
    // and a transpose large enough to split matches ATen
    const at::Tensor big = iota({700, 900}, at::kFloat).t();
    xt::xarray<float> existing = xt::zeros<float>({900, 700});
    xtt::copy_to(big, existing);
    EXPECT_TRUE(values_equal(existing, big));
    // and so does a plain copy into existing memory, 3 MiB in 1 MiB chunks
    const at::Tensor flat = iota({3 << 18}, at::kFloat);
    xt::xarray<float> into = xt::zeros<float>({std::size_t(3) << 18});
    xtt::copy_to(flat, into);
    EXPECT_TRUE(values_equal(into, flat));
    at::set_num_threads(threads);
}
