// The in-process accelerator of fake_device.hpp: its memory, device guard,
// hooks and ATen kernels, registered for PrivateUse1 when the binary starts.
// SPDX-License-Identifier: BSD-3-Clause
#include "fake_device.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <map>
#include <mutex>
#include <optional>
#include <vector>

#include <ATen/EmptyTensor.h>
#include <ATen/SparseTensorImpl.h>
#include <ATen/ops/_indices_native.h>
#include <ATen/ops/_nnz_native.h>
#include <ATen/ops/_values_native.h>
#include <ATen/ops/dense_dim_native.h>
#include <ATen/ops/is_coalesced_native.h>
#include <ATen/ops/sparse_dim_native.h>
#include <ATen/ops/_reshape_alias_native.h>
#include <ATen/ops/as_strided_native.h>
#include <ATen/ops/view_native.h>
#include <c10/core/Allocator.h>
#include <c10/core/impl/DeviceGuardImplInterface.h>
#include <torch/library.h>
#include <torch/version.h>

#define FAKE_TORCH_AT_LEAST(major, minor) \
    (TORCH_VERSION_MAJOR > (major) || (TORCH_VERSION_MAJOR == (major) && TORCH_VERSION_MINOR >= (minor)))

#if FAKE_TORCH_AT_LEAST(2, 1)
#include <ATen/detail/PrivateUse1HooksInterface.h>
#endif

namespace fake_device
{
    namespace
    {
#if FAKE_TORCH_AT_LEAST(2, 0)
        template <class T>
        using optional = std::optional<T>;
#else
        template <class T>
        using optional = c10::optional<T>;
#endif

        constexpr c10::DeviceType kind = c10::DeviceType::PrivateUse1;

        [[noreturn]] void fail(const char* what)
        {
            TORCH_CHECK(false, "fake device: ", what, ": ", std::strerror(errno));
        }

        /// One memfd mapped twice: PROT_NONE at the addresses tensors get, read-write for the kernels.
        /// Pages are made on first touch, so the large size costs address space only.
        class memory
        {
        public:
            static constexpr std::size_t size = std::size_t(1) << 30;
            static constexpr std::size_t alignment = 64;

            memory()
            {
                const int fd = ::memfd_create("xtensor-torch-fake-device", 0);
                if (fd < 0 || ::ftruncate(fd, static_cast<off_t>(size)) != 0)
                {
                    fail("memfd");
                }
                void* device = ::mmap(nullptr, size, PROT_NONE, MAP_SHARED, fd, 0);
                void* host = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
                ::close(fd);
                if (device == MAP_FAILED || host == MAP_FAILED)
                {
                    fail("mmap");
                }
                m_device = static_cast<char*>(device);
                m_host = static_cast<char*>(host);
            }

            void* allocate(std::size_t n)
            {
                n = (n + alignment - 1) / alignment * alignment;
                std::lock_guard<std::mutex> lock(m_mutex);
                std::size_t at = 0;
                auto spare = m_free.find(n);
                if (spare != m_free.end() && !spare->second.empty())
                {
                    at = spare->second.back();
                    spare->second.pop_back();
                }
                else
                {
                    TORCH_CHECK(size - m_next >= n, "fake device: out of memory allocating ", n, " bytes");
                    at = m_next;
                    m_next += n;
                }
                m_sizes[at] = n;
                return m_device + at;
            }

            void release(void* p)
            {
                const auto at = static_cast<std::size_t>(static_cast<char*>(p) - m_device);
                std::lock_guard<std::mutex> lock(m_mutex);
                auto it = m_sizes.find(at);
                if (it != m_sizes.end())
                {
                    m_free[it->second].push_back(at);
                    m_sizes.erase(it);
                }
            }

            bool holds(const void* p) const
            {
                const auto* c = static_cast<const char*>(p);
                return c >= m_device && c < m_device + size;
            }

            /// The read-write address of the device address `p`.
            char* host_of(const void* p) const
            {
                TORCH_CHECK(holds(p), "fake device: ", p, " is not device memory");
                return m_host + (static_cast<const char*>(p) - m_device);
            }

        private:
            char* m_device = nullptr;
            char* m_host = nullptr;
            std::mutex m_mutex;
            std::size_t m_next = 0;
            std::map<std::size_t, std::size_t> m_sizes;
            std::map<std::size_t, std::vector<std::size_t>> m_free;
        };

        memory& pages()
        {
            static memory* m = new memory();  // never destroyed: tensors may outlive static destruction
            return *m;
        }

        std::atomic<std::int64_t> to_host_count{0};
        std::atomic<std::int64_t> to_device_count{0};
        std::atomic<std::int64_t> on_device_count{0};

        void free_block(void* p)
        {
            pages().release(p);
        }

        struct allocator final : c10::Allocator
        {
#if FAKE_TORCH_AT_LEAST(2, 3)
            c10::DataPtr allocate(std::size_t n) override
#else
            c10::DataPtr allocate(std::size_t n) const override
#endif
            {
                if (n == 0)
                {
                    return {nullptr, nullptr, &free_block, device()};
                }
                void* p = pages().allocate(n);
                return {p, p, &free_block, device()};
            }

            c10::DeleterFnPtr raw_deleter() const override
            {
                return &free_block;
            }

#if FAKE_TORCH_AT_LEAST(2, 3)
            void copy_data(void* dest, const void* src, std::size_t count) const override
            {
                std::memcpy(pages().host_of(dest), pages().host_of(src), count);
            }
#endif
        };

        allocator* the_allocator()
        {
            static allocator a;
            return &a;
        }

        /// A CPU tensor over the read-write pages of the device tensor `t`, with its geometry and conj / neg bits.
        at::Tensor on_host(const at::Tensor& t)
        {
            if (t.device().type() != kind)
            {
                return t;
            }
            const auto options = at::TensorOptions().dtype(t.dtype()).device(at::kCPU);
            const void* base = t.storage().data_ptr().get();
            at::Tensor h;
            if (base == nullptr)
            {
                TORCH_CHECK(t.numel() == 0, "fake device: a tensor with elements and no memory");
                h = at::empty_strided(t.sizes(), t.strides(), options);
            }
            else
            {
                char* first = pages().host_of(base) + t.storage_offset() * static_cast<std::int64_t>(t.element_size());
                h = at::from_blob(first, t.sizes(), t.strides(), options);
            }
            if (t.is_conj())
            {
                h._set_conj(true);
            }
            if (t.is_neg())
            {
                h._set_neg(true);
            }
            return h;
        }

        at::Tensor empty_memory_format(c10::IntArrayRef size, optional<at::ScalarType> dtype, optional<at::Layout>,
                                       optional<at::Device>, optional<bool>, optional<at::MemoryFormat> memory_format)
        {
            const c10::DispatchKeySet keys(c10::DispatchKey::PrivateUse1);
            return at::detail::empty_generic(size, the_allocator(), keys, c10::dtype_or_default(dtype), memory_format);
        }

        at::Tensor empty_strided(c10::IntArrayRef size, c10::IntArrayRef stride, optional<at::ScalarType> dtype,
                                 optional<at::Layout>, optional<at::Device>, optional<bool>)
        {
            const c10::DispatchKeySet keys(c10::DispatchKey::PrivateUse1);
            return at::detail::empty_strided_generic(size, stride, the_allocator(), keys, c10::dtype_or_default(dtype));
        }

        at::Tensor copy_from(const at::Tensor& self, const at::Tensor& dst, bool /*non_blocking*/)
        {
            const bool from_device = self.device().type() == kind;
            const bool to_device = dst.device().type() == kind;
            (from_device && to_device ? on_device_count : from_device ? to_host_count : to_device_count)++;
            on_host(dst).copy_(on_host(self));
            return dst;
        }

        at::Tensor& fill(at::Tensor& self, const at::Scalar& value)
        {
            on_host(self).fill_(value);
            return self;
        }

        at::Tensor& zero(at::Tensor& self)
        {
            on_host(self).zero_();
            return self;
        }

        at::Tensor as_strided(const at::Tensor& self, c10::IntArrayRef size, c10::IntArrayRef stride,
                              optional<std::int64_t> storage_offset)
        {
            return at::native::as_strided_tensorimpl(self, size, stride, storage_offset);
        }

        at::Tensor view(const at::Tensor& self, c10::IntArrayRef size)
        {
            return at::native::view(self, size);
        }

        at::Tensor reshape_alias(const at::Tensor& self, c10::IntArrayRef size, c10::IntArrayRef stride)
        {
            return at::native::_reshape_alias(self, size, stride);
        }

        /// A sparse COO tensor's dense form, made on the device (through the host pages, not counted as a copy).
        at::Tensor sparse_to_dense(const at::Tensor& self, optional<at::ScalarType> dtype)
        {
            const at::Tensor host = at::sparse_coo_tensor(on_host(self._indices()).clone(), on_host(self._values()).clone(),
                                                          self.sizes())
                                        .to_dense()
                                        .to(dtype ? *dtype : self.scalar_type());
            at::Tensor dense = at::empty(self.sizes(), host.options().device(device()));
            on_host(dense).copy_(host);
            return dense;
        }

/// A sparse COO tensor copied to the host: `dst` is a sparse CPU tensor.
        at::Tensor sparse_copy_from(const at::Tensor& self, const at::Tensor& dst, bool /*non_blocking*/)
        {
            TORCH_CHECK(self.device().type() == kind && dst.device().is_cpu() && dst.layout() == c10::kSparse,
                        "fake device: sparse tensors copy from the device to the host only");
            to_host_count++;
            at::Tensor host = at::sparse_coo_tensor(on_host(self._indices()).clone(), on_host(self._values()).clone(),
                                                    self.sizes());
            if (self.is_coalesced())
            {
                host = host.coalesce();
            }
            at::Tensor target = dst;
            target.copy_(host);
            return dst;
        }

#if FAKE_TORCH_AT_LEAST(2, 1)
        at::Tensor sparse_to_dense_masked(const at::Tensor& self, optional<at::ScalarType> dtype, optional<bool>)
        {
            return sparse_to_dense(self, dtype);
        }
#endif

        /// One device, one stream: enough for device guards, `.to(device)` and autograd.
        struct guard final : c10::impl::DeviceGuardImplInterface
        {
            static c10::Stream stream()
            {
                return c10::Stream(c10::Stream::DEFAULT, device());
            }
            c10::DeviceType type() const override
            {
                return kind;
            }
            c10::Device exchangeDevice(c10::Device) const override
            {
                return device();
            }
            c10::Device getDevice() const override
            {
                return device();
            }
            void setDevice(c10::Device) const override
            {
            }
            void uncheckedSetDevice(c10::Device) const noexcept override
            {
            }
            c10::Stream getStream(c10::Device) const noexcept override
            {
                return stream();
            }
            c10::Stream getDefaultStream(c10::Device) const override
            {
                return stream();
            }
            c10::Stream exchangeStream(c10::Stream) const noexcept override
            {
                return stream();
            }
            c10::DeviceIndex deviceCount() const noexcept override
            {
                return 1;
            }
        };

#if FAKE_TORCH_AT_LEAST(2, 1)
        /// What autograd asks of a registered PrivateUse1 backend.
        struct hooks final : at::PrivateUse1HooksInterface
        {
            bool hasPrimaryContext(c10::DeviceIndex) const override
            {
                return true;
            }
#if FAKE_TORCH_AT_LEAST(2, 6)
            at::Device getDeviceFromPtr(void*) const override
            {
                return device();
            }
#endif
#if FAKE_TORCH_AT_LEAST(2, 7)
            bool isBuilt() const override
            {
                return true;
            }
            bool isAvailable() const override
            {
                return true;
            }
#endif
        };
#endif

        /// Names the backend (LibTorch 2.x) and registers its hooks, once, as the binary starts.
        struct registration
        {
            registration()
            {
#if FAKE_TORCH_AT_LEAST(2, 1)
                c10::register_privateuse1_backend("fakegpu");
                at::RegisterPrivateUse1HooksInterface(new hooks());
#endif
                c10::SetAllocator(kind, the_allocator());
            }
        };
        const registration registered;
    }

    at::Device device()
    {
        return at::Device(kind, 0);
    }

    at::Tensor to_device(const at::Tensor& t)
    {
        return t.to(device());
    }

    copy_counts counts()
    {
        return {to_host_count.load(), to_device_count.load(), on_device_count.load()};
    }

    void reset_counts()
    {
        to_host_count = 0;
        to_device_count = 0;
        on_device_count = 0;
    }

    bool is_device_address(const void* p)
    {
        return pages().holds(p);
    }

    at::Tensor sparse_to_device(const at::Tensor& coo)
    {
        TORCH_CHECK(coo.layout() == c10::kSparse, "fake device: sparse_to_device takes a sparse COO tensor");
        at::Tensor s = at::detail::make_tensor<at::SparseTensorImpl>(c10::DispatchKeySet(c10::DispatchKey::SparsePrivateUse1),
                                                                     coo.dtype());
        auto* impl = static_cast<at::SparseTensorImpl*>(s.unsafeGetTensorImpl());
        impl->resize_and_clear_(coo.sparse_dim(), coo.dense_dim(), coo.sizes());
        impl->set_indices_and_values_unsafe(to_device(coo._indices()), to_device(coo._values()));
        impl->set_coalesced(coo.is_coalesced());
        return s;
    }

    std::string name()
    {
        return device().str();
    }
}

C10_REGISTER_GUARD_IMPL(PrivateUse1, fake_device::guard);

TORCH_LIBRARY_IMPL(aten, PrivateUse1, m)
{
    m.impl("empty.memory_format", &fake_device::empty_memory_format);
    m.impl("empty_strided", &fake_device::empty_strided);
    m.impl("_copy_from", &fake_device::copy_from);
    m.impl("fill_.Scalar", &fake_device::fill);
    m.impl("zero_", &fake_device::zero);
    m.impl("as_strided", &fake_device::as_strided);
    m.impl("view", &fake_device::view);
    m.impl("_reshape_alias", &fake_device::reshape_alias);
}

// Sparse COO tensors on the device: enough to ask them what they are and to
// make their dense form.
TORCH_LIBRARY_IMPL(aten, SparsePrivateUse1, m)
{
    m.impl("_nnz", &at::native::_nnz_sparse);
    m.impl("sparse_dim", &at::native::sparse_dim_sparse);
    m.impl("dense_dim", &at::native::dense_dim_sparse);
    m.impl("_indices", &at::native::_indices_sparse);
    m.impl("_values", &at::native::_values_sparse);
    m.impl("is_coalesced", &at::native::is_coalesced_sparse);
    m.impl("_copy_from", &fake_device::sparse_copy_from);
#if FAKE_TORCH_AT_LEAST(2, 1)
    m.impl("_to_dense", &fake_device::sparse_to_dense_masked);
#else
    m.impl("_to_dense", &fake_device::sparse_to_dense);
#endif
}

// Copies of conj and neg views reach the device's kernel with their bits set
// (the kernel resolves them on the host), instead of ATen's fallbacks, which
// would copy through the device again without end.
TORCH_LIBRARY_IMPL(aten, Conjugate, m)
{
    m.impl("_copy_from", torch::CppFunction::makeFallthrough());
}
TORCH_LIBRARY_IMPL(aten, Negative, m)
{
    m.impl("_copy_from", torch::CppFunction::makeFallthrough());
}
