// Conversions without a staging policy, in a file of their own: they copy
// nothing, so the file must compile no permuted-copy kernel (checked on its
// object by support/kernel_symbols.cmake; README, "Compile time").
// SPDX-License-Identifier: BSD-3-Clause
#include <cstddef>

#include <xtensor-torch/xtensor-torch.hpp>
#if XTT_TEST_EIGEN
#include <xtensor-torch/eigen.hpp>
#endif

double sum_of_views(const at::Tensor& t, const at::Tensor& t3)
{
    auto v = xtt::view<float, 2>(t);
    v(0, 0) += v(0, 1);
    const auto r = xtt::view<const float, 2, xt::layout_type::row_major>(t);
    const auto c = xtt::view<const double>(t);
    auto e = xtt::edit<float, 2>(t);
    e(0, 0) = 1.f;
    e.commit();
    const std::size_t n = xtt::visit(t, [](auto w) { return w.size(); });
    const std::size_t m = xtt::visit<xtt::access::read_only>(t, [](auto w) { return w.dimension(); });
    double s = double(r(0, 0)) + c(0, 0) + double(n + m);
    // would_copy only plans
    s += xtt::would_copy<xtt::tensor_view<float, 2, xt::layout_type::row_major>>(t.t(), xtt::stage::contiguous) ? 1 : 0;
#if XTT_TEST_EIGEN
    s += xtt::eigen::map<double>(t).sum();
    s += xtt::eigen::map_vector<const double>(t.select(1, 0)).sum();
    s += double(xtt::eigen::tensor_map<float, 3>(t3).data()[0]);
    s += xtt::eigen::sparse_map<const double>(t).sum();
#else
    static_cast<void>(t3);
#endif
    return s;
}
