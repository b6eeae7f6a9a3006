// libFuzzer target: the fuzzer's bytes choose the tensor (dtype, sizes,
// derivation chain, flags) and the conversion; ATen is the oracle, as in the
// seeded random tests (tests/random/).
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdio>
#include <cstdlib>

#include "../random/random_case.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
    xtt_random::byte_entropy e(data, size);
    try
    {
        xtt_random::run_case(e);
    }
    catch (const std::exception& m)
    {
        std::fprintf(stderr, "xtensor-torch fuzz: %s\n", m.what());
        std::abort();
    }
    return 0;
}
