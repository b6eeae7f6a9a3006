// The compile-time C++ type <-> c10::ScalarType map, dtype names, and
// xtt::visit, which dispatches on a tensor's runtime dtype.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_DTYPE_HPP
#define XTENSOR_TORCH_DTYPE_HPP

#include <type_traits>

#include "detail/config.hpp"
#include "detail/dtype_map.hpp"
#include "view.hpp"

XTT_NAMESPACE_BEGIN

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
 * @param policy the staging steps allowed.
 * @return what `f` returns.
 * @throws conversion_error as xtt::view, and for a dtype without a C++ type.
 *
 * @code
 * std::size_t n = xtt::visit(t, [](auto v) { std::cout << v << '\n'; return v.size(); });
 * @endcode
 */
template <access A = access::read_write, class F>
decltype(auto) visit(const at::Tensor& t, F&& f, stage policy = stage::none);

/************************
 * visit, out of line   *
 ************************/

template <access A, class F>
inline decltype(auto) visit(const at::Tensor& t, F&& f, stage policy)
{
    using probe = std::conditional_t<A == access::read_only, const float, float>;
    using result_type = std::invoke_result_t<F&, tensor_view<probe>>;
    constexpr detail::request r = detail::view_request<probe, xt::layout_type::dynamic>();
    if (detail::is_unfixable(t))
    {
        detail::refuse_unfixable(r, t);
    }
    return detail::dispatch_dtype(
        t.scalar_type(),
        [&](auto tag) -> result_type {
            using element = typename decltype(tag)::type;
            using T = std::conditional_t<A == access::read_only, const element, element>;
            return f(view<T>(t, policy));
        },
        [&]() -> result_type { detail::refuse_unsupported_dtype(r, t); });
}

XTT_NAMESPACE_END

#endif
