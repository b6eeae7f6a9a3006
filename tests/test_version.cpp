// Tests of version.hpp (the header and CMake agree on the version) and of the platform the tests run on.
// SPDX-License-Identifier: BSD-3-Clause
#include <cstdint>
#include <cstring>
#include <iostream>
#include <string>

#include <sys/utsname.h>

#include "support/common.hpp"

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

// The binary is the build's own: compiled for the processor CMake was
// configured for, and running on it (under emulation in a cross leg). A test
// run that executed code built for another machine fails here.
TEST(platform, built_for_and_running_on_the_configured_processor)
{
#if defined(__x86_64__)
    const std::string compiled_for = "x86_64";
#elif defined(__aarch64__)
    const std::string compiled_for = "aarch64";
#elif defined(__s390x__)
    const std::string compiled_for = "s390x";
#elif defined(__powerpc64__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    const std::string compiled_for = "ppc64le";
#else
    const std::string compiled_for = "unknown";
#endif
    EXPECT_EQ(compiled_for, XTT_TEST_SYSTEM_PROCESSOR);
    utsname name{};
    ASSERT_EQ(uname(&name), 0);
    EXPECT_EQ(std::string(name.machine), XTT_TEST_SYSTEM_PROCESSOR);
    // the byte order the compiler assumed is the machine's
    const std::uint16_t one = 1;
    unsigned char first = 0;
    std::memcpy(&first, &one, 1);
    EXPECT_EQ(first == 1, __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__);
    std::cout << "[          ] " << compiled_for << ", "
              << (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ ? "little" : "big") << "-endian\n";
}
