// Tests of op.hpp: operators written over views, called directly and through
// LibTorch's dispatcher after TORCH_LIBRARY registration.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdint>
#include <stdexcept>
#include <tuple>

#include <ATen/core/dispatch/Dispatcher.h>
#include <torch/library.h>

#include <xtensor-torch/op.hpp>

#include "support/common.hpp"

using namespace xtt_test;

namespace
{
    /// Where `f`'s view of its one argument starts.
    const auto address_of = [](auto v) { return static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(v.data())); };

    const auto add = xtt::op<float, double>([](auto a, auto b) { return a + b; });

    const auto axpby = xtt::op<at::Tensor(const at::Tensor&, double, const at::Tensor&, int64_t), float, double>(
        [](auto x, double a, auto y, int64_t b) {
            using T = typename decltype(x)::value_type;
            return static_cast<T>(a) * x + static_cast<T>(b) * y;
        });

    const auto scale_ = xtt::op<at::Tensor&(at::Tensor&, double), float, double>([](auto& x, double s) {
        using T = typename std::decay_t<decltype(x)>::value_type;
        x *= static_cast<T>(s);
    });

    const auto softmax_rows = xtt::op<xtt::ranks<2>, float, double>([](auto x) {
        const auto e = xt::eval(xt::exp(x - xt::eval(xt::amax(x, {1}, xt::keep_dims))));
        return xt::eval(e / xt::eval(xt::sum(e, {1}, xt::keep_dims)));
    });

    template <class Sig>
    auto typed(const char* name)
    {
        return c10::Dispatcher::singleton().findSchemaOrThrow(name, "").typed<Sig>();
    }
}

TORCH_LIBRARY(xtt_test_ops, m)
{
    m.def("add", add);                                                             // schema inferred
    m.def("axpby(Tensor x, float a, Tensor y, int b) -> Tensor", axpby);           // schema given
    m.def("scale_(Tensor(a!) x, float s) -> Tensor(a!)", scale_);                  // in place
    m.def("softmax_rows", softmax_rows);
    m.def("moments", xtt::op<float, double>([](auto x) { return std::make_tuple(xt::mean(x), xt::sum(x)); }));
}

TEST(op, infers_the_arity_and_computes_what_aten_computes)
{
    for (const at::ScalarType dtype : {at::kFloat, at::kDouble})
    {
        const at::Tensor a = iota({3, 4}, dtype);
        const at::Tensor b = iota({4}, dtype) * 3;  // broadcast like torch's operators
        const at::Tensor r = add(a, b);
        EXPECT_EQ(r.scalar_type(), dtype);
        EXPECT_TRUE(tensors_equal(r, a + b));
    }
    const at::Tensor x = at::randn({5, 7}, at::kDouble);
    EXPECT_TRUE(at::allclose(softmax_rows(x), at::softmax(x, 1)));
    const at::Tensor y = at::randn({5, 7}, at::kFloat);
    EXPECT_TRUE(at::allclose(axpby(x.to(at::kFloat), 0.5, y, 3), 0.5 * x.to(at::kFloat) + 3 * y));
}

TEST(op, the_kernel_has_the_aten_signature)
{
    using add_traits = c10::guts::infer_function_traits_t<std::decay_t<decltype(add)>>;
    static_assert(std::is_same_v<add_traits::func_type, at::Tensor(const at::Tensor&, const at::Tensor&)>);
    using scale_traits = c10::guts::infer_function_traits_t<std::decay_t<decltype(scale_)>>;
    static_assert(std::is_same_v<scale_traits::func_type, at::Tensor&(at::Tensor&, double)>);
    const auto none = xtt::op<float>([] { return xt::xtensor<float, 1>{1, 2}; });
    static_assert(std::is_same_v<c10::guts::infer_function_traits_t<decltype(none)>::func_type, at::Tensor()>);
    const auto three = xtt::op<float>([](auto a, auto b, const auto& c) { return a * b + c; });
    static_assert(std::is_same_v<c10::guts::infer_function_traits_t<decltype(three)>::func_type,
                                 at::Tensor(const at::Tensor&, const at::Tensor&, const at::Tensor&)>);
    const auto nothing = xtt::op<float>([](auto) {});
    static_assert(std::is_same_v<c10::guts::infer_function_traits_t<decltype(nothing)>::func_type, void(const at::Tensor&)>);
    const auto pair = xtt::op<float>([](auto a) { return std::make_tuple(a + a, a * a); });
    static_assert(std::is_same_v<c10::guts::infer_function_traits_t<decltype(pair)>::func_type,
                                 std::tuple<at::Tensor, at::Tensor>(const at::Tensor&)>);
    EXPECT_TRUE(tensors_equal(none(), at::tensor({1.f, 2.f})));
    EXPECT_NO_THROW(nothing(iota({2}, at::kFloat)));
    const at::Tensor t = iota({2, 2}, at::kFloat);
    EXPECT_TRUE(tensors_equal(three(t, t, t), t * t + t));
    const auto [sum, product] = pair(t);
    EXPECT_TRUE(tensors_equal(sum, t + t));
    EXPECT_TRUE(tensors_equal(product, t * t));
}

TEST(op, registers_with_torch_library_and_runs_through_the_dispatcher)
{
    const c10::OperatorHandle handle = c10::Dispatcher::singleton().findSchemaOrThrow("xtt_test_ops::add", "");
    const c10::FunctionSchema& schema = handle.schema();
    EXPECT_EQ(schema.arguments().size(), 2u);
    EXPECT_EQ(schema.returns().size(), 1u);
    const at::Tensor a = iota({2, 3}, at::kDouble);
    EXPECT_TRUE(tensors_equal(typed<at::Tensor(const at::Tensor&, const at::Tensor&)>("xtt_test_ops::add").call(a, a), a + a));
    EXPECT_TRUE(at::allclose(
        typed<at::Tensor(const at::Tensor&, double, const at::Tensor&, int64_t)>("xtt_test_ops::axpby").call(a, 2.0, a, -1),
        a));
    at::Tensor x = iota({4}, at::kFloat);
    const at::Tensor expected = x * 3;
    at::Tensor& r = typed<at::Tensor&(at::Tensor&, double)>("xtt_test_ops::scale_").call(x, 3.0);
    EXPECT_TRUE(r.is_same(x));
    EXPECT_TRUE(tensors_equal(x, expected));
    const at::Tensor m = at::randn({3, 5}, at::kDouble);
    const auto [mean, sum] = typed<std::tuple<at::Tensor, at::Tensor>(const at::Tensor&)>("xtt_test_ops::moments").call(m);
    EXPECT_EQ(mean.dim(), 0);
    EXPECT_TRUE(at::allclose(mean, m.mean()));
    EXPECT_TRUE(at::allclose(sum, m.sum()));
    EXPECT_TRUE(at::allclose(typed<at::Tensor(const at::Tensor&)>("xtt_test_ops::softmax_rows").call(m), at::softmax(m, 1)));
}

template <class T>
class op_typed : public ::testing::Test
{
};
XTT_TYPED_TEST_SUITE(op_typed, all_element_types);

TYPED_TEST(op_typed, every_listed_dtype_runs_and_others_are_refused)
{
    using T = TypeParam;
    const auto copy = xtt::op<T>([](auto v) { return v; });  // a view returned: evaluated into a new tensor
    for (const auto& var : variants(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        const at::Tensor r = copy(var.tensor);
        EXPECT_EQ(r.scalar_type(), dtype_of<T>);
        EXPECT_TRUE(tensors_equal(r, var.tensor));
        if (var.tensor.numel() > 0)
        {
            EXPECT_FALSE(r.is_alias_of(var.tensor));
        }
    }
    const at::ScalarType other = dtype_of<T> == at::kFloat ? at::kInt : at::kFloat;
    const std::string other_name(xtt::dtype_name(other));
    const std::string taken(xtt::dtype_name(dtype_of<T>));
    const std::string constant = ".to(" + std::string(xtt::dtype_constant(dtype_of<T>)) + ")";
    EXPECT_CONVERSION_ERROR(copy(iota({3}, other)), "run an xtt::op", ("its dtype is " + other_name).c_str(),
                            ("the operator takes " + taken).c_str(), constant.c_str());
}

TEST(op, reads_every_geometry_in_place)
{
    const auto where = xtt::op<int64_t(const at::Tensor&), float>(address_of);
    for (const auto& var : variants(at::kFloat))
    {
        SCOPED_TRACE(var.name);
        if (var.tensor.numel() > 0)
        {
            EXPECT_EQ(where(var.tensor), static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(var.tensor.data_ptr())));
        }
    }
    const at::Tensor leaf = iota({4, 4}, at::kFloat).requires_grad_();
    EXPECT_EQ(where(leaf), static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(leaf.data_ptr())));
    const at::Tensor r = add(leaf, leaf);  // read without a copy, the result outside autograd
    EXPECT_FALSE(r.requires_grad());
    EXPECT_TRUE(tensors_equal(r, leaf.detach() * 2));
}

TEST(op, static_ranks_are_checked)
{
    const auto outer = xtt::op<xtt::ranks<1, 1>, float>([](auto a, auto b) {
        xt::xtensor<float, 2> out({a.size(), b.size()});
        for (std::size_t i = 0; i < a.size(); ++i)
        {
            for (std::size_t j = 0; j < b.size(); ++j)
            {
                out(i, j) = a(i) * b(j);
            }
        }
        return out;  // adopted, not copied
    });
    const at::Tensor a = iota({3}, at::kFloat);
    const at::Tensor b = iota({4}, at::kFloat);
    EXPECT_TRUE(tensors_equal(outer(a, b), at::outer(a, b)));
    EXPECT_CONVERSION_ERROR(outer(a, iota({2, 2}, at::kFloat)), "rank");
    EXPECT_CONVERSION_ERROR(softmax_rows(a), "rank");
}

TEST(op, element_results_become_zero_dim_tensors)
{
    const auto first = xtt::op<float, std::int64_t>([](auto v) { return *v.cbegin(); });
    const at::Tensor r = first(iota({3, 2}, at::kLong).t());
    EXPECT_EQ(r.dim(), 0);
    EXPECT_EQ(r.scalar_type(), at::kLong);
    EXPECT_EQ(r.item<std::int64_t>(), 0);
    const auto count = xtt::op<int64_t(const at::Tensor&, bool), float>(
        [](auto v, bool nonzero) { return static_cast<int64_t>(nonzero ? xt::count_nonzero(v)() : v.size()); });
    EXPECT_EQ(count(iota({3, 4}, at::kFloat), true), 11);
    EXPECT_EQ(count(iota({3, 4}, at::kFloat), false), 12);
}

TEST(op, refuses_mixed_dtypes_unless_the_policy_casts)
{
    const at::Tensor f = iota({2, 3}, at::kFloat);
    const at::Tensor d = iota({2, 3}, at::kDouble);
    EXPECT_CONVERSION_ERROR(add(f, d), "argument 1", "its dtype is float64", "the operator runs in float32",
                            ".to(torch::kFloat32)", "xtt::stage::cast");
    const auto add_cast = xtt::op<float, double>([](auto a, auto b) { return a + b; }, xtt::stage::detach | xtt::stage::cast);
    const at::Tensor r = add_cast(f, d);
    EXPECT_EQ(r.scalar_type(), at::kFloat);
    EXPECT_TRUE(tensors_equal(r, f + f));
    const at::Tensor i = iota({2, 3}, at::kLong);
    EXPECT_CONVERSION_ERROR(add(i, i), "its dtype is int64", "the operator takes float32, float64",
                            ".to(torch::kFloat32)");
    const at::Tensor ri = add_cast(i, i);  // a dtype not listed: read as the first listed type
    EXPECT_EQ(ri.scalar_type(), at::kFloat);
    EXPECT_TRUE(tensors_equal(ri, (i + i).to(at::kFloat)));
}

TEST(op, refuses_what_a_view_refuses_with_its_message)
{
    EXPECT_CONVERSION_ERROR(add(at::Tensor(), at::Tensor()), "undefined");
    const at::Tensor meta = at::empty({2}, at::TensorOptions().dtype(at::kFloat).device(at::kMeta));
    EXPECT_CONVERSION_ERROR(add(meta, meta), "meta");
    const at::Tensor f = iota({2}, at::kFloat);
    EXPECT_CONVERSION_ERROR(add(f, at::Tensor()), "undefined");
    const auto strict = xtt::op<float>([](auto a) { return a; }, xtt::stage::none);
    EXPECT_CONVERSION_ERROR(strict(f.clone().requires_grad_()), "requires grad", "xtt::stage::detach");
    const at::Tensor c = at::complex(f, f).conj();
    const auto conj = xtt::op<std::complex<float>>([](auto a) { return a; });
    EXPECT_CONVERSION_ERROR(conj(c), "resolve_conj");
}

TEST(op, writes_in_place_through_the_tensors_own_memory)
{
    for (const at::ScalarType dtype : {at::kFloat, at::kDouble})
    {
        at::Tensor base = iota({4, 6}, dtype);
        at::Tensor x = base.t().slice(0, 1, 5);  // transposed and offset: edited in place
        const at::Tensor expected = x * 2;
        const void* data = x.data_ptr();
        const auto version = x._version();
        at::Tensor& r = scale_(x, 2.0);
        EXPECT_TRUE(r.is_same(x));
        EXPECT_EQ(x.data_ptr(), data);
        EXPECT_GT(x._version(), version);  // counted, as an in-place ATen op
        EXPECT_TRUE(tensors_equal(x, expected));
        EXPECT_TRUE(tensors_equal(base.t().slice(0, 1, 5), expected));
    }
    // a copy of another dtype, with stage::cast: edited as float, written back
    const auto scale_cast = xtt::op<at::Tensor&(at::Tensor&, double), float>(
        [](auto& x, double s) { x *= static_cast<float>(s); }, xtt::stage::cast);
    at::Tensor i = iota({5}, at::kLong);
    const at::Tensor expected = i * 3;
    scale_cast(i, 3.0);
    EXPECT_TRUE(tensors_equal(i, expected));
    // two written arguments; the first is returned
    const auto swap = xtt::op<at::Tensor&(at::Tensor&, at::Tensor&), float>([](auto& a, auto& b) {
        const xt::xtensor<float, 1> t = a;
        a = b;
        b = t;
    });
    at::Tensor p = iota({3}, at::kFloat);
    at::Tensor q = iota({3}, at::kFloat) + 10;
    at::Tensor& first = swap(p, q);
    EXPECT_TRUE(first.is_same(p));
    EXPECT_TRUE(tensors_equal(p, iota({3}, at::kFloat) + 10));
    EXPECT_TRUE(tensors_equal(q, iota({3}, at::kFloat)));
}

TEST(op, in_place_refusals)
{
    at::Tensor leaf = iota({3}, at::kFloat).requires_grad_();
    EXPECT_CONVERSION_ERROR(scale_(leaf, 2.0), "in place through an xtt::op", "autograd",
                            "torch::NoGradGuard", "torch::autograd::Function");
    at::Tensor nonleaf = leaf * 1;
    EXPECT_CONVERSION_ERROR(scale_(nonleaf, 2.0), "requires grad", "autograd");
    {
        at::NoGradGuard no_grad;
        scale_(leaf, 2.0);  // as leaf.mul_(2) under no_grad: in place
    }
    EXPECT_TRUE(tensors_equal(leaf.detach(), iota({3}, at::kFloat) * 2));
    at::Tensor expanded = iota({1, 3}, at::kFloat).expand({2, 3});
    EXPECT_CONVERSION_ERROR(scale_(expanded, 2.0), "overlap");
    at::Tensor d = iota({3}, at::kLong);
    EXPECT_CONVERSION_ERROR(scale_(d, 2.0), "its dtype is int64", "float32, float64");
}

TEST(op, an_exception_from_f_leaves_copies_unwritten)
{
    const auto fails = xtt::op<at::Tensor&(at::Tensor&), float>(
        [](auto& x) {
            x.fill(42.f);
            throw std::runtime_error("from f");
        },
        xtt::stage::cast);
    at::Tensor d = iota({3}, at::kDouble);  // edited as a float copy
    EXPECT_THROW(fails(d), std::runtime_error);
    EXPECT_TRUE(tensors_equal(d, iota({3}, at::kDouble)));
}

TEST(op, lazy_results_outlive_the_callables_parameters)
{
    // by value: operators and reducers hold the views by value
    const auto by_value = xtt::op<float>([](auto a, auto b) { return xt::sum(a * b, {1}) + 1.f; });
    // by const reference: an xt::view refers to the adapter's own view, alive until the result is evaluated
    const auto row = xtt::op<at::Tensor(const at::Tensor&, int64_t), float>(
        [](const auto& a, int64_t i) { return xt::view(a, static_cast<std::size_t>(i), xt::all()); });
    const at::Tensor t = iota({3, 4}, at::kFloat);
    EXPECT_TRUE(tensors_equal(by_value(t, t), (t * t).sum(1) + 1));
    EXPECT_TRUE(tensors_equal(row(t.t(), 2), t.t()[2]));
}

TEST(op, the_kernel_is_a_copyable_value)
{
    auto copy = add;
    const at::Tensor t = iota({3}, at::kFloat);
    EXPECT_TRUE(tensors_equal(copy(t, t), t * 2));
    int calls = 0;
    const auto counting = xtt::op<float>([&calls](auto a) {
        ++calls;
        return a;
    });
    counting(t);
    counting(t);
    EXPECT_EQ(calls, 2);
}
