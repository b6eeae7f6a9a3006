// Owning copies and ownership transfer, both ways: torch -> xtensor copies
// (to_xarray, to_xtensor, copy_to), xtensor -> torch evaluation and adoption
// (to_torch), and borrowing (as_tensor).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_CONVERT_HPP
#define XTENSOR_TORCH_CONVERT_HPP

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "detail/dtype_map.hpp"
#include "detail/xtensor_compat.hpp"
#include "error.hpp"
#include "stage.hpp"
#include "view.hpp"

XTT_NAMESPACE_BEGIN

namespace detail
{
    template <class C>
    struct is_owning_container;
}

/**
 * @brief Copies a tensor's elements into an existing xtensor container,
 * casting them to its element type.
 *
 * The copy and the cast are ATen's own kernels (`copy_` into a tensor that
 * wraps `out`'s memory), so layout changes and casts run as fast as
 * `.contiguous()` and `.to(dtype)`. A resizable `out` (xt::xarray,
 * xt::xtensor) is resized to `t`'s shape, reusing its buffer when the size
 * fits; any other container (an adaptor, xt::xtensor_fixed, a strided view,
 * an xtt::tensor_view) must already have `t`'s shape. Casting complex to real
 * drops the imaginary part, as ATen does.
 *
 * *Copies* · *May stage* with the flags in `policy`: `to_cpu`, `detach`,
 * `resolve_conj` and `resolve_neg` are folded into the one copy; `to_dense`
 * densifies first.
 * @param t the tensor.
 * @param out an xtensor container or view with a data interface.
 * @param policy the staging steps allowed (default: all).
 * @return `out`.
 * @throws conversion_error for an undefined, meta, quantized or nested tensor,
 *         a state `policy` does not allow, or a shape `out` can't take.
 *
 * @code
 * xt::xarray<double> out;
 * for (const auto& batch : batches) { xtt::copy_to(batch, out); use(out); }   // no reallocation
 * @endcode
 */
template <class E>
E& copy_to(const at::Tensor& t, E& out, stage policy = stage::all);

/**
 * @brief An owning xt::xarray copy of a tensor, cast to `T`.
 *
 * *Copies* (ATen's kernels, near memory bandwidth) · *May stage* as copy_to.
 * @tparam T the element type of the result; every dtype casts to it.
 * @tparam L the layout of the result (row-major by default).
 * @param t the tensor.
 * @param policy the staging steps allowed (default: all).
 * @return the copy.
 * @throws conversion_error as copy_to.
 *
 * @code
 * xt::xarray<double> a = xtt::to_xarray<double>(t);   // any dtype; any device with stage::to_cpu
 * @endcode
 */
template <class T, xt::layout_type L = XTENSOR_DEFAULT_LAYOUT>
xt::xarray<T, L> to_xarray(const at::Tensor& t, stage policy = stage::all);

/**
 * @brief copy_to into an existing xt::xarray, which keeps its buffer when the size fits.
 * @return `out`.
 */
template <class T, xt::layout_type L, class A, class SA>
xt::xarray<T, L, A, SA>& to_xarray(const at::Tensor& t, xt::xarray<T, L, A, SA>& out, stage policy = stage::all);

/**
 * @brief An owning xt::xtensor<T, N> copy of a tensor of rank `N`, cast to `T`.
 *
 * *Copies* · *May stage* as copy_to.
 * @throws conversion_error as copy_to, and when `t` does not have rank `N`.
 */
template <class T, std::size_t N, xt::layout_type L = XTENSOR_DEFAULT_LAYOUT>
xt::xtensor<T, N, L> to_xtensor(const at::Tensor& t, stage policy = stage::all);

/**
 * @brief copy_to into an existing xt::xtensor, which keeps its buffer when the size fits.
 * @return `out`.
 */
template <class T, std::size_t N, xt::layout_type L, class A>
xt::xtensor<T, N, L, A>& to_xtensor(const at::Tensor& t, xt::xtensor<T, N, L, A>& out, stage policy = stage::all);

/**
 * @brief A new tensor holding the value of an xtensor expression.
 *
 * The tensor is allocated with the expression's shape and dtype (from its
 * value type) and the expression is evaluated once, straight into the
 * tensor's memory, with no temporary: `xtt::to_torch(xt::exp(a) + b)`.
 * A column-major expression gives a tensor with column-major strides; a 0-d
 * expression (a full reduction, an xt::xscalar) gives a 0-d tensor.
 *
 * `options` may name a dtype (the result is cast to it by ATen), a device
 * (computed on the CPU, then moved there) and `requires_grad`.
 *
 * *Copies* (evaluates into new memory).
 * @param e the expression.
 * @param options dtype, device, requires_grad of the result.
 * @return the tensor.
 * @throws conversion_error for a non-strided layout in `options`, and for
 *         `requires_grad` on a dtype that can't have gradients.
 *
 * @code
 * xt::xarray<float> a = {1.f, 2.f, 3.f};
 * torch::Tensor t = xtt::to_torch(xt::exp(a) + 1.f);
 * @endcode
 */
template <class E>
at::Tensor to_torch(const xt::xexpression<E>& e, const at::TensorOptions& options = {});

/**
 * @brief A tensor that adopts an xtensor container's buffer, with no copy.
 *
 * The container (xt::xarray, xt::xtensor, xt::xtensor_fixed, or an adaptor
 * that owns its buffer) is moved into the tensor's storage, which frees it
 * exactly once, when the last tensor and view of that memory is gone. The
 * tensor's strides are the container's, so a column-major container gives a
 * tensor with column-major strides. An xtt::tensor_view gives a tensor over
 * the storage it keeps alive (the round trip back to torch). `options` as in
 * the expression overload; a dtype or device that differs from the
 * container's makes a copy, as `.to()` does.
 *
 * *Adopts* (no copy) · *Keeps alive* the buffer for as long as the tensor lives.
 * @param c the container, as an rvalue (`std::move(a)`).
 * @param options dtype, device, requires_grad of the result.
 * @return the tensor.
 * @throws conversion_error if the buffer is not aligned for the torch element
 *         type (e.g. 16 bytes for complex128), and as the expression overload.
 *
 * @code
 * xt::xarray<double> a = xt::ones<double>({2, 3});
 * torch::Tensor t = xtt::to_torch(std::move(a));   // t now owns a's buffer
 * @endcode
 */
template <class C, std::enable_if_t<!std::is_lvalue_reference_v<C> && detail::is_owning_container<std::decay_t<C>>::value, int> = 0>
at::Tensor to_torch(C&& c, const at::TensorOptions& options = {});

/**
 * @brief A tensor that borrows an xtensor container's memory: no copy, no
 * ownership.
 *
 * Works for xt::xarray, xt::xtensor, xt::xtensor_fixed, adaptors, and
 * strided xtensor views (xt::view, xt::strided_view with non-negative
 * steps). **The caller keeps the memory alive, and the container unresized,
 * for as long as the tensor and every tensor made from it are used**; for a
 * tensor that owns its memory, use `to_torch(std::move(c))`. An
 * xtt::tensor_view is the exception: the tensor keeps the view's storage
 * alive. A temporary owning container (an xt::xarray rvalue) is refused at
 * compile time, since the tensor would borrow freed memory; temporary views
 * and adaptors of memory that lives elsewhere are fine.
 *
 * *Shares memory* · *Keeps alive*: nothing (borrows), but a tensor_view's storage.
 * @param c the container, view or adaptor, with mutable memory.
 * @return a CPU tensor of `c`'s dtype, shape and strides.
 * @throws conversion_error for a negative stride (torch has none) or a
 *         buffer that is not aligned for the torch element type.
 *
 * @code
 * xt::xarray<float> a = xt::zeros<float>({3});
 * torch::Tensor t = xtt::as_tensor(a);   // a must outlive t
 * t.add_(1);                             // a is now {1, 1, 1}
 * @endcode
 */
template <class C, std::enable_if_t<xt::is_xexpression<std::decay_t<C>>::value, int> = 0>
at::Tensor as_tensor(C&& c);

namespace detail
{
    /*
     * Owning containers: to_torch(std::move(c)) adopts their buffer.
     */
    template <class A, class = void>
    struct is_allocator : std::false_type
    {
    };

    template <class A>
    struct is_allocator<A, std::void_t<decltype(std::declval<A&>().allocate(std::size_t(1)))>> : std::true_type
    {
    };

    template <class EC>
    struct owns_storage : std::bool_constant<!std::is_reference_v<EC> && !std::is_pointer_v<EC>>
    {
    };

    // A buffer adaptor owns its memory when it acquired it, or holds a smart
    // pointer or a callable in the allocator slot; with an allocator there and
    // no_ownership it only points.
    template <class CP, class O, class A>
    struct owns_storage<xt::xbuffer_adaptor<CP, O, A>>
        : std::bool_constant<std::is_same_v<O, xt::acquire_ownership> || !is_allocator<A>::value>
    {
    };

    template <class C>
    struct is_owning_container : std::false_type
    {
    };

    template <class EC, xt::layout_type L, class SC, class Tag>
    struct is_owning_container<xt::xarray_container<EC, L, SC, Tag>> : std::true_type
    {
    };

    template <class EC, std::size_t N, xt::layout_type L, class Tag>
    struct is_owning_container<xt::xtensor_container<EC, N, L, Tag>> : std::true_type
    {
    };

    template <class ET, class S, xt::layout_type L, bool SH, class Tag>
    struct is_owning_container<xt::xfixed_container<ET, S, L, SH, Tag>> : std::true_type
    {
    };

    template <class EC, xt::layout_type L, class SC, class Tag>
    struct is_owning_container<xt::xarray_adaptor<EC, L, SC, Tag>> : owns_storage<EC>
    {
    };

    template <class EC, std::size_t N, xt::layout_type L, class Tag>
    struct is_owning_container<xt::xtensor_adaptor<EC, N, L, Tag>> : owns_storage<EC>
    {
    };

    template <class T, std::size_t N, xt::layout_type L>
    struct is_owning_container<tensor_view<T, N, L>> : std::true_type
    {
    };

    template <class C>
    struct is_tensor_view : std::false_type
    {
    };

    template <class T, std::size_t N, xt::layout_type L>
    struct is_tensor_view<tensor_view<T, N, L>> : std::true_type
    {
    };

    template <class V>
    void check_torch_value_type()
    {
        static_assert(has_scalar_type_v<V>,
                      "xtt::to_torch / as_tensor: the value type has no LibTorch dtype; cast the expression "
                      "(xt::cast<float>(e)) to a type in the README's dtype table");
    }

    /*
     * xtensor -> torch geometry: torch strides in elements from an xtensor
     * shape and strides. A size-1 dimension gets the stride torch itself would
     * give it in a contiguous tensor of that layout (xtensor stores 0 there).
     */
    template <class E>
    struct torch_geometry
    {
        dim_vector sizes;
        dim_vector strides;
        bool negative = false;

        explicit torch_geometry(const E& e)
        {
            const auto& shape = e.shape();
            const auto& xstrides = e.strides();
            const std::size_t rank = shape.size();
            sizes.resize(rank);
            strides.resize(rank);
            std::copy(shape.begin(), shape.end(), sizes.begin());
            const bool column_major = e.layout() == xt::layout_type::column_major;
            std::int64_t contiguous_stride = 1;
            for (std::size_t k = 0; k < rank; ++k)
            {
                const std::size_t i = column_major ? k : rank - 1 - k;
                const auto s = static_cast<std::int64_t>(xstrides[i]);
                strides[i] = sizes[i] == 1 ? contiguous_stride : s;
                negative = negative || (sizes[i] > 1 && s < 0);
                contiguous_stride *= std::max<std::int64_t>(sizes[i], 1);
            }
        }
    };

    /// Refuses options to_torch can't honour, for a result of dtype `native`
    /// unless the options name another.
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
    /// check_options before the work) to a CPU result.
    inline at::Tensor finish(at::Tensor t, const at::TensorOptions& options)
    {
        const at::ScalarType dtype = options.has_dtype() ? c10::typeMetaToScalarType(options.dtype()) : t.scalar_type();
        const at::Device device = options.has_device() ? options.device() : t.device();
        if (dtype != t.scalar_type() || device != t.device())
        {
            t = t.to(device, dtype);
        }
        if (options.requires_grad())
        {
            t.requires_grad_(true);
        }
        return t;
    }

    template <class P>
    [[noreturn]] void refuse_misaligned(std::string_view operation, at::ScalarType dtype, const P* data)
    {
        const std::size_t alignment = c10::elementSize(dtype);
        fail(std::string(operation) + " at address " + std::to_string(reinterpret_cast<std::uintptr_t>(data)),
             "torch's " + std::string(dtype_name(dtype)) + " elements need " + std::to_string(alignment)
                 + "-byte alignment",
             "use a buffer from an aligned allocator, or call xtt::to_torch(c) (copies) instead");
    }

    template <class P>
    bool is_aligned(const P* data, at::ScalarType dtype) noexcept
    {
        return reinterpret_cast<std::uintptr_t>(data) % c10::elementSize(dtype) == 0;
    }

    template <class E>
    auto first_element(E& e) noexcept
    {
        return e.data() + e.data_offset();
    }

    inline void no_delete(void*) noexcept
    {
    }

    /// A CPU tensor of dtype `dtype` over `data` with this geometry, owning
    /// nothing but `ctx` (deleted with `deleter` when the tensor's storage dies,
    /// also when this throws). Refuses misaligned buffers.
    inline at::Tensor make_tensor(void* data,
                                  c10::IntArrayRef sizes,
                                  c10::IntArrayRef strides,
                                  at::ScalarType dtype,
                                  void* ctx,
                                  c10::DeleterFnPtr deleter,
                                  std::string_view operation)
    {
        std::unique_ptr<void, c10::DeleterFnPtr> guard(ctx, deleter != nullptr ? deleter : &no_delete);
        const bool empty = std::find(sizes.begin(), sizes.end(), std::int64_t(0)) != sizes.end();
        if (!empty && !is_aligned(data, dtype))
        {
            refuse_misaligned(operation, dtype, data);
        }
        // Row-major strides are left to ATen, which sets them faster.
        const bool row_major = is_contiguous_in(sizes, strides, true);
        return at::for_blob(data, sizes)
            .strides(row_major ? c10::OptionalIntArrayRef() : c10::OptionalIntArrayRef(strides))
            .context(guard.release(), deleter != nullptr ? deleter : &no_delete)
            .options(at::TensorOptions().dtype(dtype))
            .make_tensor();
    }

    /// make_tensor with the geometry of the xtensor container `c`.
    template <class C, class P>
    at::Tensor wrap(const C& c, P* data, void* ctx, c10::DeleterFnPtr deleter, std::string_view operation)
    {
        using value_type = std::remove_const_t<P>;
        std::unique_ptr<void, c10::DeleterFnPtr> guard(ctx, deleter != nullptr ? deleter : &no_delete);
        const torch_geometry<C> g(c);
        if (g.negative)
        {
            fail(std::string(operation) + " with strides " + list_string(c.strides()),
                 "torch tensors can't have negative strides",
                 "evaluate it with xtt::to_torch(e) (copies), or flip it afterwards with torch::flip");
        }
        return make_tensor(const_cast<value_type*>(data), g.sizes, g.strides, scalar_type_v<value_type>,
                           guard.release(), deleter, operation);
    }

    template <class H>
    void delete_holder(void* p) noexcept
    {
        delete static_cast<H*>(p);
    }

    // An own copy of the storage a tensor_view keeps alive.
    template <class T, std::size_t N, xt::layout_type L>
    at::Tensor tensor_of_view(const tensor_view<T, N, L>& v, std::string_view operation)
    {
        return wrap(v, v.data(), new c10::Storage(v.tensor_storage()), &delete_holder<c10::Storage>, operation);
    }

    /// Whether src and dst are dense CPU tensors whose elements lie in the
    /// same order in memory (the same strides): then the copy is a 1-D one.
    inline bool same_dense_layout(const at::Tensor& src, const at::Tensor& dst)
    {
        if (!src.device().is_cpu() || src.layout() != c10::kStrided || !src.is_non_overlapping_and_dense()
            || !dst.is_non_overlapping_and_dense())
        {
            return false;
        }
        const c10::IntArrayRef sizes = src.sizes();
        for (std::size_t i = 0; i < sizes.size(); ++i)
        {
            if (sizes[i] > 1 && src.stride(static_cast<std::int64_t>(i)) != dst.stride(static_cast<std::int64_t>(i)))
            {
                return false;
            }
        }
        return true;
    }

    /// The 1-D copy of same_dense_layout tensors with ATen's kernel, split so that
    /// the bulk writes to 64-byte aligned memory, as into a tensor ATen allocated
    /// (xtensor's default allocator aligns to 16 bytes: ~6% slower otherwise).
    inline void aligned_flat_copy(const at::Tensor& dst, const at::Tensor& src)
    {
        const std::int64_t n = src.numel();
        const at::Tensor d = dst.as_strided({n}, {1});
        const at::Tensor s = src.as_strided({n}, {1});
        const auto misalignment = reinterpret_cast<std::uintptr_t>(dst.data_ptr()) % 64;
        const std::int64_t head =
            std::min<std::int64_t>(n, static_cast<std::int64_t>((64 - misalignment) % 64 / dst.element_size()));
        if (head > 0)
        {
            d.narrow(0, 0, head).copy_(s.narrow(0, 0, head));
        }
        d.narrow(0, head, n - head).copy_(s.narrow(0, head, n - head));
    }

    /// memcpy in 1 MiB chunks on ATen's thread pool.
    inline void parallel_memcpy(void* dst, const void* src, std::size_t bytes)
    {
        auto* d = static_cast<char*>(dst);
        const auto* s = static_cast<const char*>(src);
        at::parallel_for(0, static_cast<std::int64_t>(bytes), std::int64_t(1) << 20, [&](std::int64_t begin, std::int64_t end) {
            std::memcpy(d + begin, s + begin, static_cast<std::size_t>(end - begin));
        });
    }

    inline constexpr request copy_request{"copy", "to xtensor", xt::layout_type::dynamic, access::read_only, ""};

    template <class E, class = void>
    struct is_resizable : std::false_type
    {
    };

    // Containers whose shape can change: not tensor_view (its geometry is the
    // tensor's) and not xtensor_fixed (its shape is a type).
    template <class E>
    struct is_resizable<E, std::void_t<decltype(std::declval<E&>().resize(std::declval<typename E::shape_type>()))>>
        : std::bool_constant<!is_tensor_view<E>::value
                             && std::is_assignable_v<decltype(*std::declval<typename E::shape_type&>().begin()), std::size_t>>
    {
    };
}

/************************
 * torch -> xtensor copy *
 ************************/

namespace detail
{
    /// The copy behind copy_to (fresh = false), to_xarray and to_xtensor (fresh = true).
    template <class E>
    E& copy_impl(const at::Tensor& t, E& out, stage policy, bool fresh);
}

template <class E>
inline E& copy_to(const at::Tensor& t, E& out, stage policy)
{
    return detail::copy_impl(t, out, policy, false);
}

template <class E>
inline E& detail::copy_impl(const at::Tensor& t, E& out, stage policy, bool fresh)
{
    using value_type = typename E::value_type;
    static_assert(has_scalar_type_v<value_type>,
                  "xtt::copy_to: the container's value type has no LibTorch dtype; use a type from the README's dtype table");
    static_assert(xt::has_data_interface<E>::value,
                  "xtt::copy_to: the destination needs a data interface (a container, an adaptor or a strided view)");
    const detail::request& r = detail::copy_request;
    if (detail::is_unfixable(t))
    {
        detail::refuse_unfixable(r, t);
    }
    const detail::plan p = detail::make_plan(t, policy, r);
    if (p.refused != stage::none)
    {
        detail::refuse_step(r, t, p.refused);
    }
    const c10::IntArrayRef sizes = t.sizes();
    const bool same_shape = out.dimension() == sizes.size() && std::equal(sizes.begin(), sizes.end(), out.shape().begin(),
                                                                          [](std::int64_t a, std::size_t b) { return static_cast<std::size_t>(a) == b; });
    if (!same_shape)
    {
        if constexpr (detail::is_resizable<E>::value)
        {
            using shape_type = typename E::shape_type;
            if constexpr (xt::get_rank<E>::value != SIZE_MAX)
            {
                if (sizes.size() != xt::get_rank<E>::value)
                {
                    detail::refuse_rank(r, t, xt::get_rank<E>::value);
                }
            }
            shape_type shape = xtl::make_sequence<shape_type>(sizes.size(), std::size_t(0));
            std::copy(sizes.begin(), sizes.end(), shape.begin());
            out.resize(std::move(shape));
        }
        else
        {
            detail::fail(detail::what_of(r, t),
                         "the destination has shape " + detail::list_string(out.shape()) + " and can't be resized",
                         "pass a destination of the tensor's shape, or a resizable xt::xarray / xt::xtensor");
        }
    }
    if (t.numel() == 0)
    {
        return out;
    }
    at::Tensor src = t.layout() == c10::kStrided ? t : t.to_dense();
    at::Tensor dst = detail::wrap(out, detail::first_element(out), nullptr, nullptr, "copy into xtensor");
    // ATen's kernels do every copy (any dtype, device, strides, conj and neg
    // bits), but for a plain copy of bytes into memory written before, which
    // glibc's memcpy does faster (measured: tests/benchmarks, copy64MiB).
    const c10::NoGradGuard no_grad;
    if (!detail::same_dense_layout(src, dst))
    {
        dst.copy_(src);
    }
    else if (!fresh && src.scalar_type() == dst.scalar_type() && !src.is_conj() && !src.is_neg())
    {
        detail::parallel_memcpy(dst.data_ptr(), src.data_ptr(), static_cast<std::size_t>(src.nbytes()));
    }
    else
    {
        detail::aligned_flat_copy(dst, src);
    }
    return out;
}

template <class T, xt::layout_type L>
inline xt::xarray<T, L> to_xarray(const at::Tensor& t, stage policy)
{
    xt::xarray<T, L> out;
    detail::copy_impl(t, out, policy, true);
    return out;
}

template <class T, xt::layout_type L, class A, class SA>
inline xt::xarray<T, L, A, SA>& to_xarray(const at::Tensor& t, xt::xarray<T, L, A, SA>& out, stage policy)
{
    return copy_to(t, out, policy);
}

template <class T, std::size_t N, xt::layout_type L>
inline xt::xtensor<T, N, L> to_xtensor(const at::Tensor& t, stage policy)
{
    xt::xtensor<T, N, L> out;
    detail::copy_impl(t, out, policy, true);
    return out;
}

template <class T, std::size_t N, xt::layout_type L, class A>
inline xt::xtensor<T, N, L, A>& to_xtensor(const at::Tensor& t, xt::xtensor<T, N, L, A>& out, stage policy)
{
    return copy_to(t, out, policy);
}

/*************************
 * xtensor -> torch      *
 *************************/

template <class E>
inline at::Tensor to_torch(const xt::xexpression<E>& e, const at::TensorOptions& options)
{
    using value_type = std::remove_const_t<typename E::value_type>;
    detail::check_torch_value_type<value_type>();
    const E& de = e.derived_cast();
    constexpr at::ScalarType dtype = scalar_type_v<value_type>;
    detail::check_options(options, dtype);

    const auto& shape = de.shape();
    detail::dim_vector sizes(shape.begin(), shape.end());
    at::Tensor result;
    if constexpr (E::static_layout == xt::layout_type::column_major)
    {
        detail::dim_vector strides(sizes.size());
        std::int64_t stride = 1;
        for (std::size_t i = 0; i < sizes.size(); ++i)
        {
            strides[i] = stride;
            stride *= std::max<std::int64_t>(sizes[i], 1);
        }
        result = at::empty_strided(sizes, strides, at::TensorOptions().dtype(dtype));
        auto v = view<value_type, dynamic, xt::layout_type::column_major>(result);
        xt::noalias(v) = de;
    }
    else
    {
        result = at::empty(sizes, at::TensorOptions().dtype(dtype));
        auto v = view<value_type, dynamic, xt::layout_type::row_major>(result);
        xt::noalias(v) = de;
    }
    return detail::finish(std::move(result), options);
}

template <class C, std::enable_if_t<!std::is_lvalue_reference_v<C> && detail::is_owning_container<std::decay_t<C>>::value, int>>
inline at::Tensor to_torch(C&& c, const at::TensorOptions& options)
{
    using container = std::decay_t<C>;
    using value_type = std::remove_const_t<typename container::value_type>;
    detail::check_torch_value_type<value_type>();
    detail::check_options(options, scalar_type_v<value_type>);
    at::Tensor t;
    if constexpr (detail::is_tensor_view<container>::value)
    {
        t = detail::tensor_of_view(c, "adopt an xtt::tensor_view");
    }
    else
    {
        auto holder = std::make_unique<container>(std::move(c));
        container& h = *holder;
        // wrap() owns the holder from here on, also when it throws
        t = detail::wrap(h, detail::first_element(h), holder.release(), &detail::delete_holder<container>,
                         "adopt an xtensor buffer");
    }
    return detail::finish(std::move(t), options);
}

template <class C, std::enable_if_t<xt::is_xexpression<std::decay_t<C>>::value, int>>
inline at::Tensor as_tensor(C&& c)
{
    using container = std::decay_t<C>;
    static_assert(xt::has_data_interface<container>::value,
                  "xtt::as_tensor: C has no memory of its own to borrow (it is a lazy expression); "
                  "use xtt::to_torch(e) to evaluate it into a new tensor");
    using value_type = std::remove_const_t<typename container::value_type>;
    detail::check_torch_value_type<value_type>();
    if constexpr (detail::is_tensor_view<container>::value)
    {
        // also for a temporary view: the tensor keeps the storage alive
        return detail::tensor_of_view(c, "borrow an xtt::tensor_view");
    }
    else
    {
        static_assert(std::is_lvalue_reference_v<C> || !detail::is_owning_container<container>::value,
                      "xtt::as_tensor(temporary): the tensor would borrow memory that is about to be freed; "
                      "use xtt::to_torch(std::move(c)) to hand the buffer over to torch");
        static_assert(!std::is_const_v<std::remove_pointer_t<decltype(detail::first_element(c))>>,
                      "xtt::as_tensor needs a mutable container: torch tensors are always writable; "
                      "use xtt::to_torch(c) for a copy");
        return detail::wrap(c, detail::first_element(c), nullptr, nullptr, "borrow an xtensor buffer");
    }
}

XTT_NAMESPACE_END

#endif
