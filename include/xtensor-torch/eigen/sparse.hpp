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

        /// @cond XTT_CONVERSION_DRIVER
        using index_pointer = std::conditional_t<std::is_const_v<T>, const StorageIndex*, StorageIndex*>;

        // What xtt::eigen::sparse_map makes (xtt::detail::convert), after its
        // checks and staging.
        sparse_matrix_map(xtt::detail::from_staged_t,
                          Eigen::Index rows,
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
        /// @endcond

    private:

        keep_alive_type m_keep_alive;
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
        /// Refuses a sparse tensor with dense dimensions.
        [[noreturn]] inline void refuse_hybrid(const xtt::detail::request& r, const at::Tensor& t, std::int64_t sparse_dims,
                                               std::int64_t dense_dims)
        {
            xtt::detail::fail(xtt::detail::describe_conversion(r, t),
                              "it is a hybrid sparse tensor (" + std::to_string(sparse_dims) + " sparse and "
                                  + std::to_string(dense_dims) + " dense dimensions), which an Eigen sparse matrix can't hold",
                              "call .to_dense() and map it with xtt::eigen::map, or make it with no dense dimensions "
                              "(e.g. .to_sparse(2))");
        }

        /// A compressed tensor, and its index and value arrays.
        struct compressed_arrays
        {
            at::Tensor tensor;
            at::Tensor values;
            at::Tensor outer;  // crow_indices (CSR) or ccol_indices (CSC)
            at::Tensor inner;  // col_indices (CSR) or row_indices (CSC)
        };

        inline compressed_arrays arrays_of(const at::Tensor& s)
        {
            const bool csr = s.layout() == c10::kSparseCsr;
            return {s, s.values(), csr ? s.crow_indices() : s.ccol_indices(), csr ? s.col_indices() : s.row_indices()};
        }

        inline bool arrays_contiguous(const compressed_arrays& a)
        {
            return a.values.is_contiguous() && a.outer.is_contiguous() && a.inner.is_contiguous();
        }

        [[noreturn]] inline void refuse_index_dtype(const xtt::detail::request& r, const at::Tensor& t, at::ScalarType has,
                                                    at::ScalarType wanted)
        {
            const std::string name(xtt::dtype_name(has));
            xtt::detail::fail(xtt::detail::describe_conversion(r, t),
                              "its indices are " + name + ", not " + std::string(xtt::dtype_name(wanted)),
                              "map it with StorageIndex = std::" + name + "_t (xtt::eigen::sparse_map<T, Options, std::"
                                  + name + "_t>), or convert its indices first");
        }

        /*
         * The planner's rules for a sparse map: the compressed layout it takes
         * (CSR or CSC) with indices of type Index; the steps after resolve_neg
         * (to_sparse_csr, contiguous arrays) and their refusals.
         */
        template <bool Csr, at::ScalarType Index>
        struct compressed_rules
        {
            static constexpr c10::Layout layout = Csr ? c10::kSparseCsr : c10::kSparseCsc;

            static void plan(const at::Tensor& t, const xtt::detail::request& r, stage policy, xtt::detail::plan& p)
            {
                const c10::Layout has = t.layout();
                if (has == c10::kSparse && t.sparse_dim() != 2)
                {
                    refuse_hybrid(r, t, t.sparse_dim(), t.dense_dim());
                }
                const bool compressed = has == c10::kSparseCsr || has == c10::kSparseCsc || has == c10::kSparseBsr
                                        || has == c10::kSparseBsc;
                if (compressed && t.dense_dim() > 0)
                {
                    refuse_hybrid(r, t, t.sparse_dim(), t.dense_dim());
                }
                if (has != layout)
                {
                    // the conversion gives int64 indices and contiguous arrays
                    p.need(stage::to_sparse_csr, policy);
                    if (Index != at::kLong)
                    {
                        refuse_index_dtype(r, t, at::kLong, Index);
                    }
                    return;
                }
                const stage copying = p.steps;
                const compressed_arrays a = arrays_of(t);
                if (a.values.is_conj() && !t.is_conj())
                {
                    p.need(stage::resolve_conj, policy);
                }
                if (a.values.is_neg() && !t.is_neg())
                {
                    p.need(stage::resolve_neg, policy);
                }
                if (a.outer.scalar_type() != Index)
                {
                    refuse_index_dtype(r, t, a.outer.scalar_type(), Index);
                }
                if ((copying & ~stage::detach) == stage::none && !arrays_contiguous(a))
                {
                    p.need(stage::contiguous, policy);
                }
            }

            static xtt::detail::refusal refuse(const at::Tensor& t, stage step)
            {
                if (step != stage::to_sparse_csr)
                {
                    return {"its index or value arrays are not contiguous",
                            "pass xtt::stage::contiguous (copies the arrays) or call .to_dense().to_sparse_csr() first"};
                }
                std::string fix = std::string("pass xtt::stage::to_sparse_csr (copies) or call ")
                                  + (Csr ? ".to_sparse_csr()" : ".to_sparse_csc()") + " first";
                if (t.layout() == (Csr ? c10::kSparseCsc : c10::kSparseCsr))
                {
                    fix += Csr ? ", or map it with Eigen::ColMajor" : ", or map it with Eigen::RowMajor";
                }
                return {std::string("its layout is ") + std::string(xtt::detail::layout_name(t.layout())) + ", not "
                            + std::string(xtt::detail::layout_name(layout)),
                        fix};
            }

            static constexpr xtt::detail::target_rules rules{nullptr, Csr, &plan, &refuse};

            /// Takes a plan's steps: the CPU tensor in this compressed layout,
            /// with its arrays contiguous and its values free of conj and neg bits.
            static compressed_arrays stage_arrays(const at::Tensor& t, stage policy, const xtt::detail::request& r)
            {
                const xtt::detail::plan p = xtt::detail::checked_plan(t, policy, r);
                return xtt::detail::translate_errors([&] { return xtt::detail::describe_conversion(r, t); }, [&] {
                    at::Tensor s = allows(p.steps, stage::detach) ? t.detach() : t;
                    if (!s.device().is_cpu())
                    {
                        s = s.cpu();
                    }
                    if (s._is_zerotensor())
                    {
                        s = at::zeros(s.sizes(), at::TensorOptions().dtype(s.scalar_type()));
                    }
                    if (s.layout() != layout)
                    {
                        const bool direct = s.layout() == c10::kStrided || s.layout() == c10::kSparse;
                        const at::Tensor source = direct ? s : s.to_dense();
                        s = Csr ? source.to_sparse_csr() : source.to_sparse_csc();
                    }
                    compressed_arrays a = arrays_of(s);
                    if (a.values.is_conj())
                    {
                        a.values = a.values.resolve_conj();
                    }
                    if (a.values.is_neg())
                    {
                        a.values = a.values.resolve_neg();
                    }
                    a.values = a.values.contiguous();
                    a.outer = a.outer.contiguous();
                    a.inner = a.inner.contiguous();
                    return a;
                });
            }
        };
    }

    /**********************************
     * sparse_matrix_map, out of line *
     **********************************/

    template <class T, int Options, class StorageIndex>
    inline const at::Tensor& sparse_matrix_map<T, Options, StorageIndex>::tensor() const noexcept
    {
        return m_keep_alive[0];
    }

    template <class T, int Options, class StorageIndex>
    inline sparse_matrix_map<T, Options, StorageIndex> sparse_map(const at::Tensor& t, stage policy)
    {
        return xtt::detail::convert<sparse_matrix_map<T, Options, StorageIndex>>(t, policy);
    }
}

namespace detail
{
    /// What a sparse_matrix_map asks of a tensor: its compressed layout and index type.
    template <class T, int Options, class StorageIndex>
    struct target_traits<eigen::sparse_matrix_map<T, Options, StorageIndex>>
    {
        static_assert(std::is_same_v<StorageIndex, std::int32_t> || std::is_same_v<StorageIndex, std::int64_t>,
                      "xtt::eigen::sparse_map: StorageIndex is std::int32_t or std::int64_t, the index types "
                      "torch's sparse tensors have");

        static constexpr bool csr = (Options & Eigen::RowMajorBit) != 0;
        using rules = eigen::detail::compressed_rules<csr, scalar_type_v<StorageIndex>>;
        using index_type = std::conditional_t<std::is_const_v<T>, const StorageIndex, StorageIndex>;

        static request get(const at::Tensor&) noexcept
        {
            request r{};
            r.operation = "map";
            r.target = csr ? "as an Eigen row-major sparse matrix" : "as an Eigen column-major sparse matrix";
            r.mode = std::is_const_v<T> ? access::read_only : access::read_write;
            r.rules = &rules::rules;
            return r;
        }

        /// None: a sparse map stages its arrays with ATen's copies.
        static constexpr copy_kernel kernel() noexcept
        {
            return nullptr;
        }

        /// (a sparse map never casts: stage::cast is not taken)
        static void check(const at::Tensor& t, stage, const request& r)
        {
            eigen::detail::check_eigen_scalar<T>();
            check_type_and_rank<std::remove_const_t<T>, 2>(r, t);
        }

        static eigen::detail::compressed_arrays staging(const at::Tensor& t, stage policy, const request& r)
        {
            return rules::stage_arrays(t, policy, r);
        }

        static eigen::sparse_matrix_map<T, Options, StorageIndex> make(const at::Tensor&, eigen::detail::compressed_arrays& a)
        {
            index_type* outer = typed_data<index_type>(a.outer);
            index_type* inner = typed_data<index_type>(a.inner);
            T* values = typed_data<T>(a.values);
            const Eigen::Index rows = a.tensor.size(0);
            const Eigen::Index cols = a.tensor.size(1);
            const Eigen::Index nnz = a.values.numel();
            return eigen::sparse_matrix_map<T, Options, StorageIndex>(
                from_staged, rows, cols, nnz, outer, inner, values,
                {std::move(a.tensor), std::move(a.values), std::move(a.outer), std::move(a.inner)});
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
