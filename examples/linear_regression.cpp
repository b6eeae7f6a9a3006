// Linear regression, the way the PyTorch tutorials on Tensor.numpy() and
// torch.from_numpy() end: data made with xtensor, a model trained by LibTorch,
// predictions read back with xtensor, and a plot.
//
//   linear_regression [plot.png]
//
// Prints the fitted slope and intercept (the data follow y = 2x + 1 + noise)
// and, when gnuplot is installed, writes the plot to plot.png (default:
// linear_regression.png). Exits with 1 if the fit is off.
// SPDX-License-Identifier: BSD-3-Clause
#include <cmath>
#include <cstdio>
#include <iostream>
#include <string>

#include <torch/torch.h>

#include <xtensor-torch/xtensor-torch.hpp>

#include "xtensor_headers.hpp"  // xtensor's headers, at the paths of the installed release

namespace
{
    /// Plots the data and the fitted line with gnuplot, through a pipe with an
    /// inline data block. Returns false (and says why) when gnuplot is missing.
    template <class X, class Y, class P>
    bool plot(const std::string& png, const X& x, const Y& y, const P& predicted, float slope, float intercept)
    {
        if (std::system("command -v gnuplot > /dev/null 2>&1") != 0)
        {
            std::cout << "gnuplot is not installed (Debian: gnuplot-nox): no plot written\n";
            return false;
        }
        FILE* gp = popen("gnuplot", "w");
        if (gp == nullptr)
        {
            std::cout << "could not start gnuplot: no plot written\n";
            return false;
        }
        std::fprintf(gp, "$data << EOD\n");
        for (std::size_t i = 0; i < x.size(); ++i)
        {
            std::fprintf(gp, "%g %g %g\n", double(x(i)), double(y(i)), double(predicted(i)));
        }
        std::fprintf(gp, "EOD\n");
        std::fprintf(gp,
                     "set terminal pngcairo size 800,500 font ',11'\n"
                     "set output '%s'\n"
                     "set title 'xtensor data, LibTorch fit: y = %.3f x + %.3f'\n"
                     "set xlabel 'x'\nset ylabel 'y'\nset grid\nset key top left box opaque\n"
                     "plot $data using 1:2 with points pt 7 ps 0.8 lc rgb '#4477aa' title 'data: 2x + 1 + noise', "
                     "$data using 1:3 with lines lw 2.5 lc rgb '#cc3311' title 'fitted line'\n",
                     png.c_str(), double(slope), double(intercept));
        return pclose(gp) == 0;
    }
}

int main(int argc, char** argv)
{
    const std::string png = argc > 1 ? argv[1] : "linear_regression.png";

    // 1. Synthetic data, made with xtensor (fixed seed): y = 2x + 1 + noise.
    constexpr std::size_t n = 100;
    xt::random::seed(42);
    xt::xtensor<float, 2> x = xt::random::rand<float>({n, std::size_t(1)}, 0.f, 5.f);
    xt::xtensor<float, 2> y = 2.f * x + 1.f + xt::random::randn<float>({n, std::size_t(1)}, 0.f, 0.3f);

    // 2. Handed to LibTorch without a copy: as_tensor shares x's and y's memory
    //    (like torch.from_numpy), and x and y outlive the tensors.
    const torch::Tensor inputs = xtt::as_tensor(x);
    const torch::Tensor targets = xtt::as_tensor(y);

    // 3. A torch::nn::Linear trained with SGD on the mean squared error.
    torch::manual_seed(0);
    torch::nn::Linear model(1, 1);
    torch::optim::SGD optimizer(model->parameters(), torch::optim::SGDOptions(0.02));
    for (int epoch = 0; epoch < 2000; ++epoch)
    {
        optimizer.zero_grad();
        const torch::Tensor loss = torch::mse_loss(model(inputs), targets);
        loss.backward();
        optimizer.step();
    }

    // 4. Predictions back in xtensor: a read-only view of the output, which
    //    requires grad; stage::detach shares it (like .detach().numpy()).
    const torch::Tensor output = model(inputs);
    auto predicted = xtt::view<const float, 2>(output, xtt::stage::detach);
    const float slope = model->weight.item<float>();
    const float intercept = model->bias.item<float>();
    const float mse = xt::mean(xt::square(predicted - y))();
    std::cout << "fitted: y = " << slope << " x + " << intercept << "   (data: y = 2 x + 1 + noise)\n"
              << "mean squared error of the fit: " << mse << '\n';

    // 5. The plot.
    if (plot(png, xt::view(x, xt::all(), 0), xt::view(y, xt::all(), 0), xt::view(predicted, xt::all(), 0), slope,
             intercept))
    {
        std::cout << "plot written to " << png << '\n';
    }
    const bool good = std::abs(slope - 2.f) < 0.2f && std::abs(intercept - 1.f) < 0.3f;
    if (!good)
    {
        std::cout << "the fit is off: expected a slope near 2 and an intercept near 1\n";
    }
    return good ? 0 : 1;
}
