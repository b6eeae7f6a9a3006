// A tour of xtensor-torch: the C++ counterpart of "convert a PyTorch tensor to
// a NumPy array" (Tensor.numpy() / torch.from_numpy()), one section a step.
// SPDX-License-Identifier: BSD-3-Clause
#include <iostream>

#include <torch/cuda.h>
#include <torch/types.h>

#include <xtensor-torch/xtensor-torch.hpp>

#include "xtensor_headers.hpp"  // xtensor's headers, at the paths of the installed release

namespace
{
    void section(const char* title)
    {
        std::cout << "\n== " << title << " ==\n";
    }

    template <class F>
    void show_refusal(F&& f)
    {
        try
        {
            f();
            std::cout << "(no error)\n";
        }
        catch (const xtt::conversion_error& e)
        {
            std::cout << "conversion_error: " << e.what() << '\n';
        }
    }
}

int main()
{
    section("1. A view shares the tensor's memory (like t.numpy())");
    torch::Tensor t = torch::arange(6, torch::kFloat32).reshape({2, 3});
    auto v = xtt::view<float, 2>(t);  // no copy: v's elements are t's elements
    v(0, 0) = 100.f;                  // a write through the view...
    std::cout << "after v(0, 0) = 100, t[0][0] = " << t[0][0].item<float>() << '\n';
    t.mul_(2);                        // ...and a write through the tensor
    std::cout << "after t.mul_(2), the view reads\n" << v << '\n';

    section("2. A GPU tensor is staged to the host, by name");
    if (torch::cuda::is_available())
    {
        torch::Tensor gpu = torch::ones({2, 2}, torch::TensorOptions().device(torch::kCUDA));
        show_refusal([&] { xtt::view<float>(gpu); });
        auto host = xtt::view<float>(gpu, xtt::stage::to_cpu);  // one .cpu() copy, kept alive by the view
        std::cout << "staged with xtt::stage::to_cpu:\n" << host << '\n';
    }
    else
    {
        // The test suite runs these paths on an in-process device whose memory the
        // host can't read (docs/testing.md); that proves the library reads device
        // memory only through ATen's copies, not what only CUDA has (streams,
        // pinned memory, the caching allocator).
        std::cout << "CUDA is not available here. On a GPU, xtt::view<float>(gpu_tensor) throws a\n"
                     "conversion_error that names xtt::stage::to_cpu, and\n"
                     "xtt::view<float>(gpu_tensor, xtt::stage::to_cpu) copies it to the host\n"
                     "(one .cpu() copy; the test suite checks it on an in-process device).\n";
    }

    section("3. A tensor that requires grad needs detach (no copy)");
    torch::Tensor w = torch::ones({3}, torch::TensorOptions().requires_grad(true));
    show_refusal([&] { xtt::view<float>(w); });
    auto detached = xtt::view<float>(w, xtt::stage::detach);  // shares w's memory, like w.detach().numpy()
    std::cout << "with xtt::stage::detach: " << detached << '\n';
    {
        torch::NoGradGuard no_grad;  // as with numpy(), no flag is needed outside grad mode
        std::cout << "inside NoGradGuard: " << xtt::view<float>(w) << '\n';
    }

    section("4. An explicit copy (like t.numpy().copy())");
    xt::xarray<float> copy = xtt::to_xarray<float>(t);
    copy(0, 0) = -1.f;
    std::cout << "copy(0, 0) = " << copy(0, 0) << ", t[0][0] still " << t[0][0].item<float>() << '\n';

    section("5. A dtype cast is a copy, made only when asked");
    torch::Tensor ints = torch::arange(4, torch::kInt64);
    show_refusal([&] { xtt::view<double>(ints); });
    xt::xarray<double> as_double = xtt::to_xarray<double>(ints);  // ATen's cast kernel
    std::cout << "xtt::to_xarray<double>(ints) = " << as_double << '\n';

    section("6. A non-contiguous (transposed) tensor");
    torch::Tensor tt = t.t();
    auto strided = xtt::view<float, 2>(tt);  // any strides: still no copy
    std::cout << "strides " << strided.strides()[0] << ", " << strided.strides()[1] << ", shares t: "
              << std::boolalpha << (strided.data() == t.data_ptr<float>()) << '\n';
    show_refusal([&] { xtt::view<float, 2, xt::layout_type::row_major>(tt); });
    auto row_major = xtt::view<float, 2, xt::layout_type::row_major>(tt, xtt::stage::contiguous);  // .contiguous()
    std::cout << "with xtt::stage::contiguous:\n" << row_major << '\n';

    section("7. A sparse tensor needs to_dense");
    torch::Tensor sparse = torch::eye(3).to_sparse();
    show_refusal([&] { xtt::view<float>(sparse); });
    std::cout << "with xtt::stage::to_dense:\n" << xtt::view<float>(sparse, xtt::stage::to_dense) << '\n';

    section("8. A 0-d tensor as a scalar");
    torch::Tensor total = t.sum();
    auto scalar = xtt::view<const float, 0>(total);
    std::cout << "t.sum() through a rank-0 view: " << scalar() << '\n';

    section("9. xtensor to tensor (like torch.from_numpy())");
    xt::xarray<double> a = {{1., 2.}, {3., 4.}};
    torch::Tensor borrowed = xtt::as_tensor(a);  // shares a's memory; a must outlive it
    a(0, 0) = 10.;
    std::cout << "as_tensor sees a write to a: " << borrowed[0][0].item<double>() << '\n';
    torch::Tensor evaluated = xtt::to_torch(xt::sqrt(a) + 1.);  // evaluated once, straight into the tensor
    std::cout << "to_torch(sqrt(a) + 1) =\n" << evaluated << '\n';
    const double* buffer = a.data();
    torch::Tensor adopted = xtt::to_torch(std::move(a));  // adopts the buffer: no copy, freed with the tensor
    std::cout << "to_torch(std::move(a)) kept the buffer: " << (adopted.data_ptr<double>() == buffer) << '\n';

    section("10. Edit a GPU tensor (or a half tensor) with xtensor and have it land");
    // A view of a staged copy is a copy; xtt::edit writes the copy back (ATen's
    // copy_: it casts back, crosses devices, and tells autograd).
    const bool cuda = torch::cuda::is_available();
    torch::Tensor half = torch::arange(6, torch::TensorOptions().dtype(torch::kFloat16).device(cuda ? torch::kCUDA : torch::kCPU))
                             .reshape({2, 3});
    {
        auto edit = xtt::edit<float, 2>(half, xtt::stage::to_cpu | xtt::stage::cast);  // a float copy on the host
        edit = xt::sqrt(edit) * 10.f;                                                    // computed in float
        edit.commit();  // written back into the float16 tensor on its device; throws if it can't
    }
    std::cout << "the float16 tensor on " << half.device() << " after the edit:\n" << half << '\n';
    xtt::with_view<float, 2>(half, xtt::stage::to_cpu | xtt::stage::cast, [](auto& e) { e += 1.f; });
    std::cout << "after with_view(... e += 1):\n" << half << '\n';
    return 0;
}
