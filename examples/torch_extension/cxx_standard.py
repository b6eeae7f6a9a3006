"""The -std flag that builds xtensor-torch code against the installed torch:
C++17, or C++20 where the headers demand it (LibTorch's ATen.h says so itself
from 2.10 on; xtensor 0.27 needs it too), as the project's CMake decides.
torch's extension tools pass their own -std first; the later flag wins."""
# SPDX-License-Identifier: BSD-3-Clause
import os
import re

from torch.utils import cpp_extension


def _read(path):
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.read()
    except OSError:
        return None


def cxx_standard_flag():
    for folder in cpp_extension.include_paths():
        text = _read(os.path.join(folder, "ATen", "ATen.h"))
        if text is not None:
            if "__cplusplus < 202002L" in text:
                return "-std=c++20"
            break
    for prefix in ("/usr/local/include", "/usr/include"):
        for config in ("xtensor/core/xtensor_config.hpp", "xtensor/xtensor_config.hpp"):
            text = _read(os.path.join(prefix, config))
            if text is not None:
                major = re.search(r"#define XTENSOR_VERSION_MAJOR (\d+)", text)
                minor = re.search(r"#define XTENSOR_VERSION_MINOR (\d+)", text)
                if major and minor and (int(major.group(1)), int(minor.group(1))) >= (0, 27):
                    return "-std=c++20"
                return "-std=c++17"
    return "-std=c++17"
