// pybind11 type casters: an xtt::tensor_view as a parameter of a bound
// function takes a torch.Tensor and shares its memory. For extension modules
// built with torch.utils.cpp_extension (which provide torch's own caster for
// at::Tensor and Python's headers).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_PYBIND11_HPP
#define XTENSOR_TORCH_PYBIND11_HPP

#include <cstddef>
#include <exception>
#include <optional>
#include <type_traits>
#include <utility>

#include <pybind11/pybind11.h>
#include <torch/csrc/utils/pybind.h>

#include "error.hpp"
#include "stage.hpp"
#include "view.hpp"

namespace pybind11::detail
{
    /**
     * @brief Loads a torch.Tensor argument into an xtt::tensor_view, as
     * xtt::view would (the view shares the tensor's memory and keeps it alive
     * for the call and after, if the function keeps the view).
     *
     * - `tensor_view<const T, N, L>`: pybind11's first (no-convert) pass takes
     *   only a tensor the view can share (xtt::stage::detach: one that
     *   requires grad is read in place); its convert pass (an argument
     *   without `.noconvert()`) may stage a copy with xtt::stage::all (to the
     *   CPU, resolved conj / neg bits, dense, contiguous for a static layout).
     * - `tensor_view<T, N, L>` (writable): never a copy, which would lose the
     *   writes; after the call the tensor's version counter is bumped
     *   (xtt::mark_written), as an in-place ATen operation does. A tensor that
     *   requires grad is refused while grad mode is on.
     *
     * An object that is not a tensor does not match (pybind11 tries the next
     * overload). A tensor the view refuses raises TypeError with
     * xtensor-torch's message in the convert pass; a `.noconvert()` argument
     * does not match instead, so that another overload can take it.
     */
    template <class T, std::size_t N, xt::layout_type L>
    struct type_caster<xtt::tensor_view<T, N, L, false>>
    {
        using view_type = xtt::tensor_view<T, N, L, false>;
        static constexpr bool writable = !std::is_const_v<T>;

        static constexpr auto name = const_name("torch.Tensor");

        template <class U>
        using cast_op_type = movable_cast_op_type<U>;

        type_caster() = default;
        type_caster(const type_caster&) = delete;
        type_caster& operator=(const type_caster&) = delete;

        ~type_caster()
        {
            if (writable && m_view.has_value())
            {
                try
                {
                    xtt::mark_written(m_tensor);
                }
                catch (const std::exception&)  // checked in load: an inference tensor outside inference mode
                {
                }
            }
        }

        bool load(handle src, bool convert)
        {
            make_caster<at::Tensor> tensor_caster;
            if (!tensor_caster.load(src, convert))
            {
                return false;
            }
            at::Tensor t = cast_op<at::Tensor&&>(std::move(tensor_caster));
            // reading a tensor that requires grad takes no copy (stage::detach);
            // writing through one would go around autograd
            const xtt::stage policy = writable ? xtt::stage::none : convert ? xtt::stage::all : xtt::stage::detach;
            try
            {
                if constexpr (writable)
                {
                    if (t.defined() && t.is_inference() && !c10::InferenceMode::is_enabled())
                    {
                        xtt::detail::fail("write through a view of " + xtt::describe(t),
                                          "an inference tensor can't be written outside c10::InferenceMode",
                                          "clone it first, or call the function inside torch.inference_mode()");
                    }
                }
                m_view.emplace(xtt::view<T, N, L>(t, policy));
            }
            catch (const xtt::conversion_error& e)
            {
                if (!convert)
                {
                    return false;  // another overload, or the convert pass, may take it
                }
                throw type_error(e.what());
            }
            m_tensor = std::move(t);
            return true;
        }

        operator view_type*()
        {
            return &*m_view;
        }

        operator view_type&()
        {
            return *m_view;
        }

        operator view_type&&() &&
        {
            return std::move(*m_view);
        }

    private:
        std::optional<view_type> m_view;
        at::Tensor m_tensor;
    };
}

#endif
