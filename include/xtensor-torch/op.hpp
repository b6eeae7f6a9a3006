// PyTorch operators written over views: xtt::op turns a callable over
// xtt::tensor_views into a function with an ATen signature, which
// TORCH_LIBRARY's m.def / m.impl take as a kernel (schema inferred).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_OP_HPP
#define XTENSOR_TORCH_OP_HPP

#include <array>
#include <cstddef>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include "convert.hpp"
#include "detail/config.hpp"
#include "dtype.hpp"
#include "edit.hpp"
#include "error.hpp"
#include "stage.hpp"
#include "view.hpp"

XTT_NAMESPACE_BEGIN

/**
 * @brief The ranks of an operator's tensor arguments, in order, as the first
 * template argument of xtt::op (after the signature, if there is one):
 * `xtt::op<xtt::ranks<2, 1>, float>(f)` gives `f` a rank-2 and a rank-1 view,
 * and refuses tensors of other ranks. Without it every view has a dynamic rank.
 */
template <std::size_t... N>
struct ranks
{
};

/// @brief The most tensor arguments xtt::op finds by invocability, without a signature.
inline constexpr std::size_t op_max_arity = 8;

namespace detail
{
    template <std::size_t... N>
    constexpr std::size_t rank_count(ranks<N...>) noexcept
    {
        return sizeof...(N);
    }

    /// The rank of tensor argument `k`: xtt::dynamic unless `ranks` names it.
    template <std::size_t... N>
    constexpr std::size_t rank_at(ranks<N...>, std::size_t k) noexcept
    {
        constexpr std::array<std::size_t, sizeof...(N) + 1> r{N..., dynamic};
        return k < sizeof...(N) ? r[k] : dynamic;
    }

    // A parameter `const at::Tensor&` (or `at::Tensor`) is read through a
    // view, `at::Tensor&` is written through an edit view, any other passes.
    template <class A>
    inline constexpr bool op_reads_v = std::is_same_v<std::decay_t<A>, at::Tensor> && !std::is_same_v<A, at::Tensor&>;

    template <class A>
    inline constexpr bool op_writes_v = std::is_same_v<A, at::Tensor&>;

    template <class A>
    inline constexpr bool op_tensor_v = op_reads_v<A> || op_writes_v<A>;

    /// What `f` gets for a parameter `A`, with element type T and rank N.
    template <class T, std::size_t N, class A>
    using op_arg_t = std::conditional_t<op_reads_v<A>, tensor_view<const T, N>,
                                        std::conditional_t<op_writes_v<A>, edit_view<T, N>, std::decay_t<A>>>;

    template <class... Args>
    struct op_params
    {
        static constexpr std::array<bool, sizeof...(Args) + 1> is_tensor{op_tensor_v<Args>..., false};
        static constexpr std::size_t tensors = (std::size_t{0} + ... + std::size_t{op_tensor_v<Args>});

        /// How many tensor parameters come before parameter `i`.
        static constexpr std::size_t ordinal(std::size_t i) noexcept
        {
            std::size_t k = 0;
            for (std::size_t j = 0; j < i; ++j)
            {
                k += is_tensor[j] ? 1 : 0;
            }
            return k;
        }

        /// The first tensor parameter, or the parameter count when there is none.
        static constexpr std::size_t first_tensor() noexcept
        {
            std::size_t i = 0;
            while (i < sizeof...(Args) && !is_tensor[i])
            {
                ++i;
            }
            return i;
        }
    };

    /// The tuple of what `f` gets, for element type T, under `Ranks`.
    template <class T, class Ranks, class Sig>
    struct op_args;

    template <class T, class Ranks, class R, class... Args>
    struct op_args<T, Ranks, R(Args...)>
    {
        template <std::size_t... I>
        static auto pick(std::index_sequence<I...>)
            -> std::tuple<op_arg_t<T, rank_at(Ranks{}, op_params<Args...>::ordinal(I)), Args>...>;

        using type = decltype(pick(std::index_sequence_for<Args...>{}));
    };

    template <class T, class Ranks, class Sig>
    using op_args_t = typename op_args<T, Ranks, Sig>::type;

    template <class F, class Tuple>
    struct op_invocable : std::false_type
    {
    };

    template <class F, class... V>
    struct op_invocable<F, std::tuple<V...>> : std::is_invocable<const F&, V&...>
    {
    };

    template <class F, class Tuple>
    struct op_invoke_result;

    template <class F, class... V>
    struct op_invoke_result<F, std::tuple<V...>>
    {
        using type = std::invoke_result_t<const F&, V&...>;
    };

    template <class V>
    struct is_edit_view : std::false_type
    {
    };

    template <class T, std::size_t N, xt::layout_type L>
    struct is_edit_view<tensor_view<T, N, L, true>> : std::true_type
    {
    };

    /// `at::Tensor(const at::Tensor&, ...)` with K tensors, its return type still open.
    template <class R, std::size_t K, class = std::make_index_sequence<K>>
    struct op_tensors_in;

    template <class R, std::size_t K, std::size_t... I>
    struct op_tensors_in<R, K, std::index_sequence<I...>>
    {
        template <std::size_t>
        using tensor = const at::Tensor&;
        using type = R(tensor<I>...);
    };

    template <class R, std::size_t K>
    using op_tensors_in_t = typename op_tensors_in<R, K>::type;

    /// Whether `f` takes K read-only views of T.
    template <class F, class T, class Ranks, std::size_t K>
    inline constexpr bool op_takes_v = op_invocable<F, op_args_t<T, Ranks, op_tensors_in_t<void, K>>>::value;

    /// The smallest K (0..op_max_arity) for which `f` takes K views; op_max_arity + 1 if none.
    template <class F, class T, class Ranks, std::size_t K = 0>
    constexpr std::size_t op_arity() noexcept
    {
        if constexpr (K > op_max_arity)
        {
            return K;
        }
        else if constexpr (op_takes_v<F, T, Ranks, K>)
        {
            return K;
        }
        else
        {
            return op_arity<F, T, Ranks, K + 1>();
        }
    }

    template <class V>
    struct is_std_tuple : std::false_type
    {
    };

    template <class... V>
    struct is_std_tuple<std::tuple<V...>> : std::true_type
    {
    };

    /// The ATen type an operator returns for what `f` returns: a tuple of tensors for a tuple, a tensor otherwise.
    template <class V>
    struct op_aten_result
    {
        using type = at::Tensor;
    };

    template <>
    struct op_aten_result<void>
    {
        using type = void;
    };

    template <class... V>
    struct op_aten_result<std::tuple<V...>>
    {
        template <class>
        using tensor = at::Tensor;
        using type = std::tuple<tensor<V>...>;
    };

    // Only where `f` takes the views: otherwise the static_assert in op_maker speaks.
    template <bool Found, class F, class Views, std::size_t K>
    struct op_implicit_signature
    {
        using type = void();
    };

    template <class F, class Views, std::size_t K>
    struct op_implicit_signature<true, F, Views, K>
    {
        using result = typename op_aten_result<std::decay_t<typename op_invoke_result<F, Views>::type>>::type;
        using type = op_tensors_in_t<result, K>;
    };

    /// The ATen signature of `f` without one given: K tensors in, its result mapped to ATen.
    template <class F, class T, class Ranks>
    struct op_implicit
    {
        static constexpr std::size_t arity =
            rank_count(Ranks{}) > 0 ? rank_count(Ranks{}) : op_arity<F, T, Ranks>();
        static constexpr bool found = arity <= op_max_arity && op_takes_v<F, T, Ranks, arity>;
        using type = typename op_implicit_signature<found, F, op_args_t<T, Ranks, op_tensors_in_t<void, found ? arity : 0>>,
                                                    arity>::type;
    };

    /// A tensor for what `f` returned: a tensor passes, an xtensor expression or container becomes a new tensor.
    template <class V>
    at::Tensor op_tensor(V&& v)
    {
        using D = std::decay_t<V>;
        if constexpr (std::is_same_v<D, at::Tensor>)
        {
            return std::forward<V>(v);
        }
        else if constexpr (xt::is_xexpression<D>::value)
        {
            return to_torch(std::forward<V>(v));  // an owning container is adopted, an expression evaluated once
        }
        else
        {
            static_assert(has_scalar_type_v<D>,
                          "xtt::op: f must return an xtensor expression or container, an at::Tensor, an element "
                          "value (returned as a 0-d tensor), or a std::tuple of these");
            xt::xtensor<D, 0> scalar;
            scalar() = v;
            return to_torch(std::move(scalar));
        }
    }

    template <class R, class V>
    R op_result(V&& v)
    {
        if constexpr (std::is_same_v<R, at::Tensor>)
        {
            return op_tensor(std::forward<V>(v));
        }
        else if constexpr (is_std_tuple<R>::value)
        {
            static_assert(is_std_tuple<std::decay_t<V>>::value && std::tuple_size_v<std::decay_t<V>> == std::tuple_size_v<R>,
                          "xtt::op: a signature that returns a std::tuple of tensors needs f to return a std::tuple "
                          "of as many results");
            return std::apply([](auto&&... e) { return R(op_tensor(std::forward<decltype(e)>(e))...); },
                              std::forward<V>(v));
        }
        else
        {
            static_assert(std::is_convertible_v<V, R>,
                          "xtt::op: f's result does not convert to the signature's return type");
            return static_cast<R>(std::forward<V>(v));
        }
    }

    template <class T>
    inline void op_dtype_list(std::string& out)
    {
        out.append(out.empty() ? "" : ", ").append(dtype_name(scalar_type_v<T>));
    }

    template <class T0, class... Ts>
    [[noreturn]] void refuse_op_dtype(const at::Tensor& t)
    {
        std::string accepted;
        (op_dtype_list<T0>(accepted), ..., op_dtype_list<Ts>(accepted));
        fail("run an xtt::op on " + describe(t),
             "its dtype is " + std::string(dtype_name(t.scalar_type())) + ", and the operator takes " + accepted,
             "convert the tensor with .to(" + std::string(dtype_constant(scalar_type_v<T0>)) + ") first");
    }

    /**
     * The kernel xtt::op makes: a functor with one non-template call operator
     * of signature Sig, which is what TORCH_LIBRARY infers a schema from.
     */
    template <class Sig, class Ranks, class F, class... Ts>
    class op_kernel;

    template <class R, class... Args, class Ranks, class F, class T0, class... Ts>
    class op_kernel<R(Args...), Ranks, F, T0, Ts...>
    {
        using params = op_params<Args...>;
        static_assert(rank_count(Ranks{}) == 0 || rank_count(Ranks{}) == params::tensors,
                      "xtt::op: xtt::ranks<...> must name one rank for each tensor parameter");
        static_assert(params::tensors > 0 || sizeof...(Ts) == 0,
                      "xtt::op: an operator without tensor parameters has nothing to dispatch on; list one "
                      "element type");

    public:
        op_kernel(F f, stage policy) : m_f(std::move(f)), m_policy(policy)
        {
        }

        R operator()(Args... args) const
        {
            if constexpr (params::tensors == 0)
            {
                return run<T0>(args...);
            }
            else
            {
                const at::Tensor& lead = std::get<params::first_tensor()>(std::forward_as_tuple(args...));
                if (!lead.defined())
                {
                    return run<T0>(args...);  // the view refuses it, with the reason
                }
                const at::ScalarType s = lead.scalar_type();
                if (s == scalar_type_v<T0>)
                {
                    return run<T0>(args...);
                }
                return dispatch<Ts...>(s, lead, args...);
            }
        }

    private:
        template <class... Rest>
        R dispatch(at::ScalarType s, const at::Tensor& lead, Args&... args) const
        {
            if constexpr (sizeof...(Rest) == 0)
            {
                if (!allows(m_policy, stage::cast) && !is_unfixable(lead))  // else the view refuses it, with the reason
                {
                    refuse_op_dtype<T0, Ts...>(lead);
                }
                return run<T0>(args...);  // cast into the first element type
            }
            else
            {
                return dispatch_one<Rest...>(s, lead, args...);
            }
        }

        template <class T, class... Rest>
        R dispatch_one(at::ScalarType s, const at::Tensor& lead, Args&... args) const
        {
            if (s == scalar_type_v<T>)
            {
                return run<T>(args...);
            }
            return dispatch<Rest...>(s, lead, args...);
        }

        template <class T>
        R run(Args&... args) const
        {
            constexpr auto all = std::index_sequence_for<Args...>{};
            check_args<T>(all, args...);
            return call<T>(all, args...);
        }

        template <class T, std::size_t... I>
        R call(std::index_sequence<I...>, Args&... args) const
        {
            using views = op_args_t<T, Ranks, R(Args...)>;
            return finish<std::tuple_element_t<I, views>...>(std::forward_as_tuple(args...), make_arg<T, I, Args>(args)...);
        }

        // The views are parameters made in place from make_arg's results: not
        // moved into a tuple, and so not moved at all (a view of dynamic rank
        // moves its shape element by element, which costs more than a copy).
        // The dtypes were checked in order; of two tensors a view refuses for
        // another reason, the compiler's argument order picks the one named.
        template <class... V>
        R finish(std::tuple<Args&...> args, V... views) const
        {
            static_assert(std::is_void_v<R> || std::is_same_v<R, at::Tensor&> ||
                              !std::is_void_v<decltype(m_f(views...))>,
                          "xtt::op: f returns nothing, but the signature returns a value; return the result, or "
                          "make the signature's return type void (or at::Tensor& for an in-place operator)");
            if constexpr (std::is_void_v<R> || std::is_same_v<R, at::Tensor&>)
            {
                m_f(views...);
                (commit_one(views), ...);
                if constexpr (!std::is_void_v<R>)
                {
                    return std::apply(first_written, args);
                }
            }
            else
            {
                R result = op_result<R>(m_f(views...));  // before a copy is written back
                (commit_one(views), ...);
                return result;
            }
        }

        template <class T, std::size_t... I>
        void check_args(std::index_sequence<I...>, Args&... args) const
        {
            (check_arg<T, Args>(I, args), ...);
        }

        template <class T, class A, class V>
        void check_arg(std::size_t i, const V& a) const
        {
            if constexpr (op_tensor_v<A>)
            {
                const at::Tensor& t = a;
                if (!t.defined())
                {
                    return;  // the view refuses it
                }
                if (t.scalar_type() != scalar_type_v<T> && !allows(m_policy, stage::cast) && !is_unfixable(t))
                {
                    const std::string_view d = dtype_name(scalar_type_v<T>);
                    fail("run an xtt::op on " + describe(t) + " (argument " + std::to_string(i) + ")",
                         "its dtype is " + std::string(dtype_name(t.scalar_type())) + ", but the operator runs in " +
                             std::string(d) + ", the dtype of its first tensor",
                         "convert it with .to(" + std::string(dtype_constant(scalar_type_v<T>)) +
                             ") first, or make the operator with xtt::stage::cast");
                }
                if constexpr (op_writes_v<A>)
                {
                    if (t.requires_grad() && c10::GradMode::is_enabled())
                    {
                        fail("write " + describe(t) + " in place through an xtt::op (argument " + std::to_string(i) +
                                 ")",
                             "it requires grad, and autograd can't see a write through a view: its gradient would be wrong",
                             "pass x.detach() or call it inside a torch::NoGradGuard if no gradient is wanted, or "
                             "give the operator a backward with torch::autograd::Function");
                    }
                }
            }
        }

        template <class T, std::size_t I, class A, class V>
        decltype(auto) make_arg(V& a) const
        {
            constexpr std::size_t n = rank_at(Ranks{}, params::ordinal(I));
            if constexpr (op_reads_v<A>)
            {
                if (m_policy == stage::detach)
                {
                    return view<const T, n>(a, stage::detach);  // the default, with its checks folded at compile time
                }
                return view<const T, n>(a, m_policy);
            }
            else if constexpr (op_writes_v<A>)
            {
                return edit<T, n>(a, m_policy);
            }
            else
            {
                return static_cast<A>(a);
            }
        }

        template <class V>
        static void commit_one(V& v)
        {
            if constexpr (is_edit_view<V>::value)
            {
                v.commit();
            }
        }

        static at::Tensor& first_written(Args&... args)
        {
            at::Tensor* written = nullptr;
            ((written == nullptr ? assign_written<Args>(written, args) : void()), ...);
            return *written;
        }

        template <class A, class V>
        static void assign_written(at::Tensor*& written, V& a)
        {
            if constexpr (op_writes_v<A>)
            {
                written = &a;
            }
        }

        F m_f;
        stage m_policy;
    };

    template <class Sig, class Ranks, class... Ts, class F>
    op_kernel<Sig, Ranks, std::decay_t<F>, Ts...> make_op(F&& f, stage policy)
    {
        static_assert((has_scalar_type_v<Ts> && ...), "xtt::op: every listed element type must have a LibTorch dtype");
        static_assert((!std::is_const_v<Ts> && ...), "xtt::op: list element types without const");
        return op_kernel<Sig, Ranks, std::decay_t<F>, Ts...>(std::forward<F>(f), policy);
    }

    template <class Sig>
    struct op_signature_check;

    template <class R, class... Args>
    struct op_signature_check<R(Args...)>
    {
        static constexpr bool returns_a_parameter = !std::is_same_v<R, at::Tensor&> || (op_writes_v<Args> || ...);
    };

    template <class Sig, class Ranks, class... Ts>
    struct op_maker
    {
        template <class F>
        static auto make(F&& f, stage policy)
        {
            static_assert(sizeof...(Ts) > 0,
                          "xtt::op: list the element types the operator takes, e.g. xtt::op<float, double>(f)");
            if constexpr (std::is_void_v<Sig>)
            {
                using probe = op_implicit<std::decay_t<F>, std::tuple_element_t<0, std::tuple<Ts...>>, Ranks>;
                static_assert(probe::found,
                              "xtt::op<Ts...>(f): f is not callable with 0 to xtt::op_max_arity read-only views "
                              "(xtt::tensor_view<const T>) of the first element type; give the signature, e.g. "
                              "xtt::op<at::Tensor(const at::Tensor&, double), float>(f)");
                if constexpr (probe::found)
                {
                    return make_op<typename probe::type, Ranks, Ts...>(std::forward<F>(f), policy);
                }
            }
            else
            {
                static_assert(op_signature_check<Sig>::returns_a_parameter,
                              "xtt::op: a signature that returns at::Tensor& needs an at::Tensor& parameter to return");
                return make_op<Sig, Ranks, Ts...>(std::forward<F>(f), policy);
            }
        }
    };

    // The template arguments of xtt::op: [Signature,] [ranks<...>,] element types.
    template <class Sig, class... A>
    struct op_parse_ranks
    {
        using type = op_maker<Sig, ranks<>, A...>;
    };

    template <class Sig, std::size_t... N, class... A>
    struct op_parse_ranks<Sig, ranks<N...>, A...>
    {
        using type = op_maker<Sig, ranks<N...>, A...>;
    };

    template <class First, class... Rest>
    struct op_parse
    {
        using type = typename std::conditional_t<std::is_function_v<First>, op_parse_ranks<First, Rest...>,
                                                 op_parse_ranks<void, First, Rest...>>::type;
    };
}

/**
 * @brief Turns a callable over views into an operator kernel with an ATen
 * signature, for TORCH_LIBRARY's `m.def` / `m.impl` (which infer the schema
 * from it) or to call from C++.
 *
 * Forms (`Ts...` are the element types the operator takes, at least one):
 * - `xtt::op<Ts...>(f)`: every parameter is a tensor; their number is the
 *   smallest K (0 to xtt::op_max_arity) for which `f` is callable with K
 *   views. The kernel returns a tuple of tensors when `f` returns a
 *   `std::tuple`, nothing for `void`, a tensor otherwise.
 * - `xtt::op<Signature, Ts...>(f)`: an explicit ATen signature, e.g.
 *   `at::Tensor(const at::Tensor&, double)`. A `const at::Tensor&` parameter
 *   becomes a read-only view, an `at::Tensor&` one an xtt::edit_view (the
 *   in-place form: `f` takes it as `auto&`, it is written back and counted by
 *   autograd's version counter after `f` returns; a signature returning
 *   `at::Tensor&` returns the first such tensor); any other (`double`,
 *   `int64_t`, `bool`, ...) passes through.
 * - either with `xtt::ranks<N...>` before the element types: the views get
 *   those static ranks, and tensors of other ranks are refused.
 *
 * Each tensor argument is read through `xtt::view<const T, N>(t, policy)`:
 * in place, whatever its strides, also when it requires grad (the default
 * policy is stage::detach; the result does not require grad), so no copy is
 * made where a view can share. The dtype of the first tensor picks `T` among
 * `Ts...`; any other dtype, and tensors whose dtypes differ, are refused with
 * conversion_error naming the dtypes taken, unless `policy` has stage::cast
 * (then they are read as a copy in `T`, the first listed type for a dtype not
 * listed). An in-place argument that requires grad is refused while grad mode
 * is on: autograd can't see writes through a view.
 *
 * What `f` returns becomes the result: an `at::Tensor` passes through, an
 * xtensor container is adopted, an expression is evaluated once into a new
 * tensor (xtt::to_torch: its dtype is the expression's value_type), an
 * element value becomes a 0-d tensor, a `std::tuple` a tuple of these.
 *
 * @tparam A [Signature,] [xtt::ranks<N...>,] the element types.
 * @param f a callable taking views, e.g. a generic lambda; it may take them
 *        by value (`auto a`: a view is a handle) or by const reference; an
 *        `xt::view` of a parameter refers to it, so return one only of a
 *        parameter taken by const reference (docs/extensions.md).
 * @param policy the staging steps each view may take (default stage::detach).
 * @return a function object with the signature, copyable, safe to call from
 *         several threads at once when `f` is.
 *
 * @code
 * TORCH_LIBRARY(my_ops, m)
 * {
 *     m.def("axpy", xtt::op<float, double>([](auto x, auto y) { return 2 * x + y; }));
 * }
 * @endcode
 */
template <class... A, class F>
auto op(F&& f, stage policy = stage::detach)
{
    static_assert(sizeof...(A) > 0, "xtt::op: list the element types the operator takes, e.g. xtt::op<float, double>(f)");
    return detail::op_parse<A...>::type::make(std::forward<F>(f), policy);
}

XTT_NAMESPACE_END

#endif
