// The staging policy: which named LibTorch steps a conversion may take
// (xtt::stage), xtt::stage_tensor, which takes them, and xtt::would_copy,
// which says in advance whether they copy.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_STAGE_HPP
#define XTENSOR_TORCH_STAGE_HPP

#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "detail/config.hpp"
#include "detail/xtensor_compat.hpp"
#include "error.hpp"

XTT_NAMESPACE_BEGIN

/**
 * @brief The steps a conversion may take to reach a tensor it can share.
 *
 * A bit set; combine flags with `|`. The default of every view is `stage::none`:
 * the call shares the tensor's memory or throws a conversion_error that names
 * the flag that would allow the missing step. Each flag allows one step, taken
 * only when the tensor needs it:
 *
 * | flag            | when needed                              | step              | copies? |
 * |-----------------|------------------------------------------|-------------------|---------|
 * | `to_cpu`        | not on the CPU (CUDA, MPS, XPU, ...)     | `.cpu()`          | yes     |
 * | `detach`        | `requires_grad()` while grad mode is on  | `.detach()`       | no      |
 * | `resolve_conj`  | `is_conj()`                              | `.resolve_conj()` | yes     |
 * | `resolve_neg`   | `is_neg()`                               | `.resolve_neg()`  | yes     |
 * | `to_dense`      | sparse or mkldnn layout                  | `.to_dense()`     | yes     |
 * | `contiguous`    | layout asked for but not matched, or a   | `.contiguous()`   | yes     |
 * |                 | writable view of overlapping elements    |                   |         |
 * | `to_sparse_csr` | a COO tensor where CSR/CSC is needed     | `.to_sparse_csr()`| yes     |
 * | `all`           | everything above                         |                   |         |
 */
enum class stage : std::uint32_t
{
    none = 0,
    to_cpu = 1u << 0,
    detach = 1u << 1,
    resolve_conj = 1u << 2,
    resolve_neg = 1u << 3,
    to_dense = 1u << 4,
    contiguous = 1u << 5,
    to_sparse_csr = 1u << 6,
    all = (1u << 7) - 1u
};

/// @brief The union of two policies.
constexpr stage operator|(stage a, stage b) noexcept
{
    return static_cast<stage>(static_cast<std::uint32_t>(a) | static_cast<std::uint32_t>(b));
}

/// @brief The intersection of two policies.
constexpr stage operator&(stage a, stage b) noexcept
{
    return static_cast<stage>(static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(b));
}

/// @brief Every step `a` does not allow, e.g. `stage::all & ~stage::to_cpu`.
constexpr stage operator~(stage a) noexcept
{
    return static_cast<stage>(~static_cast<std::uint32_t>(a) & static_cast<std::uint32_t>(stage::all));
}

constexpr stage& operator|=(stage& a, stage b) noexcept
{
    return a = a | b;
}

constexpr stage& operator&=(stage& a, stage b) noexcept
{
    return a = a & b;
}

/// @brief Whether `policy` allows every step in `steps`.
constexpr bool allows(stage policy, stage steps) noexcept
{
    return (policy & steps) == steps;
}

/**
 * @brief What the caller will do with the staged memory: only read it, or also
 * write it. A writable view of a tensor whose elements overlap in memory
 * (expanded, stride 0) is refused, as ATen refuses in-place writes to it.
 */
enum class access
{
    read_write,
    read_only
};

/**
 * @brief Takes the steps `policy` allows and `t` needs, so that the result is
 * an undefined-free, dense, strided CPU tensor that matches `layout`.
 *
 * *Shares memory* when no copying step is needed · *May copy* (`to_cpu`,
 * `resolve_conj`, `resolve_neg`, `to_dense`, `contiguous`).
 * @param t the tensor.
 * @param policy the steps allowed.
 * @param layout `xt::layout_type::row_major` or `column_major` to ask for that
 *        contiguous layout; `dynamic` (or `any`) for any strides.
 * @param mode `access::read_write` also refuses overlapping elements (or, with
 *        `stage::contiguous`, copies them apart).
 * @return `t` itself, or the staged tensor.
 * @throws conversion_error if `t` needs a step that `policy` does not allow,
 *         or is undefined, meta, quantized or nested.
 *
 * @code
 * at::Tensor host = xtt::stage_tensor(cuda_t, xtt::stage::to_cpu | xtt::stage::detach);
 * @endcode
 */
inline at::Tensor stage_tensor(const at::Tensor& t,
                               stage policy,
                               xt::layout_type layout = xt::layout_type::dynamic,
                               access mode = access::read_write);

/**
 * @brief Whether a conversion of `t` under `policy` would copy: true exactly when
 * it would succeed and take at least one copying step. A call that shares memory,
 * and one that would throw, answer false. Never throws, never copies.
 * @param t the tensor.
 * @param policy the steps allowed.
 * @param layout the layout the conversion asks for (see stage_tensor).
 * @param mode whether the conversion writes (see stage_tensor).
 *
 * @code
 * if (xtt::would_copy(t, xtt::stage::all)) { ... }
 * @endcode
 */
inline bool would_copy(const at::Tensor& t,
                       stage policy,
                       xt::layout_type layout = xt::layout_type::dynamic,
                       access mode = access::read_write) noexcept;

namespace detail
{
    // A few dims on the stack: ranks up to 8 allocate nothing.
    using dim_vector = c10::SmallVector<std::int64_t, 8>;

    /*
     * The one stride convention, for torch -> xtensor:
     * - torch strides are in elements, never negative; the storage offset is
     *   taken through data_ptr(), never through the strides;
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

    /// Row-major strides are also column-major when at most one dim is longer than 1.
    inline bool row_major_is_column_major(c10::IntArrayRef sizes) noexcept
    {
        return has_zero_size(sizes) || std::count_if(sizes.begin(), sizes.end(), [](std::int64_t s) { return s > 1; }) <= 1;
    }

    /// Whether two distinct indices may reach the same element. Exact for every
    /// tensor made by slicing, permuting, narrowing and expanding; errs on the
    /// side of "may" only for exotic as_strided layouts.
    template <class Strides>
    bool may_overlap(c10::IntArrayRef sizes, const Strides& strides)
    {
        c10::SmallVector<std::pair<std::int64_t, std::int64_t>, 8> dims;  // (stride, size)
        for (std::size_t i = 0; i < sizes.size(); ++i)
        {
            if (sizes[i] == 0)
            {
                return false;
            }
            if (sizes[i] > 1)
            {
                dims.emplace_back(static_cast<std::int64_t>(strides[i]), sizes[i]);
            }
        }
        std::sort(dims.begin(), dims.end());
        std::int64_t reach = 1;  // elements spanned by the dims seen so far
        for (const auto& [stride, size] : dims)
        {
            if (stride < reach)
            {
                return true;
            }
            reach += stride * (size - 1);
        }
        return false;
    }

    inline std::string reversed_dims(std::size_t rank)
    {
        std::string dims = "{";
        for (std::size_t i = rank; i-- > 0;)
        {
            dims += std::to_string(i);
            dims += i == 0 ? "" : ", ";
        }
        return dims + "}";
    }

    /// The LibTorch call that makes a tensor of this rank contiguous in `layout`.
    inline std::string manual_contiguous(xt::layout_type layout, std::size_t rank)
    {
        if (layout != xt::layout_type::column_major || rank < 2)
        {
            return ".contiguous()";
        }
        if (rank == 2)
        {
            return ".t().contiguous().t()";
        }
        const std::string dims = reversed_dims(rank);
        return ".permute(" + dims + ").contiguous().permute(" + dims + ")";
    }

    /// `t` copied contiguous in `layout` (column-major through the reversed permutation).
    inline at::Tensor make_contiguous(const at::Tensor& t, xt::layout_type layout)
    {
        if (layout != xt::layout_type::column_major || t.dim() < 2)
        {
            return t.contiguous();
        }
        dim_vector reverse(static_cast<std::size_t>(t.dim()));
        for (std::size_t i = 0; i < reverse.size(); ++i)
        {
            reverse[i] = static_cast<std::int64_t>(reverse.size() - 1 - i);
        }
        return t.permute(reverse).contiguous().permute(reverse);
    }

    /// What a conversion asks of the staged tensor, and how its messages name it.
    struct request
    {
        std::string_view operation;  // "view", "map", "copy"
        std::string_view target;     // "as xtensor", "to xtensor", "as an Eigen matrix"
        xt::layout_type layout = xt::layout_type::dynamic;
        access mode = access::read_write;
        std::string_view any_layout;  // how to ask this conversion for any strides, if it can
    };

    /// "view cpu float32 [2, 3] strides [3, 1] as xtensor"
    inline std::string what_of(const request& r, const at::Tensor& t)
    {
        std::string what(r.operation);
        what.append(" ").append(describe(t));
        if (!r.target.empty())
        {
            what.append(" ").append(r.target);
        }
        return what;
    }

    inline bool is_unfixable(const at::Tensor& t) noexcept
    {
        return !t.defined() || t.is_nested() || t.is_quantized() || t.is_meta();
    }

    /// Refuses the states no stage flag can fix.
    [[noreturn]] inline void refuse_unfixable(const request& r, const at::Tensor& t)
    {
        if (!t.defined())
        {
            fail(what_of(r, t),
                 "it is undefined and has no data",
                 "create it first (e.g. torch::zeros(sizes)) and test with .defined()");
        }
        if (t.is_nested())
        {
            fail(what_of(r, t),
                 "a nested tensor is not rectangular",
                 "call .to_padded_tensor(0) or .unbind() first and convert the pieces");
        }
        if (t.is_quantized())
        {
            fail(what_of(r, t),
                 "a quantized tensor has no plain element type",
                 "call .dequantize() (float values) or .int_repr() (raw integers) first");
        }
        fail(what_of(r, t),
             "a meta tensor has no data",
             "create it on a real device (e.g. torch::empty(sizes, options.device(torch::kCPU)))");
    }

    inline bool needs_detach(const at::Tensor& t) noexcept
    {
        return t.requires_grad() && c10::GradMode::is_enabled();
    }

    /// Whether a strided tensor's geometry fails the request: wrong layout, or
    /// overlapping elements where the conversion writes.
    inline bool needs_contiguous(const at::Tensor& t, const request& r)
    {
        switch (r.layout)
        {
            case xt::layout_type::row_major:
                return !t.is_contiguous();
            case xt::layout_type::column_major:
                return !is_contiguous_in(t.sizes(), t.strides(), false);
            default:
                return r.mode == access::read_write && !t.is_non_overlapping_and_dense()
                       && may_overlap(t.sizes(), t.strides());
        }
    }

    inline bool copies(stage steps) noexcept
    {
        return (steps & ~stage::detach) != stage::none;
    }

    /*
     * A plan: the steps `t` needs, decided from `t` alone, before anything is
     * done. Copying steps are predicted as ATen takes them: `.cpu()`,
     * `.resolve_conj()` and `.resolve_neg()` keep the strides of a dense,
     * non-overlapping tensor and give any other one row-major strides;
     * `.to_dense()` gives row-major strides.
     */
    struct plan
    {
        stage steps = stage::none;
        stage refused = stage::none;  // the first needed step the policy does not allow
    };

    inline plan make_plan(const at::Tensor& t, stage policy, const request& r)
    {
        plan p;
        auto need = [&](stage step) {
            p.steps |= step;
            if (!allows(policy, step) && p.refused == stage::none)
            {
                p.refused = step;
            }
        };
        if (needs_detach(t))
        {
            need(stage::detach);
        }
        if (!t.device().is_cpu())
        {
            need(stage::to_cpu);
        }
        const bool strided = t.layout() == c10::kStrided;
        if (!strided)
        {
            need(stage::to_dense);
        }
        if (t.is_conj())
        {
            need(stage::resolve_conj);
        }
        if (t.is_neg())
        {
            need(stage::resolve_neg);
        }
        if (!strided || (copies(p.steps) && !t.is_non_overlapping_and_dense()))
        {
            // the copy comes out row-major, which fails only a column-major request
            if (r.layout == xt::layout_type::column_major && !row_major_is_column_major(t.sizes()))
            {
                need(stage::contiguous);
            }
        }
        else if (needs_contiguous(t, r))
        {
            need(stage::contiguous);
        }
        return p;
    }

    /// Refuses `t`, which needs `step` under request `r`.
    [[noreturn]] inline void refuse_step(const request& r, const at::Tensor& t, stage step)
    {
        const std::string what = what_of(r, t);
        switch (step)
        {
            case stage::detach:
                fail(what,
                     "it requires grad",
                     "pass xtt::stage::detach (no copy; writes are not tracked by autograd) or call .detach() "
                     "first, or convert inside a torch::NoGradGuard");
            case stage::to_cpu:
                fail(what,
                     "it is on " + t.device().str() + ", not on the CPU",
                     "pass xtt::stage::to_cpu (copies to host memory) or call .cpu() first");
            case stage::to_dense:
                fail(what,
                     std::string("its layout is ") + std::string(layout_name(t.layout())) + ", not strided",
                     "pass xtt::stage::to_dense (copies into a dense tensor) or call .to_dense() first");
            case stage::resolve_conj:
                fail(what,
                     "its conjugate bit is set (a lazy .conj())",
                     "pass xtt::stage::resolve_conj (copies) or call .resolve_conj() first");
            case stage::resolve_neg:
                fail(what,
                     "its negative bit is set (a lazy negation)",
                     "pass xtt::stage::resolve_neg (copies) or call .resolve_neg() first");
            default:
                break;
        }
        const std::string manual = manual_contiguous(r.layout, static_cast<std::size_t>(t.dim()));
        if (r.layout == xt::layout_type::row_major || r.layout == xt::layout_type::column_major)
        {
            std::string fix = "pass xtt::stage::contiguous (copies) or call " + manual + " first";
            if (!r.any_layout.empty())
            {
                fix.append(", or ").append(r.any_layout);
            }
            fail(what, "it is not " + std::string(r.layout == xt::layout_type::row_major ? "row-major" : "column-major") + " contiguous", fix);
        }
        fail(what,
             "its elements overlap in memory (an expanded or stride-0 dimension), so writes would collide",
             "read it through a const view (e.g. xtt::view<const T>), or pass xtt::stage::contiguous (copies) or call "
                 + manual + " first");
    }

    /// Whether `t` can be used as it is: the fast path of every conversion.
    inline bool ready(const at::Tensor& t, const request& r)
    {
        return t.defined() && t.is_cpu() && t.layout() == c10::kStrided && !t.is_conj() && !t.is_neg()
               && !t.is_quantized() && !t.is_nested() && !needs_detach(t) && !needs_contiguous(t, r);
    }

    /// `t` itself when it is ready, else `holder`, which then holds the staged tensor.
    inline const at::Tensor& stage_into(const at::Tensor& t, stage policy, const request& r, at::Tensor& holder)
    {
        if (ready(t, r))
        {
            return t;
        }
        if (is_unfixable(t))
        {
            refuse_unfixable(r, t);
        }
        const plan p = make_plan(t, policy, r);
        if (p.refused != stage::none)
        {
            refuse_step(r, t, p.refused);
        }
        holder = t;
        if (allows(p.steps, stage::detach))
        {
            holder = holder.detach();
        }
        if (allows(p.steps, stage::to_cpu))
        {
            holder = holder.cpu();
        }
        if (holder.layout() != c10::kStrided)
        {
            holder = holder.to_dense();
        }
        if (holder.is_conj())
        {
            holder = holder.resolve_conj();
        }
        if (holder.is_neg())
        {
            holder = holder.resolve_neg();
        }
        if (needs_contiguous(holder, r))
        {
            if (!allows(policy, stage::contiguous))
            {
                refuse_step(r, t, stage::contiguous);  // ATen did not keep the strides predicted
            }
            holder = make_contiguous(holder, r.layout);
        }
        return holder;
    }

    inline request stage_request(xt::layout_type layout, access mode)
    {
        return request{"stage", "", layout, mode, ""};
    }
}

/*******************************
 * stage_tensor and would_copy *
 *******************************/

inline at::Tensor stage_tensor(const at::Tensor& t, stage policy, xt::layout_type layout, access mode)
{
    at::Tensor holder;
    return detail::stage_into(t, policy, detail::stage_request(layout, mode), holder);
}

inline bool would_copy(const at::Tensor& t, stage policy, xt::layout_type layout, access mode) noexcept
{
    try
    {
        const detail::request r = detail::stage_request(layout, mode);
        if (detail::ready(t, r) || detail::is_unfixable(t))
        {
            return false;
        }
        const detail::plan p = detail::make_plan(t, policy, r);
        return p.refused == stage::none && detail::copies(p.steps);
    }
    catch (...)
    {
        return false;
    }
}

XTT_NAMESPACE_END

#endif
