// Tests of stage.hpp: the flag set, each flag allowing exactly its step, and
// would_copy agreeing with what staging does.
// SPDX-License-Identifier: BSD-3-Clause
#include <functional>

#include "support/common.hpp"

using namespace xtt_test;
using xtt::stage;

static_assert((stage::to_cpu | stage::detach) != stage::none);
static_assert(xtt::allows(stage::all, stage::to_cpu | stage::contiguous));
static_assert(!xtt::allows(stage::to_cpu, stage::to_cpu | stage::contiguous));
static_assert((~stage::to_cpu & stage::to_cpu) == stage::none);
static_assert((stage::all & ~stage::to_cpu) != stage::all);
static_assert(~stage::all == stage::cast);  // cast is not in all
static_assert(~(stage::all | stage::cast) == stage::none);
static_assert(!xtt::allows(stage::all, stage::cast));

TEST(stage, flags_combine_as_a_bit_set)
{
    stage p = stage::none;
    p |= stage::detach;
    p |= stage::to_cpu;
    EXPECT_TRUE(xtt::allows(p, stage::detach));
    EXPECT_TRUE(xtt::allows(p, stage::to_cpu));
    EXPECT_FALSE(xtt::allows(p, stage::to_dense));
    p &= ~stage::detach;
    EXPECT_FALSE(xtt::allows(p, stage::detach));
    EXPECT_TRUE(xtt::allows(p, stage::none));
    for (stage s : {stage::to_cpu, stage::detach, stage::resolve_conj, stage::resolve_neg, stage::to_dense,
                    stage::contiguous, stage::to_sparse_csr})
    {
        EXPECT_TRUE(xtt::allows(stage::all, s));
    }
}

namespace
{
    struct state_case
    {
        const char* name;
        std::function<at::Tensor()> make;
        stage flag;  // the one step the tensor needs
        bool copies;
        std::vector<const char*> keywords;
        xt::layout_type layout = xt::layout_type::dynamic;
        xtt::access mode = xtt::access::read_write;
    };

    std::vector<state_case> state_cases()
    {
        auto real = [] { return iota({3, 4}, at::kFloat); };
        auto cplx = [] { return at::complex(iota({3, 4}, at::kFloat), iota({3, 4}, at::kFloat) + 1); };
        std::vector<state_case> cases = {
            {"requires_grad", [=] { return real().requires_grad_(); }, stage::detach, false,
             {"requires grad", "xtt::stage::detach", ".detach()"}},
            {"conj", [=] { return cplx().conj(); }, stage::resolve_conj, true,
             {"conjugate bit", "xtt::stage::resolve_conj", ".resolve_conj()"}},
            {"neg", [=] { return at::_neg_view(real()); }, stage::resolve_neg, true,
             {"negative bit", "xtt::stage::resolve_neg", ".resolve_neg()"}},
            {"sparse_coo", [=] { return real().to_sparse(); }, stage::to_dense, true,
             {"sparse_coo", "xtt::stage::to_dense", ".to_dense()"}},
            {"sparse_csr", [=] { return real().to_sparse_csr(); }, stage::to_dense, true,
             {"sparse_csr", "xtt::stage::to_dense", ".to_dense()"}},
            {"transposed_row_major", [=] { return real().t(); }, stage::contiguous, true,
             {"not row-major contiguous", "xtt::stage::contiguous", ".contiguous()"}, xt::layout_type::row_major},
            {"row_major_as_column_major", real, stage::contiguous, true,
             {"not column-major contiguous", "xtt::stage::contiguous", ".t().contiguous().t()"},
             xt::layout_type::column_major},
            {"sliced_row_major", [=] { return real().slice(1, 0, 4, 2); }, stage::contiguous, true,
             {"not row-major contiguous", "xtt::stage::contiguous"}, xt::layout_type::row_major},
            {"expanded_writable", [=] { return iota({4}, at::kFloat).expand({3, 4}); }, stage::contiguous, true,
             {"overlap", "xtt::stage::contiguous", ".contiguous()"}},
            {"unfolded_writable", [=] { return iota({8}, at::kFloat).unfold(0, 3, 1); }, stage::contiguous, true,
             {"overlap", "xtt::stage::contiguous"}},
        };
        if (at::hasMKLDNN())
        {
            cases.push_back({"mkldnn", [=] { return real().to_mkldnn(); }, stage::to_dense, true,
                             {"mkldnn", "xtt::stage::to_dense", ".to_dense()"}});
        }
        return cases;
    }

    bool shares(const at::Tensor& staged, const at::Tensor& original)
    {
        return original.layout() == c10::kStrided && original.device().is_cpu() && staged.data_ptr() == original.data_ptr();
    }
}

TEST(stage, each_flag_allows_exactly_its_step)
{
    for (const auto& c : state_cases())
    {
        SCOPED_TRACE(c.name);
        const at::Tensor t = c.make();
        const auto stage_with = [&](stage policy) { return xtt::stage_tensor(t, policy, c.layout, c.mode); };
        // not allowed: throws, names the state, the flag and the manual call
        for (stage policy : {stage::none, stage::all & ~c.flag})
        {
            try
            {
                stage_with(policy);
                ADD_FAILURE() << "no conversion_error";
            }
            catch (const xtt::conversion_error& e)
            {
                for (const char* k : c.keywords)
                {
                    EXPECT_NE(std::string(e.what()).find(k), std::string::npos) << e.what() << " lacks " << k;
                }
            }
            EXPECT_FALSE(xtt::would_copy(t, policy, c.layout, c.mode));
        }
        // allowed: works, and would_copy said whether it copies
        const at::Tensor staged = stage_with(c.flag);
        EXPECT_TRUE(staged.device().is_cpu());
        EXPECT_EQ(staged.layout(), c10::kStrided);
        EXPECT_FALSE(staged.is_conj());
        EXPECT_FALSE(staged.is_neg());
        EXPECT_TRUE(tensors_equal(staged, t.to_dense().cpu().resolve_conj().resolve_neg()));
        EXPECT_EQ(xtt::would_copy(t, c.flag, c.layout, c.mode), c.copies);
        EXPECT_EQ(!shares(staged, t), c.copies);
        EXPECT_EQ(xtt::would_copy(t, stage::all, c.layout, c.mode), c.copies);
    }
}

TEST(stage, a_ready_tensor_is_returned_as_it_is)
{
    const at::Tensor t = iota({3, 4}, at::kDouble);
    EXPECT_TRUE(xtt::stage_tensor(t, stage::all).is_same(t));
    EXPECT_TRUE(xtt::stage_tensor(t.t(), stage::none, xt::layout_type::column_major).is_alias_of(t));
    EXPECT_FALSE(xtt::would_copy(t, stage::all, xt::layout_type::row_major));
    EXPECT_FALSE(xtt::would_copy(iota({3}, at::kFloat).expand({2, 3}), stage::all, xt::layout_type::dynamic,
                                 xtt::access::read_only));
}

TEST(stage, read_only_access_takes_overlapping_tensors)
{
    const at::Tensor t = iota({4}, at::kFloat).expand({3, 4});
    EXPECT_TRUE(xtt::stage_tensor(t, stage::none, xt::layout_type::dynamic, xtt::access::read_only).is_same(t));
    EXPECT_NO_THROW(xtt::view<const float>(t));
}

TEST(stage, refusals_no_flag_fixes_are_never_copies)
{
    const at::Tensor meta = at::empty({2}, at::TensorOptions().device(at::kMeta));
    EXPECT_FALSE(xtt::would_copy(at::Tensor(), stage::all));
    EXPECT_FALSE(xtt::would_copy(meta, stage::all));
    EXPECT_CONVERSION_ERROR(xtt::stage_tensor(meta, stage::all), "meta", "no data");
    EXPECT_CONVERSION_ERROR(xtt::stage_tensor(at::Tensor(), stage::all), "undefined");
}

// The typed would_copy<Target> agrees with the conversion itself, for every
// view type (const or not, each layout), state and policy: true exactly when
// the view is made over a copy (checked by storage identity).
namespace
{
    std::vector<std::pair<std::string, at::Tensor>> staging_tensors()
    {
        std::vector<std::pair<std::string, at::Tensor>> tensors;
        for (const auto& v : variants(at::kComplexFloat))
        {
            tensors.emplace_back(v.name, v.tensor);
            tensors.emplace_back(v.name + "+conj", v.tensor.conj());
            tensors.emplace_back(v.name + "+neg", at::_neg_view(v.tensor));
        }
        const at::Tensor cl = iota({2, 3, 4, 6}, at::kComplexFloat).contiguous(at::MemoryFormat::ChannelsLast).slice(3, 0, 6, 2);
        tensors.emplace_back("channels_last_step+conj", cl.conj());
        tensors.emplace_back("channels_last_step+neg", at::_neg_view(cl));
        tensors.emplace_back("grad", iota({3, 4}, at::kComplexFloat).requires_grad_());
        tensors.emplace_back("grad_transposed", iota({3, 4}, at::kComplexFloat).t().requires_grad_());
        tensors.emplace_back("zero", at::_efficientzerotensor({3, 4}, at::TensorOptions().dtype(at::kComplexFloat)));
        tensors.emplace_back("sparse", iota({3, 4}, at::kComplexFloat).to_sparse());
        tensors.emplace_back("sparse_conj", iota({3, 4}, at::kComplexFloat).to_sparse().conj());
        tensors.emplace_back("csr", iota({3, 4}, at::kComplexFloat).to_sparse_csr());
        return tensors;
    }

    template <class T, xt::layout_type L>
    void check_view_target(const std::string& name, const at::Tensor& t, std::size_t& checked)
    {
        using target = xtt::tensor_view<T, xtt::dynamic, L>;
        const std::vector<xtt::stage> flags = {stage::to_cpu, stage::detach, stage::resolve_conj,
                                               stage::resolve_neg, stage::to_dense, stage::contiguous};
        for (const stage policy : every_policy(flags))
        {
            EXPECT_TRUE(would_copy_is_exact<target>(
                t, policy, [](const at::Tensor& x, stage p) { return xtt::view<T, xtt::dynamic, L>(x, p); },
                [](const target& v, const at::Tensor& x) { return same_storage(v.tensor_storage(), x); }))
                << name << " as " << (std::is_const_v<T> ? "const " : "") << static_cast<int>(L);
            ++checked;
        }
    }
}

// would_copy agrees with stage_tensor on every combination of state, policy,
// layout and access: true exactly when staging succeeds and copies (a new storage).
TEST(stage, would_copy_agrees_with_staging_everywhere)
{
    const std::vector<stage> flags = {stage::to_cpu, stage::detach, stage::resolve_conj,
                                      stage::resolve_neg, stage::to_dense, stage::contiguous};
    std::size_t checked = 0;
    for (const auto& [name, t] : staging_tensors())
    {
        for (const stage policy : every_policy(flags))
        {
            for (auto layout : {xt::layout_type::dynamic, xt::layout_type::row_major, xt::layout_type::column_major})
            {
                for (auto mode : {xtt::access::read_write, xtt::access::read_only})
                {
                    bool copied = false;
                    try
                    {
                        const at::Tensor s = xtt::stage_tensor(t, policy, layout, mode);
                        copied = !same_storage(s.storage(), t);
                        EXPECT_TRUE(tensors_equal(s, t.to_dense().cpu().resolve_conj().resolve_neg())) << name;
                    }
                    catch (const xtt::conversion_error&)
                    {
                    }
                    EXPECT_EQ(xtt::would_copy(t, policy, layout, mode), copied)
                        << name << " policy " << policy_name(policy) << " layout " << static_cast<int>(layout) << " mode "
                        << static_cast<int>(mode);
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 30000u);
}

TEST(stage, typed_would_copy_agrees_with_every_view_type)
{
    using C = std::complex<float>;
    std::size_t checked = 0;
    for (const auto& [name, t] : staging_tensors())
    {
        check_view_target<C, xt::layout_type::dynamic>(name, t, checked);
        check_view_target<const C, xt::layout_type::dynamic>(name, t, checked);
        check_view_target<C, xt::layout_type::row_major>(name, t, checked);
        check_view_target<const C, xt::layout_type::column_major>(name, t, checked);
    }
    EXPECT_GT(checked, 20000u);
    // a dtype or rank the view can't take: refused, so no copy
    EXPECT_FALSE((xtt::would_copy<xtt::tensor_view<float>>(iota({2}, at::kDouble), stage::all)));
    EXPECT_FALSE((xtt::would_copy<xtt::tensor_view<C, 3>>(iota({2}, at::kComplexFloat).conj(), stage::all)));
    EXPECT_TRUE((xtt::would_copy<xtt::tensor_view<C, 1>>(iota({2}, at::kComplexFloat).conj(), stage::all)));
}

TEST(stage, resolving_a_bit_copies_into_the_layout_asked_for)
{
    // channels-last, sliced with a step, conjugated: the resolved copy is row-major
    const at::Tensor t = at::arange(144)
                             .to(at::kComplexFloat)
                             .reshape({2, 3, 4, 6})
                             .contiguous(at::MemoryFormat::ChannelsLast)
                             .slice(3, 0, 6, 2)
                             .conj();
    EXPECT_TRUE(xtt::would_copy(t, stage::resolve_conj, xt::layout_type::row_major, xtt::access::read_only));
    auto v = xtt::view<const std::complex<float>, 4, xt::layout_type::row_major>(t, stage::resolve_conj);
    EXPECT_TRUE(values_equal(v, t.resolve_conj()));
    const at::Tensor n = at::_neg_view(t.conj());
    EXPECT_TRUE(xtt::would_copy(n, stage::resolve_neg, xt::layout_type::row_major, xtt::access::read_only));
    EXPECT_TRUE(values_equal(xtt::view<const std::complex<float>, 4, xt::layout_type::row_major>(n, stage::resolve_neg),
                             n.resolve_neg()));
    // column-major too, with no contiguous flag: the copy is made once, in that layout
    EXPECT_TRUE(is_column_major(xtt::stage_tensor(t, stage::resolve_conj, xt::layout_type::column_major)));
    // for any strides, dense strides are kept, as .resolve_conj() keeps them
    const at::Tensor dense = iota({3, 4}, at::kComplexFloat).t().conj();
    EXPECT_EQ(xtt::stage_tensor(dense, stage::resolve_conj).strides(), dense.strides());
}
