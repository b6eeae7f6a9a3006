// Tests of edit.hpp: write-back views on every kind of tensor that needs a
// copy, by commit, at scope end and after an exception, against ATen doing the
// same edit; refusals; autograd; would_copy.
// SPDX-License-Identifier: BSD-3-Clause
#include <functional>
#include <stdexcept>

#include "support/common.hpp"

using namespace xtt_test;

namespace
{
    /// A tensor to edit, made from a base tensor, and how to edit it.
    struct edit_case
    {
        std::string name;
        at::ScalarType dtype;
        std::vector<std::int64_t> sizes;
        std::function<at::Tensor(const at::Tensor&)> derive;
        xtt::stage policy;
        bool shares;  // whether the edit view works in place
    };

    std::vector<edit_case> edit_cases()
    {
        using xtt::stage;
        const auto same = [](const at::Tensor& b) { return b; };
        std::vector<edit_case> cases = {
            {"contiguous", at::kFloat, {4, 6}, same, stage::none, true},
            {"transposed", at::kFloat, {4, 6}, [](const at::Tensor& b) { return b.t(); }, stage::none, true},
            {"sliced_with_step", at::kFloat, {6, 8}, [](const at::Tensor& b) { return b.slice(1, 0, 8, 3); }, stage::none, true},
            {"channels_last", at::kFloat, {2, 3, 4, 5},
             [](const at::Tensor& b) { return b.contiguous(at::MemoryFormat::ChannelsLast); }, stage::none, true},
            {"conj", at::kComplexFloat, {3, 4}, [](const at::Tensor& b) { return b.conj(); }, stage::resolve_conj, false},
            {"neg", at::kFloat, {3, 4}, [](const at::Tensor& b) { return at::_neg_view(b); }, stage::resolve_neg, false},
            {"float16_as_float", at::kHalf, {3, 5}, same, stage::cast, false},
            {"bfloat16_as_float", at::kBFloat16, {3, 5}, same, stage::cast, false},
        };
        return cases;
    }

    enum class ending
    {
        commit,
        scope,
        exception
    };

    /// The edit, as xtensor code: v = v * 2 + 1.
    template <class V>
    void edit_values(V& v)
    {
        using T = typename std::decay_t<V>::value_type;
        v = v * T(2) + T(1);
    }

    /// The same edit by ATen on the reference, computed in the view's dtype.
    void edit_in_aten(const at::Tensor& target, at::ScalarType computed)
    {
        target.copy_(target.to(computed) * 2 + 1);
    }

    template <class T, std::size_t N, xt::layout_type L>
    void check_edit(const edit_case& c, ending how)
    {
        at::Tensor base = iota(c.sizes, c.dtype);
        const at::Tensor original = base.clone();
        at::Tensor reference = base.clone();
        const at::Tensor target = c.derive(base);
        edit_in_aten(c.derive(reference), xtt::scalar_type_v<T>);
        bool shared = false;
        try
        {
            auto v = xtt::edit<T, N, L>(target, c.policy);
            shared = v.shares();
            edit_values(v);
            if (how == ending::commit)
            {
                v.commit();
            }
            if (how == ending::exception)
            {
                throw std::runtime_error("thrown in the scope");
            }
        }
        catch (const std::runtime_error&)
        {
        }
        const bool landed = how != ending::exception || shared;  // a shared view wrote in place already
        EXPECT_TRUE(tensors_equal(base, landed ? reference : original));
    }
}

TEST(edit, every_state_lands_by_commit_at_scope_end_and_not_after_an_exception)
{
    for (const auto& c : edit_cases())
    {
        for (ending how : {ending::commit, ending::scope, ending::exception})
        {
            SCOPED_TRACE(c.name + " / " + (how == ending::commit ? "commit" : how == ending::scope ? "scope end" : "exception"));
            if (c.dtype == at::kComplexFloat)
            {
                check_edit<std::complex<float>, xtt::dynamic, xt::layout_type::dynamic>(c, how);
                check_edit<std::complex<float>, 2, xt::layout_type::row_major>(c, how);
            }
            else if (c.sizes.size() == 4)
            {
                check_edit<float, 4, xt::layout_type::dynamic>(c, how);
                // a static row-major view of channels-last memory: a copy, written back
                edit_case staged = c;
                staged.policy = c.policy | xtt::stage::contiguous;
                check_edit<float, 4, xt::layout_type::row_major>(staged, how);
            }
            else
            {
                check_edit<float, xtt::dynamic, xt::layout_type::dynamic>(c, how);
                edit_case staged = c;
                staged.policy = c.policy | xtt::stage::contiguous;
                check_edit<float, 2, xt::layout_type::row_major>(staged, how);
            }
        }
    }
}

TEST(edit, shares_where_it_can_and_copies_only_by_name)
{
    at::Tensor t = iota({3, 4}, at::kFloat);
    {
        auto v = xtt::edit<float, 2>(t.t());
        EXPECT_TRUE(v.shares());
        EXPECT_EQ(static_cast<void*>(v.data()), t.data_ptr());
    }
    EXPECT_CONVERSION_ERROR((xtt::edit<float, 2, xt::layout_type::row_major>(t.t())), "not row-major contiguous",
                            "xtt::stage::contiguous");
    auto copy = xtt::edit<float, 2, xt::layout_type::row_major>(t.t(), xtt::stage::contiguous);
    EXPECT_FALSE(copy.shares());
    EXPECT_CONVERSION_ERROR(xtt::edit<float>(iota({3}, at::kHalf)), "float16", "not float32", "xtt::stage::cast");
    EXPECT_CONVERSION_ERROR(xtt::edit<float>(iota({3}, at::kHalf), xtt::stage::all), "xtt::stage::cast");
    EXPECT_FALSE(xtt::allows(xtt::stage::all, xtt::stage::cast));
}

TEST(edit, a_shared_edit_counts_the_write_for_autograd)
{
    at::Tensor t = iota({3}, at::kFloat);
    const auto before = t._version();
    {
        auto v = xtt::edit<float, 1>(t);
        v += 1.f;
    }
    EXPECT_GT(t._version(), before);
}

TEST(edit, a_staged_write_back_counts_one_write)
{
    // a permutation of the same dtype lands with the library's copy kernel, a
    // cast with copy_: each moves the version counter on once, as copy_ does
    for (const bool cast : {false, true})
    {
        SCOPED_TRACE(cast ? "cast" : "permuted");
        const at::Tensor base = iota({37, 53}, cast ? at::kHalf : at::kFloat);
        const at::Tensor t = base.t();
        at::Tensor expected = t.to(at::kFloat) * 2;
        const auto before = t._version();
        {
            auto v = xtt::edit<float, 2, xt::layout_type::row_major>(t, xtt::stage::contiguous | xtt::stage::cast);
            EXPECT_FALSE(v.shares());
            v *= 2.f;
            EXPECT_EQ(t._version(), before);  // nothing lands before the end
        }
        EXPECT_EQ(t._version(), before + 1);
        EXPECT_TRUE(tensors_equal(t, expected.to(t.scalar_type())));
    }
}

TEST(edit, a_tensor_that_requires_grad_is_written_back_through_autograd)
{
    const at::Tensor x = iota({4}, at::kDouble).requires_grad_();
    const at::Tensor x_ref = iota({4}, at::kDouble).requires_grad_();
    at::Tensor y = x * 2;
    at::Tensor y_ref = x_ref * 2;
    EXPECT_CONVERSION_ERROR((xtt::edit<double, 1>(y)), "requires grad", "xtt::stage::detach");
    {
        auto v = xtt::edit<double, 1>(y, xtt::stage::detach);
        EXPECT_FALSE(v.shares());  // a copy, written back with copy_, which autograd records
        v += 1.0;
    }
    y_ref.copy_(y_ref.detach() + 1);
    EXPECT_TRUE(tensors_equal(y.detach(), y_ref.detach()));
    (y * y).sum().backward();
    (y_ref * y_ref).sum().backward();
    EXPECT_TRUE(tensors_equal(x.grad(), x_ref.grad()));
    using edit_1d = xtt::edit_view<double, 1>;
    EXPECT_FALSE(xtt::would_copy<edit_1d>(x * 2, xtt::stage::none));
    EXPECT_TRUE(xtt::would_copy<edit_1d>(x * 2, xtt::stage::detach));
}

TEST(edit, tensors_no_write_back_can_reach_are_refused)
{
    const auto all = xtt::stage::all | xtt::stage::cast;
    EXPECT_CONVERSION_ERROR(xtt::edit<float>(iota({4}, at::kFloat).expand({3, 4}), all), "overlap", "collide");
    EXPECT_CONVERSION_ERROR(xtt::edit<float>(iota({3, 4}, at::kFloat).to_sparse(), all), "sparse_coo", ".to_dense()");
    EXPECT_CONVERSION_ERROR(xtt::edit<float>(iota({3}, at::kFloat).requires_grad_(), all), "leaf that requires grad",
                            "NoGradGuard");
    EXPECT_CONVERSION_ERROR(xtt::edit<float>(at::_efficientzerotensor({2})), "zero tensor", ".clone()");
    at::Tensor inference;
    {
        c10::InferenceMode guard;
        inference = iota({3}, at::kFloat);
        auto v = xtt::edit<float>(inference);  // inside inference mode, ATen writes it too
        v += 1.f;
    }
    EXPECT_TRUE(tensors_equal(inference, iota({3}, at::kFloat) + 1));
    EXPECT_CONVERSION_ERROR(xtt::edit<float>(inference, all), "inference tensor", "c10::InferenceMode");
    {
        c10::NoGradGuard no_grad;
        const at::Tensor leaf = iota({3}, at::kFloat).requires_grad_();
        auto v = xtt::edit<float>(leaf);
        v *= 2.f;
    }
    for (const at::Tensor& refused : {iota({4}, at::kFloat).expand({3, 4}), iota({3, 4}, at::kFloat).to_sparse()})
    {
        EXPECT_FALSE(xtt::would_copy<xtt::edit_view<float>>(refused, all));
    }
}

TEST(edit, with_view_writes_back_unless_the_function_throws)
{
    at::Tensor h = iota({2, 3}, at::kHalf);
    const float sum = xtt::with_view<float, 2>(h, xtt::stage::cast, [](auto& v) {
        v += 1.f;
        return xt::sum(v)();
    });
    EXPECT_EQ(sum, 21.f);
    EXPECT_TRUE(tensors_equal(h, iota({2, 3}, at::kHalf) + 1));
    const auto zero_then_throw = [](auto& v) {
        v = 0.f;
        throw std::runtime_error("no");
    };
    EXPECT_THROW((xtt::with_view<float, 2>(h, xtt::stage::cast, zero_then_throw)), std::runtime_error);
    EXPECT_TRUE(tensors_equal(h, iota({2, 3}, at::kHalf) + 1));  // discarded
}

// Every way to take the view by reference; by value does not compile, with
// one message (tests/compile_fail/with_view_by_value.cpp).
TEST(edit, with_view_takes_the_view_by_any_reference)
{
    at::Tensor t = iota({2, 3}, at::kFloat);
    xtt::with_view<float, 2>(t, xtt::stage::none, [](auto&& v) { v += 1.f; });
    xtt::with_view<float, 2>(t, xtt::stage::none, [](xtt::edit_view<float, 2>& v) { v *= 2.f; });
    const float first = xtt::with_view<float, 2>(t, xtt::stage::none, [](const auto& v) { return v(0, 0); });
    EXPECT_EQ(first, 2.f);
    EXPECT_TRUE(tensors_equal(t, (iota({2, 3}, at::kFloat) + 1) * 2));
}

TEST(edit, a_failed_write_back_is_an_error_on_commit)
{
    at::Tensor t = iota({2, 3}, at::kFloat);
    auto v = xtt::edit<double, 2>(t, xtt::stage::cast);
    t.resize_({7});  // the tensor no longer has the view's shape
    EXPECT_CONVERSION_ERROR(v.commit(), "write an edit view back", "LibTorch refused it");
    auto moved = std::move(v);
    EXPECT_CONVERSION_ERROR(v.commit(), "moved-from");
}

namespace
{
#if TORCH_VERSION_MAJOR >= 2
    namespace warning_api = c10::WarningUtils;  // where LibTorch 2 moved the handler functions
#else
    namespace warning_api = c10::Warning;
#endif

    /// Collects LibTorch's warnings while it lives.
    class warning_catcher : public c10::WarningHandler
    {
    public:

        warning_catcher()
            : m_previous(warning_api::get_warning_handler())
        {
            warning_api::set_warning_handler(this);
        }

        ~warning_catcher() override
        {
            warning_api::set_warning_handler(m_previous);
        }

#if TORCH_VERSION_MAJOR >= 2
        void process(const c10::Warning& warning) override
        {
            messages.push_back(warning.msg());
        }
#else
        void process(const c10::SourceLocation&, const std::string& msg, const bool) override
        {
            messages.push_back(msg);
        }
#endif

        std::vector<std::string> messages;

    private:

        c10::WarningHandler* m_previous;
    };
}

TEST(edit, a_failed_write_back_in_the_destructor_is_a_warning)
{
    at::Tensor t = iota({2, 3}, at::kFloat);
    warning_catcher warnings;
    {
        auto v = xtt::edit<double, 2>(t, xtt::stage::cast);
        v += 1.0;
        t.resize_({7});
    }  // no exception leaves the destructor
    ASSERT_EQ(warnings.messages.size(), 1u);
    for (const char* part : {"write-back failed", "discarded", "commit()", "The size of tensor a (7)"})
    {
        EXPECT_NE(warnings.messages[0].find(part), std::string::npos) << part << " not in: " << warnings.messages[0];
    }
}

TEST(edit, a_cast_view_reads_a_copy_of_another_dtype)
{
    const at::Tensor h = iota({2, 3}, at::kHalf);
    EXPECT_CONVERSION_ERROR(xtt::view<const float>(h), "xtt::stage::cast");
    auto v = xtt::view<const float, 2>(h, xtt::stage::cast);
    EXPECT_TRUE(values_equal(v, h));
    EXPECT_TRUE(xtt::would_copy<xtt::tensor_view<const float>>(h, xtt::stage::cast));
    EXPECT_FALSE(xtt::would_copy<xtt::tensor_view<const float>>(h, xtt::stage::all));
}

// would_copy<edit_view> agrees with edit itself, for every state and policy.
TEST(edit, would_copy_agrees_with_edit)
{
    using xtt::stage;
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& v : variants(at::kComplexFloat))
    {
        tensors.emplace_back(v.name, v.tensor);
        tensors.emplace_back(v.name + "+conj", v.tensor.conj());
    }
    tensors.emplace_back("half", iota({3, 4}, at::kComplexHalf));
    tensors.emplace_back("grad", iota({3, 4}, at::kComplexFloat).requires_grad_() * 2);
    tensors.emplace_back("sparse", iota({3, 4}, at::kComplexFloat).to_sparse());
    const std::vector<stage> flags = {stage::to_cpu, stage::detach, stage::resolve_conj, stage::contiguous, stage::cast};
    std::size_t checked = 0;
    using target = xtt::edit_view<std::complex<float>, xtt::dynamic, xt::layout_type::row_major>;
    for (const auto& [name, t] : tensors)
    {
        for (const stage policy : every_policy(flags))
        {
            EXPECT_TRUE(would_copy_is_exact<target>(
                t, policy,
                [](const at::Tensor& x, stage p) {
                    return xtt::edit<std::complex<float>, xtt::dynamic, xt::layout_type::row_major>(x, p);
                },
                [](const target& v, const at::Tensor&) { return v.shares(); }))
                << name;
            ++checked;
        }
    }
    EXPECT_GT(checked, 1500u);
}
