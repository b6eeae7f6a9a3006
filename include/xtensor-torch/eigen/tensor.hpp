// Eigen::TensorMap of contiguous tensors (xtt::eigen::tensor_map). Includes
// Eigen's Tensor module, which is heavy: include this header where it is needed.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_EIGEN_TENSOR_HPP
#define XTENSOR_TORCH_EIGEN_TENSOR_HPP

#include <array>
#include <type_traits>
#include <utility>

#include "../detail/eigen_tensor_compat.hpp"
#include "dense.hpp"

XTT_NAMESPACE_BEGIN

namespace eigen
{
    namespace detail
    {
        template <class T, int N, int Options>
        using plain_tensor_t = std::conditional_t<std::is_const_v<T>,
                                                  const Eigen::Tensor<std::remove_const_t<T>, N, Options, Eigen::Index>,
                                                  Eigen::Tensor<T, N, Options, Eigen::Index>>;
    }

    /**
     * @brief An `Eigen::TensorMap<Eigen::Tensor<T, N, Options>>` over a
     * contiguous tensor's memory, which keeps the tensor's storage alive.
     */
    template <class T, int N, int Options>
    class tensor_map_type : public Eigen::TensorMap<detail::plain_tensor_t<T, N, Options>>
    {
    public:

        /// @brief The Eigen::TensorMap this is.
        using base_type = Eigen::TensorMap<detail::plain_tensor_t<T, N, Options>>;
        using base_type::operator=;

        /// @brief A second map of the same memory, which keeps it alive too.
        tensor_map_type(const tensor_map_type&) = default;
        /// @brief Takes over the map and its reference to the storage.
        tensor_map_type(tensor_map_type&&) noexcept = default;
        ~tensor_map_type() = default;

        /// @brief The storage this map keeps alive.
        const c10::Storage& tensor_storage() const noexcept
        {
            return m_keep_alive.storage();
        }

        /// @brief Whether the map still points into its tensor's memory (see xtt::tensor_view::valid).
        bool valid() const noexcept
        {
            return m_keep_alive.valid();
        }

        /// @cond XTT_CONVERSION_DRIVER
        // What xtt::eigen::tensor_map makes (xtt::detail::convert), after its
        // checks and staging.
        tensor_map_type(xtt::detail::from_staged_t, T* data, const std::array<Eigen::Index, N>& dims,
                        c10::Storage keep_alive)
            : base_type(data, dims),
              m_keep_alive(std::move(keep_alive))
        {
        }
        /// @endcond

    private:

        xtt::detail::storage_ref m_keep_alive;
    };

    /**
     * @brief A zero-copy Eigen::TensorMap of a rank-N tensor that is
     * contiguous in the map's layout (row-major by default, like torch).
     *
     * *Shares memory* · *Keeps alive* the storage · *May copy* with
     * `stage::contiguous` for a tensor of other strides, and the flags of xtt::view.
     * @tparam T the element type (`Eigen::half`, `Eigen::bfloat16`,
     *         `std::complex<T>` for those dtypes); `const T` for a read-only map.
     * @tparam N the rank.
     * @tparam Options Eigen::RowMajor (default) or Eigen::ColMajor.
     * @param t a rank-N tensor.
     * @param policy the staging steps allowed; without it, none (the map
     *        shares or the call throws, and the file compiles no copy kernel).
     * @throws conversion_error for a dtype or rank mismatch, strides that are not
     *         contiguous in the layout (without `stage::contiguous`), and every
     *         state xtt::view refuses.
     *
     * @code
     * torch::Tensor t = torch::rand({2, 3, 4});
     * auto m = xtt::eigen::tensor_map<float, 3>(t);
     * Eigen::Tensor<float, 0, Eigen::RowMajor> total = m.sum();
     * @endcode
     */
    template <class T, int N, int Options = Eigen::RowMajor>
    tensor_map_type<T, N, Options> tensor_map(const at::Tensor& t, stage policy);

    /**
     * @brief xtt::eigen::tensor_map without a policy (`stage::none`): the map
     * shares `t`'s memory, or the call throws; no copy kernel is compiled for it.
     * @throws conversion_error as tensor_map(t, stage::none).
     */
    template <class T, int N, int Options = Eigen::RowMajor>
    tensor_map_type<T, N, Options> tensor_map(const at::Tensor& t);

    template <class T, int N, int Options>
    inline tensor_map_type<T, N, Options> tensor_map(const at::Tensor& t, stage policy)
    {
        return xtt::detail::convert<tensor_map_type<T, N, Options>>(t, policy);
    }

    template <class T, int N, int Options>
    inline tensor_map_type<T, N, Options> tensor_map(const at::Tensor& t)
    {
        return xtt::detail::convert<tensor_map_type<T, N, Options>>(t);
    }
}

namespace detail
{
    /// What a tensor_map asks of a tensor: contiguous in the map's layout.
    template <class T, int N, int Options>
    struct target_traits<eigen::tensor_map_type<T, N, Options>> : strided_target<T>
    {
        static request get(const at::Tensor&) noexcept
        {
            request r{};
            r.operation = "map";
            r.target = "as an Eigen::TensorMap";
            r.layout = (Options & Eigen::RowMajorBit) != 0 ? xt::layout_type::row_major : xt::layout_type::column_major;
            r.mode = std::is_const_v<T> ? access::read_only : access::read_write;
            r.dtype = scalar_type_v<std::remove_const_t<T>>;
            return r;
        }

        static void check(const at::Tensor& t, stage policy, const request& r)
        {
            eigen::detail::check_eigen_scalar<T>();
            check_type_and_rank<std::remove_const_t<T>, static_cast<std::size_t>(N)>(r, t, policy);
        }

        static eigen::tensor_map_type<T, N, Options> make(const at::Tensor&, const staged_tensor& staged)
        {
            const at::Tensor& s = staged.tensor();
            std::array<Eigen::Index, N> dims;
            for (int i = 0; i < N; ++i)
            {
                dims[static_cast<std::size_t>(i)] = s.size(i);
            }
            T* data = s.numel() == 0 ? empty_data<T>() : typed_data<T>(s);
            return eigen::tensor_map_type<T, N, Options>(from_staged, data, dims, s.storage());
        }
    };
}

XTT_NAMESPACE_END

#endif
