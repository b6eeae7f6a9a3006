// Eigen dense maps of tensors (xtt::eigen::map, map_vector) and dense Eigen
// objects to tensors (to_torch copies and adopts, as_tensor borrows).
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTENSOR_TORCH_EIGEN_DENSE_HPP
#define XTENSOR_TORCH_EIGEN_DENSE_HPP

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <type_traits>
#include <utility>

#include "../detail/config.hpp"
#include "../detail/eigen_compat.hpp"
#include "../detail/fast_copy.hpp"
#include "../detail/torch_memory.hpp"
#include "../dtype.hpp"
#include "../error.hpp"
#include "../stage.hpp"

XTT_NAMESPACE_BEGIN

namespace eigen
{
    namespace detail
    {
        template <class T, int Rows, int Cols, int Options>
        using plain_matrix_t = std::conditional_t<std::is_const_v<T>,
                                                  const Eigen::Matrix<std::remove_const_t<T>, Rows, Cols, Options>,
                                                  Eigen::Matrix<T, Rows, Cols, Options>>;

        template <class T>
        struct is_c10_complex : std::false_type
        {
        };

        template <class T>
        struct is_c10_complex<c10::complex<T>> : std::true_type
        {
        };

        template <class T>
        constexpr void check_eigen_scalar()
        {
            using U = std::remove_cv_t<T>;
            static_assert(!std::is_same_v<U, c10::Half>,
                          "xtt::eigen: use Eigen::half for float16 tensors (c10::Half has no Eigen NumTraits)");
            static_assert(!std::is_same_v<U, c10::BFloat16>,
                          "xtt::eigen: use Eigen::bfloat16 for bfloat16 tensors (c10::BFloat16 has no Eigen NumTraits)");
            static_assert(!is_c10_complex<U>::value, "xtt::eigen: use std::complex<T> for complex tensors");
            static_assert(has_scalar_type_v<U>,
                          "xtt::eigen: T has no LibTorch dtype; use one of the types in the README's dtype table");
        }
    }

    /**
     * @brief An Eigen::Map over a tensor's memory that keeps the tensor's storage alive.
     *
     * What xtt::eigen::map and map_vector return: an
     * `Eigen::Map<Eigen::Matrix<T, Rows, Cols, Options>, Eigen::Unaligned, StrideType>`
     * (it derives from it, so it is one), plus a reference to the storage.
     * Assignment writes elements, as for any Eigen::Map.
     */
    template <class T, int Rows, int Cols, int Options, class StrideType>
    class matrix_map : public Eigen::Map<detail::plain_matrix_t<T, Rows, Cols, Options>, Eigen::Unaligned, StrideType>
    {
    public:

        /// @brief The Eigen::Map this is.
        using base_type = Eigen::Map<detail::plain_matrix_t<T, Rows, Cols, Options>, Eigen::Unaligned, StrideType>;
        using base_type::operator=;

        /// @brief A second map of the same memory, which keeps it alive too.
        matrix_map(const matrix_map&) = default;
        /// @brief Takes over the map and its reference to the storage.
        matrix_map(matrix_map&&) noexcept = default;
        ~matrix_map() = default;

        /// @brief Copies the elements of `rhs`, as Eigen::Map does; the memory stays this map's.
        matrix_map& operator=(const matrix_map& rhs);
        /// @brief Copies the elements of `rhs`, as the copy assignment.
        matrix_map& operator=(matrix_map&& rhs);

        /// @brief The storage this map keeps alive.
        const c10::Storage& tensor_storage() const noexcept;

        /// @brief Whether the map still points into its tensor's memory (see xtt::tensor_view::valid).
        bool valid() const noexcept;

        /// @cond XTT_CONVERSION_DRIVER
        // What xtt::eigen::map and map_vector make (xtt::detail::convert),
        // after their checks and staging.
        matrix_map(xtt::detail::from_staged_t, T* data, Eigen::Index rows, Eigen::Index cols, const StrideType& stride,
                   c10::Storage keep_alive)
            : base_type(data, rows, cols, stride),
              m_keep_alive(std::move(keep_alive))
        {
        }
        /// @endcond

    private:

        xtt::detail::storage_ref m_keep_alive;
    };

    /**
     * @brief A zero-copy Eigen matrix map of a 2-D tensor (or of a 1-D one,
     * when the map has one column or one row).
     *
     * *Shares memory* (the tensor's strides become the map's strides) ·
     * *Keeps alive* the tensor's storage · *May copy* only with the flags in
     * `policy`, as xtt::view.
     *
     * The default, a row-major map with `Eigen::Stride<Dynamic, Dynamic>`,
     * takes any strides (transposed and sliced tensors too). A fixed size
     * (`Rows`, `Cols`), a column-major `Options` or a stricter `StrideType`
     * (`Eigen::Stride<0, 0>`, `Eigen::OuterStride<>`) need a tensor whose
     * shape and strides fit, or `stage::contiguous`. Element types are
     * Eigen's: `Eigen::half`, `Eigen::bfloat16` and `std::complex<T>` for
     * float16, bfloat16 and complex tensors; `const T` for a read-only map.
     *
     * @tparam T the element type; `const T` for a read-only map.
     * @tparam Rows, Cols Eigen::Dynamic or a fixed size.
     * @tparam Options Eigen::RowMajor or Eigen::ColMajor.
     * @tparam StrideType the map's Eigen stride type.
     * @param t a 2-D tensor; a 1-D one for a map with one column (a column
     *        vector) or one row (a row vector).
     * @param policy the staging steps allowed; without it, none (the map
     *        shares or the call throws, and the file compiles no copy kernel).
     * @return a matrix_map.
     * @throws conversion_error for a dtype, rank or fixed-size mismatch,
     *         strides the StrideType can't express (without `stage::contiguous`),
     *         and every state xtt::view refuses.
     *
     * @code
     * torch::Tensor a = torch::rand({4, 3}, torch::kFloat64);
     * auto m = xtt::eigen::map<double>(a);          // Eigen::Map with the tensor's strides
     * Eigen::MatrixXd ata = m.transpose() * m;      // any Eigen expression
     * @endcode
     */
    template <class T,
              int Rows = Eigen::Dynamic,
              int Cols = Eigen::Dynamic,
              int Options = (Cols == 1 && Rows != 1) ? Eigen::ColMajor : Eigen::RowMajor,
              class StrideType = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>
    matrix_map<T, Rows, Cols, Options, StrideType> map(const at::Tensor& t, stage policy);

    /**
     * @brief xtt::eigen::map without a policy (`stage::none`): the map shares
     * `t`'s memory, or the call throws; no copy kernel is compiled for it.
     * @throws conversion_error as map(t, stage::none).
     */
    template <class T,
              int Rows = Eigen::Dynamic,
              int Cols = Eigen::Dynamic,
              int Options = (Cols == 1 && Rows != 1) ? Eigen::ColMajor : Eigen::RowMajor,
              class StrideType = Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>
    matrix_map<T, Rows, Cols, Options, StrideType> map(const at::Tensor& t);

    /**
     * @brief A zero-copy Eigen column-vector map of a 1-D tensor (or of a 2-D
     * one with one column), with the tensor's stride as the inner stride.
     * The same as `map<T, Eigen::Dynamic, 1, Eigen::ColMajor, StrideType>`.
     *
     * *Shares memory* · *Keeps alive* · *May copy* as map.
     * @tparam T the element type; `const T` for a read-only map.
     * @tparam StrideType `Eigen::InnerStride<Eigen::Dynamic>` (any stride) or
     *         `Eigen::InnerStride<1>` (contiguous, or `stage::contiguous`).
     * @param t a 1-D tensor.
     * @param policy the staging steps allowed; without it, none (the map
     *        shares or the call throws, and the file compiles no copy kernel).
     * @throws conversion_error as map.
     *
     * @code
     * auto x = xtt::eigen::map_vector<float>(t.select(1, 0));   // a strided column
     * @endcode
     */
    template <class T, class StrideType = Eigen::InnerStride<Eigen::Dynamic>>
    matrix_map<T, Eigen::Dynamic, 1, Eigen::ColMajor, StrideType> map_vector(const at::Tensor& t, stage policy);

    /**
     * @brief xtt::eigen::map_vector without a policy (`stage::none`): the map
     * shares `t`'s memory, or the call throws; no copy kernel is compiled for it.
     * @throws conversion_error as map_vector(t, stage::none).
     */
    template <class T, class StrideType = Eigen::InnerStride<Eigen::Dynamic>>
    matrix_map<T, Eigen::Dynamic, 1, Eigen::ColMajor, StrideType> map_vector(const at::Tensor& t);

    namespace detail
    {
        // Derived from some Eigen::DenseBase<X> / PlainObjectBase<X> (X need
        // not be E: matrix_map derives from Eigen::Map).
        template <class D>
        std::true_type dense_base_test(const Eigen::DenseBase<D>*);
        std::false_type dense_base_test(...);

        template <class D>
        std::true_type plain_object_test(const Eigen::PlainObjectBase<D>*);
        std::false_type plain_object_test(...);

        template <class E>
        using is_dense = decltype(dense_base_test(std::declval<const E*>()));

        template <class E>
        using is_plain_object = decltype(plain_object_test(std::declval<const E*>()));

        template <class E>
        struct is_matrix_map : std::false_type
        {
        };

        template <class T, int Rows, int Cols, int Options, class StrideType>
        struct is_matrix_map<matrix_map<T, Rows, Cols, Options, StrideType>> : std::true_type
        {
        };

        /// An Eigen stride object for these strides, using the compile-time
        /// value where StrideType fixes one.
        template <class StrideType>
        StrideType make_stride(Eigen::Index outer, Eigen::Index inner)
        {
            constexpr int O = StrideType::OuterStrideAtCompileTime;
            constexpr int I = StrideType::InnerStrideAtCompileTime;
            const Eigen::Index o = O == Eigen::Dynamic ? outer : O;
            const Eigen::Index i = I == Eigen::Dynamic ? inner : I;
            if constexpr (std::is_constructible_v<StrideType, Eigen::Index, Eigen::Index>)
            {
                return StrideType(o, i);
            }
            else if constexpr (O == 0)
            {
                return StrideType(i);  // Eigen::InnerStride
            }
            else
            {
                return StrideType(o);  // Eigen::OuterStride
            }
        }

        /*
         * The strides a 2-D Eigen map can express (Eigen::Stride<Outer, Inner>):
         * `any` takes any stride, `packed` the contiguous one (inner 1, outer the
         * inner size), any other value only itself. Strides of size-1 dims never
         * matter.
         */
        struct stride_fit
        {
            static constexpr std::int64_t any = -1;
            static constexpr std::int64_t packed = 0;

            std::int64_t inner = any;
            std::int64_t outer = any;
            bool row_major = true;  // which dim is the inner one
            bool vector = false;    // a 1-D tensor seen as a column vector

            /// (inner size, outer size, inner stride, outer stride) of a tensor.
            std::array<std::int64_t, 4> geometry(c10::IntArrayRef sizes, c10::IntArrayRef strides) const noexcept
            {
                if (vector)
                {
                    return {sizes[0], 1, strides[0], sizes[0]};
                }
                const std::size_t in = row_major ? 1 : 0;
                const std::size_t out = 1 - in;
                return {sizes[in], sizes[out], strides[in], strides[out]};
            }

            bool fits(c10::IntArrayRef sizes, c10::IntArrayRef strides) const noexcept
            {
                if (xtt::detail::has_zero_size(sizes))
                {
                    return true;
                }
                const auto [inner_size, outer_size, inner_stride, outer_stride] = geometry(sizes, strides);
                const bool inner_ok = inner_size <= 1 || inner == any || inner_stride == (inner == packed ? 1 : inner);
                const bool outer_ok = outer_size <= 1 || outer == any || outer_stride == (outer == packed ? inner_size : outer);
                return inner_ok && outer_ok;
            }

            /// Why a tensor is refused: its strides don't fit (`step` is
            /// stage::contiguous), or not even a contiguous copy's would (none).
            xtt::detail::refusal refusal(const at::Tensor& t, stage step) const
            {
                if (step != stage::contiguous)
                {
                    return {"the map's fixed Eigen StrideType can't express its strides, nor those of a contiguous copy",
                            "map it with Eigen::Dynamic strides (Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>, the default)"};
                }
                const xt::layout_type order = row_major ? xt::layout_type::row_major : xt::layout_type::column_major;
                const std::string order_name = row_major ? "row-major" : "column-major";
                return {inner == packed && outer == packed
                            ? "it is not " + order_name + " contiguous, as the map's Eigen::Stride<0, 0> needs"
                            : std::string("the map's Eigen StrideType can't express its strides"),
                        "pass xtt::stage::contiguous (copies) or call "
                            + xtt::detail::manual_contiguous(order, static_cast<std::size_t>(t.dim()))
                            + " first, or map it with Eigen::Dynamic strides"};
            }
        };

        /// The strides a StrideType can express, and the order of the map.
        template <class StrideType>
        constexpr stride_fit fit_of(bool row_major, bool vector) noexcept
        {
            constexpr int O = StrideType::OuterStrideAtCompileTime;
            constexpr int I = StrideType::InnerStrideAtCompileTime;
            stride_fit f{};
            f.inner = I == Eigen::Dynamic ? stride_fit::any : I;
            f.outer = O == Eigen::Dynamic ? stride_fit::any : O;
            f.row_major = row_major;
            f.vector = vector;
            return f;
        }

        /// The planner's rules for a map with this StrideType and order, of a
        /// matrix or of a vector: the strides it can express, if it constrains them.
        template <class StrideType, bool RowMajor, bool Vector>
        struct stride_rules
        {
            static constexpr stride_fit fit = fit_of<StrideType>(RowMajor, Vector);
            static constexpr bool constrained = fit.inner != stride_fit::any || fit.outer != stride_fit::any;

            static bool fits(c10::IntArrayRef sizes, c10::IntArrayRef strides) noexcept
            {
                return fit.fits(sizes, strides);
            }

            static xtt::detail::refusal refuse(const at::Tensor& t, stage step)
            {
                return fit.refusal(t, step);
            }

            static constexpr xtt::detail::target_rules rules{constrained ? &fits : nullptr, RowMajor, nullptr, &refuse};
        };

        inline std::string fixed_size_name(int size)
        {
            return size == Eigen::Dynamic ? std::string("N") : std::to_string(size);
        }
    }

    /***************************
     * matrix_map, out of line *
     ***************************/

    template <class T, int Rows, int Cols, int Options, class StrideType>
    inline auto matrix_map<T, Rows, Cols, Options, StrideType>::operator=(const matrix_map& rhs) -> matrix_map&
    {
        static_assert(!std::is_const_v<T>, "xtt::eigen::matrix_map<const T> is read-only; map with a non-const T to write");
        base_type::operator=(rhs);
        return *this;
    }

    template <class T, int Rows, int Cols, int Options, class StrideType>
    inline auto matrix_map<T, Rows, Cols, Options, StrideType>::operator=(matrix_map&& rhs) -> matrix_map&
    {
        static_assert(!std::is_const_v<T>, "xtt::eigen::matrix_map<const T> is read-only; map with a non-const T to write");
        base_type::operator=(rhs);
        return *this;
    }

    template <class T, int Rows, int Cols, int Options, class StrideType>
    inline const c10::Storage& matrix_map<T, Rows, Cols, Options, StrideType>::tensor_storage() const noexcept
    {
        return m_keep_alive.storage();
    }

    template <class T, int Rows, int Cols, int Options, class StrideType>
    inline bool matrix_map<T, Rows, Cols, Options, StrideType>::valid() const noexcept
    {
        return m_keep_alive.valid();
    }

    /********************************
     * map, map_vector, out of line *
     ********************************/

    template <class T, int Rows, int Cols, int Options, class StrideType>
    inline matrix_map<T, Rows, Cols, Options, StrideType> map(const at::Tensor& t, stage policy)
    {
        return xtt::detail::convert<matrix_map<T, Rows, Cols, Options, StrideType>>(t, policy);
    }

    template <class T, class StrideType>
    inline matrix_map<T, Eigen::Dynamic, 1, Eigen::ColMajor, StrideType> map_vector(const at::Tensor& t, stage policy)
    {
        return xtt::detail::convert<matrix_map<T, Eigen::Dynamic, 1, Eigen::ColMajor, StrideType>>(t, policy);
    }

    template <class T, int Rows, int Cols, int Options, class StrideType>
    inline matrix_map<T, Rows, Cols, Options, StrideType> map(const at::Tensor& t)
    {
        return xtt::detail::convert<matrix_map<T, Rows, Cols, Options, StrideType>>(t);
    }

    template <class T, class StrideType>
    inline matrix_map<T, Eigen::Dynamic, 1, Eigen::ColMajor, StrideType> map_vector(const at::Tensor& t)
    {
        return xtt::detail::convert<matrix_map<T, Eigen::Dynamic, 1, Eigen::ColMajor, StrideType>>(t);
    }
}

namespace detail
{
    /*
     * What a matrix_map asks of a tensor. A 2-D tensor maps as it is; a 1-D
     * tensor maps as a vector when the map has one column (or one row).
     */
    template <class T, int Rows, int Cols, int Options, class StrideType>
    struct target_traits<eigen::matrix_map<T, Rows, Cols, Options, StrideType>> : strided_target<T>
    {
        static constexpr bool row_major = (Options & Eigen::RowMajorBit) != 0;
        static constexpr bool takes_vectors = Cols == 1 || Rows == 1;

        template <bool Vector>
        using rules = eigen::detail::stride_rules<StrideType, row_major, Vector>;

        static request get(const at::Tensor& t) noexcept
        {
            const bool vector = t.defined() && !t.is_nested() && t.dim() == 1;
            request r{};
            r.operation = "map";
            r.target = takes_vectors ? "as an Eigen vector" : "as an Eigen matrix";
            r.mode = std::is_const_v<T> ? access::read_only : access::read_write;
            r.rules = vector ? &rules<true>::rules : &rules<false>::rules;
            r.dtype = scalar_type_v<std::remove_const_t<T>>;
            return r;
        }

        /// Element type, rank and fixed sizes: what no staging step changes.
        static void check(const at::Tensor& t, stage policy, const request& r)
        {
            eigen::detail::check_eigen_scalar<T>();
            check_type_and_rank<std::remove_const_t<T>, dynamic>(r, t, policy);
            const auto rank = t.dim();
            if (rank != 2 && !(rank == 1 && takes_vectors))
            {
                fail(describe_conversion(r, t),
                     "it has rank " + std::to_string(rank) + ", not " + (takes_vectors ? "1 or 2" : "2"),
                     "map 1-D tensors with xtt::eigen::map_vector and 2-D ones with xtt::eigen::map, "
                     "or call .reshape(...), .unsqueeze(...) or .squeeze(...) first");
            }
            const auto [rows, cols] = shape(t);
            if ((Rows != Eigen::Dynamic && rows != Rows) || (Cols != Eigen::Dynamic && cols != Cols))
            {
                fail(describe_conversion(r, t),
                     "its shape is " + std::to_string(rows) + "x" + std::to_string(cols) + ", not "
                         + eigen::detail::fixed_size_name(Rows) + "x" + eigen::detail::fixed_size_name(Cols),
                     "map it with Eigen::Dynamic sizes (xtt::eigen::map<T> takes any 2-D tensor), or "
                     "call .reshape(...) first");
            }
        }

        /// The map's rows and columns for a tensor of rank 1 or 2.
        static std::pair<Eigen::Index, Eigen::Index> shape(const at::Tensor& t)
        {
            if (t.dim() == 2)
            {
                return {t.size(0), t.size(1)};
            }
            return Cols == 1 ? std::make_pair(Eigen::Index(t.size(0)), Eigen::Index(1))
                             : std::make_pair(Eigen::Index(1), Eigen::Index(t.size(0)));
        }

        static eigen::matrix_map<T, Rows, Cols, Options, StrideType> make(const at::Tensor&, const staged_tensor& staged)
        {
            const at::Tensor& s = staged.tensor();
            const std::pair<Eigen::Index, Eigen::Index> sizes = shape(s);
            // inner / outer sizes and strides, as the rules that planned the map see them
            const auto& fit = s.dim() == 1 ? rules<true>::fit : rules<false>::fit;
            const auto geometry = fit.geometry(s.sizes(), s.strides());
            T* data = s.numel() == 0 ? empty_data<T>() : typed_data<T>(s);
            return eigen::matrix_map<T, Rows, Cols, Options, StrideType>(
                from_staged, data, sizes.first, sizes.second,
                eigen::detail::make_stride<StrideType>(geometry[3], geometry[2]), s.storage());
        }
    };
}

/**
 * @brief A new tensor holding the value of a dense Eigen expression.
 *
 * A vector (at compile time) gives a 1-D tensor, anything else a 2-D one
 * whose strides follow the expression's storage order (column-major Eigen
 * matrices give column-major tensors). The expression is evaluated once,
 * straight into the tensor's memory. `options` as for xtensor expressions.
 *
 * *Copies*.
 * @param e the Eigen expression.
 * @param options dtype, device, requires_grad of the result.
 * @throws conversion_error as to_torch for xtensor expressions.
 *
 * @code
 * Eigen::MatrixXf m = Eigen::MatrixXf::Random(3, 4);
 * torch::Tensor t = xtt::to_torch(m * 2.f);   // strides {1, 3}: column-major, like m
 * @endcode
 */
template <class D>
at::Tensor to_torch(const Eigen::DenseBase<D>& e, const at::TensorOptions& options = {});

/**
 * @brief A tensor that adopts an Eigen::Matrix / Eigen::Array buffer: no copy.
 *
 * *Adopts* · *Keeps alive* the buffer for as long as the tensor lives.
 * Column-major matrices (Eigen's default) give column-major strides.
 * @param m the matrix, as an rvalue (`std::move(m)`).
 * @param options dtype, device, requires_grad of the result.
 *
 * @code
 * Eigen::MatrixXd m = Eigen::MatrixXd::Identity(3, 3);
 * torch::Tensor t = xtt::to_torch(std::move(m));   // t owns m's buffer
 * @endcode
 */
template <class M,
          std::enable_if_t<!std::is_lvalue_reference_v<M> && eigen::detail::is_plain_object<std::decay_t<M>>::value, int> = 0>
at::Tensor to_torch(M&& m, const at::TensorOptions& options = {});

/**
 * @brief A tensor that borrows the memory of an Eigen object with direct
 * access (Matrix, Array, Map, Ref, Block): no copy.
 *
 * **The caller keeps the memory alive** for as long as the tensor is used;
 * an xtt::eigen::matrix_map is the exception: the result is a tensor over the
 * map's own storage (an alias of the tensor it maps), which it keeps alive.
 * A temporary Matrix (it would dangle) and read-only memory (const objects,
 * `xtt::eigen::map<const T>`) are refused at compile time.
 *
 * *Shares memory* · *Keeps alive*: nothing (borrows), but a matrix_map's storage.
 * @throws conversion_error for negative strides, a null buffer with
 *         coefficients, a buffer not aligned for the torch element type, and a
 *         matrix_map that is no longer valid().
 */
template <class C, std::enable_if_t<eigen::detail::is_dense<std::decay_t<C>>::value, int> = 0>
at::Tensor as_tensor(C&& c);

/**********************************
 * Eigen -> torch, out of line    *
 **********************************/

namespace eigen::detail
{
    /// Torch sizes and strides of a dense Eigen object with direct access.
    template <class E>
    void geometry(const E& e, xtt::detail::dim_vector& sizes, xtt::detail::dim_vector& strides)
    {
        if constexpr (E::IsVectorAtCompileTime)
        {
            sizes = {static_cast<std::int64_t>(e.size())};
            xtt::detail::torch_strides(sizes, std::array<Eigen::Index, 1>{e.innerStride()}, true, strides);
        }
        else
        {
            sizes = {static_cast<std::int64_t>(e.rows()), static_cast<std::int64_t>(e.cols())};
            const std::array<Eigen::Index, 2> given = E::IsRowMajor ? std::array<Eigen::Index, 2>{e.outerStride(), e.innerStride()}
                                                                    : std::array<Eigen::Index, 2>{e.innerStride(), e.outerStride()};
            xtt::detail::torch_strides(sizes, given, E::IsRowMajor, strides);
        }
    }
}

template <class D>
inline at::Tensor to_torch(const Eigen::DenseBase<D>& e, const at::TensorOptions& options)
{
    using scalar = typename D::Scalar;
    using plain = typename D::PlainObject;
    eigen::detail::check_eigen_scalar<scalar>();
    constexpr at::ScalarType dtype = scalar_type_v<scalar>;
    detail::check_options(options, dtype);
    const auto rows = static_cast<std::int64_t>(e.rows());
    const auto cols = static_cast<std::int64_t>(e.cols());
    if constexpr ((D::Flags & Eigen::DirectAccessBit) != 0)
    {
        if (e.derived().data() == nullptr && rows * cols > 0)
        {
            detail::fail("read an Eigen object of shape " + std::to_string(rows) + "x" + std::to_string(cols),
                         "its data pointer is null though it has coefficients", "map memory that exists");
        }
    }
    const bool vector = D::IsVectorAtCompileTime;
    const detail::dim_vector sizes = vector ? detail::dim_vector{rows * cols} : detail::dim_vector{rows, cols};
    const detail::dim_vector strides = detail::contiguous_strides(sizes, D::IsRowMajor || vector);
    at::Tensor t = detail::translate_errors("allocate a tensor for an Eigen expression",
                                            [&] { return detail::empty_for_writing(sizes, strides, dtype); });
    Eigen::Map<plain> result(static_cast<scalar*>(t.data_ptr()), e.rows(), e.cols());
    if constexpr (std::is_base_of_v<Eigen::MatrixBase<D>, D>)
    {
        result.noalias() = e.derived();  // fresh memory: products need no temporary
    }
    else
    {
        result = e.derived();
    }
    return detail::finish(std::move(t), options);
}

template <class M, std::enable_if_t<!std::is_lvalue_reference_v<M> && eigen::detail::is_plain_object<std::decay_t<M>>::value, int>>
inline at::Tensor to_torch(M&& m, const at::TensorOptions& options)
{
    using matrix = std::decay_t<M>;
    using scalar = typename matrix::Scalar;
    eigen::detail::check_eigen_scalar<scalar>();
    detail::check_options(options, scalar_type_v<scalar>);
    auto holder = std::make_unique<matrix>(std::move(m));
    detail::dim_vector sizes;
    detail::dim_vector strides;
    eigen::detail::geometry(*holder, sizes, strides);
    scalar* data = holder->data();
    at::Tensor t = detail::make_tensor(data, sizes, strides, scalar_type_v<scalar>, holder.release(),
                                       &detail::delete_holder<matrix>, "adopt an Eigen matrix");
    return detail::finish(std::move(t), options);
}

template <class C, std::enable_if_t<eigen::detail::is_dense<std::decay_t<C>>::value, int>>
inline at::Tensor as_tensor(C&& c)
{
    using object = std::decay_t<C>;
    using scalar = std::remove_const_t<typename object::Scalar>;
    eigen::detail::check_eigen_scalar<scalar>();
    static_assert((object::Flags & Eigen::DirectAccessBit) != 0,
                  "xtt::as_tensor: this Eigen expression has no memory of its own to borrow; "
                  "use xtt::to_torch(e) to evaluate it into a new tensor");
    static_assert(std::is_lvalue_reference_v<C> || !eigen::detail::is_plain_object<object>::value,
                  "xtt::as_tensor(temporary): the tensor would borrow memory that is about to be freed; "
                  "use xtt::to_torch(std::move(m)) to hand the buffer over to torch");
    static_assert(!std::is_const_v<std::remove_pointer_t<decltype(c.data())>>,
                  "xtt::as_tensor needs a mutable Eigen object: torch tensors are always writable, and a read-only "
                  "map (xtt::eigen::map<const T>) must stay read-only; use xtt::to_torch(m) for a copy");
    detail::dim_vector sizes;
    detail::dim_vector strides;
    eigen::detail::geometry(c, sizes, strides);
    if constexpr (eigen::detail::is_matrix_map<object>::value)
    {
        // a tensor over the map's own storage, which it keeps alive
        return detail::alias_of(c.tensor_storage(), c.valid(), c.data(), sizes, strides, scalar_type_v<scalar>,
                                "borrow an xtt::eigen::matrix_map");
    }
    else
    {
        return detail::make_tensor(const_cast<scalar*>(c.data()), sizes, strides, scalar_type_v<scalar>, nullptr,
                                   nullptr, "borrow an Eigen matrix");
    }
}

XTT_NAMESPACE_END

#endif
