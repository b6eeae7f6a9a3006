"""The setup.py route: builds ops.cpp (and module.cpp) into a Python module.

    python3 setup.py build_ext --inplace
    python3 -c "import torch, xtt_ops_setup; print(torch.ops.xtt_ops.mul_add)"
"""
# SPDX-License-Identifier: BSD-3-Clause
import os

from setuptools import setup
from torch.utils.cpp_extension import BuildExtension, CppExtension

HERE = os.path.dirname(os.path.abspath(__file__))

setup(
    name="xtt_ops_setup",
    ext_modules=[
        CppExtension(
            name="xtt_ops_setup",
            sources=[os.path.join(HERE, "ops.cpp"), os.path.join(HERE, "module.cpp")],
            include_dirs=[os.path.join(HERE, "..", "..", "include")],
            # torch 1.13's tools pass -std=c++14; the later flag wins
            extra_compile_args=["-std=c++17", "-O1"],
        )
    ],
    cmdclass={"build_ext": BuildExtension},
)
