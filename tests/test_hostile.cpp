// Hostile input: geometry LibTorch's own checks were bypassed for (outside
// the storage, overflowing, near the 64-bit limits), from_blob memory with
// custom deleters, storage resized under a view, and what a view of a large
// tensor costs in memory.
// SPDX-License-Identifier: BSD-3-Clause
#include <array>
#include <fstream>
#include <limits>
#include <string>

#include "support/common.hpp"

using namespace xtt_test;

namespace
{
    /// A float tensor of `storage` elements whose geometry is set without
    /// LibTorch's bounds checks (as a buggy extension or a raw set_ could).
    at::Tensor with_geometry(std::int64_t storage, std::vector<std::int64_t> sizes, std::vector<std::int64_t> strides,
                             std::int64_t offset)
    {
        at::Tensor t = at::arange(storage, at::kFloat);
        t.unsafeGetTensorImpl()->set_sizes_and_strides(sizes, strides);
        t.unsafeGetTensorImpl()->set_storage_offset(offset);
        return t;
    }

    /// Every conversion refuses `t` with `reason`, and would_copy says false.
    void expect_every_conversion_refuses(const at::Tensor& t, const char* reason)
    {
        const auto all = xtt::stage::all | xtt::stage::cast;
        EXPECT_CONVERSION_ERROR(xtt::view<const float>(t, all), reason);
        EXPECT_CONVERSION_ERROR(xtt::view<float>(t, all), reason);
        EXPECT_CONVERSION_ERROR(xtt::to_xarray<float>(t), reason);
        EXPECT_CONVERSION_ERROR(xtt::to_xarray<double>(t), reason);
        EXPECT_CONVERSION_ERROR(xtt::edit<float>(t, all), reason);
        EXPECT_CONVERSION_ERROR(xtt::stage_tensor(t, all), reason);
        EXPECT_CONVERSION_ERROR(xtt::visit(t, [](auto) {}, all), reason);
        xt::xarray<float> out;
        EXPECT_CONVERSION_ERROR(xtt::copy_to(t, out), reason);
        EXPECT_FALSE(xtt::would_copy<xtt::tensor_view<const float>>(t, all));
        EXPECT_FALSE(xtt::would_copy(t, all));
    }

    /// The process's peak resident memory (VmHWM), in bytes; -1 if unknown.
    std::int64_t peak_resident_bytes()
    {
        std::ifstream status("/proc/self/status");
        std::string line;
        while (std::getline(status, line))
        {
            if (line.rfind("VmHWM:", 0) == 0)
            {
                return std::stoll(line.substr(6)) * 1024;
            }
        }
        return -1;
    }

    /// Resets VmHWM to the current resident size (Linux 4.0 and newer).
    bool reset_peak()
    {
        std::ofstream clear("/proc/self/clear_refs");
        clear << "5";
        clear.flush();
        return static_cast<bool>(clear);
    }
}

TEST(hostile, geometry_outside_the_storage_is_refused)
{
    // reaches element 6 of a 6-element storage
    expect_every_conversion_refuses(with_geometry(6, {4}, {2}, 0), "outside its storage");
    // an offset past the end
    expect_every_conversion_refuses(with_geometry(6, {2}, {1}, 5), "outside its storage");
    // a negative offset (as_strided refuses it; set_sizes_and_strides reads a
    // negative stride as "contiguous", so a tensor can't have one)
    expect_every_conversion_refuses(with_geometry(6, {2}, {1}, -1), "outside its storage");
    // the edge: exactly the storage is fine
    const at::Tensor edge = with_geometry(6, {3}, {2}, 1);
    EXPECT_TRUE(values_equal(xtt::view<const float>(edge), at::arange(6, at::kFloat).slice(0, 1, 6, 2)));
    // empty tensors reach nothing, whatever their strides
    EXPECT_EQ(xtt::view<float>(with_geometry(6, {0, 5}, {100, 100}, 6)).size(), 0u);
}

TEST(hostile, strides_and_sizes_near_the_64_bit_limits_are_refused)
{
    constexpr auto max = std::numeric_limits<std::int64_t>::max();
    expect_every_conversion_refuses(with_geometry(6, {2}, {max}, 0), "outside its storage");
    expect_every_conversion_refuses(with_geometry(6, {2, 2}, {max / 2 + 1, 1}, 0), "outside its storage");
    expect_every_conversion_refuses(with_geometry(6, {3}, {1}, max - 1), "outside its storage");
}

TEST(hostile, element_counts_past_memory_are_refused_not_crashed)
{
    // 2^31 x 2^31 floats, all at one address (LibTorch's own numel check stops
    // at 2^63): a read-only view is fine, a copy needs 2^64 bytes
    const at::Tensor huge = with_geometry(6, {std::int64_t(1) << 31, std::int64_t(1) << 31}, {0, 0}, 0);
    const auto v = xtt::view<const float, 2>(huge);
    EXPECT_EQ(v(12345, 678), 0.f);
    EXPECT_CONVERSION_ERROR(xtt::to_xarray<float>(huge), "copy", "not enough memory", "a slice");
    EXPECT_CONVERSION_ERROR((xtt::to_xtensor<float, 2>(huge)), "copy", "not enough memory");
    EXPECT_CONVERSION_ERROR(xtt::view<float>(huge, xtt::stage::contiguous), "LibTorch refused it", "overflow");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(v), "LibTorch refused it", "overflow");
    // xtensor shapes of 2^62 floats: 2^64 bytes (xtensor's own strides of the
    // adaptor still fit in 64 bits)
    float x = 1.f;
    const std::size_t big = std::size_t(1) << 21;
    auto adapted = xt::adapt(&x, std::vector<std::size_t>{big / 2, big, big});
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(adapted), "size in bytes overflows 64 bits");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(xt::broadcast(1.f, std::array<std::size_t, 3>{big / 2, big, big})),
                            "LibTorch refused it", "overflow");
    const std::size_t bigger = std::size_t(1) << 40;  // 2^120 elements: refused before any stride is computed
    EXPECT_CONVERSION_ERROR(xtt::to_torch(xt::broadcast(1.f, std::array<std::size_t, 3>{bigger, bigger, bigger})),
                            "overflows 64 bits");
}

TEST(hostile, from_blob_memory_with_a_custom_deleter_is_released_once_after_the_last_view)
{
    int deletes = 0;
    auto* buffer = new float[6]{0, 1, 2, 3, 4, 5};
    {
        xtt::tensor_view<float, 2> v = [&] {
            const at::Tensor t = at::from_blob(
                buffer, {2, 3},
                [&deletes](void* p) {
                    ++deletes;
                    delete[] static_cast<float*>(p);
                },
                at::TensorOptions().dtype(at::kFloat));
            EXPECT_EQ(xtt::to_xarray<float>(t)(1, 2), 5.f);  // a copy takes nothing
            return xtt::view<float, 2>(t);
        }();
        EXPECT_EQ(deletes, 0);  // the view keeps the memory
        v(1, 2) = 50.f;
        EXPECT_EQ(buffer[5], 50.f);
        {
            const at::Tensor back = xtt::as_tensor(v);  // an alias on the same storage
            auto h = xtt::edit<double, 2>(back, xtt::stage::cast);
            h(0, 0) = -1.0;
        }  // written back into the blob
        EXPECT_EQ(buffer[0], -1.f);
        EXPECT_EQ(deletes, 0);
    }
    EXPECT_EQ(deletes, 1);
}

TEST(hostile, a_storage_resized_under_a_view_is_caught)
{
    at::Tensor t = at::arange(4, at::kFloat);
    auto v = xtt::view<float, 1>(t);
    auto e = xtt::edit<float, 1>(t);
    t.resize_({1 << 20});  // reallocates: v and e point at freed memory
    EXPECT_FALSE(v.valid());
    EXPECT_FALSE(e.valid());
    // every read and write through xtensor's entry points checks validity (debug builds, and the tests)
    EXPECT_CONVERSION_ERROR((xt::xarray<float>(v + 1.f)), "given new memory");
    EXPECT_CONVERSION_ERROR(v = 1.f, "given new memory");
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(v), "given new memory");
    EXPECT_CONVERSION_ERROR(e.commit(), "given new memory");
}

TEST(hostile, a_view_of_a_256_mib_tensor_costs_no_copy)
{
    const std::int64_t n = std::int64_t(256) << 18;  // 256 MiB of floats
    const at::Tensor big = at::ones({n / 1024, 1024});
    if (!reset_peak())
    {
        GTEST_SKIP() << "/proc/self/clear_refs can't be written here, so the peak can't be measured";
    }
    const std::int64_t before = peak_resident_bytes();
    ASSERT_GT(before, 0);
    float largest = 0;
    {
        auto v = xtt::view<const float, 2>(big);
        auto t = xtt::view<const float, 2>(big.t());  // transposed: still no copy
        auto e = xtt::edit<float, 2>(big);            // shares: nothing to write back
        e(0, 0) = 2.f;
        largest = xt::amax(v)() + xt::amax(t)();  // reads every element, twice
    }
    const std::int64_t grew = peak_resident_bytes() - before;
    EXPECT_EQ(largest, 4.f);
    std::int64_t allowed = std::int64_t(16) << 20;  // a copy would be 256 MiB
#if defined(__SANITIZE_ADDRESS__)
    // AddressSanitizer checks a shadow byte for every 8 bytes read, and some
    // kernels count the shadow pages the first read maps: 32 MiB here
    allowed += n * std::int64_t(sizeof(float)) / 8;
#endif
    EXPECT_LT(grew, allowed) << "peak memory grew by " << (grew >> 20) << " MiB";
}
