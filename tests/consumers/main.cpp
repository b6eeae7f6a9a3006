// The program every consumer project builds: a view, a copy and the way back.
// SPDX-License-Identifier: BSD-3-Clause
#include <iostream>

#include <xtensor-torch/xtensor-torch.hpp>
#ifdef XTT_CONSUMER_EIGEN
#include <xtensor-torch/eigen.hpp>
#endif

int main()
{
    at::Tensor t = at::arange(6, at::kFloat).reshape({2, 3});
    auto v = xtt::view<float, 2>(t);
    v(1, 2) = 42.f;
    xt::xarray<double> copy = xtt::to_xarray<double>(t.t());
    at::Tensor back = xtt::to_torch(copy * 2.0);
#ifdef XTT_CONSUMER_EIGEN
    auto m = xtt::eigen::map<float>(t);
    if (m(1, 2) != 42.f)
    {
        return 1;
    }
#endif
    const bool ok = t[1][2].item<float>() == 42.f && back[2][1].item<double>() == 84.0;
    std::cout << "xtensor-torch " << XTENSOR_TORCH_VERSION_MAJOR << '.' << XTENSOR_TORCH_VERSION_MINOR << '.'
              << XTENSOR_TORCH_VERSION_PATCH << (ok ? ": ok" : ": FAILED") << '\n';
    return ok ? 0 : 1;
}
