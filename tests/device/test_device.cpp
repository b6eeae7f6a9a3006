// Device paths on an accelerator inside the process (fake_device.hpp): every
// conversion of a non-CPU tensor is refused without stage::to_cpu, reads with
// it through exactly one device-to-host copy, and writes back into device
// memory. The device's memory faults when the host reads it, so a test that
// passes proves the library never touches a device pointer on the host.
// SPDX-License-Identifier: BSD-3-Clause
#include <functional>
#include <stdexcept>

#include <torch/csrc/autograd/function.h>

#include "support/common.hpp"
#include "fake_device.hpp"

#if XTT_TEST_EIGEN
#include <xtensor-torch/eigen.hpp>
#endif

using namespace xtt_test;
using xtt::stage;

namespace
{
    at::Tensor dev(const at::Tensor& t)
    {
        return fake_device::to_device(t);
    }

    /// A device tensor of one geometry, and the same tensor on the CPU.
    struct device_case
    {
        std::string name;
        at::Tensor tensor;
        at::Tensor host;
        stage needs;  // the steps besides to_cpu a read needs
        bool overlapping = false;
    };

    /// Every layout kind a device tensor comes in; `dtype` is complex or real.
    std::vector<device_case> device_cases(at::ScalarType dtype)
    {
        const at::Tensor a = iota({3, 4}, dtype);
        const at::Tensor b = iota({6, 8}, dtype);
        const at::Tensor c = iota({2, 3, 4, 5}, dtype);
        const at::Tensor e = iota({1, 4}, dtype);
        std::vector<device_case> cases = {
            {"contiguous", dev(a), a, stage::none},
            {"transposed", dev(a).t(), a.t(), stage::none},
            {"sliced_with_step", dev(b).slice(0, 1, 6, 2).slice(1, 0, 8, 3), b.slice(0, 1, 6, 2).slice(1, 0, 8, 3), stage::none},
            {"offset_column", dev(b).select(1, 5), b.select(1, 5), stage::none},
            {"expanded", dev(e).expand({3, 4}), e.expand({3, 4}), stage::none, true},
            {"channels_last", dev(c).contiguous(at::MemoryFormat::ChannelsLast), c.contiguous(at::MemoryFormat::ChannelsLast),
             stage::none},
            {"rank0", dev(iota({}, dtype)), iota({}, dtype), stage::none},
            {"empty", dev(iota({3, 0}, dtype)), iota({3, 0}, dtype), stage::none},
            {"neg", at::_neg_view(dev(a)), at::_neg_view(a), stage::resolve_neg},
            {"neg_transposed", at::_neg_view(dev(a)).t(), at::_neg_view(a).t(), stage::resolve_neg},
        };
        if (c10::isComplexType(dtype))
        {
            cases.push_back({"conj", dev(a).conj(), a.conj(), stage::resolve_conj});
            cases.push_back({"conj_sliced", dev(b).conj().slice(1, 1, 8, 2), b.conj().slice(1, 1, 8, 2), stage::resolve_conj});
        }
        return cases;
    }

    /// The host's copy of `t`, with conj and neg bits resolved: what every read must see.
    at::Tensor resolved(const at::Tensor& host)
    {
        return host.resolve_conj().resolve_neg();
    }

    template <class T>
    struct type_tag
    {
        using type = T;
    };

    std::int64_t copies_to_host()
    {
        return fake_device::counts().to_host;
    }
}

/*
 * The device itself: the proof is only as good as its memory is unreadable.
 */
TEST(fake_device, its_memory_faults_when_the_host_reads_it)
{
    // "fast" (fork only): the child faults at once, before it could need a lock
    // another thread held; "threadsafe" would exec the binary again, which a
    // cross build under user-mode emulation can't
    GTEST_FLAG_SET(death_test_style, "fast");
    const at::Tensor t = dev(iota({64}, at::kFloat));
    EXPECT_EQ(t.device(), fake_device::device());
    EXPECT_TRUE(fake_device::is_device_address(t.data_ptr()));
    EXPECT_TRUE(tensors_equal(t.cpu(), iota({64}, at::kFloat)));
    EXPECT_DEATH(
        {
            const volatile float* p = static_cast<const float*>(t.data_ptr());
            std::printf("%f\n", static_cast<double>(p[3]));
        },
        "");
}

TEST(fake_device, views_autograd_and_copies_work_on_it)
{
    const at::Tensor h = iota({4, 6}, at::kComplexFloat);
    const at::Tensor d = dev(h);
    EXPECT_TRUE(tensors_equal(d.t().slice(0, 1, 6, 2).cpu(), h.t().slice(0, 1, 6, 2)));
    EXPECT_TRUE(tensors_equal(d.conj().cpu(), h.conj().resolve_conj()));
    EXPECT_TRUE(tensors_equal(d.reshape({24}).cpu(), h.reshape({24})));
    fake_device::reset_counts();
    (void)d.cpu();
    EXPECT_EQ(copies_to_host(), 1);
    EXPECT_EQ(fake_device::counts().to_device, 0);
}

/*
 * Refusals: without to_cpu, every conversion names the device, the flag and .cpu().
 */
TEST(device, every_conversion_refuses_without_to_cpu)
{
    const std::string device = fake_device::name();
    for (const auto& c : device_cases(at::kFloat))
    {
        SCOPED_TRACE(c.name);
        const at::Tensor& t = c.tensor;
        fake_device::reset_counts();
        const stage all_but = stage::all & ~stage::to_cpu;
        EXPECT_CONVERSION_ERROR(xtt::view<const float>(t), device.c_str(), "xtt::stage::to_cpu", ".cpu()");
        EXPECT_CONVERSION_ERROR(xtt::view<const float>(t, all_but), device.c_str(), "xtt::stage::to_cpu");
        EXPECT_CONVERSION_ERROR((xtt::view<float, xtt::dynamic, xt::layout_type::row_major>(t, all_but)), device.c_str(),
                                "xtt::stage::to_cpu");
        EXPECT_CONVERSION_ERROR(xtt::to_xarray<float>(t, all_but), device.c_str(), "xtt::stage::to_cpu", ".cpu()");
        EXPECT_CONVERSION_ERROR(xtt::to_xarray<double>(t, stage::none), device.c_str(), "xtt::stage::to_cpu");
        xt::xarray<float> out;
        EXPECT_CONVERSION_ERROR(xtt::copy_to(t, out, all_but), device.c_str(), "xtt::stage::to_cpu");
        EXPECT_CONVERSION_ERROR(xtt::stage_tensor(t, all_but), device.c_str(), "xtt::stage::to_cpu", ".cpu()");
        EXPECT_CONVERSION_ERROR(xtt::visit<xtt::access::read_only>(t, [](auto) {}, all_but), device.c_str(),
                                "xtt::stage::to_cpu");
        if (!c.overlapping)
        {
            EXPECT_CONVERSION_ERROR(xtt::edit<float>(t, all_but), device.c_str(), "xtt::stage::to_cpu");
            EXPECT_CONVERSION_ERROR(xtt::with_view<float>(t, all_but, [](auto&) {}), device.c_str(), "xtt::stage::to_cpu");
        }
#if XTT_TEST_EIGEN
        if (t.dim() == 2)
        {
            EXPECT_CONVERSION_ERROR(xtt::eigen::map<const float>(t, all_but), device.c_str(), "xtt::stage::to_cpu");
        }
        if (t.dim() == 4)
        {
            EXPECT_CONVERSION_ERROR((xtt::eigen::tensor_map<const float, 4>(t, all_but)), device.c_str(), "xtt::stage::to_cpu");
        }
#endif
        // a refusal copies nothing
        EXPECT_EQ(copies_to_host(), 0);
    }
}

namespace
{
    std::string message_of(const std::function<void()>& convert)
    {
        try
        {
            convert();
        }
        catch (const xtt::conversion_error& e)
        {
            return e.what();
        }
        return "no conversion_error";
    }
}

// Each refusal that is not about the device says the same for a device tensor
// as for a CPU one, with the device's name where the CPU's was.
TEST(device, other_refusals_keep_their_messages_on_the_device)
{
    using refusal = std::function<void(const at::Tensor&)>;
    const std::vector<std::pair<std::string, refusal>> refusals = {
        {"dtype", [](const at::Tensor& t) { (void)xtt::view<double>(t, stage::to_cpu); }},
        {"rank", [](const at::Tensor& t) { (void)xtt::view<float, 3>(t, stage::to_cpu); }},
        {"requires grad", [](const at::Tensor& t) { (void)xtt::view<float>(t.t().requires_grad_(), stage::to_cpu); }},
        {"overlapping edit", [](const at::Tensor& t) { (void)xtt::edit<float>(t.expand({2, 3, 4}), stage::all); }},
        {"leaf edit", [](const at::Tensor& t) { (void)xtt::edit<float>(t.detach().requires_grad_(), stage::all); }},
        {"cast", [](const at::Tensor& t) { (void)xtt::edit<double>(t, stage::to_cpu); }},
        {"inference edit", [](const at::Tensor& t) {
             at::Tensor inference;
             {
                 c10::InferenceMode guard;
                 inference = t.clone();
             }
             (void)xtt::edit<float>(inference, stage::to_cpu);
         }},
    };
    const at::Tensor host = iota({3, 4}, at::kFloat);
    const at::Tensor device = dev(host);
    for (const auto& entry : refusals)
    {
        const refusal& refuse = entry.second;  // (a structured binding can't be captured in C++17)
        SCOPED_TRACE(entry.first);
        std::string expected = message_of([&] { refuse(host); });
        ASSERT_NE(expected, "no conversion_error");
        for (std::size_t at = expected.find("cpu "); at != std::string::npos; at = expected.find("cpu ", at))
        {
            expected.replace(at, 3, fake_device::name());
            at += fake_device::name().size();
        }
        EXPECT_EQ(message_of([&] { refuse(device); }), expected);
    }
}

TEST(device, sparse_device_tensors_are_refused_and_read_as_on_the_cpu)
{
    const at::Tensor dense = iota({3, 4}, at::kFloat) * (iota({3, 4}, at::kFloat).remainder(3) == 0);
    const at::Tensor host = dense.to_sparse();
    const at::Tensor t = fake_device::sparse_to_device(host);
    ASSERT_EQ(t.layout(), c10::kSparse);
    const std::string device = fake_device::name();
    // each refusal names the first step the policy lacks, as for a CPU tensor
    EXPECT_CONVERSION_ERROR(xtt::view<const float>(t), device.c_str(), "xtt::stage::to_cpu");
    EXPECT_CONVERSION_ERROR(xtt::view<const float>(t, stage::to_dense), device.c_str(), "xtt::stage::to_cpu");
    std::string expected = message_of([&] { (void)xtt::view<const float>(host, stage::to_cpu); });
    expected.replace(expected.find("cpu "), 3, device);
    EXPECT_EQ(message_of([&] { (void)xtt::view<const float>(t, stage::to_cpu); }), expected);
    EXPECT_NE(expected.find("xtt::stage::to_dense"), std::string::npos) << expected;
    EXPECT_CONVERSION_ERROR(xtt::edit<float>(t, stage::all), "sparse", ".to_dense()");
    EXPECT_FALSE(xtt::would_copy(t, stage::to_dense));
    EXPECT_TRUE(xtt::would_copy(t, stage::to_cpu | stage::to_dense));
    // with both steps: the dense form, on the host
    fake_device::reset_counts();
    EXPECT_TRUE(values_equal(xtt::view<const float>(t, stage::to_cpu | stage::to_dense), dense));
    EXPECT_EQ(copies_to_host(), 1);
    EXPECT_TRUE(values_equal(xtt::to_xarray<double>(t), dense));
#if XTT_TEST_EIGEN
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<const float>(t), device.c_str(), "xtt::stage::to_cpu");
    const auto m = xtt::eigen::sparse_map<const float>(t, stage::to_cpu | stage::to_sparse_csr);
    ASSERT_EQ(m.rows(), 3);
    for (Eigen::Index i = 0; i < 3; ++i)
    {
        for (Eigen::Index j = 0; j < 4; ++j)
        {
            EXPECT_EQ(m.coeff(i, j), dense[i][j].item<float>());
        }
    }
#endif
}

/*
 * would_copy is exact for device tensors: true under every policy that allows
 * the copy, false (and a refusal) under every one that does not.
 */
TEST(device, would_copy_is_exact_under_every_policy)
{
    const std::vector<stage> flags = {stage::to_cpu, stage::detach, stage::resolve_conj,
                                      stage::resolve_neg, stage::to_dense, stage::contiguous};
    std::vector<std::pair<std::string, at::Tensor>> tensors;
    for (const auto& c : device_cases(at::kComplexFloat))
    {
        tensors.emplace_back(c.name, c.tensor);
    }
    tensors.emplace_back("requires_grad", dev(iota({3, 4}, at::kComplexFloat)).requires_grad_());
    tensors.emplace_back("grad_transposed", dev(iota({3, 4}, at::kComplexFloat)).t().requires_grad_());
    using C = std::complex<float>;
    std::size_t checked = 0;
    for (const auto& [name, t] : tensors)
    {
        SCOPED_TRACE(name);
        for (const stage policy : every_policy(flags))
        {
            const auto shares_view = [](const auto& v, const at::Tensor& x) { return same_storage(v.tensor_storage(), x); };
            EXPECT_TRUE(would_copy_is_exact<xtt::tensor_view<C>>(
                t, policy, [](const at::Tensor& x, stage p) { return xtt::view<C>(x, p); }, shares_view));
            EXPECT_TRUE(would_copy_is_exact<xtt::tensor_view<const C>>(
                t, policy, [](const at::Tensor& x, stage p) { return xtt::view<const C>(x, p); }, shares_view));
            using row_major = xtt::tensor_view<const C, xtt::dynamic, xt::layout_type::row_major>;
            EXPECT_TRUE(would_copy_is_exact<row_major>(
                t, policy, [](const at::Tensor& x, stage p) { return xtt::view<const C, xtt::dynamic, xt::layout_type::row_major>(x, p); },
                shares_view));
            EXPECT_TRUE(would_copy_is_exact<xtt::edit_view<C>>(
                t, policy, [](const at::Tensor& x, stage p) { return xtt::edit<C>(x, p); },
                [](const auto& v, const at::Tensor&) { return v.shares(); }));
#if XTT_TEST_EIGEN
            if (t.dim() == 2)
            {
                using map_type = xtt::eigen::matrix_map<const C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor,
                                                        Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
                EXPECT_TRUE(would_copy_is_exact<map_type>(
                    t, policy, [](const at::Tensor& x, stage p) { return xtt::eigen::map<const C>(x, p); },
                    [](const auto& m, const at::Tensor& x) { return same_storage(m.tensor_storage(), x); }));
            }
#endif
            for (auto layout : {xt::layout_type::dynamic, xt::layout_type::row_major, xt::layout_type::column_major})
            {
                for (auto mode : {xtt::access::read_write, xtt::access::read_only})
                {
                    bool copied = false;
                    try
                    {
                        const at::Tensor s = xtt::stage_tensor(t, policy, layout, mode);
                        copied = !same_storage(s.storage(), t);
                        EXPECT_TRUE(s.device().is_cpu());
                        EXPECT_TRUE(tensors_equal(s, t.detach().cpu().resolve_conj().resolve_neg()));
                    }
                    catch (const xtt::conversion_error&)
                    {
                    }
                    EXPECT_EQ(xtt::would_copy(t, policy, layout, mode), copied) << policy_name(policy);
                    ++checked;
                }
            }
        }
    }
    EXPECT_GT(checked, 1000u);
}

/*
 * Reads with to_cpu: every target, every layout kind, one device-to-host copy each.
 */
TEST(device, staged_views_read_every_layout_through_one_copy)
{
    for (const at::ScalarType dtype : {at::kFloat, at::kComplexDouble})
    {
        for (const auto& c : device_cases(dtype))
        {
            SCOPED_TRACE(c.name + " " + std::string(xtt::dtype_name(dtype)));
            const stage policy = stage::to_cpu | c.needs;
            const at::Tensor expected = resolved(c.host);
            const auto check = [&](auto make) {
                fake_device::reset_counts();
                auto v = make();
                EXPECT_EQ(copies_to_host(), 1);
                EXPECT_EQ(fake_device::counts().on_device, 0);
                EXPECT_TRUE(values_equal(v, expected));
                EXPECT_TRUE(v.tensor_storage().device().is_cpu());
                EXPECT_FALSE(v.size() > 0 && fake_device::is_device_address(v.data()));
            };
            const auto read_all = [&](auto tag) {
                using T = typename decltype(tag)::type;
                check([&] { return xtt::view<const T>(c.tensor, policy); });
                if (!c.overlapping)
                {
                    check([&] { return xtt::view<T>(c.tensor, policy); });
                }
                check([&] {
                    return xtt::view<const T, xtt::dynamic, xt::layout_type::row_major>(c.tensor, policy | stage::contiguous);
                });
                check([&] {
                    return xtt::view<const T, xtt::dynamic, xt::layout_type::column_major>(c.tensor, policy | stage::contiguous);
                });
                with_rank(c.tensor.dim(), [&](auto rank) {
                    constexpr std::size_t N = decltype(rank)::value;
                    check([&] { return xtt::view<const T, N>(c.tensor, policy); });
                    check([&] { return xtt::view<const T, N, xt::layout_type::row_major>(c.tensor, policy | stage::contiguous); });
                });
            };
            if (dtype == at::kFloat)
            {
                read_all(type_tag<float>{});
            }
            else
            {
                read_all(type_tag<std::complex<double>>{});
            }
        }
    }
}

TEST(device, a_staged_view_outlives_the_device_tensor)
{
    auto v = [] {
        const at::Tensor t = dev(iota({3, 4}, at::kFloat)).t();
        return xtt::view<const float, 2>(t, stage::to_cpu);
    }();
    EXPECT_TRUE(values_equal(v, iota({3, 4}, at::kFloat).t()));
}

TEST(device, a_tensor_that_requires_grad_reads_with_detach_and_to_cpu)
{
    const at::Tensor host = iota({3, 4}, at::kFloat);
    const at::Tensor g = dev(host).t().requires_grad_();
    EXPECT_CONVERSION_ERROR(xtt::view<float>(g, stage::to_cpu), "requires grad", "xtt::stage::detach");
    fake_device::reset_counts();
    EXPECT_TRUE(values_equal(xtt::view<float>(g, stage::to_cpu | stage::detach), host.t()));
    EXPECT_TRUE(values_equal(xtt::view<const float, 2, xt::layout_type::row_major>(g, stage::all), host.t()));
    EXPECT_EQ(copies_to_host(), 2);
    EXPECT_TRUE(g.requires_grad());
}

TEST(device, visit_reads_the_runtime_dtype_through_to_cpu)
{
    for (const at::ScalarType s : {at::kByte, at::kInt, at::kHalf, at::kBFloat16, at::kFloat, at::kDouble, at::kComplexFloat})
    {
        SCOPED_TRACE(std::string(xtt::dtype_name(s)));
        const at::Tensor host = iota({4, 5}, s).t();
        const at::Tensor t = dev(iota({4, 5}, s)).t();
        fake_device::reset_counts();
        const bool same = xtt::visit<xtt::access::read_only>(
            t,
            [&](auto v) {
                EXPECT_EQ(xtt::scalar_type_v<std::remove_const_t<typename decltype(v)::value_type>>, s);
                return static_cast<bool>(values_equal(v, host));
            },
            stage::to_cpu);
        EXPECT_TRUE(same);
        EXPECT_EQ(copies_to_host(), 1);
    }
}

TEST(device, copies_read_device_tensors_with_and_without_casts)
{
    for (const auto& c : device_cases(at::kFloat))
    {
        SCOPED_TRACE(c.name);
        const at::Tensor expected = resolved(c.host);
        fake_device::reset_counts();
        EXPECT_TRUE(values_equal(xtt::to_xarray<float>(c.tensor), expected));
        EXPECT_TRUE(values_equal(xtt::to_xarray<double>(c.tensor), expected));
        EXPECT_TRUE(values_equal(xtt::to_xarray<std::int32_t>(c.tensor, stage::to_cpu | c.needs), expected));
        EXPECT_TRUE(values_equal(xtt::to_xarray<float, xt::layout_type::column_major>(c.tensor), expected));
        xt::xarray<double> into = xt::zeros<double>({2});
        EXPECT_TRUE(values_equal(xtt::copy_to(c.tensor, into), expected));
        xt::xarray<float> same;
        EXPECT_TRUE(values_equal(xtt::to_xarray(c.tensor, same, stage::to_cpu | c.needs), expected));
        // each copy crosses from the device once (an empty tensor not at all)
        EXPECT_EQ(copies_to_host(), c.tensor.numel() > 0 ? 6 : 0);
        with_rank(c.tensor.dim(), [&](auto rank) {
            constexpr std::size_t N = decltype(rank)::value;
            EXPECT_TRUE(values_equal(xtt::to_xtensor<double, N>(c.tensor), expected));
            xt::xtensor<float, N> out;
            EXPECT_TRUE(values_equal(xtt::to_xtensor(c.tensor, out), expected));
        });
        const at::Tensor s = xtt::stage_tensor(c.tensor, stage::to_cpu | c.needs);
        EXPECT_TRUE(s.device().is_cpu());
        EXPECT_TRUE(tensors_equal(s, expected));
    }
    // half on the device, read as float
    const at::Tensor h = iota({3, 5}, at::kHalf);
    EXPECT_TRUE(values_equal(xtt::to_xarray<float>(dev(h).t()), h.t()));
}

TEST(device, to_torch_makes_tensors_on_the_device)
{
    const xt::xarray<float> a = {{1.f, 2.f, 3.f}, {4.f, 5.f, 6.f}};
    const auto on = at::TensorOptions().device(fake_device::device());
    fake_device::reset_counts();
    const at::Tensor t = xtt::to_torch(a, on);
    EXPECT_EQ(t.device(), fake_device::device());
    EXPECT_EQ(fake_device::counts().to_device, 1);
    EXPECT_TRUE(fake_device::is_device_address(t.data_ptr()));
    EXPECT_TRUE(values_equal(a, t.cpu()));
    const at::Tensor e = xtt::to_torch(xt::transpose(a) * 2.0, on.dtype(at::kDouble));
    EXPECT_EQ(e.device(), fake_device::device());
    EXPECT_EQ(e.scalar_type(), at::kDouble);
    EXPECT_TRUE(tensors_equal(e.cpu(), at::tensor({1., 4., 2., 5., 3., 6.}).reshape({3, 2}) * 2));
    xt::xarray<double> moved = {7., 8.};
    const at::Tensor m = xtt::to_torch(std::move(moved), on.requires_grad(true));
    EXPECT_EQ(m.device(), fake_device::device());
    EXPECT_TRUE(m.requires_grad());
    EXPECT_TRUE(tensors_equal(m.detach().cpu(), at::tensor({7., 8.})));
}

#if XTT_TEST_EIGEN
TEST(device, eigen_maps_read_device_tensors_through_to_cpu)
{
    using C = std::complex<float>;
    for (const auto& c : device_cases(at::kComplexFloat))
    {
        SCOPED_TRACE(c.name);
        const stage policy = stage::to_cpu | c.needs;
        const at::Tensor expected = resolved(c.host).contiguous();
        if (c.tensor.dim() == 2)
        {
            fake_device::reset_counts();
            const auto m = xtt::eigen::map<const C>(c.tensor, policy);
            EXPECT_EQ(copies_to_host(), 1);
            ASSERT_EQ(m.rows(), expected.size(0));
            for (Eigen::Index i = 0; i < m.rows(); ++i)
            {
                for (Eigen::Index j = 0; j < m.cols(); ++j)
                {
                    EXPECT_EQ(std::complex<double>(m(i, j)), element(expected, {i, j}));
                }
            }
            const auto packed = xtt::eigen::map<const C, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor, Eigen::Stride<0, 0>>(
                c.tensor, policy | stage::contiguous);
            if (expected.numel() > 0)
            {
                EXPECT_EQ(std::complex<double>(packed(expected.size(0) - 1, 0)), element(expected, {expected.size(0) - 1, 0}));
            }
        }
        if (c.tensor.dim() == 1)
        {
            const auto v = xtt::eigen::map_vector<const C>(c.tensor, policy);
            for (Eigen::Index i = 0; i < v.size(); ++i)
            {
                EXPECT_EQ(std::complex<double>(v(i)), element(expected, {i}));
            }
        }
        if (c.tensor.dim() == 4)
        {
            fake_device::reset_counts();
            const auto m = xtt::eigen::tensor_map<const C, 4>(c.tensor, policy | stage::contiguous);
            EXPECT_EQ(copies_to_host(), 1);
            EXPECT_EQ(std::complex<double>(m(1, 2, 3, 4)), element(expected, {1, 2, 3, 4}));
            EXPECT_EQ(std::complex<double>(m(0, 1, 0, 2)), element(expected, {0, 1, 0, 2}));
        }
    }
    Eigen::MatrixXd a(2, 3);
    a << 1, 2, 3, 4, 5, 6;
    const at::Tensor t = xtt::to_torch(a, at::TensorOptions().device(fake_device::device()));
    EXPECT_EQ(t.device(), fake_device::device());
    EXPECT_TRUE(tensors_equal(t.cpu(), at::tensor({1., 2., 3., 4., 5., 6.}).reshape({2, 3})));
}
#endif

/*
 * Write-back: edits of device tensors land in device memory by commit and at
 * scope end, never after an exception, as one copy to the device.
 */
namespace
{
    struct edit_case
    {
        std::string name;
        at::ScalarType dtype;
        std::vector<std::int64_t> sizes;
        std::function<at::Tensor(const at::Tensor&)> derive;
        stage policy;
        bool channels_last = false;  // the base tensor's memory format
    };

    std::vector<edit_case> edit_cases()
    {
        const auto same = [](const at::Tensor& b) { return b; };
        return {
            {"contiguous", at::kFloat, {4, 6}, same, stage::to_cpu},
            {"transposed", at::kFloat, {4, 6}, [](const at::Tensor& b) { return b.t(); }, stage::to_cpu},
            {"sliced_with_step", at::kFloat, {6, 8}, [](const at::Tensor& b) { return b.slice(1, 1, 8, 3); }, stage::to_cpu},
            {"transposed_slice", at::kFloat, {6, 8}, [](const at::Tensor& b) { return b.slice(0, 2, 5).t(); }, stage::to_cpu},
            {"channels_last", at::kFloat, {2, 3, 4, 5}, same, stage::to_cpu, true},
            {"channels_last_slice", at::kFloat, {2, 3, 4, 5}, [](const at::Tensor& b) { return b.slice(3, 1, 5, 2); },
             stage::to_cpu, true},
            {"conj", at::kComplexFloat, {3, 4}, [](const at::Tensor& b) { return b.conj(); }, stage::to_cpu | stage::resolve_conj},
            {"conj_slice", at::kComplexFloat, {4, 6}, [](const at::Tensor& b) { return b.conj().slice(1, 0, 6, 2); },
             stage::to_cpu | stage::resolve_conj},
            {"neg", at::kFloat, {3, 4}, [](const at::Tensor& b) { return at::_neg_view(b); }, stage::to_cpu | stage::resolve_neg},
            {"neg_transposed", at::kFloat, {3, 4}, [](const at::Tensor& b) { return at::_neg_view(b).t(); },
             stage::to_cpu | stage::resolve_neg},
            {"float16_as_float", at::kHalf, {3, 5}, same, stage::to_cpu | stage::cast},
            {"bfloat16_slice_as_float", at::kBFloat16, {4, 6}, [](const at::Tensor& b) { return b.slice(0, 1, 3); },
             stage::to_cpu | stage::cast},
        };
    }

    enum class ending
    {
        commit,
        scope,
        exception
    };

    template <class V>
    void edit_values(V& v)
    {
        using T = typename std::decay_t<V>::value_type;
        v = v * T(2) + T(1);
    }

    template <class T, std::size_t N, xt::layout_type L>
    void check_device_edit(const edit_case& c, ending how, stage extra)
    {
        at::Tensor host = iota(c.sizes, c.dtype);
        if (c.channels_last)
        {
            host = host.contiguous(at::MemoryFormat::ChannelsLast);
        }
        at::Tensor base = dev(host);
        EXPECT_EQ(base.strides(), host.strides());
        at::Tensor reference = host.clone();
        {
            const at::Tensor r = c.derive(reference);
            r.copy_(r.to(xtt::scalar_type_v<T>) * 2 + 1);
        }
        const at::Tensor target = c.derive(base);
        const auto version = base._version();
        fake_device::reset_counts();
        try
        {
            auto v = xtt::edit<T, N, L>(target, c.policy | extra);
            EXPECT_FALSE(v.shares());
            EXPECT_EQ(copies_to_host(), 1);
            EXPECT_FALSE(v.size() > 0 && fake_device::is_device_address(v.data()));
            edit_values(v);
            EXPECT_EQ(fake_device::counts().to_device, 0);  // nothing lands before the end
            if (how == ending::commit)
            {
                v.commit();
                EXPECT_EQ(fake_device::counts().to_device, 1);
                EXPECT_EQ(base._version(), version + 1);
            }
            if (how == ending::exception)
            {
                throw std::runtime_error("thrown in the scope");
            }
        }
        catch (const std::runtime_error&)
        {
        }
        const bool landed = how != ending::exception;
        EXPECT_EQ(fake_device::counts().to_device, landed ? 1 : 0);
        EXPECT_EQ(base._version(), version + (landed ? 1 : 0));
        EXPECT_EQ(base.device(), fake_device::device());
        EXPECT_TRUE(tensors_equal(base.cpu(), landed ? reference : host));
    }
}

TEST(device, edits_land_in_device_memory_by_commit_and_at_scope_end_only)
{
    for (const auto& c : edit_cases())
    {
        for (ending how : {ending::commit, ending::scope, ending::exception})
        {
            SCOPED_TRACE(c.name + " / " + (how == ending::commit ? "commit" : how == ending::scope ? "scope end" : "exception"));
            if (c.dtype == at::kComplexFloat)
            {
                check_device_edit<std::complex<float>, xtt::dynamic, xt::layout_type::dynamic>(c, how, stage::none);
                check_device_edit<std::complex<float>, 2, xt::layout_type::row_major>(c, how, stage::contiguous);
            }
            else if (c.sizes.size() == 4)
            {
                check_device_edit<float, 4, xt::layout_type::dynamic>(c, how, stage::none);
                check_device_edit<float, 4, xt::layout_type::row_major>(c, how, stage::contiguous);
            }
            else
            {
                check_device_edit<float, xtt::dynamic, xt::layout_type::dynamic>(c, how, stage::none);
                check_device_edit<float, 2, xt::layout_type::row_major>(c, how, stage::contiguous);
                check_device_edit<float, 2, xt::layout_type::column_major>(c, how, stage::contiguous);
            }
        }
    }
}

TEST(device, with_view_writes_back_into_device_memory)
{
    const at::Tensor host = iota({4, 6}, at::kFloat);
    at::Tensor t = dev(host);
    fake_device::reset_counts();
    const double sum = xtt::with_view<float, 2>(t.slice(1, 2, 6).t(), stage::to_cpu, [](auto& v) {
        v += 10.f;
        return static_cast<double>(xt::sum(v)());
    });
    EXPECT_EQ(copies_to_host(), 1);
    EXPECT_EQ(fake_device::counts().to_device, 1);
    at::Tensor reference = host.clone();
    reference.slice(1, 2, 6).add_(10);
    EXPECT_TRUE(tensors_equal(t.cpu(), reference));
    EXPECT_DOUBLE_EQ(sum, reference.slice(1, 2, 6).sum().item<double>());
    // an exception leaves the device tensor as it was
    EXPECT_THROW(xtt::with_view<float>(t, stage::to_cpu, [](auto& v) {
                     v.fill(-1.f);
                     throw std::logic_error("abandoned");
                 }),
                 std::logic_error);
    EXPECT_TRUE(tensors_equal(t.cpu(), reference));
}

TEST(device, autograd_records_the_write_back_and_gives_the_cpu_gradient)
{
    const auto run = [](bool on_device) {
        const at::Tensor x = iota({4, 3}, at::kDouble).requires_grad_();
        at::Tensor y = on_device ? dev(x) : x.clone();
        const stage policy = stage::detach | (on_device ? stage::to_cpu : stage::none);
        {
            auto v = xtt::edit<double, 2>(y.slice(0, 1, 3), policy);
            EXPECT_FALSE(v.shares());
            v = v * v + 1.0;
        }
        EXPECT_NE(std::string(y.grad_fn()->name()).find("CopySlices"), std::string::npos) << y.grad_fn()->name();
        const at::Tensor w = at::arange(12, at::kDouble).reshape({4, 3}) + 1;
        const at::Tensor on_host = on_device ? y.cpu() : y;
        (on_host * w).sum().backward();
        return std::make_pair(on_host.detach().clone(), x.grad().clone());
    };
    const auto [device_values, device_grad] = run(true);
    const auto [host_values, host_grad] = run(false);
    EXPECT_TRUE(tensors_equal(device_values, host_values));
    EXPECT_TRUE(tensors_equal(device_grad, host_grad));
    // the edited rows came from a copy: no gradient flows to them
    EXPECT_TRUE(tensors_equal(device_grad.slice(0, 1, 3), at::zeros({2, 3}, at::kDouble)));
}
