// The Python module the setup.py and JIT routes build around ops.cpp: it
// registers nothing itself (importing the module loads ops.cpp's TORCH_LIBRARY).
// SPDX-License-Identifier: BSD-3-Clause
#include <torch/extension.h>

PYBIND11_MODULE(TORCH_EXTENSION_NAME, m)
{
    m.doc() = "xtensor-torch example operators: see torch.ops.xtt_ops";
}
