// Write-back views: edit any tensor through an xtensor view, and have the
// result land in the tensor (xtt::edit, xtt::edit_view, xtt::with_view).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_EDIT_HPP
#define XTENSOR_TORCH_EDIT_HPP

#include <string>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "error.hpp"
#include "stage.hpp"
#include "view.hpp"

XTT_NAMESPACE_BEGIN

/**
 * @brief A view that edits `t`: shares its memory when it can, else works on
 * a staged copy that is written back into `t`.
 *
 * It returns an xtt::edit_view, an xtt::tensor_view (the same container as
 * xtt::view's, usable in every xtensor expression) that also knows the tensor
 * it edits. The write-back happens on `commit()`, or when the view is
 * destroyed:
 *
 * - a staged copy is written back with ATen's `copy_`, which casts, moves it
 *   to the tensor's device, follows its strides and conj / neg bits, and
 *   counts the write in autograd's version counter (and records it, for a
 *   tensor that requires grad), as `t.copy_(...)` does;
 * - a view over the tensor's own memory (`shares()`) needs no copy; the write
 *   is counted with xtt::mark_written.
 *
 * `commit()` is the checked path: it throws conversion_error when the
 * write-back fails. The destructor never throws: when the scope is left by an
 * exception, an uncommitted copy is discarded (the tensor keeps its values,
 * for a staged copy; a shared view has written in place already); a
 * write-back that fails in the destructor is reported as a LibTorch warning
 * (`TORCH_WARN`, which LibTorch's warning handler receives) and the copy is
 * discarded. Moving an edit view moves the write-back with it; an edit view
 * can't be copied.
 *
 * *Shares memory* when no step copies · *May copy* with the flags in `policy`
 * (`to_cpu`, `resolve_conj`, `resolve_neg`, `contiguous`, `cast` for a `T`
 * other than the tensor's dtype, `detach` for a tensor that requires grad,
 * which is then always edited as a copy so that autograd records the
 * write-back) · *Writes back* with ATen's `copy_`.
 *
 * Refused, whatever the policy: a tensor whose elements overlap in memory
 * (expanded: a write-back would collide), a sparse or mkldnn tensor, an
 * inference tensor outside c10::InferenceMode, and a leaf that requires grad
 * while grad mode is on (ATen refuses in-place writes to them all).
 * @tparam T the element type (non-const).
 * @tparam N the rank, or xtt::dynamic.
 * @tparam L the layout of the view, as for xtt::view.
 * @param t the tensor to edit.
 * @param policy the staging steps allowed; without it, none: the view shares
 *        or the call throws, and the file compiles no copy kernel.
 * @return an edit_view<T, N, L>.
 * @throws conversion_error as xtt::view, and for the states above.
 *
 * @code
 * torch::Tensor h = torch::ones({2, 3}, torch::kFloat16);
 * {
 *     auto v = xtt::edit<float, 2>(h, xtt::stage::cast);   // a float copy of a half tensor
 *     v = xt::exp(v) + 1.f;                                  // computed in float
 * }                                                          // written back into h, as half
 * @endcode
 */
template <class T, std::size_t N = dynamic, xt::layout_type L = xt::layout_type::dynamic>
edit_view<T, N, L> edit(const at::Tensor& t, stage policy);

/**
 * @brief xtt::edit without a policy (`stage::none`): the view shares `t`'s
 * memory (the write is counted at commit), or the call throws; no copy
 * kernel is compiled for it.
 * @throws conversion_error as xtt::edit(t, stage::none).
 */
template <class T, std::size_t N = dynamic, xt::layout_type L = xt::layout_type::dynamic>
edit_view<T, N, L> edit(const at::Tensor& t);

/**
 * @brief Edits `t` through a view for the length of a call: stages (as
 * xtt::edit), calls `f(view)`, and writes back unless `f` throws.
 *
 * @tparam T, N, L as for xtt::edit.
 * @param t the tensor to edit.
 * @param policy the staging steps allowed.
 * @param f a callable taking an `edit_view<T, N, L>&`.
 * @return what `f` returns.
 * @throws conversion_error as xtt::edit, and when the write-back fails;
 *         whatever `f` throws (the tensor is then left as it was, if it was copied).
 *
 * @code
 * xtt::with_view<float, 2>(cuda_t, xtt::stage::to_cpu, [](auto& v) { v *= 2.f; });
 * @endcode
 */
template <class T, std::size_t N = dynamic, xt::layout_type L = xt::layout_type::dynamic, class F>
decltype(auto) with_view(const at::Tensor& t, stage policy, F&& f);

namespace detail
{
    template <class T, xt::layout_type L>
    request edit_request() noexcept
    {
        request r = view_request<T, L>();
        r.operation = "edit";
        r.target = "through an xtensor view";
        r.copy_if_grad = true;
        return r;
    }

    /// Refuses the tensors no write-back can reach.
    inline void check_editable(const request& r, const at::Tensor& t)
    {
        if (t.layout() != c10::kStrided)
        {
            fail(describe_conversion(r, t), "a write-back can't reach a " + std::string(layout_name(t.layout())) + " tensor's elements",
                 "edit its .to_dense() copy, then convert it back (e.g. .to_sparse())");
        }
        if (t._is_zerotensor())
        {
            fail(describe_conversion(r, t), "a zero tensor has no memory to write back to",
                 "edit a .clone() of it (a tensor of zeros with memory)");
        }
        if (t.is_inference() && !c10::InferenceMode::is_enabled())
        {
            fail(describe_conversion(r, t), "it is an inference tensor, which ATen writes to only inside c10::InferenceMode",
                 "edit it inside a c10::InferenceMode guard, or edit a .clone() of it");
        }
        if (t.requires_grad() && t.is_leaf() && c10::GradMode::is_enabled())
        {
            fail(describe_conversion(r, t), "it is a leaf that requires grad, which ATen refuses to write in place",
                 "edit it inside a torch::NoGradGuard, or edit its .detach()");
        }
        if (overlaps(t))
        {
            fail(describe_conversion(r, t),
                 "its elements overlap in memory (an expanded or stride-0 dimension), so a write-back would collide",
                 "edit a .contiguous() copy of it, or read it through xtt::view<const T>");
        }
    }

    template <class T, std::size_t N, xt::layout_type L>
    struct target_traits<tensor_view<T, N, L, true>> : strided_target<T>
    {
        static request get(const at::Tensor&) noexcept
        {
            return edit_request<T, L>();
        }

        static void check(const at::Tensor& t, stage policy, const request& r)
        {
            check_type_and_rank<T, N>(r, t, policy);
            check_editable(r, t);
        }

        /// The view writes back into `t` when staging copied.
        static edit_view<T, N, L> make(const at::Tensor& t, const staged_tensor& s)
        {
            const at::Tensor copy = s.copied() ? s.tensor() : at::Tensor();
            return edit_view<T, N, L>(from_staged, s.tensor(), write_back<true>(t, copy, s.kernel()));
        }
    };
}

/*********************
 * edit, out of line *
 *********************/

/// @cond XTT_OUT_OF_LINE

namespace detail
{
    template <class T>
    constexpr void check_edit_parameters() noexcept
    {
        static_assert(!std::is_const_v<T>, "xtt::edit<T>: an edit view writes; use xtt::view<const T> to read");
        static_assert(has_scalar_type_v<T>,
                      "xtt::edit<T>: T has no LibTorch dtype; use one of the types in the README's dtype table");
    }
}

template <class T, std::size_t N, xt::layout_type L>
inline edit_view<T, N, L> edit(const at::Tensor& t, stage policy)
{
    detail::check_edit_parameters<T>();
    return detail::convert<edit_view<T, N, L>>(t, policy);
}

template <class T, std::size_t N, xt::layout_type L>
inline edit_view<T, N, L> edit(const at::Tensor& t)
{
    detail::check_edit_parameters<T>();
    return detail::convert<edit_view<T, N, L>>(t);
}

template <class T, std::size_t N, xt::layout_type L, class F>
inline decltype(auto) with_view(const at::Tensor& t, stage policy, F&& f)
{
    // A lambda that takes the view by value (`[](auto v)`) would need a copy,
    // which an edit view can't have: it writes back once. One message, not the
    // compiler's about a deleted constructor.
    static_assert(std::is_invocable_v<F&&, edit_view<T, N, L>&>,
                  "xtt::with_view<T, N, L>(t, policy, f): f must be callable with an xtt::edit_view<T, N, L>&; "
                  "take the view by reference, e.g. [](auto& v) { ... } (an edit view can't be copied: it "
                  "writes back once, when with_view returns)");
    if constexpr (std::is_invocable_v<F&&, edit_view<T, N, L>&>)
    {
        edit_view<T, N, L> v = edit<T, N, L>(t, policy);
        if constexpr (std::is_void_v<std::invoke_result_t<F&&, edit_view<T, N, L>&>>)
        {
            std::forward<F>(f)(v);
            v.commit();
        }
        else
        {
            decltype(auto) result = std::forward<F>(f)(v);
            v.commit();
            return result;
        }
    }
}

/// @endcond

XTT_NAMESPACE_END

#endif
