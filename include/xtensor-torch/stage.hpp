// The staging policy: which named LibTorch steps a conversion may take
// (xtt::stage), the one plan every conversion asks for those steps,
// xtt::stage_tensor, which takes them, and xtt::would_copy, which says in
// advance whether they copy.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_STAGE_HPP
#define XTENSOR_TORCH_STAGE_HPP

#include <algorithm>
#include <cstdint>
#include <limits>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include "detail/config.hpp"
#include "detail/fast_copy.hpp"
#include "detail/torch_memory.hpp"
#include "error.hpp"

XTT_NAMESPACE_BEGIN

/// @brief The rank argument of xtt::view for a rank known only at run time.
inline constexpr std::size_t dynamic = std::numeric_limits<std::size_t>::max();

/**
 * @brief The steps a conversion may take to reach a tensor it can share.
 *
 * A bit set; combine flags with `|`. The default of every view and map is
 * `stage::none`: the call shares the tensor's memory or throws a
 * conversion_error that names the flag that would allow the missing step. Each
 * flag allows one step, taken only when the tensor needs it. docs/staging.md
 * has the table: when each flag is needed, the step it takes, what it copies.
 *
 * The copying steps are made as one copy, straight into the layout the
 * conversion asks for: `contiguous` is needed only when nothing else copies.
 */
enum class stage : std::uint32_t
{
    none = 0,                ///< share, or throw
    to_cpu = 1u << 0,        ///< `.cpu()` for a tensor on another device (copies)
    detach = 1u << 1,        ///< `.detach()` for a tensor that requires grad (no copy)
    resolve_conj = 1u << 2,  ///< `.resolve_conj()` for a lazy conjugate (copies)
    resolve_neg = 1u << 3,   ///< `.resolve_neg()` for a lazy negation (copies)
    to_dense = 1u << 4,      ///< `.to_dense()` for a sparse, mkldnn or zero tensor (copies)
    contiguous = 1u << 5,    ///< `.contiguous()` for a layout or strides not matched (copies)
    to_sparse_csr = 1u << 6, ///< `.to_sparse_csr()` for a sparse map of another layout (copies)
    all = (1u << 7) - 1u,    ///< every flag above
    cast = 1u << 7           ///< `.to(dtype)` for another element type (copies; not in `all`)
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
    constexpr auto every_flag = static_cast<std::uint32_t>(stage::all) | static_cast<std::uint32_t>(stage::cast);
    return static_cast<stage>(~static_cast<std::uint32_t>(a) & every_flag);
}

/// @brief Adds the steps of `b` to `a`.
constexpr stage& operator|=(stage& a, stage b) noexcept
{
    return a = a | b;
}

/// @brief Keeps in `a` only the steps `b` has too.
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
 * @brief Takes the steps `policy` allows and `t` needs, so that the result is a
 * dense, strided CPU tensor that matches `layout`.
 *
 * *Shares memory* when no copying step is needed · *May copy* (`to_cpu`,
 * `resolve_conj`, `resolve_neg`, `to_dense`, `contiguous`), once, straight
 * into the layout asked for.
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

/**
 * @brief Whether converting `t` into a `Target` under `policy` would copy:
 * true exactly when the conversion would succeed and take a copying step.
 *
 * `Target` is the type a conversion returns: an xtt::tensor_view (what
 * xtt::view returns), an xtt::edit_view (what xtt::edit returns: a copy it
 * would write back counts), or one of the Eigen maps (xtt::eigen::matrix_map,
 * tensor_map_type, sparse_matrix_map). Element type, rank, fixed sizes,
 * layout, strides and sparse layout all count, as in the conversion itself.
 * Never throws, never copies.
 *
 * @code
 * bool copies = xtt::would_copy<xtt::tensor_view<float, 2, xt::layout_type::row_major>>(t, xtt::stage::all);
 * @endcode
 */
template <class Target>
bool would_copy(const at::Tensor& t, stage policy = stage::none) noexcept;

namespace detail
{
    /// Tensors up to this many elements have their overlap decided exactly by
    /// listing their offsets, when the cheap rules can't decide.
    inline constexpr std::int64_t exact_overlap_limit = std::int64_t(1) << 16;

    /**
     * Whether two distinct indices reach the same element. Exact for every
     * layout made by slicing, permuting, narrowing, expanding and unfolding, for
     * every layout with at most two dimensions longer than 1, and for every
     * tensor of up to exact_overlap_limit elements; for larger as_strided
     * layouts of three or more dimensions that interleave, it may answer "may
     * overlap" (true) for one that does not.
     */
    template <class Strides>
    bool may_overlap(c10::IntArrayRef sizes, const Strides& strides)
    {
        c10::SmallVector<std::pair<std::int64_t, std::int64_t>, 8> dims;  // (stride, size)
        std::int64_t numel = 1;
        for (std::size_t i = 0; i < sizes.size(); ++i)
        {
            if (sizes[i] == 0)
            {
                return false;
            }
            if (sizes[i] > 1)
            {
                const auto stride = static_cast<std::int64_t>(strides[i]);
                if (stride == 0)
                {
                    return true;
                }
                dims.emplace_back(stride < 0 ? -stride : stride, sizes[i]);
                numel *= sizes[i];
            }
        }
        std::sort(dims.begin(), dims.end());
        // Each dim stepping over all the smaller ones: the offsets are distinct.
        bool nested = true;
        std::int64_t reach = 1;
        for (const auto& [stride, size] : dims)
        {
            if (stride < reach)
            {
                nested = false;
                break;
            }
            reach += stride * (size - 1);
        }
        if (nested)
        {
            return false;
        }
        if (dims.size() == 2)
        {
            // i * s1 == j * s2 with 0 < i < n1 or 0 < j < n2 first happens at
            // i = s2 / g, j = s1 / g.
            const auto [s1, n1] = dims[0];
            const auto [s2, n2] = dims[1];
            const std::int64_t g = std::gcd(s1, s2);
            return s2 / g < n1 && s1 / g < n2;
        }
        if (numel > exact_overlap_limit)
        {
            return true;
        }
        std::vector<std::int64_t> offsets(1, 0);
        offsets.reserve(static_cast<std::size_t>(numel));
        for (const auto& [stride, size] : dims)
        {
            const std::size_t n = offsets.size();
            for (std::int64_t k = 1; k < size; ++k)
            {
                for (std::size_t j = 0; j < n; ++j)
                {
                    offsets.push_back(offsets[j] + k * stride);
                }
            }
        }
        std::sort(offsets.begin(), offsets.end());
        return std::adjacent_find(offsets.begin(), offsets.end()) != offsets.end();
    }

    /// Whether `t` (strided) has elements that share memory.
    inline bool overlaps(const at::Tensor& t)
    {
        return !t.is_non_overlapping_and_dense() && may_overlap(t.sizes(), t.strides());
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

    /// A plan: the steps `t` needs, decided from `t` alone, before anything is done.
    struct plan
    {
        stage steps = stage::none;
        stage refused = stage::none;  // the first needed step the policy does not allow
        bool detached_copy = false;   // detach copies (request.copy_if_grad)

        bool copies() const noexcept
        {
            return detached_copy || (steps & ~stage::detach) != stage::none;
        }

        /// Records that `step` is needed, and whether `policy` refuses it.
        void need(stage step, stage policy) noexcept
        {
            steps |= step;
            if (!allows(policy, step) && refused == stage::none)
            {
                refused = step;
            }
        }
    };

    /// Why a conversion refuses a tensor, and how to fix it.
    struct refusal
    {
        std::string reason;
        std::string fix;
    };

    struct request;

    /*
     * A target's own rules beyond "a dense strided tensor of this layout", for
     * the planner to ask: the strides it can express (an Eigen map's
     * Eigen::Stride), or a layout other than strided that it takes itself (a
     * sparse map's compressed layout). eigen/ defines them; xtensor's
     * conversions have none.
     */
    struct target_rules
    {
        /// Whether a strided tensor's strides fit (null: any strides do).
        bool (*fits)(c10::IntArrayRef sizes, c10::IntArrayRef strides) noexcept = nullptr;
        /// The order of a copy made to fit, when the request names no layout.
        bool row_major = true;
        /// A target that takes a layout other than strided (a sparse map) plans
        /// the steps after resolve_neg itself, and stages the tensor itself.
        void (*plan_layout)(const at::Tensor& t, const request& r, stage policy, plan& p) = nullptr;
        /// Why `t` is refused without `step` (to_sparse_csr, contiguous), or,
        /// for stage::none, why no step can make it fit.
        refusal (*refuse)(const at::Tensor& t, stage step) = nullptr;
    };

    /// What a conversion asks of the staged tensor, and how its messages name it.
    struct request
    {
        std::string_view operation;  // "view", "map", "copy", "stage"
        std::string_view target;     // "as xtensor", "as an Eigen matrix", ...
        xt::layout_type layout = xt::layout_type::dynamic;  // a contiguous layout asked for
        access mode = access::read_write;
        std::string_view any_strides_hint;  // how to ask this conversion for any strides, if it can
        at::ScalarType dtype = at::ScalarType::Undefined;  // the element type asked for, if any
        bool copy_if_grad = false;  // a tensor that requires grad is worked on as a copy (write-back views)
        copy_kernel kernel = nullptr;  // the permuted copy of dtype's elements (null: ATen's copy alone; set by convert)
        const target_rules* rules = nullptr;  // the target's own strides or layout rules, if any

        /// Whether the target constrains strides beyond `layout`.
        bool constrains_strides() const noexcept
        {
            return rules != nullptr && rules->fits != nullptr;
        }

        /// Whether strided `sizes` and `strides` fit the target's own rules.
        bool strides_fit(c10::IntArrayRef sizes, c10::IntArrayRef strides) const noexcept
        {
            return !constrains_strides() || rules->fits(sizes, strides);
        }

        /// Whether the target takes a layout other than strided itself.
        bool takes_layout() const noexcept
        {
            return rules != nullptr && rules->plan_layout != nullptr;
        }

        /// The order of a copy made for this request.
        bool copies_row_major() const noexcept
        {
            if (layout == xt::layout_type::row_major || layout == xt::layout_type::column_major)
            {
                return layout == xt::layout_type::row_major;
            }
            return rules == nullptr || rules->row_major;
        }
    };

    /// "view cpu float32 [2, 3] strides [3, 1] as xtensor"
    inline std::string describe_conversion(const request& r, const at::Tensor& t)
    {
        std::string what(r.operation);
        what.append(" ").append(describe(t));
        if (!r.target.empty())
        {
            what.append(" ").append(r.target);
        }
        return what;
    }

    /// Whether a strided tensor's elements all lie in its storage (LibTorch
    /// checks this in as_strided and set_, not in unsafeGetTensorImpl()'s
    /// setters): no negative offset or stride, no size_t overflow.
    inline bool within_storage(const at::Tensor& t) noexcept
    {
        if (t.layout() != c10::kStrided || t._is_zerotensor() || !t.has_storage())
        {
            return true;
        }
        if (t.numel() == 0)  // (LibTorch computes numel with an overflow check)
        {
            return true;
        }
        const c10::IntArrayRef sizes = t.sizes();
        const c10::IntArrayRef strides = t.strides();
        std::uint64_t last = 0;  // the largest element index reached
        for (std::size_t i = 0; i < sizes.size(); ++i)
        {
            std::uint64_t reach = 0;
            if (sizes[i] > 1
                && (strides[i] < 0
                    || !checked_mul(static_cast<std::uint64_t>(sizes[i] - 1), static_cast<std::uint64_t>(strides[i]), reach)
                    || !checked_add(last, reach, last)))
            {
                return false;
            }
        }
        const std::int64_t offset = t.storage_offset();
        const std::uint64_t item = static_cast<std::uint64_t>(t.element_size());
        std::uint64_t end = 0;  // one past the last byte reached
        return offset >= 0 && checked_add(last, static_cast<std::uint64_t>(offset) + 1, end) && checked_mul(end, item, end)
               && end <= t.storage().nbytes();
    }

    inline bool is_unfixable(const at::Tensor& t) noexcept
    {
        return !t.defined() || t.is_nested() || t.is_quantized() || t.is_meta() || !within_storage(t);
    }

    /// Refuses the states no stage flag can fix.
    [[noreturn]] inline void refuse_unfixable(const request& r, const at::Tensor& t)
    {
        if (!t.defined())
        {
            fail(describe_conversion(r, t),
                 "it is undefined and has no data",
                 "create it first (e.g. torch::zeros(sizes)) and test with .defined()");
        }
        if (t.is_nested())
        {
            fail(describe_conversion(r, t),
                 "a nested tensor is not rectangular",
                 "call .to_padded_tensor(0) or .unbind() first and convert the pieces");
        }
        if (t.is_quantized())
        {
            fail(describe_conversion(r, t),
                 "a quantized tensor has no plain element type",
                 "call .dequantize() (float values) or .int_repr() (raw integers) first");
        }
        if (t.is_meta())
        {
            fail(describe_conversion(r, t),
                 "a meta tensor has no data",
                 "create it on a real device (e.g. torch::empty(sizes, options.device(torch::kCPU)))");
        }
        fail(describe_conversion(r, t),
             "its sizes, strides and storage offset reach outside its storage of " + std::to_string(t.storage().nbytes())
                 + " bytes (or overflow)",
             "make it with as_strided() or set_() within the storage, which check this, or convert a tensor that "
             "LibTorch's own checks accepted");
    }

    inline bool needs_detach(const at::Tensor& t) noexcept
    {
        return t.requires_grad() && c10::GradMode::is_enabled();
    }

    /// Whether a strided tensor's geometry fails the request as it is: wrong
    /// layout or strides, or overlapping elements where the conversion writes.
    inline bool needs_contiguous(const at::Tensor& t, const request& r)
    {
        switch (r.layout)
        {
            case xt::layout_type::row_major:
                return !t.is_contiguous();
            case xt::layout_type::column_major:
                return !is_contiguous_in(t.sizes(), t.strides(), false);
            default:
                return !r.strides_fit(t.sizes(), t.strides()) || (r.mode == access::read_write && overlaps(t));
        }
    }

    /// The strides of the one copy staging makes of `t` (dense or not): the
    /// layout asked for, or, for any strides, `t`'s own when they are dense
    /// (as `.cpu()` keeps them), else row-major.
    inline dim_vector copy_strides(const at::Tensor& t, const request& r)
    {
        const bool any_strides = r.layout != xt::layout_type::row_major && r.layout != xt::layout_type::column_major
                                 && !r.constrains_strides();
        if (any_strides && t.layout() == c10::kStrided && t.is_non_overlapping_and_dense())
        {
            return dim_vector(t.strides().begin(), t.strides().end());
        }
        return contiguous_strides(t.sizes(), r.copies_row_major());
    }

    /// Refuses `t` with the target's own reason and fix for `step`.
    [[noreturn]] inline void refuse_by_rules(const request& r, const at::Tensor& t, stage step)
    {
        if (r.rules == nullptr || r.rules->refuse == nullptr)  // (every target with rules gives its own)
        {
            fail(describe_conversion(r, t), "its strides don't fit the conversion",
                 "pass xtt::stage::contiguous (copies) or call .contiguous() first");
        }
        const refusal why = r.rules->refuse(t, step);
        fail(describe_conversion(r, t), why.reason, why.fix);
    }

    inline plan make_plan(const at::Tensor& t, stage policy, const request& r)
    {
        plan p;
        const auto need = [&](stage step) { p.need(step, policy); };
        if (needs_detach(t))
        {
            need(stage::detach);
            p.detached_copy = r.copy_if_grad;
        }
        if (!t.device().is_cpu())
        {
            need(stage::to_cpu);
        }
        if (r.dtype != at::ScalarType::Undefined && t.scalar_type() != r.dtype)
        {
            need(stage::cast);
        }
        const bool strided = t.layout() == c10::kStrided;
        if (t._is_zerotensor() || (!strided && !r.takes_layout()))
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
        if (r.takes_layout())
        {
            r.rules->plan_layout(t, r, policy, p);
            return p;
        }
        if (p.copies())
        {
            // one copy into copy_strides(t, r): it fits, or nothing can
            if (r.constrains_strides() && !r.strides_fit(t.sizes(), copy_strides(t, r)))
            {
                refuse_by_rules(r, t, stage::none);
            }
        }
        else if (needs_contiguous(t, r))
        {
            if (!r.strides_fit(t.sizes(), contiguous_strides(t.sizes(), r.copies_row_major())))
            {
                refuse_by_rules(r, t, stage::none);
            }
            need(stage::contiguous);
        }
        return p;
    }

    [[noreturn]] inline void refuse_dtype(const request& r, const at::Tensor& t, at::ScalarType wanted)
    {
        // a conversion that can cast names r.dtype; the others (sparse maps) never cast
        const bool can_cast = r.dtype != at::ScalarType::Undefined;
        std::string reason = "its dtype is ";
        reason.append(dtype_name(t.scalar_type())).append(", not ").append(dtype_name(wanted));
        reason.append(can_cast ? " (casting copies, so it is done only when asked)" : " (it never casts)");
        std::string fix = "ask for the tensor's own element type, ";
        fix.append(can_cast ? "pass xtt::stage::cast (a view of a cast copy), " : "")
            .append("use xtt::to_xarray<T>(t) for an owning cast copy, or call .to(")
            .append(dtype_constant(wanted))
            .append(") first");
        fail(describe_conversion(r, t), reason, fix);
    }

    [[noreturn]] inline void refuse_rank(const request& r, const at::Tensor& t, std::size_t wanted)
    {
        const std::string has = std::to_string(t.dim());
        fail(describe_conversion(r, t),
             "it has rank " + has + ", not " + std::to_string(wanted),
             "ask for rank " + has + " (or xtt::dynamic), or call .reshape(...), .unsqueeze(...) or .squeeze(...) first");
    }

    [[noreturn]] inline void refuse_unsupported_dtype(const request& r, const at::Tensor& t)
    {
        fail(describe_conversion(r, t),
             std::string("dtype ") + std::string(dtype_name(t.scalar_type())) + " has no C++ element type in xtensor-torch",
             "call .to(torch::kFloat32) (or another supported dtype) first");
    }

    /// The checks of every typed conversion that no stage flag changes.
    template <class T, std::size_t N>
    void check_type_and_rank(const request& r, const at::Tensor& t, stage policy = stage::none)
    {
        if (is_unfixable(t))
        {
            refuse_unfixable(r, t);
        }
        if (t.scalar_type() != scalar_type_v<T> && !allows(policy, stage::cast))
        {
            refuse_dtype(r, t, scalar_type_v<T>);
        }
        if constexpr (N != dynamic)
        {
            if (static_cast<std::size_t>(t.dim()) != N)
            {
                refuse_rank(r, t, N);
            }
        }
    }

    /// Refuses `t`, which needs `step` under request `r`.
    [[noreturn]] inline void refuse_step(const request& r, const at::Tensor& t, stage step)
    {
        const std::string what = describe_conversion(r, t);
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
                if (t._is_zerotensor())
                {
                    fail(what,
                         "it is a zero tensor (autograd's efficient zeros, which have no memory)",
                         "pass xtt::stage::to_dense (allocates the zeros) or call .clone() first");
                }
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
            case stage::cast:
                refuse_dtype(r, t, r.dtype);
            default:
                break;
        }
        if (r.takes_layout())
        {
            refuse_by_rules(r, t, step);  // to_sparse_csr, or contiguous arrays
        }
        const std::string manual = manual_contiguous(r.layout, static_cast<std::size_t>(t.dim()));
        if (r.layout == xt::layout_type::row_major || r.layout == xt::layout_type::column_major)
        {
            std::string fix = "pass xtt::stage::contiguous (copies) or call " + manual + " first";
            if (!r.any_strides_hint.empty())
            {
                fix.append(", or ").append(r.any_strides_hint);
            }
            fail(what, "it is not " + std::string(r.layout == xt::layout_type::row_major ? "row-major" : "column-major") + " contiguous", fix);
        }
        if (r.mode == access::read_write && overlaps(t))
        {
            fail(what,
                 "its elements overlap in memory (an expanded or stride-0 dimension), so writes would collide",
                 "read it through a const view (e.g. xtt::view<const T>), or pass xtt::stage::contiguous (copies) or "
                 "call " + manual + " first");
        }
        refuse_by_rules(r, t, stage::contiguous);  // strides the target's rules don't take
    }

    /// Whether `t` can be used as it is: the fast path of every strided conversion.
    inline bool usable_as_is(const at::Tensor& t, const request& r)
    {
        return t.defined() && !t.is_nested() && !t.is_quantized() && t.layout() == c10::kStrided && t.device().is_cpu()
               && !t.is_conj() && !t.is_neg() && !t._is_zerotensor() && !needs_detach(t)
               && (r.dtype == at::ScalarType::Undefined || t.scalar_type() == r.dtype) && !needs_contiguous(t, r);
    }

    /// The plan for `t`, or the refusal of its first step the policy does not allow.
    inline plan checked_plan(const at::Tensor& t, stage policy, const request& r)
    {
        if (is_unfixable(t))
        {
            refuse_unfixable(r, t);
        }
        const plan p = make_plan(t, policy, r);
        if (p.refused != stage::none)
        {
            refuse_step(r, t, p.refused);
        }
        return p;
    }

    /// Takes a strided plan's steps: a detach (no copy), then at most one copy,
    /// straight into copy_strides(t, r).
    inline at::Tensor take_steps(const at::Tensor& t, const plan& p, const request& r)
    {
        const at::Tensor s = allows(p.steps, stage::detach) ? t.detach() : t;
        if (!p.copies())
        {
            return s;
        }
        const dim_vector strides = copy_strides(s, r);
        const at::ScalarType dtype = r.dtype != at::ScalarType::Undefined ? r.dtype : s.scalar_type();
        at::Tensor dst = empty_for_writing(s.sizes(), strides, dtype);
        if (s._is_zerotensor())
        {
            return dst.zero_();
        }
        const c10::NoGradGuard no_grad;
        if (r.kernel == nullptr || !r.kernel(s, dst))
        {
            dst.copy_(s.layout() == c10::kStrided ? s : s.to_dense());  // also casts, and resolves conj and neg bits
        }
        return dst;
    }

    /// A strided conversion's staged tensor: `t` itself when it is usable as it
    /// is, else the tensor staging made (a copy, or `t.detach()`).
    class staged_tensor
    {
    public:

        staged_tensor(const at::Tensor& t, stage policy, const request& r)
            : m_source(&t),
              m_kernel(r.kernel)
        {
            if (!usable_as_is(t, r))
            {
                const plan p = checked_plan(t, policy, r);
                m_holder = translate_errors([&] { return describe_conversion(r, t); }, [&] { return take_steps(t, p, r); });
            }
        }

        const at::Tensor& tensor() const noexcept
        {
            return m_holder.defined() ? m_holder : *m_source;
        }

        /// Whether staging copied: the tensor is neither `t` nor an alias of it.
        bool copied() const
        {
            return m_holder.defined() && !m_holder.is_alias_of(*m_source);
        }

        /// The kernel staging copied with (the request's), for a copy back.
        copy_kernel kernel() const noexcept
        {
            return m_kernel;
        }

    private:

        const at::Tensor* m_source;
        copy_kernel m_kernel;
        at::Tensor m_holder;
    };

    /// Whether a conversion under request `r` would succeed and copy.
    inline bool predicts_copy(const at::Tensor& t, stage policy, const request& r) noexcept
    {
        try
        {
            if (is_unfixable(t))
            {
                return false;
            }
            const plan p = make_plan(t, policy, r);
            return p.refused == stage::none && p.copies();
        }
        catch (...)
        {
            return false;
        }
    }

    inline request stage_request(xt::layout_type layout, access mode)
    {
        request r{};
        r.operation = "stage";
        r.layout = layout;
        r.mode = mode;
        return r;
    }

    /// The tag of the constructors the conversion driver calls, after its checks
    /// and staging: the result's memory is the staged tensor's.
    struct from_staged_t
    {
        explicit from_staged_t() = default;
    };
    inline constexpr from_staged_t from_staged{};

    /*
     * What converting into a Target takes. Each view and map type specialises
     * it with
     *   static request get(const at::Tensor& t) noexcept;
     *       what the conversion asks of the staged tensor;
     *   static void check(const at::Tensor& t, stage policy, const request& r);
     *       what no staging step changes (dtype, rank, sizes), throwing
     *       conversion_error that names the conversion as r does;
     *   static auto staging(const at::Tensor& t, stage policy, const request& r);
     *       the staged memory (strided_target's: a staged_tensor);
     *   static Target make(const at::Tensor& t, <staged memory>& s);
     *       the result over the staged memory.
     *   static constexpr copy_kernel kernel() noexcept;
     *       the permuted copy staging copies with (strided_target<T>'s: that
     *       of T's size).
     */
    template <class Target, class = void>
    struct target_traits;

    /// The staging of the targets that take a dense strided tensor of T.
    template <class T>
    struct strided_target
    {
        /// The permuted copy of T's size; the driver asks for it only when
        /// staging may copy, so that a file converting without a policy
        /// compiles no kernel.
        static constexpr copy_kernel kernel() noexcept
        {
            return copy_kernel_for<std::remove_const_t<T>>;
        }

        static staged_tensor staging(const at::Tensor& t, stage policy, const request& r)
        {
            return staged_tensor(t, policy, r);
        }
    };

    /// The one conversion driver: check, stage, make; LibTorch's errors
    /// translated into conversion_error naming the conversion.
    template <class Target>
    Target convert_as(const at::Tensor& t, stage policy, const request& r)
    {
        using traits = target_traits<Target>;
        traits::check(t, policy, r);
        auto staged = traits::staging(t, policy, r);
        return translate_errors([&] { return describe_conversion(r, t); }, [&] { return traits::make(t, staged); });
    }

    /// A conversion that may stage: its request carries the kernel of the
    /// target's element size.
    template <class Target>
    Target convert(const at::Tensor& t, stage policy)
    {
        request r = target_traits<Target>::get(t);
        r.kernel = target_traits<Target>::kernel();
        return convert_as<Target>(t, policy, r);
    }

    /// A conversion without a policy (stage::none): it copies nothing, so
    /// nothing that copies is compiled for it.
    template <class Target>
    Target convert(const at::Tensor& t)
    {
        return convert_as<Target>(t, stage::none, target_traits<Target>::get(t));
    }
}

/*******************************
 * stage_tensor and would_copy *
 *******************************/

inline at::Tensor stage_tensor(const at::Tensor& t, stage policy, xt::layout_type layout, access mode)
{
    detail::request r = detail::stage_request(layout, mode);
    r.kernel = &detail::transposed_copy_for<0>;  // any dtype
    if (detail::is_unfixable(t))  // before staging, whose shortcut for a usable tensor checks nothing
    {
        detail::refuse_unfixable(r, t);
    }
    return detail::staged_tensor(t, policy, r).tensor();
}

inline bool would_copy(const at::Tensor& t, stage policy, xt::layout_type layout, access mode) noexcept
{
    return detail::predicts_copy(t, policy, detail::stage_request(layout, mode));
}

template <class Target>
inline bool would_copy(const at::Tensor& t, stage policy) noexcept
{
    using traits = detail::target_traits<Target>;
    try
    {
        const detail::request r = traits::get(t);
        traits::check(t, policy, r);
        return detail::predicts_copy(t, policy, r);
    }
    catch (...)
    {
        return false;
    }
}

XTT_NAMESPACE_END

#endif
