#!/bin/sh
# Installs the Debian packages xtensor-torch's tests, examples and docs need
# (Debian 12 or newer), and any packages named as arguments. Uses sudo only
# when not root.
# SPDX-License-Identifier: BSD-3-Clause
set -eu
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update
$sudo apt-get install -y --no-install-recommends \
  cmake ninja-build g++ \
  libtorch-dev libxtensor-dev xtl-dev libxsimd-dev libeigen3-dev \
  libgtest-dev libbenchmark-dev \
  gnuplot-nox doxygen pkg-config make \
  python3-torch python3-dev python3-setuptools pybind11-dev "$@"
