// The Python module the setup.py and JIT routes build around ops.cpp
// (importing it loads ops.cpp's TORCH_LIBRARY), with functions bound by
// pybind11 that take torch.Tensor arguments as xtt::tensor_views.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdint>

#include <torch/extension.h>

#include <xtensor-torch/pybind11.hpp>
#include <xtensor-torch/xtensor-torch.hpp>

namespace
{
    /// Row sums of a float64 matrix: a read-only view of the tensor's own memory, any strides.
    torch::Tensor row_sums(xtt::tensor_view<const double, 2> x)
    {
        return xtt::to_torch(xt::sum(x, {1}));
    }

    /// Where the view of x starts; a row-major static layout needs a copy for a
    /// transposed x, which only pybind11's convert pass may make.
    std::int64_t row_major_address(xtt::tensor_view<const float, 2, xt::layout_type::row_major> x)
    {
        return static_cast<std::int64_t>(reinterpret_cast<std::uintptr_t>(x.data()));
    }

    /// x *= s in place: a writable view shares x's memory (never a copy), and
    /// the write is counted in x's version counter after the call.
    void scale_(xtt::tensor_view<float> x, float s)
    {
        x *= s;
    }
}

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m)
{
    m.doc() = "xtensor-torch example: operators in torch.ops.xtt_ops, and functions bound with pybind11";
    m.def("row_sums", &row_sums, "row sums of a float64 matrix", pybind11::arg("x"));
    m.def("row_major_address", &row_major_address, pybind11::arg("x"));
    m.def("row_major_address_noconvert", &row_major_address, pybind11::arg("x").noconvert());
    m.def("scale_", &scale_, pybind11::arg("x"), pybind11::arg("s"));
}
