// The seeded driver: XTT_RANDOM_CASES cases (default 10,000) from
// XTT_RANDOM_SEED (default fixed), each reproducible from its own seed.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdlib>
#include <string>

#include <gtest/gtest.h>

#include "random_case.hpp"

// Built with XTENSOR_TORCH_SEPARATE_KERNELS=1 (the option
// XTENSOR_TORCH_TEST_SEPARATE_KERNELS), this file holds the permuted-copy
// kernels that the typed cases only declare.
#if XTENSOR_TORCH_SEPARATE_KERNELS
#include <xtensor-torch/kernels.hpp>
#endif

namespace
{
    std::uint64_t env_or(const char* name, std::uint64_t fallback)
    {
        const char* v = std::getenv(name);
        return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
    }
}

TEST(random, conversions_agree_with_aten)
{
    const std::uint64_t cases = env_or("XTT_RANDOM_CASES", 10000);
    const std::uint64_t first = env_or("XTT_RANDOM_SEED", 20261202);
    std::uint64_t failures = 0;
    for (std::uint64_t i = 0; i < cases && failures < 10; ++i)
    {
        const std::uint64_t seed = first + i;
        xtt_random::seeded_entropy e(seed);
        try
        {
            const std::string what = xtt_random::run_case(e);
            if (cases == 1)
            {
                std::cout << "case " << seed << ": " << what << '\n';
            }
        }
        catch (const std::exception& m)
        {
            ++failures;
            ADD_FAILURE() << "case " << seed << ": " << m.what() << "\nrepro: XTT_RANDOM_SEED=" << seed
                          << " XTT_RANDOM_CASES=1 " << ::testing::internal::GetArgvs()[0];
        }
    }
    std::cout << cases << " random cases from seed " << first << '\n';
}
