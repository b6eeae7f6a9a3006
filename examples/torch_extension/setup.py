"""The setup.py route: builds ops.cpp (and module.cpp) into a Python module.

    python3 setup.py build_ext --inplace
    python3 -c "import torch, xtt_ops_setup; print(torch.ops.xtt_ops.mul_add)"
"""
# SPDX-License-Identifier: BSD-3-Clause
import os
import sys

from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from cxx_standard import cxx_standard_flag  # noqa: E402

setup(
    name="xtt_ops_setup",
    ext_modules=[
        CppExtension(
            name="xtt_ops_setup",
            sources=[os.path.join(HERE, "ops.cpp"), os.path.join(HERE, "module.cpp")],
            include_dirs=[os.path.join(HERE, "..", "..", "include")],
            # C++17 (torch 1.13's tools pass -std=c++14), C++20 for LibTorch 2.14
            extra_compile_args=[cxx_standard_flag(), "-O1"],
        )
    ],
    cmdclass={"build_ext": BuildExtension},
)
