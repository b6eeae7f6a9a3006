// Tests of stage.hpp: the flag set, each flag allowing exactly its step, and
// would_copy agreeing with what staging does.
// SPDX-License-Identifier: BSD-3-Clause
#include <functional>

#include "common.hpp"

using namespace xtt_test;
using xtt::stage;

static_assert((stage::to_cpu | stage::detach) != stage::none);
static_assert(xtt::allows(stage::all, stage::to_cpu | stage::contiguous));
static_assert(!xtt::allows(stage::to_cpu, stage::to_cpu | stage::contiguous));
static_assert((~stage::to_cpu & stage::to_cpu) == stage::none);
static_assert((stage::all & ~stage::to_cpu) != stage::all);
static_assert(~stage::all == stage::none);

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
        if (cuda_available())
        {
            cases.push_back({"cuda", [=] { return real().cuda(); }, stage::to_cpu, true,
                             {"cuda:0", "xtt::stage::to_cpu", ".cpu()"}});
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

// would_copy agrees with stage_tensor on every combination of state, policy,
// layout and access: true exactly when staging succeeds and copies.
TEST(stage, would_copy_agrees_with_staging_everywhere)
{
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& v : variants(at::kComplexFloat))
    {
        tensors.emplace_back(v.name, v.tensor);
        tensors.emplace_back(v.name + "+conj", v.tensor.conj());
        tensors.emplace_back(v.name + "+neg", at::_neg_view(v.tensor));
    }
    tensors.emplace_back("grad", iota({3, 4}, at::kFloat).requires_grad_());
    tensors.emplace_back("grad_transposed", iota({3, 4}, at::kFloat).t().requires_grad_());
    tensors.emplace_back("sparse", iota({3, 4}, at::kFloat).to_sparse());
    tensors.emplace_back("sparse_conj", at::complex(iota({3, 4}, at::kFloat), iota({3, 4}, at::kFloat)).to_sparse().conj());
    tensors.emplace_back("csr", iota({3, 4}, at::kFloat).to_sparse_csr());
    if (cuda_available())
    {
        tensors.emplace_back("cuda_transposed", iota({3, 4}, at::kFloat).cuda().t());
        tensors.emplace_back("cuda_expanded", iota({4}, at::kFloat).cuda().expand({3, 4}));
        tensors.emplace_back("cuda_conj", at::complex(iota({3}, at::kFloat), iota({3}, at::kFloat)).cuda().conj());
    }
    const std::vector<stage> flags = {stage::to_cpu, stage::detach, stage::resolve_conj,
                                      stage::resolve_neg, stage::to_dense, stage::contiguous};
    std::size_t checked = 0;
    for (const auto& [name, t] : tensors)
    {
        for (unsigned bits = 0; bits < (1u << flags.size()); ++bits)
        {
            stage policy = stage::none;
            for (std::size_t i = 0; i < flags.size(); ++i)
            {
                if (bits & (1u << i))
                {
                    policy |= flags[i];
                }
            }
            for (auto layout : {xt::layout_type::dynamic, xt::layout_type::row_major, xt::layout_type::column_major})
            {
                for (auto mode : {xtt::access::read_write, xtt::access::read_only})
                {
                    bool copied = false;
                    try
                    {
                        const at::Tensor s = xtt::stage_tensor(t, policy, layout, mode);
                        copied = !shares(s, t) && t.numel() > 0;
                        EXPECT_TRUE(tensors_equal(s, t.to_dense().cpu().resolve_conj().resolve_neg())) << name;
                    }
                    catch (const xtt::conversion_error&)
                    {
                    }
                    const bool predicted = xtt::would_copy(t, policy, layout, mode);
                    if (t.numel() > 0 || !predicted)
                    {
                        EXPECT_EQ(predicted, copied) << name << " policy " << bits << " layout "
                                                     << static_cast<int>(layout) << " mode " << static_cast<int>(mode);
                    }
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 10000u);
}
