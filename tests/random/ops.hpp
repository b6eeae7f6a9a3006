// The typed half of a random case: one conversion of a drawn tensor, with
// ATen as the oracle. Included by one file per group of dtypes.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTT_RANDOM_OPS_HPP
#define XTT_RANDOM_OPS_HPP

#include <complex>
#include <type_traits>

#include <xtensor-torch/xtensor-torch.hpp>
#if XTT_RANDOM_WITH_EIGEN
#include <xtensor-torch/eigen.hpp>
#endif

#include "../support/no_kernels.hpp"
#include "../support/xtensor_headers.hpp"
#include "random_case.hpp"

namespace xtt_random
{
    using xtt::stage;

    /// Whether xtensor and ATen compute with T exactly alike on small integers.
    template <class T>
    inline constexpr bool arithmetic_v = (std::is_arithmetic_v<T> && !std::is_same_v<T, bool> && sizeof(T) <= 8
                                          && (std::is_signed_v<T> || sizeof(T) == 1))
                                         || std::is_same_v<T, c10::Half> || std::is_same_v<T, c10::BFloat16>
                                         || std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>;

    /// Whether Eigen maps take T.
    template <class T>
    inline constexpr bool eigen_v = std::is_same_v<T, float> || std::is_same_v<T, double> || std::is_same_v<T, std::int32_t>
                                    || std::is_same_v<T, std::int64_t> || std::is_same_v<T, std::complex<float>>
                                    || std::is_same_v<T, std::complex<double>>;

    /// A value comparable with ==: float for the 8- and 16-bit floating types.
    template <class T>
    auto comparable(const T& x)
    {
        if constexpr (std::is_same_v<T, c10::complex<c10::Half>>)
        {
            return std::complex<float>(static_cast<float>(x.real()), static_cast<float>(x.imag()));
        }
        else if constexpr (std::is_arithmetic_v<T> || std::is_same_v<T, std::complex<float>> || std::is_same_v<T, std::complex<double>>)
        {
            return x;
        }
        else
        {
            return static_cast<float>(x);
        }
    }

    /// A small value as T.
    template <class T>
    T value_of(std::int64_t k)
    {
        if constexpr (std::is_same_v<T, bool>)
        {
            return k % 2 != 0;
        }
        else if constexpr (std::is_arithmetic_v<T>)
        {
            return static_cast<T>(k);
        }
        else
        {
            return T(static_cast<float>(k));
        }
    }

    /// What a conversion must read: the tensor's values, dense, row-major, resolved.
    inline at::Tensor expected_of(const at::Tensor& t)
    {
        at::Tensor x = t.detach();
        if (x.layout() != c10::kStrided)
        {
            x = x.to_dense();
        }
        return x.resolve_conj().resolve_neg().contiguous();
    }

    /// Whether `x` (any xtensor expression of T) holds `expected`'s values.
    template <class T, class E>
    void check_same(const E& x, const at::Tensor& expected, const std::string& what)
    {
        using V = std::remove_const_t<T>;
        const xt::xarray<V> a = x;  // xtensor's own evaluation, row-major
        const at::Tensor e = expected.contiguous();
        if (a.dimension() != static_cast<std::size_t>(e.dim())
            || !std::equal(a.shape().begin(), a.shape().end(), e.sizes().begin(),
                           [](std::size_t s, std::int64_t z) { return static_cast<std::int64_t>(s) == z; }))
        {
            throw mismatch(what + ": shape differs from ATen's " + std::string(c10::str(e.sizes())));
        }
        const V* p = static_cast<const V*>(e.data_ptr());
        for (std::size_t i = 0; i < a.size(); ++i)
        {
            if (!(comparable(a.data()[i]) == comparable(p[i])))
            {
                throw mismatch(what + ": element " + std::to_string(i) + " differs from ATen's");
            }
        }
    }

    /// Whether two tensors of one dtype hold equal values (the whole storage of the roots).
    template <class T>
    void check_roots(const drawn& d, const std::string& what)
    {
        const at::Tensor a = d.root.detach().contiguous();
        const at::Tensor b = d.ref_root.detach().contiguous();
        const T* p = static_cast<const T*>(a.data_ptr());
        const T* q = static_cast<const T*>(b.data_ptr());
        for (std::int64_t i = 0; i < a.numel(); ++i)
        {
            if (!(comparable(p[i]) == comparable(q[i])))
            {
                throw mismatch(what + ": the root's element " + std::to_string(i) + " differs from ATen's");
            }
        }
    }

    inline bool shares_storage(const c10::Storage& s, const at::Tensor& t)
    {
        return t.layout() == c10::kStrided && t.has_storage() && s.is_alias_of(t.storage());
    }

    inline stage draw_policy(entropy& e)
    {
        if (e.chance(15))
        {
            return stage::all;
        }
        stage p = stage::none;
        for (stage s : {stage::to_cpu, stage::detach, stage::resolve_conj, stage::resolve_neg, stage::to_dense, stage::contiguous,
                        stage::to_sparse_csr})
        {
            if (e.chance(40))
            {
                p |= s;
            }
        }
        return p;
    }

    inline std::string policy_string(stage p)
    {
        return "policy " + std::to_string(static_cast<std::uint32_t>(p));
    }

    /// A random tensor of t's shape and dtype, values as the drawn ones.
    inline at::Tensor source_like(entropy& e, const at::Tensor& t)
    {
        std::vector<std::int64_t> v(static_cast<std::size_t>(t.numel()));
        for (auto& x : v)
        {
            x = static_cast<std::int64_t>(e.below(5));
        }
        at::Tensor s = at::tensor(v, at::kLong).reshape(t.sizes());
        return t.scalar_type() == at::kBool ? s.remainder(2).to(at::kBool) : s.to(t.scalar_type());
    }

    /// The writes: `kind` picks one; each has its ATen twin.
    enum class write_kind
    {
        fill,
        assign,
        add,
        scale,
        add_flipped,
        transpose,
        count
    };

    inline const char* write_name(write_kind k)
    {
        switch (k)
        {
            case write_kind::fill: return "v = k";
            case write_kind::assign: return "v = src";
            case write_kind::add: return "v += src";
            case write_kind::scale: return "v = v * 2";
            case write_kind::add_flipped: return "v += xt::flip(v, 0)";
            default: return "v = xt::transpose(v)";
        }
    }

    template <class T>
    write_kind draw_write(entropy& e, const at::Tensor& t)
    {
        for (;;)
        {
            const auto k = static_cast<write_kind>(e.below(static_cast<std::uint64_t>(write_kind::count)));
            const bool arith = arithmetic_v<T>;
            const auto sizes = t.sizes();
            const bool palindrome = std::equal(sizes.begin(), sizes.end(), sizes.rbegin());
            if ((k == write_kind::add || k == write_kind::scale) && !arith)
            {
                continue;
            }
            if (k == write_kind::add_flipped && (!arith || t.dim() == 0))
            {
                continue;
            }
            if (k == write_kind::transpose && !palindrome)
            {
                continue;
            }
            return k;
        }
    }

    /// Applies the write through an xtensor container (a view or an edit view).
    template <class T, class V>
    void write_xtensor(V& v, write_kind k, const at::Tensor& src, std::int64_t scalar)
    {
        switch (k)
        {
            case write_kind::fill:
                v = value_of<T>(scalar);
                break;
            case write_kind::assign:
                v = xtt::view<const T>(src);
                break;
            case write_kind::add:
                if constexpr (arithmetic_v<T>)
                {
                    v += xtt::view<const T>(src);
                }
                break;
            case write_kind::scale:
                if constexpr (arithmetic_v<T>)
                {
                    v = v * value_of<T>(2);
                }
                break;
            case write_kind::add_flipped:
                if constexpr (arithmetic_v<T>)
                {
                    v += xt::flip(v, 0);
                }
                break;
            default:
                v = xt::transpose(v);
                break;
        }
    }

    /// The same write, by ATen, on a plain tensor.
    inline void write_aten(const at::Tensor& r, write_kind k, const at::Tensor& src, std::int64_t scalar)
    {
        switch (k)
        {
            case write_kind::fill:
                if (r.scalar_type() == at::kBool)
                {
                    r.fill_(scalar % 2 != 0);
                }
                else
                {
                    r.fill_(scalar);
                }
                break;
            case write_kind::assign:
                r.copy_(src);
                break;
            case write_kind::add:
                r.add_(src);
                break;
            case write_kind::scale:
                r.mul_(2);
                break;
            case write_kind::add_flipped:
                r.add_(r.flip(0));
                break;
            default:
            {
                std::vector<std::int64_t> reversed(static_cast<std::size_t>(r.dim()));
                for (std::int64_t i = 0; i < r.dim(); ++i)
                {
                    reversed[static_cast<std::size_t>(i)] = r.dim() - 1 - i;
                }
                r.copy_(r.permute(reversed).clone());
                break;
            }
        }
    }

    template <class T, xt::layout_type L>
    void read_view(drawn& d, stage p, std::string& log)
    {
        log += "view<const T, dynamic, " + std::to_string(static_cast<int>(L)) + ">(t, " + policy_string(p) + ")";
        const bool predicted = xtt::would_copy<xtt::tensor_view<const T, xtt::dynamic, L>>(d.t, p);
        bool ok = false;
        bool copied = false;
        try
        {
            auto v = xtt::view<const T, xtt::dynamic, L>(d.t, p);
            ok = true;
            copied = !shares_storage(v.tensor_storage(), d.t);
            check_same<T>(v, expected_of(d.t), "the view");
        }
        catch (const xtt::conversion_error&)
        {
        }
        if (predicted != (ok && copied))
        {
            throw mismatch("would_copy said " + std::to_string(predicted) + ", the view " + (ok ? (copied ? "copied" : "shared") : "was refused"));
        }
        if (!ok && xtt::allows(p, stage::all) && L == xt::layout_type::dynamic)
        {
            throw mismatch("a read-only dynamic view of its own dtype was refused with stage::all");
        }
    }

    template <class T, xt::layout_type L>
    void write_view(drawn& d, entropy& e, stage p, std::string& log)
    {
        const write_kind k = draw_write<T>(e, d.t);
        const at::Tensor src = source_like(e, d.t.layout() == c10::kStrided ? d.t : d.t.to_dense());
        const auto scalar = static_cast<std::int64_t>(1 + e.below(2));
        log += "view<T, dynamic, " + std::to_string(static_cast<int>(L)) + ">(t, " + policy_string(p) + "), " + write_name(k);
        const bool predicted = xtt::would_copy<xtt::tensor_view<T, xtt::dynamic, L>>(d.t, p);
        bool ok = false;
        bool copied = false;
        try
        {
            auto v = xtt::view<T, xtt::dynamic, L>(d.t, p);
            ok = true;
            copied = !shares_storage(v.tensor_storage(), d.t);
            write_xtensor<T>(v, k, src, scalar);
        }
        catch (const xtt::conversion_error&)
        {
            if (ok)
            {
                throw mismatch("a write through a view that was made threw conversion_error");
            }
        }
        if (predicted != (ok && copied))
        {
            throw mismatch("would_copy said " + std::to_string(predicted) + ", the view " + (ok ? (copied ? "copied" : "shared") : "was refused"));
        }
        if (ok && !copied)
        {
            const at::NoGradGuard no_grad;  // a shared view writes the memory itself, as numpy() does
            write_aten(d.ref_t, k, src, scalar);
        }
        check_roots<T>(d, "after the write");
    }

    template <class T, xt::layout_type L>
    void edit(drawn& d, entropy& e, stage p, std::string& log)
    {
        const write_kind k = draw_write<T>(e, d.t);
        const at::Tensor src = source_like(e, d.t.layout() == c10::kStrided ? d.t : d.t.to_dense());
        const auto scalar = static_cast<std::int64_t>(1 + e.below(2));
        const bool commit = e.chance(50);
        log += "edit<T, dynamic, " + std::to_string(static_cast<int>(L)) + ">(t, " + policy_string(p) + "), " + write_name(k)
               + (commit ? ", commit()" : ", scope end");
        const bool predicted = xtt::would_copy<xtt::edit_view<T, xtt::dynamic, L>>(d.t, p);
        bool made = false;
        bool copied = false;
        bool landed = false;
        try
        {
            auto v = xtt::edit<T, xtt::dynamic, L>(d.t, p);
            made = true;
            copied = !v.shares();
            write_xtensor<T>(v, k, src, scalar);
            if (commit)
            {
                v.commit();
            }
            landed = true;
        }
        catch (const xtt::conversion_error&)
        {
        }
        if (predicted != (made && copied))
        {
            throw mismatch("would_copy said " + std::to_string(predicted) + ", the edit " + (made ? (copied ? "copied" : "shared") : "was refused"));
        }
        if (made && !copied)
        {
            landed = true;  // a shared view wrote in place
        }
        if (landed)
        {
            // ATen: the new values computed on a plain copy, written back with copy_
            const at::Tensor values = expected_of(d.ref_t).clone();
            write_aten(values, k, src, scalar);
            if (copied)
            {
                d.ref_t.copy_(values);
            }
            else
            {
                const at::NoGradGuard no_grad;
                d.ref_t.copy_(values);
            }
        }
        check_roots<T>(d, "after the edit");
    }

    template <class T, class U>
    void to_xarray(drawn& d, entropy& e, std::string& log)
    {
        const stage p = e.chance(70) ? stage::all : draw_policy(e);
        log += "to_xarray<" + std::string(xtt::dtype_name(xtt::scalar_type_v<U>)) + ">(t, " + policy_string(p) + ")";
        at::Tensor expected;
        try
        {
            expected = expected_of(d.t).to(xtt::scalar_type_v<U>);
        }
        catch (const c10::Error&)
        {
            return;  // a cast ATen does not have
        }
        bool ok = false;
        try
        {
            const xt::xarray<U> a = xtt::to_xarray<U>(d.t, p);
            ok = true;
            check_same<U>(a, expected, "to_xarray");
            xt::xarray<U> out = xt::zeros<U>({3, 1});  // another shape: copy_to resizes it
            xtt::copy_to(d.t, out, p);
            check_same<U>(out, expected, "copy_to");
        }
        catch (const xtt::conversion_error&)
        {
            if (ok)
            {
                throw mismatch("copy_to refused what to_xarray took");
            }
        }
        if (!ok && xtt::allows(p, stage::all))
        {
            throw mismatch("to_xarray refused with stage::all");
        }
    }

    template <class T>
    void to_torch(drawn& d, entropy& e, std::string& log)
    {
        const auto v = xtt::view<const T>(d.t, stage::all);
        const at::Tensor expected = expected_of(d.t);
        switch (e.below(arithmetic_v<T> ? 3 : 2))
        {
            case 0:
                log += "to_torch(view)";
                check_same<T>(xtt::view<const T>(xtt::to_torch(v)), expected, "to_torch(view)");
                break;
            case 1:
            {
                log += "to_torch(xt::transpose(view))";
                std::vector<std::int64_t> reversed(static_cast<std::size_t>(expected.dim()));
                for (std::int64_t i = 0; i < expected.dim(); ++i)
                {
                    reversed[static_cast<std::size_t>(i)] = expected.dim() - 1 - i;
                }
                const at::Tensor r = xtt::to_torch(xt::transpose(v));
                check_same<T>(xtt::view<const T>(r), expected.permute(reversed), "to_torch(transpose)");
                break;
            }
            default:
                if constexpr (arithmetic_v<T>)
                {
                    log += "to_torch(view * 2)";
                    // (xt::cast: C++ promotes small integers to int, ATen keeps the dtype)
                    check_same<T>(xtt::view<const T>(xtt::to_torch(xt::cast<T>(v * value_of<T>(2)))), expected * 2,
                                  "to_torch(view * 2)");
                }
                break;
        }
    }

    template <class T>
    void as_tensor(drawn& d, std::string& log)
    {
        log += "as_tensor(view<T>(t))";
        try
        {
            auto v = xtt::view<T>(d.t);
            const at::Tensor back = xtt::as_tensor(v);
            bool same_strides = true;
            for (std::int64_t i = 0; i < d.t.dim(); ++i)
            {
                same_strides = same_strides && (d.t.numel() == 0 || d.t.size(i) <= 1 || back.stride(i) == d.t.stride(i));
            }
            if (!back.is_alias_of(d.t) || (d.t.numel() > 0 && back.data_ptr() != static_cast<void*>(v.data()))
                || back.sizes() != d.t.sizes() || !same_strides)
            {
                throw mismatch("as_tensor(view) is not an alias of the tensor with its geometry");
            }
        }
        catch (const xtt::conversion_error&)
        {
        }
    }

#if XTT_RANDOM_WITH_EIGEN
    template <class T>
    void eigen_maps(drawn& d, entropy& e, std::string& log)
    {
        const stage p = draw_policy(e);
        if (d.t.dim() == 2 && d.t.layout() != c10::kStrided && e.chance(50))
        {
            if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>)
            {
                log += "eigen::sparse_map<T>(t, " + policy_string(p) + ")";
                bool ok = false;
                try
                {
                    auto m = xtt::eigen::sparse_map<const T>(d.t, p);
                    ok = true;
                    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> dense = m.toDense();
                    check_same<T>(xt::adapt(dense.data(), static_cast<std::size_t>(dense.size()), xt::no_ownership(),
                                            std::vector<std::size_t>{static_cast<std::size_t>(dense.rows()),
                                                                     static_cast<std::size_t>(dense.cols())}),
                                  expected_of(d.t), "sparse_map");
                }
                catch (const xtt::conversion_error&)
                {
                }
                if (!ok && xtt::allows(p, stage::to_sparse_csr) && xtt::allows(p, stage::detach))
                {
                    throw mismatch("sparse_map refused a 2-D tensor with to_sparse_csr");
                }
                return;
            }
        }
        log += "eigen::map<const T>(t, " + policy_string(p) + ")";
        using map_type = xtt::eigen::matrix_map<const T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor,
                                                Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
        const bool predicted = xtt::would_copy<map_type>(d.t, p);
        bool ok = false;
        bool copied = false;
        try
        {
            auto m = xtt::eigen::map<const T>(d.t, p);
            ok = true;
            copied = !shares_storage(m.tensor_storage(), d.t);
            const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> dense = m;
            const at::Tensor expected = expected_of(d.t);
            check_same<T>(xt::adapt(dense.data(), static_cast<std::size_t>(dense.size()), xt::no_ownership(),
                                    std::vector<std::size_t>{static_cast<std::size_t>(dense.rows()),
                                                             static_cast<std::size_t>(dense.cols())}),
                          expected.dim() == 1 ? expected.reshape({1, -1}) : expected, "eigen::map");
        }
        catch (const xtt::conversion_error&)
        {
        }
        if (predicted != (ok && copied))
        {
            throw mismatch("would_copy said " + std::to_string(predicted) + ", the map " + (ok ? (copied ? "copied" : "shared") : "was refused"));
        }
    }
#endif

    /// One random conversion of d.t, typed T.
    template <class T>
    void run_one(drawn& d, entropy& e, std::string& log)
    {
        constexpr auto dyn = xt::layout_type::dynamic;
        constexpr auto rm = xt::layout_type::row_major;
        constexpr auto cm = xt::layout_type::column_major;
        const bool no_grad = d.requires_grad && e.chance(50);
        const std::unique_ptr<at::NoGradGuard> guard(no_grad ? new at::NoGradGuard() : nullptr);
        if (no_grad)
        {
            log += "under NoGradGuard: ";
        }
        const stage p = draw_policy(e);
        const auto layout = e.below(3);
        switch (e.below(8))
        {
            case 0:
            case 1:
                layout == 0 ? read_view<T, dyn>(d, p, log) : layout == 1 ? read_view<T, rm>(d, p, log) : read_view<T, cm>(d, p, log);
                break;
            case 2:
            case 3:
                layout == 0 ? write_view<T, dyn>(d, e, p, log) : layout == 1 ? write_view<T, rm>(d, e, p, log)
                                                                              : write_view<T, cm>(d, e, p, log);
                break;
            case 4:
                layout == 0 ? edit<T, dyn>(d, e, p, log) : edit<T, rm>(d, e, p, log);
                break;
            case 5:
                if constexpr (std::is_same_v<T, bool> || !std::is_arithmetic_v<T>)
                {
                    to_xarray<T, T>(d, e, log);
                }
                else
                {
                    e.chance(50) ? to_xarray<T, T>(d, e, log) : to_xarray<T, double>(d, e, log);
                }
                break;
            case 6:
                to_torch<T>(d, e, log);
                break;
            default:
#if XTT_RANDOM_WITH_EIGEN
                if constexpr (eigen_v<T>)
                {
                    if (d.t.dim() == 2 || d.t.dim() == 1)
                    {
                        eigen_maps<T>(d, e, log);
                        break;
                    }
                }
#endif
                as_tensor<T>(d, log);
                break;
        }
    }
}

/// Defines a group runner: tries each dtype of the list.
#define XTT_RANDOM_GROUP(name, LIST)                                                     \
    bool xtt_random::name(drawn& d, entropy& e, std::string& log)                        \
    {                                                                                    \
        const at::ScalarType dtype = d.t.scalar_type();                                  \
        (void)dtype;                                                                     \
        (void)e;                                                                         \
        (void)log;                                                                       \
        LIST(XTT_RANDOM_TRY_DTYPE)                                                       \
        return false;                                                                    \
    }

#define XTT_RANDOM_TRY_DTYPE(T, S, NAME, CONSTANT) \
    if (dtype == S)                                \
    {                                              \
        run_one<T>(d, e, log);                     \
        return true;                               \
    }

#endif
