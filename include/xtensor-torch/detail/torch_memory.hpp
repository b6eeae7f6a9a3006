// Torch memory seen from C++, shared by the xtensor and the Eigen side: typed
// pointers into a tensor, the storage a view keeps alive, and tensors made
// over memory that torch did not allocate (borrowed, adopted or aliased).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DETAIL_TORCH_MEMORY_HPP
#define XTENSOR_TORCH_DETAIL_TORCH_MEMORY_HPP

#include <algorithm>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>

#include "../dtype.hpp"
#include "../error.hpp"
#include "config.hpp"

XTT_NAMESPACE_BEGIN

namespace detail
{
    // A few dims on the stack: ranks up to 8 allocate nothing.
    using dim_vector = c10::SmallVector<std::int64_t, 8>;

    /// The first element of a staged (CPU, strided) tensor as a `T*`. A
    /// `const T` reads without materialising a copy-on-write storage.
    template <class T>
    T* typed_data(const at::Tensor& t) noexcept
    {
#if XTT_HAS_CONST_DATA_PTR
        if constexpr (std::is_const_v<T>)
        {
            return static_cast<T*>(t.const_data_ptr());
        }
        else
        {
            return static_cast<T*>(t.mutable_data_ptr());
        }
#else
        return static_cast<T*>(t.data_ptr());
#endif
    }

    /// The first element of a CPU tensor, for reading: does not materialise a
    /// copy-on-write storage (data_ptr() would, since LibTorch 2.2).
    inline const void* read_data(const at::Tensor& t) noexcept
    {
#if XTT_HAS_CONST_DATA_PTR
        return t.const_data_ptr();
#else
        return t.data_ptr();
#endif
    }

    /// Where an empty view or map points: never read, but not null, because
    /// xtensor computes end iterators as begin + stride * (size - 1), also for
    /// size 0, which is undefined on a null pointer.
    template <class T>
    T* empty_data() noexcept
    {
        alignas(64) static unsigned char nothing[64];
        return reinterpret_cast<T*>(nothing);
    }

    /// Where a storage's memory starts now; a view made over it compares this
    /// with the address it saw, to know whether the memory was replaced.
    inline const void* storage_address(const c10::Storage& s) noexcept
    {
        return s.data_ptr().get();
    }

    /*
     * The keep-alive handle of views and maps: the storage, and where its
     * memory started when the view was made. A `resize_` that reallocates, a
     * copy-on-write materialisation or `untyped_storage().resize_()` give the
     * storage new memory; the view then no longer points into it.
     */
    class storage_ref
    {
    public:

        storage_ref() = default;

        explicit storage_ref(c10::Storage storage) noexcept
            : m_storage(std::move(storage)),
              m_address(storage_address(m_storage))
        {
        }

        const c10::Storage& storage() const noexcept
        {
            return m_storage;
        }

        /// Whether the storage still holds the memory it held when the view was made.
        bool valid() const noexcept
        {
            return m_storage && storage_address(m_storage) == m_address;
        }

        /// Throws conversion_error when the memory is gone (`operation` as in
        /// "read a view", "write through a view").
        void check(std::string_view operation) const;

    private:

        c10::Storage m_storage;
        const void* m_address = nullptr;
    };

    [[noreturn]] inline void refuse_invalid(std::string_view operation)
    {
        fail(std::string(operation) + " of a tensor whose storage was given new memory",
             "the view points at the memory the tensor had when the view was made (a resize_ that reallocates, or "
             "a copy-on-write copy, replaced it)",
             "make the view again after changing the tensor's size; test with .valid()");
    }

    inline void storage_ref::check(std::string_view operation) const
    {
        if (!valid())
        {
            refuse_invalid(operation);
        }
    }

    template <class H>
    void delete_holder(void* p) noexcept
    {
        delete static_cast<H*>(p);
    }

    inline void no_delete(void*) noexcept
    {
    }

    /*
     * The one stride convention:
     * - torch strides are in elements, never negative; the storage offset is
     *   taken through the data pointer, never through the strides;
     * - xtensor wants stride 0 for a size-1 dimension (its broadcasting relies
     *   on it), and ignores that stride when it judges contiguity, as torch does;
     * - a zero-size tensor is contiguous in every layout and its data is never read.
     */
    inline bool has_zero_size(c10::IntArrayRef sizes) noexcept
    {
        return std::find(sizes.begin(), sizes.end(), std::int64_t(0)) != sizes.end();
    }

    /// Whether the strides are those of a contiguous tensor, innermost dim
    /// last (row-major) or first (column-major).
    template <class Strides>
    bool is_contiguous_in(c10::IntArrayRef sizes, const Strides& strides, bool row_major) noexcept
    {
        std::int64_t expected = 1;
        const std::size_t n = sizes.size();
        for (std::size_t k = 0; k < n; ++k)
        {
            const std::size_t i = row_major ? n - 1 - k : k;
            if (sizes[i] != 1)
            {
                if (static_cast<std::int64_t>(strides[i]) != expected)
                {
                    return has_zero_size(sizes);
                }
                expected *= sizes[i];
            }
        }
        return true;
    }

    /// a * b, false on overflow (the compiler's checked multiply where it has one: no division).
    inline bool checked_mul(std::uint64_t a, std::uint64_t b, std::uint64_t& out) noexcept
    {
#if defined(__GNUC__) || defined(__clang__)
        return !__builtin_mul_overflow(a, b, &out);
#else
        if (b != 0 && a > std::numeric_limits<std::uint64_t>::max() / b)
        {
            return false;
        }
        out = a * b;
        return true;
#endif
    }

    /// a + b, false on overflow.
    inline bool checked_add(std::uint64_t a, std::uint64_t b, std::uint64_t& out) noexcept
    {
        if (a > std::numeric_limits<std::uint64_t>::max() - b)
        {
            return false;
        }
        out = a + b;
        return true;
    }

    /// The strides of a contiguous tensor of these sizes, row- or column-major.
    inline dim_vector contiguous_strides(c10::IntArrayRef sizes, bool row_major)
    {
        const std::size_t n = sizes.size();
        dim_vector strides(n);
        std::int64_t stride = 1;
        for (std::size_t k = 0; k < n; ++k)
        {
            const std::size_t i = row_major ? n - 1 - k : k;
            strides[i] = stride;
            if (k + 1 == n)
            {
                break;
            }
            const std::int64_t size = std::max<std::int64_t>(sizes[i], 1);
            if (stride > std::numeric_limits<std::int64_t>::max() / size)
            {
                fail("lay out a tensor of sizes " + list_string(sizes), "its element count overflows 64 bits",
                     "make smaller tensors (a slice at a time)");
            }
            stride *= size;
        }
        return strides;
    }

    /// Torch strides from strides that may hold anything at a dimension of
    /// size 0 or 1 (xtensor stores 0 at size 1, Eigen its outer stride): such a
    /// dimension gets the stride torch gives it in a contiguous tensor of that
    /// layout, the others keep theirs. The way back is xt::adapt_strides.
    template <class Sizes, class Strides>
    void torch_strides(const Sizes& sizes, const Strides& given, bool row_major, dim_vector& strides)
    {
        const std::size_t n = sizes.size();
        strides.resize(n);
        std::int64_t contiguous = 1;
        for (std::size_t k = 0; k < n; ++k)
        {
            const std::size_t i = row_major ? n - 1 - k : k;
            const auto size = static_cast<std::int64_t>(sizes[i]);
            strides[i] = size <= 1 ? contiguous : static_cast<std::int64_t>(given[i]);
            contiguous *= std::max<std::int64_t>(size, 1);
        }
    }

    inline bool is_aligned(const void* data, at::ScalarType dtype) noexcept
    {
        return reinterpret_cast<std::uintptr_t>(data) % c10::elementSize(dtype) == 0;
    }

    /// "[2, 3] strides [3, 1]", for the memory of xtensor and Eigen objects.
    inline std::string describe_geometry(c10::IntArrayRef sizes, c10::IntArrayRef strides)
    {
        return list_string(sizes) + " strides " + list_string(strides);
    }

    /// Refuses memory torch can't hold: null with elements, negative strides,
    /// misaligned. `operation` names the call ("borrow an xtensor buffer").
    inline void check_foreign_memory(const void* data,
                                     c10::IntArrayRef sizes,
                                     c10::IntArrayRef strides,
                                     at::ScalarType dtype,
                                     std::string_view operation)
    {
        if (has_zero_size(sizes))
        {
            return;
        }
        // the message is built only on failure: this runs on every borrow
        const auto what = [&] {
            return std::string(operation) + " of " + std::string(dtype_name(dtype)) + ' ' + describe_geometry(sizes, strides);
        };
        if (data == nullptr)
        {
            fail(what(), "its buffer is null though it has elements (a moved-from container?)",
                 "give it memory first (assign to it or resize it)");
        }
        std::uint64_t bytes = c10::elementSize(dtype);
        for (const std::int64_t size : sizes)
        {
            if (!checked_mul(bytes, static_cast<std::uint64_t>(size), bytes))
            {
                fail(what(), "its size in bytes overflows 64 bits", "make smaller pieces (a slice at a time)");
            }
        }
        for (std::size_t i = 0; i < sizes.size(); ++i)
        {
            if (sizes[i] > 1 && strides[i] < 0)
            {
                fail(what(), "torch tensors can't have negative strides",
                     "evaluate it into a new tensor with xtt::to_torch(e) (copies), or flip it afterwards with "
                     "torch::flip");
            }
        }
        if (!is_aligned(data, dtype))
        {
            fail(what() + " at address " + std::to_string(reinterpret_cast<std::uintptr_t>(data)),
                 "torch's " + std::string(dtype_name(dtype)) + " elements need "
                     + std::to_string(c10::elementSize(dtype)) + "-byte alignment",
                 "use a buffer from an aligned allocator, or xtt::to_torch(c) (copies) instead");
        }
    }

    /// A CPU tensor of dtype `dtype` over `data` with this geometry, owning
    /// nothing but `ctx` (deleted with `deleter` when the tensor's storage dies,
    /// also when this throws). Refuses memory check_foreign_memory refuses.
    inline at::Tensor make_tensor(void* data,
                                  c10::IntArrayRef sizes,
                                  c10::IntArrayRef strides,
                                  at::ScalarType dtype,
                                  void* ctx,
                                  c10::DeleterFnPtr deleter,
                                  std::string_view operation)
    {
        const c10::DeleterFnPtr del = deleter != nullptr ? deleter : &no_delete;
        std::unique_ptr<void, c10::DeleterFnPtr> guard(ctx, del);
        check_foreign_memory(data, sizes, strides, dtype, operation);
        void* address = has_zero_size(sizes) || data == nullptr ? empty_data<void>() : data;
        return translate_errors(operation, [&] {
            // row-major strides are left to ATen, which sets them faster
            const bool row_major = is_contiguous_in(sizes, strides, true);
            return at::for_blob(address, sizes)
                .strides(row_major ? c10::OptionalIntArrayRef() : c10::OptionalIntArrayRef(strides))
                .context(guard.release(), del)
                .options(at::TensorOptions().dtype(dtype))
                .make_tensor();
        });
    }

    /// A tensor over `data`, which lies in `storage` (the storage a view or map
    /// keeps alive): the same storage, so ATen sees an alias of the tensor the
    /// view was made from and keeps the storage alive in turn. `valid`: the
    /// view still points into the storage's memory.
    inline at::Tensor alias_of(const c10::Storage& storage,
                               bool valid,
                               const void* data,
                               c10::IntArrayRef sizes,
                               c10::IntArrayRef strides,
                               at::ScalarType dtype,
                               std::string_view operation)
    {
        if (!valid)
        {
            refuse_invalid(operation);
        }
        const auto itemsize = static_cast<std::int64_t>(c10::elementSize(dtype));
        const auto* base = static_cast<const char*>(storage_address(storage));
        const std::int64_t offset =
            has_zero_size(sizes) || base == nullptr ? 0 : (static_cast<const char*>(data) - base) / itemsize;
        return translate_errors(operation, [&] {
            at::Tensor t = at::empty({0}, at::TensorOptions().dtype(dtype));
            t.set_(storage, offset, sizes, strides);
            return t;
        });
    }

    /*
     * What to_torch does with its options: checked before any work, applied
     * to the CPU result.
     */
    inline void check_options(const at::TensorOptions& options, at::ScalarType native)
    {
        const at::ScalarType dtype = options.has_dtype() ? c10::typeMetaToScalarType(options.dtype()) : native;
        if (options.has_layout() && options.layout() != c10::kStrided)
        {
            fail("make a tensor from an xtensor expression with layout " + std::string(layout_name(options.layout())),
                 "xtt::to_torch makes strided tensors",
                 "leave the layout out of the options and call .to_sparse() (or another layout) on the result");
        }
        if (options.requires_grad() && !(c10::isFloatingType(dtype) || c10::isComplexType(dtype)))
        {
            fail("make a " + std::string(dtype_name(dtype)) + " tensor that requires grad",
                 "only floating point and complex tensors can require gradients",
                 "leave requires_grad out, or ask for a floating dtype in the options (e.g. .dtype(torch::kFloat32))");
        }
    }

    /// Applies the dtype, device and requires_grad of `options` (checked by
    /// check_options) to a CPU result.
    inline at::Tensor finish(at::Tensor t, const at::TensorOptions& options)
    {
        const at::ScalarType dtype = options.has_dtype() ? c10::typeMetaToScalarType(options.dtype()) : t.scalar_type();
        const at::Device device = options.has_device() ? options.device() : t.device();
        const auto what = [&] { return "move a new tensor to " + device.str() + " as " + std::string(dtype_name(dtype)); };
        return translate_errors(what, [&] {
            if (dtype != t.scalar_type() || device != t.device())
            {
                t = t.to(device, dtype);
            }
            if (options.requires_grad())
            {
                t.requires_grad_(true);
            }
            return t;
        });
    }
}

XTT_NAMESPACE_END

#endif
