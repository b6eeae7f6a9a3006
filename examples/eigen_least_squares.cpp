// Least squares with Eigen on LibTorch data: the data is made in LibTorch,
// solved with an Eigen QR decomposition on zero-copy maps, handed back to
// LibTorch, and checked against torch::linalg_lstsq.
// SPDX-License-Identifier: BSD-3-Clause
#include <iostream>

#include <Eigen/QR>
#include <torch/types.h>

#include <xtensor-torch/eigen.hpp>
#include <xtensor-torch/xtensor-torch.hpp>

int main()
{
    // y = 2 x0 - 3 x1 + 0.5 + noise, sampled in LibTorch
    torch::manual_seed(0);
    const std::int64_t n = 200;
    torch::Tensor features = torch::randn({n, 2}, torch::kFloat64);
    torch::Tensor design = torch::cat({features, torch::ones({n, 1}, torch::kFloat64)}, 1);  // n x 3
    torch::Tensor truth = torch::tensor({2.0, -3.0, 0.5}, torch::kFloat64);
    torch::Tensor y = design.matmul(truth) + 0.01 * torch::randn({n}, torch::kFloat64);

    // Eigen sees the tensors' memory: no copy (the design matrix is row-major)
    auto A = xtt::eigen::map<const double>(design);
    auto b = xtt::eigen::map_vector<const double>(y);
    Eigen::VectorXd x = A.colPivHouseholderQr().solve(b);

    // back to LibTorch: the solution's buffer is adopted, not copied
    torch::Tensor solution = xtt::to_torch(std::move(x));
    torch::Tensor reference = std::get<0>(torch::linalg_lstsq(design, y.unsqueeze(1))).squeeze(1);

    std::cout << "Eigen QR solution:     " << solution << '\n'
              << "torch::linalg_lstsq:   " << reference << '\n';
    const double difference = (solution - reference).abs().max().item<double>();
    std::cout << "largest difference: " << difference << '\n';
    return difference < 1e-9 ? 0 : 1;
}
