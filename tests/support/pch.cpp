// The precompiled header the test binaries and the must-not-compile cases
// share is built with this file (tests/CMakeLists.txt).
// SPDX-License-Identifier: BSD-3-Clause
