// Eigen sparse maps of CSR / CSC tensors (xtt::eigen::sparse_map) and Eigen
// sparse matrices to torch CSR / CSC tensors (to_torch).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_EIGEN_SPARSE_HPP
#define XTENSOR_TORCH_EIGEN_SPARSE_HPP

#include <array>
#include <cstdint>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "dense.hpp"

XTT_NAMESPACE_BEGIN

namespace eigen
{
    namespace detail
    {
        struct sparse_map_factory;

        template <class T, int Options, class StorageIndex>
        using plain_sparse_t = std::conditional_t<std::is_const_v<T>,
                                                  const Eigen::SparseMatrix<std::remove_const_t<T>, Options, StorageIndex>,
                                                  Eigen::SparseMatrix<T, Options, StorageIndex>>;
    }

    /**
     * @brief An `Eigen::Map<Eigen::SparseMatrix<T, Options, StorageIndex>>` over a
     * CSR (row-major) or CSC (column-major) tensor's index and value arrays,
     * which keeps the tensor alive.
     */
    template <class T, int Options, class StorageIndex>
    class sparse_matrix_map : public Eigen::Map<detail::plain_sparse_t<T, Options, StorageIndex>>
    {
    public:

        /// @brief The Eigen::Map this is.
        using base_type = Eigen::Map<detail::plain_sparse_t<T, Options, StorageIndex>>;

        /// @brief A second map of the same arrays, which keeps them alive too.
        sparse_matrix_map(const sparse_matrix_map&) = default;
        /// @brief Takes over the map and its references to the arrays.
        sparse_matrix_map(sparse_matrix_map&&) noexcept = default;
        sparse_matrix_map& operator=(const sparse_matrix_map&) = delete;
        ~sparse_matrix_map() = default;

        /// @brief The (compressed, CPU) tensor whose arrays this map uses.
        const at::Tensor& tensor() const noexcept;

        /// @brief What the map keeps alive: the tensor, and its value, compressed-index and index arrays.
        using keep_alive_type = std::array<at::Tensor, 4>;

    private:

        using index_pointer = std::conditional_t<std::is_const_v<T>, const StorageIndex*, StorageIndex*>;

        sparse_matrix_map(Eigen::Index rows,
                          Eigen::Index cols,
                          Eigen::Index nnz,
                          index_pointer outer,
                          index_pointer inner,
                          T* values,
                          keep_alive_type keep_alive);

        keep_alive_type m_keep_alive;

        friend struct detail::sparse_map_factory;
    };

    /**
     * @brief A zero-copy Eigen sparse map of a 2-D CSR (`Options =
     * Eigen::RowMajor`) or CSC (`Eigen::ColMajor`) tensor.
     *
     * The map uses the tensor's compressed index array, its other index array
     * and its values with no copy; `StorageIndex` must be the indices' type
     * (`std::int64_t`, torch's default, or `std::int32_t`).
     *
     * *Shares memory* · *Keeps alive* the tensor · *May copy* with
     * `stage::to_sparse_csr`, which converts a COO, dense or other-compressed
     * tensor into the layout the map asks for (`.to_sparse_csr()` or
     * `.to_sparse_csc()`), and with `to_cpu`, `detach`, `resolve_conj`,
     * `resolve_neg` as for views.
     * @throws conversion_error for a dtype, rank or index-type mismatch, a
     *         hybrid or batched tensor, and a layout `policy` does not allow
     *         converting.
     *
     * @code
     * torch::Tensor csr = torch::eye(4).to_sparse_csr();
     * auto s = xtt::eigen::sparse_map<float>(csr);   // Eigen::Map<SparseMatrix<float, RowMajor, int64_t>>
     * Eigen::VectorXf y = s * Eigen::VectorXf::Ones(4);
     * @endcode
     */
    template <class T, int Options = Eigen::RowMajor, class StorageIndex = std::int64_t>
    sparse_matrix_map<T, Options, StorageIndex> sparse_map(const at::Tensor& t, stage policy = stage::none);

    namespace detail
    {
        template <class T, int Options, class StorageIndex>
        struct sparse_map_props
        {
            static constexpr bool csr = (Options & Eigen::RowMajorBit) != 0;

            static xtt::detail::request request() noexcept
            {
                xtt::detail::request r{};
                r.operation = "map";
                r.target = csr ? "as an Eigen row-major sparse matrix" : "as an Eigen column-major sparse matrix";
                r.mode = std::is_const_v<T> ? access::read_only : access::read_write;
                r.sparse = csr ? c10::kSparseCsr : c10::kSparseCsc;
                r.index_dtype = scalar_type_v<StorageIndex>;
                return r;
            }

            /// (a sparse map never casts: stage::cast is not taken)
            static void check(const at::Tensor& t, stage = stage::none)
            {
                xtt::detail::check_type_and_rank<std::remove_const_t<T>, 2>(request(), t);
            }
        };

        struct sparse_map_factory
        {
            template <class T, int Options, class StorageIndex>
            static sparse_matrix_map<T, Options, StorageIndex> make(const at::Tensor& t, stage policy)
            {
                check_eigen_scalar<T>();
                static_assert(std::is_same_v<StorageIndex, std::int32_t> || std::is_same_v<StorageIndex, std::int64_t>,
                              "xtt::eigen::sparse_map: StorageIndex is std::int32_t or std::int64_t, the index types "
                              "torch's sparse tensors have");
                using props = sparse_map_props<T, Options, StorageIndex>;
                props::check(t);
                const xtt::detail::request r = props::request();
                xtt::detail::compressed_arrays a = xtt::detail::stage_compressed(t, policy, r);
                return xtt::detail::translate_errors([&] { return xtt::detail::describe_conversion(r, t); }, [&] {
                    auto* outer = xtt::detail::typed_data<std::conditional_t<std::is_const_v<T>, const StorageIndex, StorageIndex>>(a.outer);
                    auto* inner = xtt::detail::typed_data<std::conditional_t<std::is_const_v<T>, const StorageIndex, StorageIndex>>(a.inner);
                    T* values = xtt::detail::typed_data<T>(a.values);
                    const Eigen::Index rows = a.tensor.size(0);
                    const Eigen::Index cols = a.tensor.size(1);
                    const Eigen::Index nnz = a.values.numel();
                    return sparse_matrix_map<T, Options, StorageIndex>(
                        rows, cols, nnz, outer, inner, values,
                        {std::move(a.tensor), std::move(a.values), std::move(a.outer), std::move(a.inner)});
                });
            }
        };
    }

    /**********************************
     * sparse_matrix_map, out of line *
     **********************************/

    template <class T, int Options, class StorageIndex>
    inline sparse_matrix_map<T, Options, StorageIndex>::sparse_matrix_map(Eigen::Index rows,
                                                                          Eigen::Index cols,
                                                                          Eigen::Index nnz,
                                                                          index_pointer outer,
                                                                          index_pointer inner,
                                                                          T* values,
                                                                          keep_alive_type keep_alive)
        : base_type(rows, cols, nnz, outer, inner, values),
          m_keep_alive(std::move(keep_alive))
    {
    }

    template <class T, int Options, class StorageIndex>
    inline const at::Tensor& sparse_matrix_map<T, Options, StorageIndex>::tensor() const noexcept
    {
        return m_keep_alive[0];
    }

    template <class T, int Options, class StorageIndex>
    inline sparse_matrix_map<T, Options, StorageIndex> sparse_map(const at::Tensor& t, stage policy)
    {
        return detail::sparse_map_factory::make<T, Options, StorageIndex>(t, policy);
    }
}

namespace detail
{
    template <class T, int Options, class StorageIndex>
    struct target_traits<eigen::sparse_matrix_map<T, Options, StorageIndex>>
    {
        using props = eigen::detail::sparse_map_props<T, Options, StorageIndex>;

        static request get(const at::Tensor&) noexcept
        {
            return props::request();
        }

        static void check(const at::Tensor& t, stage policy)
        {
            props::check(t, policy);
        }
    };
}

/**
 * @brief A torch sparse CSR (row-major Eigen matrix) or CSC (column-major)
 * tensor with the values of an Eigen sparse expression.
 *
 * Index dtype follows the Eigen StorageIndex (int32 or int64). `options` may
 * name a dtype, a device and requires_grad, as for dense tensors.
 *
 * *Copies* (the index and value arrays).
 * @code
 * Eigen::SparseMatrix<double, Eigen::RowMajor> s(3, 3);
 * s.insert(0, 1) = 2.0;
 * torch::Tensor csr = xtt::to_torch(s);   // layout sparse_csr
 * @endcode
 */
template <class D>
at::Tensor to_torch(const Eigen::SparseMatrixBase<D>& e, const at::TensorOptions& options = {});

template <class D>
inline at::Tensor to_torch(const Eigen::SparseMatrixBase<D>& e, const at::TensorOptions& options)
{
    using scalar = typename D::Scalar;
    using index = typename D::StorageIndex;
    constexpr int order = D::IsRowMajor ? Eigen::RowMajor : Eigen::ColMajor;
    eigen::detail::check_eigen_scalar<scalar>();
    static_assert(std::is_same_v<index, std::int32_t> || std::is_same_v<index, std::int64_t>,
                  "xtt::to_torch: torch's sparse indices are int32 or int64; use one of them as the StorageIndex");
    detail::check_options(options, scalar_type_v<scalar>);
    Eigen::SparseMatrix<scalar, order, index> m = e.derived();
    m.makeCompressed();
    const auto outer_size = static_cast<std::int64_t>(m.outerSize());
    const auto nnz = static_cast<std::int64_t>(m.nonZeros());
    const auto index_options = at::TensorOptions().dtype(scalar_type_v<index>);
    const at::Tensor outer = at::from_blob(m.outerIndexPtr(), {outer_size + 1}, index_options).clone();
    const at::Tensor inner = nnz == 0 ? at::empty({0}, index_options) : at::from_blob(m.innerIndexPtr(), {nnz}, index_options).clone();
    const auto value_options = at::TensorOptions().dtype(scalar_type_v<scalar>);
    const at::Tensor values = nnz == 0 ? at::empty({0}, value_options) : at::from_blob(m.valuePtr(), {nnz}, value_options).clone();
    const std::vector<std::int64_t> sizes = {static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())};
    at::Tensor t = detail::translate_errors("make a sparse tensor from an Eigen sparse matrix", [&] {
        return order == Eigen::RowMajor ? at::sparse_csr_tensor(outer, inner, values, sizes, value_options)
                                        : at::sparse_csc_tensor(outer, inner, values, sizes, value_options);
    });
    return detail::finish(std::move(t), options);
}

XTT_NAMESPACE_END

#endif
