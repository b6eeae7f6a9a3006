// Tests of view.hpp, continued: writes through views land where ATen's own
// in-place operations put them, for every assignment operator and geometry.
// SPDX-License-Identifier: BSD-3-Clause
#include <functional>

#include "support/common.hpp"

using namespace xtt_test;

/*
 * Writes land where they belong: every assignment operator, on every
 * geometry, through dynamic, fixed-rank and static-layout views, against ATen
 * doing the same in place. The whole base tensor is compared, so a write
 * into a gap between a slice's elements is caught.
 */
namespace
{
    struct geometry
    {
        const char* name;
        std::vector<std::int64_t> base_sizes;
        std::function<at::Tensor(const at::Tensor&)> derive;
    };

    std::vector<geometry> geometries()
    {
        return {
            {"contiguous", {3, 4}, [](const at::Tensor& b) { return b; }},
            {"square", {4, 4}, [](const at::Tensor& b) { return b; }},
            {"transposed", {3, 4}, [](const at::Tensor& b) { return b.t(); }},
            {"square_transposed", {4, 4}, [](const at::Tensor& b) { return b.t(); }},
            {"sliced_with_step", {6, 9}, [](const at::Tensor& b) { return b.slice(0, 1, 6, 2).slice(1, 0, 9, 3); }},
            {"square_sliced", {8, 8}, [](const at::Tensor& b) { return b.slice(0, 0, 8, 2).slice(1, 1, 8, 2); }},
            {"offset", {5, 6}, [](const at::Tensor& b) { return b.narrow(0, 2, 3).narrow(1, 1, 4); }},
            {"column_major", {4, 3}, [](const at::Tensor& b) { return b.t(); }},
            {"channels_last", {2, 3, 2, 2}, [](const at::Tensor& b) { return b.permute({0, 2, 3, 1}); }},
            {"permuted3", {2, 3, 4}, [](const at::Tensor& b) { return b.permute({1, 2, 0}); }},
            {"rank0", {5}, [](const at::Tensor& b) { return b.select(0, 2); }},
            {"strided_column", {4, 5}, [](const at::Tensor& b) { return b.select(1, 3); }},
            {"diagonal", {4, 4}, [](const at::Tensor& b) { return b.diagonal(); }},
            {"size_one", {3, 1, 4}, [](const at::Tensor& b) { return b; }},
            {"empty", {3, 0}, [](const at::Tensor& b) { return b; }},
        };
    }

    enum class op
    {
        assign_scaled_self,
        plus_scalar,
        times_scalar,
        minus_other,
        noalias_assign,
        noalias_plus,
        noalias_self,
        plus_self,
        assign_other,
        fill,
        assign_scalar,
        transpose_self,
    };

    const std::vector<std::pair<op, const char*>>& operations()
    {
        static const std::vector<std::pair<op, const char*>> all = {
            {op::assign_scaled_self, "v = v * 2"},  {op::plus_scalar, "v += 1"},
            {op::times_scalar, "v *= 3"},           {op::minus_other, "v -= other"},
            {op::noalias_assign, "noalias(v) = other + 1"}, {op::noalias_plus, "noalias(v) += other"},
            {op::noalias_self, "noalias(v) = v * 2 + 1"},   {op::plus_self, "v += v"},
            {op::assign_other, "v = other"},        {op::fill, "v.fill(5)"},
            {op::assign_scalar, "v = 4"},           {op::transpose_self, "v = transpose(v)"},
        };
        return all;
    }

    template <class V, class A>
    void through_view(op o, V& v, const A& other)
    {
        using T = typename V::value_type;
        switch (o)
        {
            case op::assign_scaled_self: v = v * T(2); break;
            case op::plus_scalar: v += T(1); break;
            case op::times_scalar: v *= T(3); break;
            case op::minus_other: v -= other; break;
            case op::noalias_assign: xt::noalias(v) = other + T(1); break;
            case op::noalias_plus: xt::noalias(v) += other; break;
            case op::noalias_self: xt::noalias(v) = v * T(2) + T(1); break;
            case op::plus_self: v += v; break;
            case op::assign_other: v = other; break;
            case op::fill: v.fill(T(5)); break;
            case op::assign_scalar: v = T(4); break;
            case op::transpose_self: v = xt::transpose(v); break;
        }
    }

    void in_aten(op o, at::Tensor& s, const at::Tensor& other)
    {
        switch (o)
        {
            case op::assign_scaled_self: s.mul_(2); break;
            case op::plus_scalar: s.add_(1); break;
            case op::times_scalar: s.mul_(3); break;
            case op::minus_other: s.sub_(other); break;
            case op::noalias_assign: s.copy_(other + 1); break;
            case op::noalias_plus: s.add_(other); break;
            case op::noalias_self: s.mul_(2).add_(1); break;
            case op::plus_self: s.add_(s.clone()); break;
            case op::assign_other: s.copy_(other); break;
            case op::fill: s.fill_(5); break;
            case op::assign_scalar: s.fill_(4); break;
            case op::transpose_self: s.copy_(s.t().clone()); break;
        }
    }

    // The same operation through the view make_view makes, and in ATen.
    template <class T, class MakeView>
    void check_writes(const geometry& g, op o, MakeView make_view)
    {
        at::Tensor base_xt = iota(g.base_sizes, xtt::scalar_type_v<T>);
        at::Tensor base_aten = base_xt.clone();
        at::Tensor target_xt = g.derive(base_xt);
        at::Tensor target_aten = g.derive(base_aten);
        if (o == op::transpose_self && (target_xt.dim() != 2 || target_xt.size(0) != target_xt.size(1)))
        {
            return;
        }
        const at::Tensor other = column_major(iota(target_xt.sizes(), xtt::scalar_type_v<T>) + 3);
        const xt::xarray<T> other_xt = xtt::to_xarray<T>(other);
        auto v = make_view(target_xt);
        through_view(o, v, other_xt);
        in_aten(o, target_aten, other);
        EXPECT_TRUE(tensors_equal(base_xt, base_aten));
    }
}

template <class T>
class view_writes : public ::testing::Test
{
};
using write_types = ::testing::Types<float, std::int64_t, std::complex<double>>;
XTT_TYPED_TEST_SUITE(view_writes, write_types);

TYPED_TEST(view_writes, every_operator_on_every_geometry_matches_aten)
{
    using T = TypeParam;
    for (const auto& g : geometries())
    {
        for (const auto& [o, name] : operations())
        {
            SCOPED_TRACE(std::string(g.name) + " / " + name);
            check_writes<T>(g, o, [](const at::Tensor& t) { return xtt::view<T>(t); });
            if (g.base_sizes.size() == 2 && g.derive(at::empty(g.base_sizes)).dim() == 2)
            {
                check_writes<T>(g, o, [](const at::Tensor& t) { return xtt::view<T, 2>(t); });
            }
        }
    }
}

TYPED_TEST(view_writes, static_layout_views_match_aten)
{
    using T = TypeParam;
    for (const auto& g : geometries())
    {
        const at::Tensor probe = g.derive(at::empty(g.base_sizes));
        for (const auto& [o, name] : operations())
        {
            SCOPED_TRACE(std::string(g.name) + " / " + name);
            if (probe.is_contiguous())
            {
                check_writes<T>(g, o, [](const at::Tensor& t) { return xtt::view<T, xtt::dynamic, xt::layout_type::row_major>(t); });
            }
            if (is_column_major(probe))
            {
                check_writes<T>(g, o, [](const at::Tensor& t) { return xtt::view<T, xtt::dynamic, xt::layout_type::column_major>(t); });
            }
        }
    }
}

TYPED_TEST(view_writes, fixed_rank_static_layout_views_take_xtensor_operators)
{
    using T = TypeParam;
    at::Tensor t = iota({3, 4}, xtt::scalar_type_v<T>);
    at::Tensor expected = t.clone();
    auto v = xtt::view<T, 2, xt::layout_type::row_major>(t);
    v = v * T(2);
    v += T(1);
    xt::noalias(v) += v;
    v -= xt::transpose(xt::transpose(v));
    v.fill(T(7));
    v(1, 2) = T(9);
    expected.mul_(2).add_(1).mul_(2).sub_(expected.clone()).fill_(7);
    expected[1][2] = 9;
    EXPECT_TRUE(tensors_equal(t, expected));

    at::Tensor c = column_major(iota({3, 4}, xtt::scalar_type_v<T>));
    at::Tensor c_expected = c.clone();
    auto w = xtt::view<T, 2, xt::layout_type::column_major>(c);
    w = w * T(2) + xt::view(w, 0);  // broadcast a row of itself
    c_expected.copy_(c_expected * 2 + c_expected[0]);
    EXPECT_TRUE(tensors_equal(c, c_expected));
}
