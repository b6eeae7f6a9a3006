// Owning copies and ownership transfer, both ways: torch -> xtensor copies
// (to_xarray, to_xtensor, copy_to), xtensor -> torch evaluation and adoption
// (to_torch), and borrowing (as_tensor).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_CONVERT_HPP
#define XTENSOR_TORCH_CONVERT_HPP

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "detail/fast_copy.hpp"
#include "detail/torch_memory.hpp"
#include "dtype.hpp"
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
 * drops the imaginary part, as ATen does. When `out`'s memory overlaps the
 * tensor's (an xtt::tensor_view of the same tensor, say), the elements go
 * through a temporary copy first, so every element is the one `t` held before.
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
 * expression (a full reduction, an xt::xscalar) gives a 0-d tensor. An
 * xtt::tensor_view is an expression like any other: `to_torch(v)` copies it
 * (`as_tensor(v)` shares it).
 *
 * `options` may name a dtype (the result is cast to it by ATen), a device
 * (computed on the CPU, then moved there) and `requires_grad`.
 *
 * *Copies* (evaluates into new memory).
 * @param e the expression.
 * @param options dtype, device, requires_grad of the result.
 * @return the tensor.
 * @throws conversion_error for a non-strided layout in `options`, for
 *         `requires_grad` on a dtype that can't have gradients, and for an
 *         operand with no memory (a moved-from container) or an invalid view.
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
 * tensor with column-major strides. `options` as in the expression overload;
 * a dtype or device that differs from the container's makes a copy, as
 * `.to()` does.
 *
 * *Adopts* (no copy) · *Keeps alive* the buffer for as long as the tensor lives.
 * @param c the container, as an rvalue (`std::move(a)`).
 * @param options dtype, device, requires_grad of the result.
 * @return the tensor.
 * @throws conversion_error if the buffer is null (a moved-from container) or
 *         not aligned for the torch element type (e.g. 16 bytes for
 *         complex128), and as the expression overload.
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
 * xtt::tensor_view is the exception: the result is a tensor over the view's
 * own storage (an alias of the tensor the view came from, in ATen's eyes),
 * which it keeps alive. A temporary owning container (an xt::xarray rvalue)
 * and read-only memory (`const` containers, xtt::tensor_view<const T>) are
 * refused at compile time.
 *
 * *Shares memory* · *Keeps alive*: nothing (borrows), but a tensor_view's storage.
 * @param c the container, view or adaptor, with mutable memory.
 * @return a CPU tensor of `c`'s dtype, shape and strides.
 * @throws conversion_error for a negative stride (torch has none), a buffer
 *         that is null (a moved-from container) or not aligned for the torch
 *         element type, and an xtt::tensor_view that is no longer valid().
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

    // A view owns no buffer: it is not here, so to_torch of a view evaluates it.
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

    template <class C>
    struct is_tensor_view : std::false_type
    {
    };

    template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
    struct is_tensor_view<tensor_view<T, N, L, WriteBack>> : std::true_type
    {
        static constexpr bool read_only = std::is_const_v<T>;
    };

    // The first and only error for a value type without a dtype: each use is
    // `static_assert(has_torch_dtype<V>, ...)` followed by an `if constexpr`.
    template <class V>
    inline constexpr bool has_torch_dtype = has_scalar_type_v<V>;

#define XTT_TORCH_VALUE_MESSAGE                                                                              \
    "xtt::to_torch / as_tensor: the value type has no LibTorch dtype; cast the expression (xt::cast<float>(e)) " \
    "to a type in the README's dtype table"

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

        explicit torch_geometry(const E& e)
        {
            const auto& shape = e.shape();
            sizes.resize(shape.size());
            for (std::size_t k = 0; k < shape.size(); ++k)  // not std::copy: a rank-0 shape's data() may be null
            {
                sizes[k] = static_cast<std::int64_t>(shape[k]);
            }
            torch_strides(sizes, e.strides(), e.layout() != xt::layout_type::column_major, strides);
        }
    };

    template <class E>
    auto first_element(E& e) noexcept
    {
        return e.data() + e.data_offset();
    }

    /// make_tensor with the geometry of the xtensor container `c`.
    template <class C, class P>
    at::Tensor wrap(const C& c, P* data, void* ctx, c10::DeleterFnPtr deleter, std::string_view operation)
    {
        using value_type = std::remove_const_t<P>;
        std::unique_ptr<void, c10::DeleterFnPtr> guard(ctx, deleter != nullptr ? deleter : &no_delete);
        const torch_geometry<C> g(c);
        return make_tensor(const_cast<value_type*>(data), g.sizes, g.strides, scalar_type_v<value_type>, guard.release(),
                           deleter, operation);
    }

    /// A tensor over a (writable) tensor_view's memory, on the view's storage.
    template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
    at::Tensor alias_of_view(const tensor_view<T, N, L, WriteBack>& v, std::string_view operation)
    {
        const torch_geometry<tensor_view<T, N, L, WriteBack>> g(v);
        return alias_of(v.tensor_storage(), v.valid(), v.data(), g.sizes, g.strides, scalar_type_v<T>, operation);
    }

    /*
     * Operands to_torch reads: a moved-from container (null buffer, elements
     * in its shape) or a view of memory its tensor no longer holds is refused
     * before xtensor reads it. Walks functions and views down to their leaves.
     */
    template <class E, class = void>
    struct has_arguments : std::false_type
    {
    };
    template <class E>
    struct has_arguments<E, std::void_t<decltype(std::declval<const E&>().arguments())>> : std::true_type
    {
    };

    template <class E, class = void>
    struct has_expression : std::false_type
    {
    };
    template <class E>
    struct has_expression<E, std::void_t<decltype(std::declval<const E&>().expression())>> : std::true_type
    {
    };

    template <class E, class = void>
    struct has_data_pointer : std::false_type
    {
    };
    template <class E>
    struct has_data_pointer<E, std::void_t<decltype(std::declval<const E&>().data()), decltype(std::declval<const E&>().shape())>>
        : std::true_type
    {
    };

    template <class E>
    void check_operands(const E& e)
    {
        if constexpr (is_tensor_view<E>::value)
        {
            if (!e.valid())
            {
                refuse_invalid("read a view");
            }
        }
        else if constexpr (has_data_pointer<E>::value)
        {
            // the shape counts: a moved-from xt::xtensor keeps it with no buffer
            if (e.data() == nullptr && xt::compute_size(e.shape()) > 0)
            {
                fail("read an xtensor container of shape " + list_string(e.shape()),
                     "its buffer is null though it has elements (a moved-from container?)",
                     "give it memory first (assign to it or resize it)");
            }
        }
        if constexpr (has_arguments<E>::value)
        {
            std::apply([](const auto&... args) { (check_operands(args), ...); }, e.arguments());
        }
        else if constexpr (has_expression<E>::value)
        {
            check_operands(e.expression());
        }
    }

    inline request copy_request() noexcept
    {
        request r{};
        r.operation = "copy";
        r.target = "to xtensor";
        r.mode = access::read_only;
        return r;
    }

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

    /// Gives `out` the tensor's shape (resizing it if it can), or refuses.
    template <class E>
    void fit_destination(const request& r, const at::Tensor& t, E& out)
    {
        const c10::IntArrayRef sizes = t.sizes();
        const bool same_shape = out.dimension() == sizes.size()
                                && std::equal(sizes.begin(), sizes.end(), out.shape().begin(),
                                              [](std::int64_t a, std::size_t b) { return static_cast<std::size_t>(a) == b; });
        if (same_shape)
        {
            return;
        }
        if constexpr (is_resizable<E>::value)
        {
            using shape_type = typename E::shape_type;
            if constexpr (xt::get_rank<E>::value != SIZE_MAX)
            {
                if (sizes.size() != xt::get_rank<E>::value)
                {
                    refuse_rank(r, t, xt::get_rank<E>::value);
                }
            }
            shape_type shape = xtl::make_sequence<shape_type>(sizes.size(), std::size_t(0));
            for (std::size_t k = 0; k < sizes.size(); ++k)  // not std::copy: a rank-0 shape's data() may be null
            {
                shape[k] = static_cast<std::size_t>(sizes[k]);
            }
            translate_errors([&] { return describe_conversion(r, t); }, [&] { out.resize(std::move(shape)); });
        }
        else
        {
            fail(describe_conversion(r, t),
                 "the destination has shape " + list_string(out.shape()) + " and can't be resized",
                 "pass a destination of the tensor's shape, or a resizable xt::xarray / xt::xtensor");
        }
    }

    /// The copy behind copy_to (fresh = false), to_xarray and to_xtensor (fresh = true).
    template <class E>
    E& copy_impl(const at::Tensor& t, E& out, stage policy, bool fresh)
    {
        using value_type = typename E::value_type;
        static_assert(has_scalar_type_v<value_type>,
                      "xtt::copy_to: the container's value type has no LibTorch dtype; use a type from the README's dtype table");
        static_assert(xt::has_data_interface<E>::value,
                      "xtt::copy_to: the destination needs a data interface (a container, an adaptor or a strided view)");
        static_assert(!std::is_const_v<std::remove_pointer_t<decltype(first_element(out))>>,
                      "xtt::copy_to: the destination is read-only (const); pass a writable container or view");
        const request r = copy_request();
        checked_plan(t, policy, r);
        fit_destination(r, t, out);
        if (t.numel() == 0)
        {
            return out;
        }
        if constexpr (is_tensor_view<E>::value)
        {
            check_operands(out);
        }
        const at::Tensor dst = wrap(out, first_element(out), nullptr, nullptr, "copy into xtensor");
        if (fresh)
        {
            advise_huge_pages(dst.data_ptr(), static_cast<std::size_t>(dst.nbytes()));
        }
        translate_errors([&] { return describe_conversion(r, t); },
                         [&] { copy_elements(t, dst, fresh, copy_kernel_for<value_type>); });
        return out;
    }
}

namespace detail
{
    /// to_torch of an expression whose value type has a dtype.
    template <class E>
    at::Tensor evaluate_into_tensor(const E& de, const at::TensorOptions& options);
}

/************************
 * torch -> xtensor copy *
 ************************/

template <class E>
inline E& copy_to(const at::Tensor& t, E& out, stage policy)
{
    return detail::copy_impl(t, out, policy, false);
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
    static_assert(detail::has_torch_dtype<value_type>, XTT_TORCH_VALUE_MESSAGE);
    if constexpr (detail::has_torch_dtype<value_type>)
    {
        return detail::evaluate_into_tensor(e.derived_cast(), options);
    }
    else
    {
        return {};
    }
}

template <class E>
inline at::Tensor detail::evaluate_into_tensor(const E& de, const at::TensorOptions& options)
{
    using value_type = std::remove_const_t<typename E::value_type>;
    constexpr at::ScalarType dtype = scalar_type_v<value_type>;
    detail::check_options(options, dtype);
    detail::check_operands(de);

    const auto& shape = de.shape();
    const detail::dim_vector sizes(shape.begin(), shape.end());
    constexpr bool column_major = E::static_layout == xt::layout_type::column_major;
    const detail::dim_vector strides = detail::contiguous_strides(sizes, !column_major);
    at::Tensor result = detail::translate_errors("allocate a tensor for an xtensor expression",
                                                 [&] { return detail::empty_for_writing(sizes, strides, dtype); });
    auto v = view<value_type, dynamic, column_major ? xt::layout_type::column_major : xt::layout_type::row_major>(result);
    xt::noalias(v) = de;
    return detail::finish(std::move(result), options);
}

template <class C, std::enable_if_t<!std::is_lvalue_reference_v<C> && detail::is_owning_container<std::decay_t<C>>::value, int>>
inline at::Tensor to_torch(C&& c, const at::TensorOptions& options)
{
    using container = std::decay_t<C>;
    using value_type = std::remove_const_t<typename container::value_type>;
    static_assert(detail::has_torch_dtype<value_type>, XTT_TORCH_VALUE_MESSAGE);
    if constexpr (detail::has_torch_dtype<value_type>)
    {
        detail::check_options(options, scalar_type_v<value_type>);
        auto holder = std::make_unique<container>(std::move(c));
        container& h = *holder;
        // wrap() owns the holder from here on, also when it throws
        at::Tensor t = detail::wrap(h, detail::first_element(h), holder.release(), &detail::delete_holder<container>,
                                    "adopt an xtensor buffer");
        return detail::finish(std::move(t), options);
    }
    else
    {
        return {};
    }
}

template <class C, std::enable_if_t<xt::is_xexpression<std::decay_t<C>>::value, int>>
inline at::Tensor as_tensor(C&& c)
{
    using container = std::decay_t<C>;
    static_assert(xt::has_data_interface<container>::value,
                  "xtt::as_tensor: C has no memory of its own to borrow (it is a lazy expression); "
                  "use xtt::to_torch(e) to evaluate it into a new tensor");
    using value_type = std::remove_const_t<typename container::value_type>;
    static_assert(detail::has_torch_dtype<value_type>, XTT_TORCH_VALUE_MESSAGE);
    if constexpr (!detail::has_torch_dtype<value_type>)
    {
        return {};
    }
    else if constexpr (detail::is_tensor_view<container>::value)
    {
        static_assert(!detail::is_tensor_view<container>::read_only,
                      "xtt::as_tensor: a read-only view (xtt::tensor_view<const T>) can't become a writable tensor; "
                      "use xtt::to_torch(v) for a copy, or view the tensor with a non-const T");
        // also for a temporary view: the tensor keeps the storage alive
        return detail::alias_of_view(c, "borrow an xtt::tensor_view");
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

#undef XTT_TORCH_VALUE_MESSAGE

XTT_NAMESPACE_END

#endif
