// A replacement of the global operator new that counts allocations; left out
// under AddressSanitizer, which brings its own.
// SPDX-License-Identifier: BSD-3-Clause
#include "alloc_counter.hpp"

#include <atomic>
#include <cstdlib>
#include <new>

namespace
{
    std::atomic<bool> g_counting{false};
    std::atomic<std::size_t> g_allocations{0};
}

namespace alloc_counter
{
    void start()
    {
        g_allocations = 0;
        g_counting = true;
    }

    std::size_t stop()
    {
        g_counting = false;
        return g_allocations;
    }
}

#if !defined(__SANITIZE_ADDRESS__)
void* operator new(std::size_t size)
{
    if (g_counting)
    {
        ++g_allocations;
    }
    if (void* p = std::malloc(size == 0 ? 1 : size))
    {
        return p;
    }
    throw std::bad_alloc();
}

void operator delete(void* p) noexcept
{
    std::free(p);
}

void operator delete(void* p, std::size_t) noexcept
{
    std::free(p);
}
#endif
