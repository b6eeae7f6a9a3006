// Counts calls of the global operator new while counting is on (tests only).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_TESTS_ALLOC_COUNTER_HPP
#define XTENSOR_TORCH_TESTS_ALLOC_COUNTER_HPP

#include <cstddef>

namespace alloc_counter
{
    /// Starts counting from zero.
    void start();
    /// Stops counting; returns the allocations since start().
    std::size_t stop();
}

#endif
