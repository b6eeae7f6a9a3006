// An accelerator inside the test process: LibTorch's PrivateUse1 device type
// with kernels for the few ATen operators that make, view, fill and copy
// tensors. Its memory has addresses the host cannot read: a device tensor's
// data_ptr() points into a PROT_NONE mapping, and the kernels reach the same
// pages through a second, read-write mapping of one memfd. Any host read of
// device memory faults, as it would on a GPU. Arithmetic is not implemented:
// tests compute references on the CPU.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_TESTS_FAKE_DEVICE_HPP
#define XTENSOR_TORCH_TESTS_FAKE_DEVICE_HPP

#include <cstdint>

#include <ATen/ATen.h>

namespace fake_device
{
    /// The device: PrivateUse1, index 0.
    at::Device device();

    /// `t` moved to the device (ATen's own `.to()`, which ends in the device's copy kernel).
    at::Tensor to_device(const at::Tensor& t);

    /// A sparse COO tensor on the device, with the indices and values of the CPU tensor `coo`. Such tensors
    /// answer questions about themselves and make their dense form (`to_dense()`) on the device; nothing else.
    at::Tensor sparse_to_device(const at::Tensor& coo);

    /// Copies made by the device's copy kernel (`_copy_from`), by direction.
    struct copy_counts
    {
        std::int64_t to_host = 0;
        std::int64_t to_device = 0;
        std::int64_t on_device = 0;
    };

    /// The counts since the last `reset_counts()`.
    copy_counts counts();
    void reset_counts();

    /// Whether `p` is an address of device memory (unreadable from the host).
    bool is_device_address(const void* p);

    /// The device's name in LibTorch's messages ("fakegpu:0", or "privateuseone:0" on LibTorch 1.13).
    std::string name();
}

#endif
