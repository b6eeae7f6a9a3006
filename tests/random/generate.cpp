// Drawing random tensors: dtype, sizes, storage, a derivation chain, flags.
// SPDX-License-Identifier: BSD-3-Clause
#include <sstream>

#include <xtensor-torch/xtensor-torch.hpp>

#include "random_case.hpp"

namespace xtt_random
{
    const std::vector<at::ScalarType>& all_dtypes()
    {
        static const std::vector<at::ScalarType> dtypes = {
#define XTT_RANDOM_DTYPE(T, S, NAME, CONSTANT) S,
            XTT_FOR_EACH_DTYPE(XTT_RANDOM_DTYPE)
#undef XTT_RANDOM_DTYPE
        };
        return dtypes;
    }

    namespace
    {
        std::string sizes_string(c10::IntArrayRef sizes)
        {
            std::ostringstream os;
            os << sizes;
            return os.str();
        }

        /// Small exact values for every dtype (integers in [-8, 8]; powers of
        /// two for float8_e8m0fnu; 0 and 1 for bool).
        at::Tensor values(entropy& e, std::int64_t count, at::ScalarType dtype)
        {
            std::vector<std::int64_t> re(static_cast<std::size_t>(count));
            std::vector<std::int64_t> im(static_cast<std::size_t>(count));
            const bool is_unsigned = dtype == at::kByte || dtype == at::kBool || !c10::isSignedType(dtype);
            for (std::size_t i = 0; i < re.size(); ++i)
            {
                re[i] = static_cast<std::int64_t>(e.below(17)) - (is_unsigned ? 0 : 8);
                im[i] = static_cast<std::int64_t>(e.below(17)) - 8;
            }
            at::Tensor r = at::tensor(re, at::kLong);
            if (dtype == at::kBool)
            {
                return r.remainder(2).to(at::kBool);
            }
            if (c10::isComplexType(dtype))
            {
                return at::complex(r.to(at::kFloat), at::tensor(im, at::kLong).to(at::kFloat)).to(dtype);
            }
#if XTT_HAS_FLOAT8_E8M0
            if (dtype == at::ScalarType::Float8_e8m0fnu)
            {
                return at::pow(2.0, r.remainder(8).to(at::kFloat)).to(dtype);
            }
#endif
            return r.to(dtype);
        }

        std::int64_t product(const std::vector<std::int64_t>& sizes)
        {
            std::int64_t n = 1;
            for (auto s : sizes)
            {
                n *= s;
            }
            return n;
        }

        /// One derivation step applied to both sides.
        using step = std::function<at::Tensor(const at::Tensor&)>;

        /// A random view-producing step for `t` (nullptr when none fits).
        step draw_step(entropy& e, const at::Tensor& t, std::string& log)
        {
            const std::int64_t rank = t.dim();
            const auto dim_of = [&] { return static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(rank))); };
            switch (e.below(10))
            {
                case 0:
                    if (rank >= 2)
                    {
                        std::vector<std::int64_t> perm(static_cast<std::size_t>(rank));
                        for (std::int64_t i = 0; i < rank; ++i)
                        {
                            perm[static_cast<std::size_t>(i)] = i;
                        }
                        for (std::size_t i = perm.size() - 1; i > 0; --i)
                        {
                            std::swap(perm[i], perm[e.below(i + 1)]);
                        }
                        log += ".permute(" + sizes_string(perm) + ")";
                        return [perm](const at::Tensor& x) { return x.permute(perm); };
                    }
                    return nullptr;
                case 1:
                    if (rank >= 2)
                    {
                        const auto a = dim_of();
                        const auto b = dim_of();
                        log += ".transpose(" + std::to_string(a) + ", " + std::to_string(b) + ")";
                        return [a, b](const at::Tensor& x) { return x.transpose(a, b); };
                    }
                    return nullptr;
                case 2:
                    if (rank >= 1)
                    {
                        const auto d = dim_of();
                        const std::int64_t size = t.size(d);
                        const auto start = static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(size) + 1));
                        const auto end = start + static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(size - start) + 1));
                        const auto stride = 1 + static_cast<std::int64_t>(e.below(3));
                        log += ".slice(" + std::to_string(d) + ", " + std::to_string(start) + ", " + std::to_string(end) + ", "
                               + std::to_string(stride) + ")";
                        return [=](const at::Tensor& x) { return x.slice(d, start, end, stride); };
                    }
                    return nullptr;
                case 3:
                    if (rank >= 1 && t.size(0) > 0)
                    {
                        const auto d = dim_of();
                        if (t.size(d) == 0)
                        {
                            return nullptr;
                        }
                        const auto index = static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(t.size(d))));
                        log += ".select(" + std::to_string(d) + ", " + std::to_string(index) + ")";
                        return [=](const at::Tensor& x) { return x.select(d, index); };
                    }
                    return nullptr;
                case 4:
                    if (rank >= 2)
                    {
                        const auto a = dim_of();
                        auto b = dim_of();
                        if (a == b)
                        {
                            b = (a + 1) % rank;
                        }
                        const auto offset = static_cast<std::int64_t>(e.below(3)) - 1;
                        log += ".diagonal(" + std::to_string(offset) + ", " + std::to_string(a) + ", " + std::to_string(b) + ")";
                        return [=](const at::Tensor& x) { return x.diagonal(offset, a, b); };
                    }
                    return nullptr;
                case 5:
                {
                    // expand every size-1 dim (and maybe a new leading one)
                    std::vector<std::int64_t> sizes(t.sizes().begin(), t.sizes().end());
                    if (e.chance(30))
                    {
                        sizes.insert(sizes.begin(), 1);
                    }
                    for (auto& s : sizes)
                    {
                        if (s == 1)
                        {
                            s = 1 + static_cast<std::int64_t>(e.below(3));
                        }
                    }
                    if (product(sizes) > 4096)
                    {
                        return nullptr;
                    }
                    log += ".expand(" + sizes_string(sizes) + ")";
                    return [sizes](const at::Tensor& x) { return x.expand(sizes); };
                }
                case 6:
                    if (rank >= 1)
                    {
                        const auto d = dim_of();
                        const std::int64_t size = t.size(d);
                        const auto window = static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(size) + 1));
                        const auto stride = 1 + static_cast<std::int64_t>(e.below(3));
                        log += ".unfold(" + std::to_string(d) + ", " + std::to_string(window) + ", " + std::to_string(stride) + ")";
                        return [=](const at::Tensor& x) { return x.unfold(d, window, stride); };
                    }
                    return nullptr;
                case 7:
                    if (rank < 6)
                    {
                        const auto d = static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(rank) + 1));
                        log += ".unsqueeze(" + std::to_string(d) + ")";
                        return [d](const at::Tensor& x) { return x.unsqueeze(d); };
                    }
                    return nullptr;
                case 8:
                {
                    // as_strided within the storage: overlapping or not, with an offset
                    const std::int64_t storage = static_cast<std::int64_t>(t.storage().nbytes() / t.element_size());
                    if (storage == 0)
                    {
                        return nullptr;
                    }
                    const auto new_rank = static_cast<std::size_t>(e.below(4));
                    std::vector<std::int64_t> sizes(new_rank);
                    std::vector<std::int64_t> strides(new_rank);
                    std::int64_t reach = 0;
                    for (std::size_t i = 0; i < new_rank; ++i)
                    {
                        sizes[i] = static_cast<std::int64_t>(e.below(5));
                        strides[i] = static_cast<std::int64_t>(e.below(6));
                    }
                    bool empty = false;
                    for (std::size_t i = 0; i < new_rank; ++i)
                    {
                        empty = empty || sizes[i] == 0;
                        reach += sizes[i] > 0 ? (sizes[i] - 1) * strides[i] : 0;
                    }
                    if (!empty && reach >= storage)
                    {
                        return nullptr;
                    }
                    const auto offset = static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(storage - (empty ? 0 : reach))));
                    log += ".as_strided(" + sizes_string(sizes) + ", " + sizes_string(strides) + ", " + std::to_string(offset) + ")";
                    return [=](const at::Tensor& x) { return x.as_strided(sizes, strides, offset); };
                }
                default:
                    if (rank >= 1)
                    {
                        const auto d = dim_of();
                        const std::int64_t size = t.size(d);
                        const auto start = static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(size) + 1));
                        const auto length = static_cast<std::int64_t>(e.below(static_cast<std::uint64_t>(size - start) + 1));
                        log += ".narrow(" + std::to_string(d) + ", " + std::to_string(start) + ", " + std::to_string(length) + ")";
                        return [=](const at::Tensor& x) { return x.narrow(d, start, length); };
                    }
                    return nullptr;
            }
        }
    }

    drawn draw_tensor(entropy& e)
    {
        drawn d;
        const at::ScalarType dtype = e.pick(all_dtypes());
        const auto rank = static_cast<std::size_t>(e.below(7));
        std::vector<std::int64_t> sizes(rank);
        for (auto& s : sizes)
        {
            // mostly non-empty: a zero anywhere empties the whole tensor
            s = e.chance(4) ? 0 : 1 + static_cast<std::int64_t>(e.below(rank > 3 ? 3 : 6));
        }
        const std::int64_t extra = e.chance(30) ? static_cast<std::int64_t>(e.below(5)) : 0;  // storage past the elements
        const std::int64_t count = product(sizes) + extra;
        at::Tensor storage = values(e, count, dtype);
        std::ostringstream log;
        log << c10::toString(dtype) << " storage of " << count;
        at::Tensor root = storage.narrow(0, 0, count - extra).view(sizes);
        log << " viewed as " << sizes_string(sizes);
        if (rank == 4 && e.chance(40))
        {
            root = root.contiguous(at::MemoryFormat::ChannelsLast);
            log << ", channels_last";
        }
        d.root = root;
        d.ref_root = root.clone(at::MemoryFormat::Preserve);
        if (d.ref_root.strides() != root.strides())
        {
            d.ref_root = at::empty_strided(root.sizes(), root.strides(), root.options()).copy_(root);
        }
        std::string chain;
        at::Tensor t = d.root;
        at::Tensor ref = d.ref_root;
        const auto steps = e.below(4);
        for (std::uint64_t i = 0; i < steps; ++i)
        {
            std::string step_log;
            try
            {
                const step s = draw_step(e, t, step_log);
                if (s)
                {
                    at::Tensor next = s(t);
                    at::Tensor ref_next = s(ref);
                    t = next;
                    ref = ref_next;
                    chain += step_log;
                }
            }
            catch (const c10::Error&)
            {
                // a step ATen refuses for this geometry (e.g. a window too wide): skip it
            }
        }
        log << ", derived: t" << (chain.empty() ? std::string(" as is") : chain);
        if (c10::isComplexType(dtype) && e.chance(30))
        {
            t = t.conj();
            ref = ref.conj();
            log << ".conj()";
        }
        else if ((dtype == at::kFloat || dtype == at::kDouble || dtype == at::kLong || dtype == at::kInt) && e.chance(15))
        {
            t = at::_neg_view(t);
            ref = at::_neg_view(ref);
            log << " as a neg view";
        }
        if ((dtype == at::kFloat || dtype == at::kDouble) && e.chance(15))
        {
            // an autograd view of a leaf that requires grad
            d.root.requires_grad_(true);
            d.ref_root.requires_grad_(true);
            t = chain.empty() ? d.root : t.detach().requires_grad_(true);
            ref = chain.empty() ? d.ref_root : ref.detach().requires_grad_(true);
            d.requires_grad = true;
            log << ", requires_grad";
        }
        if ((dtype == at::kFloat || dtype == at::kDouble) && t.dim() == 2 && !t.requires_grad() && !t.is_neg() && e.chance(25))
        {
            const auto kind = e.below(3);
            const char* names[] = {".to_sparse()", ".to_sparse_csr()", ".to_sparse_csc()"};
            const auto convert = [kind](const at::Tensor& x) {
                return kind == 0 ? x.to_sparse() : kind == 1 ? x.to_sparse_csr() : x.to_sparse_csc();
            };
            try
            {
                at::Tensor sp = convert(t);
                t = sp;
                ref = convert(ref);
                d.sparse = true;
                log << names[kind];
            }
            catch (const c10::Error&)
            {
                // (a CSC transpose LibTorch can't make here)
            }
        }
        d.t = t;
        d.ref_t = ref;
        d.description = log.str();
        return d;
    }

    std::string run_case(entropy& e)
    {
        drawn d = draw_tensor(e);
        std::string log;
        try
        {
            if (e.chance(5))
            {
                // visit hands out the element type of the runtime dtype
                log = "visit<read_only>(t, stage::all)";
                const at::ScalarType seen = xtt::visit<xtt::access::read_only>(
                    d.t,
                    [](auto v) { return xtt::scalar_type_v<std::remove_const_t<typename decltype(v)::value_type>>; },
                    xtt::stage::all);
                if (seen != d.t.scalar_type())
                {
                    throw mismatch("visit handed out " + std::string(xtt::dtype_name(seen)));
                }
                return d.description + "; " + log;
            }
            run_typed(d, e, log);
        }
        catch (const mismatch& m)
        {
            throw mismatch(d.description + "; " + log + ": " + m.what());
        }
        catch (const std::exception& x)
        {
            throw mismatch(d.description + "; " + log + ": a foreign exception left the library: " + x.what());
        }
        return d.description + "; " + log;
    }

    void run_typed(drawn& d, entropy& e, std::string& log)
    {
        if (run_floating(d, e, log) || run_integral(d, e, log) || run_complex(d, e, log) || run_other(d, e, log))
        {
            return;
        }
        throw mismatch("no typed runner for " + std::string(c10::toString(d.t.scalar_type())));
    }
}
