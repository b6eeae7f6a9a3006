// The precompiled header the must-not-compile cases share is built with this file.
// SPDX-License-Identifier: BSD-3-Clause
