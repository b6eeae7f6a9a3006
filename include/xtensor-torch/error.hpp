// xtt::conversion_error, the one exception xtensor-torch throws for bad input,
// and the one way its messages describe a tensor.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_ERROR_HPP
#define XTENSOR_TORCH_ERROR_HPP

#include <new>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "detail/config.hpp"
#include "dtype.hpp"

XTT_NAMESPACE_BEGIN

/**
 * @brief Thrown when a tensor or an xtensor / Eigen object can't be converted as asked.
 *
 * Every message has one shape: `xtensor-torch: can't <operation> <tensor>: <what
 * is wrong>; <what to do>`, where `<what to do>` names the xtt::stage flag that
 * allows the step (and what it costs) and the LibTorch call that does it by hand.
 * Derives from `std::invalid_argument`, so code that catches that keeps working.
 */
class conversion_error : public std::invalid_argument
{
public:

    using std::invalid_argument::invalid_argument;
};

/**
 * @brief Describes a tensor the way every xtensor-torch message does:
 * "cuda:0 float32 [2, 3] strides [1, 2] requires_grad".
 *
 * Device, dtype, sizes, then strides and a non-zero storage offset (strided
 * tensors only), then the layout when it is not strided, and the states that
 * matter for a conversion (conj, neg, zero tensor, requires_grad, quantized,
 * nested). Never throws for an odd tensor: undefined and nested ones are described too.
 * @param t any tensor, also an undefined one.
 * @return the description.
 */
inline std::string describe(const at::Tensor& t);

namespace detail
{
    inline std::string_view layout_name(c10::Layout layout)
    {
        switch (layout)
        {
            case c10::kStrided:
                return "strided";
            case c10::kSparse:
                return "sparse_coo";
            case c10::kSparseCsr:
                return "sparse_csr";
            case c10::kSparseCsc:
                return "sparse_csc";
            case c10::kSparseBsr:
                return "sparse_bsr";
            case c10::kSparseBsc:
                return "sparse_bsc";
            case c10::kMkldnn:
                return "mkldnn";
            default:
                return "non-strided";
        }
    }

    template <class Range>
    void write_list(std::ostream& os, const Range& values)
    {
        os << '[';
        bool first = true;
        for (auto v : values)
        {
            os << (first ? "" : ", ") << v;
            first = false;
        }
        os << ']';
    }

    /// "[a, b, c]", as write_list writes it.
    template <class Range>
    std::string list_string(const Range& values)
    {
        std::ostringstream os;
        write_list(os, values);
        return os.str();
    }

    /// Throws conversion_error("xtensor-torch: can't <what>: <reason>; <fix>").
    [[noreturn]] inline void fail(std::string_view what, std::string_view reason, std::string_view fix)
    {
        std::string message;
        message.reserve(64 + what.size() + reason.size() + fix.size());
        message.append("xtensor-torch: can't ").append(what).append(": ").append(reason);
        if (!fix.empty())
        {
            message.append("; ").append(fix);
        }
        throw conversion_error(message);
    }

    /// The first line of a LibTorch error, without its backtrace.
    inline std::string first_line(const char* what)
    {
        std::string_view text(what);
        return std::string(text.substr(0, text.find('\n')));
    }

    /*
     * LibTorch calls inside a conversion can throw c10::Error, allocations
     * std::bad_alloc. Neither may reach the user: checks come first, and this
     * translates whatever gets through into the one exception type, naming
     * the conversion and the reason.
     */
    template <class What, class F>
    decltype(auto) translate_errors(const What& what, F&& f)
    {
        const auto operation = [&]() -> std::string {
            if constexpr (std::is_invocable_v<const What&>)
            {
                return what();  // built only when needed
            }
            else
            {
                return std::string(std::string_view(what));
            }
        };
        try
        {
            return std::forward<F>(f)();
        }
        catch (const c10::Error& e)
        {
            fail(operation(), "LibTorch refused it (" + first_line(e.what_without_backtrace()) + ")",
                 "check the tensor's state with xtt::describe(t), or stage it by hand first");
        }
        catch (const std::bad_alloc& e)
        {
            fail(operation(), std::string("there is not enough memory for the result (") + e.what() + ")",
                 "convert a smaller part at a time (a slice), or free memory first");
        }
    }
}

namespace detail
{
    inline std::string describe_defined(const at::Tensor& t);
}

/*************************
 * describe, out of line *
 *************************/

inline std::string describe(const at::Tensor& t)
{
    if (!t.defined())
    {
        return "undefined tensor";
    }
    try
    {
        return detail::describe_defined(t);
    }
    catch (const std::exception&)
    {
        return std::string(t.device().str()) + ' ' + std::string(dtype_name(t.scalar_type())) + " tensor";
    }
}

inline std::string detail::describe_defined(const at::Tensor& t)
{
    std::ostringstream os;
    os << t.device().str() << ' ' << dtype_name(t.scalar_type());
    if (t.is_nested())
    {
        os << " nested";
    }
    else
    {
        os << ' ';
        detail::write_list(os, t.sizes());
        if (t.layout() == c10::kStrided)
        {
            os << " strides ";
            detail::write_list(os, t.strides());
            if (t.has_storage() && t.storage_offset() != 0)
            {
                os << " offset " << t.storage_offset();
            }
        }
        else
        {
            os << ' ' << detail::layout_name(t.layout());
        }
    }
    if (t.is_quantized())
    {
        os << " quantized";
    }
    if (t.is_conj())
    {
        os << " conj";
    }
    if (t.is_neg())
    {
        os << " neg";
    }
    if (t._is_zerotensor())
    {
        os << " zero";
    }
    if (t.requires_grad())
    {
        os << " requires_grad";
    }
    return os.str();
}

XTT_NAMESPACE_END

#endif
