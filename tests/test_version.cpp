// Tests of version.hpp: the header and CMake agree on the version.
// SPDX-License-Identifier: BSD-3-Clause
#include <string>

#include "common.hpp"

#define XTT_TEST_STR_IMPL(x) #x
#define XTT_TEST_STR(x) XTT_TEST_STR_IMPL(x)

TEST(version, header_and_cmake_agree)
{
    const std::string header = XTT_TEST_STR(XTENSOR_TORCH_VERSION_MAJOR) "." XTT_TEST_STR(
        XTENSOR_TORCH_VERSION_MINOR) "." XTT_TEST_STR(XTENSOR_TORCH_VERSION_PATCH);
    EXPECT_EQ(header, XTT_TEST_CMAKE_VERSION);
}

TEST(version, abi_namespace_carries_major_and_minor)
{
    static_assert(std::is_same_v<xtt::XTT_ABI_NAMESPACE::conversion_error, xtt::conversion_error>);
    const std::string expected = "v" XTT_TEST_STR(XTENSOR_TORCH_VERSION_MAJOR) "_" XTT_TEST_STR(XTENSOR_TORCH_VERSION_MINOR);
    EXPECT_EQ(std::string(XTT_TEST_STR(XTT_ABI_NAMESPACE)), expected);
}

TEST(version, supported_dependency_versions)
{
    EXPECT_TRUE(TORCH_VERSION_MAJOR > 1 || (TORCH_VERSION_MAJOR == 1 && TORCH_VERSION_MINOR >= 13));
    EXPECT_TRUE(XTENSOR_VERSION_MAJOR > 0 || XTENSOR_VERSION_MINOR >= 24);
}
