// torch -> xtensor zero-copy views: xtt::view, the container it returns
// (xtt::tensor_view), and xtt::visit, which dispatches on a runtime dtype.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_VIEW_HPP
#define XTENSOR_TORCH_VIEW_HPP

#include <algorithm>
#include <array>
#include <cstddef>
#include <exception>
#include <limits>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "detail/torch_memory.hpp"
#include "dtype.hpp"
#include "error.hpp"
#include "stage.hpp"

XTT_NAMESPACE_BEGIN

template <class T, std::size_t N = dynamic, xt::layout_type L = xt::layout_type::dynamic, bool WriteBack = false>
class tensor_view;

/**
 * @brief A tensor_view whose writes land in the tensor it was made from: what
 * xtt::edit returns (see there, and tensor_view::commit()).
 */
template <class T, std::size_t N = dynamic, xt::layout_type L = xt::layout_type::dynamic>
using edit_view = tensor_view<T, N, L, true>;

namespace detail
{
    // A dynamic rank keeps up to 4 dims inline. Init = false: resize() does
    // not zero what the constructor fills anyway (those fills were half the
    // time of creating a dynamic-rank view).
    template <std::size_t N>
    using view_shape_t = std::conditional_t<N == dynamic, xt::svector<std::size_t, 4, std::allocator<std::size_t>, false>,
                                            std::array<std::size_t, N>>;

    template <class T, std::size_t N, xt::layout_type L>
    using view_temporary_t = std::conditional_t<
        N == dynamic,
        xt::xarray<std::remove_const_t<T>, L == xt::layout_type::dynamic ? XTENSOR_DEFAULT_LAYOUT : L>,
        xt::xtensor<std::remove_const_t<T>, (N == dynamic ? 0 : N), L == xt::layout_type::dynamic ? XTENSOR_DEFAULT_LAYOUT : L>>;

    // What a view writes back when it is destroyed: nothing (xtt::view)...
    template <bool WriteBack>
    class write_back
    {
    };

    // ... or its elements, into the tensor it edits (xtt::edit).
    template <>
    class write_back<true>
    {
    public:

        /// `kernel`: the permuted copy of the elements' size, for the copy back.
        write_back(const at::Tensor& target, const at::Tensor& copy, copy_kernel kernel) noexcept;
        write_back(write_back&& other) noexcept;
        write_back(const write_back&) = delete;
        write_back& operator=(const write_back&) = delete;
        write_back& operator=(write_back&&) = delete;
        ~write_back();

        void commit();
        bool shares() const noexcept;
        const at::Tensor& target() const noexcept;

    private:

        void copy_back();

        at::Tensor m_target;
        at::Tensor m_copy;  // the staged copy; undefined when the view shares the tensor's memory
        copy_kernel m_kernel;
        int m_uncaught;     // exceptions in flight when the view was made
        bool m_pending = true;
    };
}

XTT_NAMESPACE_END

namespace xt
{
    // The traits xtensor reads to treat xtt::tensor_view as a strided container
    // (specialisations of xtensor's extension points; no names are added to xt).
    template <class T, std::size_t N, layout_type L, bool WriteBack>
    struct xcontainer_inner_types<xtt::tensor_view<T, N, L, WriteBack>>
    {
        using storage_type = xbuffer_adaptor<T*, no_ownership, std::allocator<std::remove_const_t<T>>>;
        using reference = inner_reference_t<storage_type>;
        using const_reference = typename storage_type::const_reference;
        using size_type = typename storage_type::size_type;
        using shape_type = xtt::detail::view_shape_t<N>;
        using strides_type = get_strides_t<shape_type>;
        using backstrides_type = get_strides_t<shape_type>;
        using inner_shape_type = shape_type;
        using inner_strides_type = strides_type;
        using inner_backstrides_type = backstrides_type;
        using temporary_type = xtt::detail::view_temporary_t<T, N, L>;
        static constexpr layout_type layout = L;
    };

    template <class T, std::size_t N, layout_type L, bool WriteBack>
    struct xiterable_inner_types<xtt::tensor_view<T, N, L, WriteBack>> : xcontainer_iterable_types<xtt::tensor_view<T, N, L, WriteBack>>
    {
    };

    // An xtensor expression (`a + b`, `xt::exp(a)`, `xt::sum(a)`, ...) holds a
    // named view by value, not by reference as it holds a container: a view is
    // a handle, so the copy is cheap and shares the memory, and an expression
    // returned from a function that took its views by value, as in
    // `[](auto a, auto b) { return a + b; }`, does not refer to dead
    // parameters. An edit view can't be copied; expressions hold it by
    // reference, as they hold containers. (`xt::view(v, ...)` takes its
    // argument through xtl::closure_type, not xclosure: by reference.)
    template <class T, std::size_t N, layout_type L>
    struct xclosure<xtt::tensor_view<T, N, L, false>&, void>
    {
        using type = xtt::tensor_view<T, N, L, false>;
    };

    template <class T, std::size_t N, layout_type L>
    struct xclosure<const xtt::tensor_view<T, N, L, false>&, void>
    {
        using type = xtt::tensor_view<T, N, L, false>;
    };

    template <class T, std::size_t N, layout_type L>
    struct const_xclosure<xtt::tensor_view<T, N, L, false>&, void>
    {
        using type = xtt::tensor_view<T, N, L, false>;
    };

    template <class T, std::size_t N, layout_type L>
    struct const_xclosure<const xtt::tensor_view<T, N, L, false>&, void>
    {
        using type = xtt::tensor_view<T, N, L, false>;
    };
}

XTT_NAMESPACE_BEGIN

/**
 * @brief An xtensor container over a tensor's memory, which it keeps alive.
 *
 * What xtt::view returns: usable in every xtensor expression, assignable,
 * printable. Its elements are the tensor's elements, with the tensor's strides
 * and storage offset; it holds a reference to the tensor's storage, so it stays
 * valid after every tensor handle is gone.
 *
 * It has view semantics: assignment (`=`, `+=`, `xt::noalias(v) = ...`,
 * `fill`) writes every element where the tensor has it and never changes the
 * view's shape or strides; a right-hand side of another shape is broadcast, and
 * one that aliases the view is evaluated into a temporary first. Copying a
 * tensor_view makes a second view of the same memory; assigning one view to
 * another copies elements, as xtensor's own views do.
 *
 * Like a NumPy array from `Tensor.numpy()`, a view points at the memory the
 * tensor had when the view was made: after `t.resize_()` reallocates it, the
 * view no longer sees the tensor (valid() is then false). In debug builds
 * (`NDEBUG` not defined, or `XTENSOR_TORCH_CHECK_VALIDITY=1`) assignments to
 * the view (`=`, `+=`, ..., `fill`) and xtensor expressions that read it
 * check this and throw conversion_error. Element access (`v(i, j)`, `v[...]`)
 * and the view's iterators are not checked: call valid() where a resize_ can
 * intervene.
 *
 * @tparam T the element type; `const T` for a read-only view.
 * @tparam N the rank, or xtt::dynamic.
 * @tparam L `xt::layout_type::row_major` or `column_major` for a view whose
 *         layout is static (xtensor then takes its contiguous, SIMD paths), or
 *         `dynamic` for any strides.
 * @tparam WriteBack true for an xtt::edit_view, which writes back into the tensor it
 *         edits (xtt::edit); false (the default) for xtt::view's views.
 */
template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
class tensor_view : public xt::xstrided_container<tensor_view<T, N, L, WriteBack>>,
                    public xt::xview_semantic<tensor_view<T, N, L, WriteBack>>,
                    private detail::write_back<WriteBack>
{
public:

    using self_type = tensor_view<T, N, L, WriteBack>;                          ///< this view's type
    using base_type = xt::xstrided_container<self_type>;              ///< xtensor's strided container base
    using semantic_base = xt::xview_semantic<self_type>;              ///< xtensor's view assignment semantics
    using storage_type = typename base_type::storage_type;            ///< a non-owning buffer over the tensor's memory
    using value_type = typename base_type::value_type;                ///< the element type, without const
    using reference = typename base_type::reference;                  ///< `T&` (`const T&` for a read-only view)
    using const_reference = typename base_type::const_reference;      ///< `const T&`
    using pointer = typename base_type::pointer;                      ///< `T*`
    using size_type = typename base_type::size_type;                  ///< `std::size_t`
    using shape_type = typename base_type::shape_type;                ///< `std::array` of rank N, or a small vector
    using strides_type = typename base_type::strides_type;            ///< strides in elements (0 for size-1 dims)
    using backstrides_type = typename base_type::backstrides_type;    ///< xtensor's backstrides
    using temporary_type = typename semantic_base::temporary_type;    ///< the owning container assignments go through
    using expression_tag = xt::xtensor_expression_tag;                ///< an xtensor expression

    /// @brief The rank `N` (xtt::dynamic for a rank known at run time).
    static constexpr std::size_t rank = N;

    /// @brief A second view of the same memory, which keeps it alive too.
    tensor_view(const tensor_view&) = default;
    /// @brief Takes over the view and its reference to the storage.
    tensor_view(tensor_view&&) noexcept = default;
    ~tensor_view() = default;

    /// @brief Copies the elements of `rhs` into this view's memory, as xtensor's views do (never rebinds).
    tensor_view& operator=(const tensor_view& rhs);
    /// @brief Copies the elements of `rhs`, as the copy assignment.
    tensor_view& operator=(tensor_view&& rhs);

    /// @brief Assigns an expression through the strides, broadcast to the view's shape.
    template <class E>
    tensor_view& operator=(const xt::xexpression<E>& e);

    /// @brief Assigns `value` to every element.
    template <class E>
    xt::disable_xexpression<E, tensor_view>& operator=(const E& value);

    /// @brief Assigns `value` to every element.
    void fill(const value_type& value);

    /// @brief The storage this view keeps alive.
    const c10::Storage& tensor_storage() const noexcept;

    /**
     * @brief Whether the view still points into its tensor's memory: false
     * after the storage was given new memory (a `resize_` that reallocated, a
     * copy-on-write copy). Reading or writing an invalid view reads or writes
     * memory the tensor no longer uses.
     */
    bool valid() const noexcept;

    /**
     * @brief Edit views only: writes the view's elements back into the tensor
     * it edits, now (see xtt::edit). A view that was committed (or whose
     * commit threw) writes back again only on another commit().
     * @throws conversion_error when the write-back fails (the tensor was
     *         resized, the view was moved from, ...) or the view is no
     *         longer valid() (its writes went to memory the tensor gave up).
     */
    void commit();

    /// @brief Edit views only: whether the view is over the tensor's own memory (nothing to copy back).
    bool shares() const noexcept;

    /// @brief Edit views only: the tensor the view writes back to.
    const at::Tensor& target() const noexcept;

    /// @cond XTT_XTENSOR_ENTRY_POINTS
    // xtensor's assignment entry points, with the debug validity check.
    template <class S>
    bool broadcast_shape(S& shape, bool reuse_cache = false) const;
    template <class E>
    tensor_view& assign_xexpression(const xt::xexpression<E>& e);
    template <class E>
    tensor_view& computed_assign(const xt::xexpression<E>& e);
    template <class E, class F>
    tensor_view& scalar_computed_assign(const E& e, F&& f);
    /// @endcond

    /// @cond XTT_CONVERSION_DRIVER
    // What xtt::view and xtt::edit make (detail::convert), after their checks
    // and staging: the view of the staged tensor `s` (CPU, strided, ready).
    tensor_view(detail::from_staged_t, const at::Tensor& s, detail::write_back<WriteBack> edits = {});
    /// @endcond

private:

    storage_type& storage_impl() noexcept;
    const storage_type& storage_impl() const noexcept;

    void assign_temporary_impl(temporary_type&& tmp);

    void check_read() const;
    void check_write() const;

    // A view's geometry is the tensor's: it never changes.
    using base_type::reshape;
    using base_type::resize;

    storage_type m_storage;
    detail::storage_ref m_keep_alive;

    friend class xt::xcontainer<self_type>;
    friend class xt::xsemantic_base<self_type>;
    friend class xt::xview_semantic<self_type>;
};

/**
 * @brief A zero-copy xtensor view of a tensor's memory.
 *
 * *Shares memory* (strides and storage offset honoured) · *Keeps alive* the
 * tensor's storage, also after `t` and every staged temporary are gone ·
 * *May copy* only with the flags in `policy` (`to_cpu`, `resolve_conj`,
 * `resolve_neg`, `to_dense`, `contiguous`, `cast`); `detach` never copies.
 * Writes to a view of a copy stay in the copy: xtt::edit writes them back.
 *
 * Like PyTorch's `Tensor.numpy()`: the dtype must match `T` exactly (unless
 * `policy` has `stage::cast`), and `requires_grad` is refused only while
 * grad mode is on.
 * A writable view of a tensor whose elements overlap in memory (expanded,
 * stride 0) is refused; `view<const T>` reads it.
 *
 * @tparam T the element type, e.g. `float`, `std::complex<double>`,
 *         `c10::Half`; `const T` for a read-only view.
 * @tparam N the rank, or xtt::dynamic (the default).
 * @tparam L `xt::layout_type::dynamic` (default: any strides), or `row_major`
 *         / `column_major`: the tensor must be contiguous in that layout,
 *         or `policy` must allow `stage::contiguous`.
 * @param t the tensor.
 * @param policy the staging steps allowed; without it, none: the view shares
 *        `t`'s memory or the call throws, and the file compiles no copy
 *        kernel (README, "Compile time").
 * @return a tensor_view<T, N, L>.
 * @throws conversion_error for a dtype or rank mismatch, for an undefined,
 *         meta, quantized or nested tensor, and for a state that needs a step
 *         `policy` does not allow; the message names the flag and the LibTorch call.
 *
 * @code
 * torch::Tensor t = torch::arange(6, torch::kFloat32).reshape({2, 3});
 * auto v = xtt::view<float, 2>(t);    // shares t's memory
 * v(1, 2) = 42;                       // t[1][2] is now 42
 * @endcode
 */
template <class T, std::size_t N = dynamic, xt::layout_type L = xt::layout_type::dynamic>
tensor_view<T, N, L> view(const at::Tensor& t, stage policy);

/**
 * @brief xtt::view without a policy (`stage::none`): the view shares `t`'s
 * memory, or the call throws. It copies nothing, so a file that converts
 * only so compiles no copy kernel (README, "Compile time").
 * @throws conversion_error as xtt::view(t, stage::none).
 */
template <class T, std::size_t N = dynamic, xt::layout_type L = xt::layout_type::dynamic>
tensor_view<T, N, L> view(const at::Tensor& t);

/**
 * @brief Calls `f` with a dynamic-rank view of `t` typed by `t`'s runtime dtype.
 *
 * `f` is called with an xtt::tensor_view<T> where T is cpp_type_t of the
 * dtype (`float`, `std::int64_t`, `std::complex<float>`, `c10::Half`, ...);
 * with `A = access::read_only`, a tensor_view<const T>. `f` must return the
 * same type for every T. Staging as xtt::view.
 * @tparam A `access::read_write` (default) or `access::read_only`.
 * @param t the tensor.
 * @param f a callable taking any tensor_view, e.g. a generic lambda.
 * @param policy the staging steps allowed; without it, none (as xtt::view).
 * @return what `f` returns.
 * @throws conversion_error as xtt::view, and for a dtype without a C++ type.
 *
 * @code
 * std::size_t n = xtt::visit(t, [](auto v) { std::cout << v << '\n'; return v.size(); });
 * @endcode
 */
template <access A = access::read_write, class F>
decltype(auto) visit(const at::Tensor& t, F&& f, stage policy);

/**
 * @brief xtt::visit without a policy (`stage::none`): each view shares `t`'s
 * memory, or the call throws; no copy kernel is compiled for it.
 * @throws conversion_error as xtt::visit(t, f, stage::none).
 */
template <access A = access::read_write, class F>
decltype(auto) visit(const at::Tensor& t, F&& f);

/**
 * @brief Tells autograd that `t`'s elements were written by other means than
 * ATen: bumps its version counter (shared with every autograd view of the
 * same data), as an in-place ATen operation does.
 *
 * Writes through an xtt::tensor_view or an Eigen map go straight to memory
 * and are not counted. When such a tensor was saved for a backward pass (an
 * input of a multiplication, say), autograd then can't see that the saved
 * values changed. Call mark_written after writing through a view of a tensor
 * that takes part in autograd, in particular in the in-place operators of a
 * PyTorch extension; backward then refuses to use the stale values, as it
 * does after `t.mul_(2)`.
 *
 * An inference tensor has no version counter: inside `c10::InferenceMode`
 * this does nothing (ATen's in-place operations do not count there either),
 * outside it is refused.
 * @throws conversion_error for an undefined tensor, and an inference tensor
 *         outside inference mode.
 *
 * @code
 * auto v = xtt::view<float>(t, xtt::stage::detach);
 * v *= 2.f;
 * xtt::mark_written(t);   // t._version() moved on
 * @endcode
 */
inline void mark_written(const at::Tensor& t);

namespace detail
{
    inline constexpr std::string_view view_any_strides_hint = "view it with xt::layout_type::dynamic, which takes any strides";

    template <class T, xt::layout_type L>
    constexpr request view_request() noexcept
    {
        request r{};
        r.operation = "view";
        r.target = "as xtensor";
        r.layout = L;
        r.mode = std::is_const_v<T> ? access::read_only : access::read_write;
        r.any_strides_hint = view_any_strides_hint;
        r.dtype = scalar_type_v<T>;
        return r;
    }

    template <class T, std::size_t N, xt::layout_type L>
    struct target_traits<tensor_view<T, N, L, false>> : strided_target<T>
    {
        static constexpr request get(const at::Tensor&) noexcept
        {
            return view_request<T, L>();
        }

        static void check(const at::Tensor& t, stage policy, const request& r)
        {
            check_type_and_rank<T, N>(r, t, policy);
        }

        static tensor_view<T, N, L> make(const at::Tensor&, const staged_tensor& s)
        {
            return tensor_view<T, N, L>(from_staged, s.tensor());
        }
    };
}

/****************************
 * tensor_view, out of line *
 ****************************/

/// @cond XTT_OUT_OF_LINE

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline tensor_view<T, N, L, WriteBack>::tensor_view(detail::from_staged_t, const at::Tensor& s, detail::write_back<WriteBack> edits)
    : base_type(),
      detail::write_back<WriteBack>(std::move(edits)),
      m_keep_alive(s.storage())
{
    // Shape and strides are filled in place (no temporaries to move): the
    // strides are torch's, with xtensor's 0 for size-1 dims (the way back is
    // detail::torch_strides); a static layout (checked by staging) or an empty
    // tensor gets xtensor's own strides.
    const c10::IntArrayRef sizes = s.sizes();
    const std::size_t rank = sizes.size();
    shape_type& shape = this->shape_impl();
    strides_type& strides = this->strides_impl();
    backstrides_type& backstrides = this->backstrides_impl();
    if constexpr (N == dynamic)
    {
        shape.resize(rank);
        strides.resize(rank);
        backstrides.resize(rank);
    }
    for (std::size_t i = 0; i < rank; ++i)  // not std::copy: a rank-0 shape's data() may be null
    {
        shape[i] = static_cast<std::size_t>(sizes[i]);
    }
    const std::int64_t numel = s.numel();
    xt::layout_type layout = L;
    std::size_t span = static_cast<std::size_t>(numel);
    if (L != xt::layout_type::dynamic || numel == 0)
    {
        layout = L == xt::layout_type::dynamic ? xt::layout_type::row_major : L;
        xt::compute_strides(shape, layout, strides, backstrides);
    }
    else
    {
        const c10::IntArrayRef torch_strides = s.strides();
        for (std::size_t i = 0; i < rank; ++i)
        {
            strides[i] = static_cast<std::ptrdiff_t>(torch_strides[i]);
        }
        xt::adapt_strides(shape, strides, backstrides);  // xtensor's 0 at size 1
        span = 1;
        for (std::size_t i = 0; i < rank; ++i)
        {
            span += static_cast<std::size_t>(backstrides[i]);
        }
        layout = s.is_contiguous() ? xt::layout_type::row_major
                 : detail::is_contiguous_in(sizes, torch_strides, false) ? xt::layout_type::column_major
                                                                         : xt::layout_type::dynamic;
    }
    this->mutable_layout() = layout;
    m_storage = storage_type(numel == 0 ? detail::empty_data<T>() : detail::typed_data<T>(s), span);
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline auto tensor_view<T, N, L, WriteBack>::operator=(const tensor_view& rhs) -> tensor_view&
{
    static_assert(!std::is_const_v<T>, "xtt::tensor_view<const T> is read-only; use xtt::view<T> for a writable view");
    rhs.check_read();
    // as an expression: xview_semantic's own copy assignment copies nothing
    semantic_base::operator=(static_cast<const xt::xexpression<tensor_view>&>(rhs));
    return *this;
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline auto tensor_view<T, N, L, WriteBack>::operator=(tensor_view&& rhs) -> tensor_view&
{
    return *this = static_cast<const tensor_view&>(rhs);
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
template <class E>
inline tensor_view<T, N, L, WriteBack>& tensor_view<T, N, L, WriteBack>::operator=(const xt::xexpression<E>& e)
{
    static_assert(!std::is_const_v<T>, "xtt::tensor_view<const T> is read-only; use xtt::view<T> for a writable view");
    semantic_base::operator=(e);
    return *this;
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
template <class E>
inline xt::disable_xexpression<E, tensor_view<T, N, L, WriteBack>>& tensor_view<T, N, L, WriteBack>::operator=(const E& value)
{
    fill(static_cast<value_type>(value));
    return *this;
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline void tensor_view<T, N, L, WriteBack>::fill(const value_type& value)
{
    static_assert(!std::is_const_v<T>, "xtt::tensor_view<const T> is read-only; use xtt::view<T> for a writable view");
    check_write();
    if (this->is_contiguous())
    {
        std::fill(m_storage.begin(), m_storage.end(), value);
    }
    else
    {
        std::fill(this->begin(), this->end(), value);
    }
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline const c10::Storage& tensor_view<T, N, L, WriteBack>::tensor_storage() const noexcept
{
    return m_keep_alive.storage();
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline bool tensor_view<T, N, L, WriteBack>::valid() const noexcept
{
    return m_keep_alive.valid();
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline void tensor_view<T, N, L, WriteBack>::commit()
{
    static_assert(WriteBack, "only an xtt::edit_view (made by xtt::edit) writes back; a view shares the tensor's memory");
    if (detail::write_back<WriteBack>::target().defined() && !valid())
    {
        detail::refuse_invalid("commit an edit view");  // its writes went to memory the tensor no longer has
    }
    detail::write_back<WriteBack>::commit();
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline bool tensor_view<T, N, L, WriteBack>::shares() const noexcept
{
    static_assert(WriteBack, "only an xtt::edit_view (made by xtt::edit) writes back; a view shares the tensor's memory");
    return detail::write_back<WriteBack>::shares();
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline const at::Tensor& tensor_view<T, N, L, WriteBack>::target() const noexcept
{
    static_assert(WriteBack, "only an xtt::edit_view (made by xtt::edit) writes back; a view shares the tensor's memory");
    return detail::write_back<WriteBack>::target();
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline void tensor_view<T, N, L, WriteBack>::check_read() const
{
#if XTENSOR_TORCH_CHECK_VALIDITY
    m_keep_alive.check("read a view");
#endif
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline void tensor_view<T, N, L, WriteBack>::check_write() const
{
#if XTENSOR_TORCH_CHECK_VALIDITY
    m_keep_alive.check("write through a view");
#endif
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
template <class S>
inline bool tensor_view<T, N, L, WriteBack>::broadcast_shape(S& shape, bool reuse_cache) const
{
    check_read();
    return base_type::broadcast_shape(shape, reuse_cache);
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
template <class E>
inline tensor_view<T, N, L, WriteBack>& tensor_view<T, N, L, WriteBack>::assign_xexpression(const xt::xexpression<E>& e)
{
    check_write();
    semantic_base::assign_xexpression(e);
    return *this;
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
template <class E>
inline tensor_view<T, N, L, WriteBack>& tensor_view<T, N, L, WriteBack>::computed_assign(const xt::xexpression<E>& e)
{
    check_write();
    semantic_base::computed_assign(e);
    return *this;
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline auto tensor_view<T, N, L, WriteBack>::storage_impl() noexcept -> storage_type&
{
    return m_storage;
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline auto tensor_view<T, N, L, WriteBack>::storage_impl() const noexcept -> const storage_type&
{
    return m_storage;
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
inline void tensor_view<T, N, L, WriteBack>::assign_temporary_impl(temporary_type&& tmp)
{
    check_write();
    // Through the strides (linear when both sides are contiguous alike), never
    // by copying storage: the view's memory need not be contiguous.
    xt::assign_data(*this, tmp, true);
}

template <class T, std::size_t N, xt::layout_type L, bool WriteBack>
template <class E, class F>
inline tensor_view<T, N, L, WriteBack>& tensor_view<T, N, L, WriteBack>::scalar_computed_assign(const E& e, F&& f)
{
    static_assert(!std::is_const_v<T>, "xtt::tensor_view<const T> is read-only; use xtt::view<T> for a writable view");
    check_write();
    if (this->is_contiguous())
    {
        for (auto& x : m_storage)
        {
            x = f(x, e);
        }
    }
    else
    {
        for (auto it = this->begin(); it != this->end(); ++it)
        {
            *it = f(*it, e);
        }
    }
    return *this;
}

/*****************************
 * view and visit, out of line *
 *****************************/

namespace detail
{
    template <class T, std::size_t N, xt::layout_type L>
    constexpr void check_view_parameters() noexcept
    {
        static_assert(has_scalar_type_v<T>,
                      "xtt::view<T>: T has no LibTorch dtype; use one of the types in the README's dtype table, "
                      "or xtt::visit for a runtime dtype");
        static_assert(!std::is_volatile_v<T> && !std::is_reference_v<T>, "xtt::view<T>: T must be a plain or const element type");
        static_assert(N == dynamic || N <= 64, "xtt::view<T, N>: N must be a rank (0..64) or xtt::dynamic");
        static_assert(L == xt::layout_type::dynamic || L == xt::layout_type::row_major || L == xt::layout_type::column_major,
                      "xtt::view<T, N, L>: L must be xt::layout_type::row_major, column_major or dynamic");
    }
}

template <class T, std::size_t N, xt::layout_type L>
inline tensor_view<T, N, L> view(const at::Tensor& t, stage policy)
{
    detail::check_view_parameters<T, N, L>();
    return detail::convert<tensor_view<T, N, L>>(t, policy);
}

template <class T, std::size_t N, xt::layout_type L>
inline tensor_view<T, N, L> view(const at::Tensor& t)
{
    detail::check_view_parameters<T, N, L>();
    return detail::convert<tensor_view<T, N, L>>(t);
}

inline void mark_written(const at::Tensor& t)
{
    if (!t.defined())
    {
        detail::fail("mark an undefined tensor as written", "it has no data", "pass the tensor that was written");
    }
    if (t.is_inference())
    {
        if (c10::InferenceMode::is_enabled())
        {
            return;
        }
        detail::fail("mark " + describe(t) + " as written",
                     "an inference tensor has no version counter, and ATen refuses in-place writes to it outside "
                     "c10::InferenceMode",
                     "write to it inside a c10::InferenceMode guard, or clone it first");
    }
    t.unsafeGetTensorImpl()->bump_version();
}

namespace detail
{
    inline write_back<true>::write_back(const at::Tensor& target, const at::Tensor& copy, copy_kernel kernel) noexcept
        : m_target(target),
          m_copy(copy),
          m_kernel(kernel),
          m_uncaught(std::uncaught_exceptions())
    {
    }

    inline write_back<true>::write_back(write_back&& other) noexcept
        : m_target(std::move(other.m_target)),
          m_copy(std::move(other.m_copy)),
          m_kernel(other.m_kernel),
          m_uncaught(other.m_uncaught),
          m_pending(std::exchange(other.m_pending, false))
    {
    }

    inline write_back<true>::~write_back()
    {
        if (!m_pending || std::uncaught_exceptions() > m_uncaught)
        {
            return;  // committed, moved from, or left by an exception: a copy is discarded
        }
        try
        {
            copy_back();
        }
        catch (const std::exception& e)
        {
            TORCH_WARN("xtensor-torch: an edit view's write-back failed in its destructor and was discarded "
                       "(call commit() to see the error as an exception): ",
                       e.what());
        }
    }

    inline void write_back<true>::commit()
    {
        m_pending = false;  // landed, or reported: the destructor does not try again
        copy_back();
    }

    inline bool write_back<true>::shares() const noexcept
    {
        return !m_copy.defined();
    }

    inline const at::Tensor& write_back<true>::target() const noexcept
    {
        return m_target;
    }

    inline void write_back<true>::copy_back()
    {
        if (!m_target.defined())
        {
            fail("write back a moved-from edit view", "it has no tensor", "commit the view it was moved into");
        }
        translate_errors([&] { return "write an edit view back into " + describe(m_target); },
                         [&] {
                             // copy_ casts, crosses devices, counts the write and records it for
                             // autograd; where there is nothing to record (a host tensor of the
                             // copy's dtype that autograd does not follow), a permutation lands
                             // with the library's copy kernel, counted as copy_ counts it
                             const bool plain = m_copy.defined() && !m_target.requires_grad()
                                                && !m_target._fw_grad(/* level */ 0).defined();
                             if (m_copy.defined() && !(plain && m_kernel != nullptr && m_kernel(m_copy, m_target)))
                             {
                                 m_target.copy_(m_copy);
                             }
                             else
                             {
                                 mark_written(m_target);
                             }
                         });
    }
}

namespace detail
{
    /// visit, with a policy (Stages) or without one.
    template <access A, bool Stages, class F>
    decltype(auto) visit_views(const at::Tensor& t, F&& f, stage policy)
    {
        using probe = std::conditional_t<A == access::read_only, const float, float>;
        using result_type = std::invoke_result_t<F&, tensor_view<probe>>;
        constexpr request r = view_request<probe, xt::layout_type::dynamic>();
        if (is_unfixable(t))
        {
            refuse_unfixable(r, t);
        }
        return dispatch_dtype(
            t.scalar_type(),
            [&](auto tag) -> result_type {
                using element = typename decltype(tag)::type;
                using T = std::conditional_t<A == access::read_only, const element, element>;
                if constexpr (Stages)
                {
                    return f(view<T>(t, policy));
                }
                else
                {
                    return f(view<T>(t));
                }
            },
            [&]() -> result_type { refuse_unsupported_dtype(r, t); });
    }
}

template <access A, class F>
inline decltype(auto) visit(const at::Tensor& t, F&& f, stage policy)
{
    return detail::visit_views<A, true>(t, std::forward<F>(f), policy);
}

template <access A, class F>
inline decltype(auto) visit(const at::Tensor& t, F&& f)
{
    return detail::visit_views<A, false>(t, std::forward<F>(f), stage::none);
}

/// @endcond

XTT_NAMESPACE_END

#endif
