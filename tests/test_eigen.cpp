// Tests of eigen.hpp: dense maps of every geometry, copies and adoption both
// ways, sparse CSR/CSC maps, TensorMaps, refusals and lifetime.
// SPDX-License-Identifier: BSD-3-Clause
#include <xtensor-torch/eigen.hpp>

#include "support/common.hpp"

using namespace xtt_test;

namespace
{

    /// Every coefficient of an Eigen matrix against ATen's 2-D `expected`.
    template <class M>
    ::testing::AssertionResult coefficients_equal(const M& m, const at::Tensor& expected)
    {
        const at::Tensor ref = expected.dim() == 1 ? expected.unsqueeze(1) : expected;
        if (m.rows() != ref.size(0) || m.cols() != ref.size(1))
        {
            return ::testing::AssertionFailure() << "shape " << m.rows() << "x" << m.cols() << " vs " << ref.sizes();
        }
        for (Eigen::Index i = 0; i < m.rows(); ++i)
        {
            for (Eigen::Index j = 0; j < m.cols(); ++j)
            {
                const std::complex<double> want = element(ref, {i, j});
                if (as_complex(m(i, j)) != want)
                {
                    return ::testing::AssertionFailure() << "(" << i << ", " << j << ") is " << as_complex(m(i, j))
                                                         << ", ATen has " << want;
                }
            }
        }
        return ::testing::AssertionSuccess();
    }

    /// Zero-copy proof for an Eigen map: first coefficient's address, and a
    /// write seen both ways.
    template <class M>
    ::testing::AssertionResult map_shares_memory(M& m, const at::Tensor& t)
    {
        using T = typename M::Scalar;
        if (t.numel() == 0)
        {
            return ::testing::AssertionSuccess();
        }
        if (static_cast<const void*>(&m(0, 0)) != t.data_ptr())
        {
            return ::testing::AssertionFailure() << "data pointers differ";
        }
        const Eigen::Index r = m.rows() - 1;
        const Eigen::Index c = m.cols() - 1;
        const T written = T(different(static_cast<float>(as_complex(m(r, c)).real())));
        m(r, c) = written;
        const std::vector<std::int64_t> index = t.dim() == 1 ? std::vector<std::int64_t>{r} : std::vector<std::int64_t>{r, c};
        if (element(t, index) != as_complex(written))
        {
            return ::testing::AssertionFailure() << "write through the map not seen by the tensor";
        }
        at::Tensor first = t.dim() == 1 ? t.select(0, 0) : t.select(0, 0).select(0, 0);
        first.fill_(3);
        if (as_complex(m(0, 0)) != std::complex<double>(3, 0))
        {
            return ::testing::AssertionFailure() << "write through the tensor not seen by the map";
        }
        return ::testing::AssertionSuccess();
    }

    std::vector<variant> matrices(at::ScalarType dtype)
    {
        std::vector<variant> out;
        for (auto& v : variants(dtype))
        {
            if (v.tensor.dim() == 2)
            {
                out.push_back(v);
            }
        }
        return out;
    }

    std::vector<variant> vectors(at::ScalarType dtype)
    {
        std::vector<variant> out;
        for (auto& v : variants(dtype))
        {
            if (v.tensor.dim() == 1)
            {
                out.push_back(v);
            }
        }
        out.push_back({"expanded_vector", iota({}, dtype).expand({5}), true});
        return out;
    }
}

template <class T>
class eigen_typed : public ::testing::Test
{
};
using eigen_element_types = ::testing::Types<std::uint8_t,
                                             std::int8_t,
                                             std::int16_t,
                                             std::int32_t,
                                             std::int64_t,
                                             Eigen::half,
                                             Eigen::bfloat16,
                                             float,
                                             double,
                                             std::complex<float>,
                                             std::complex<double>>;
XTT_TYPED_TEST_SUITE(eigen_typed, eigen_element_types);

TYPED_TEST(eigen_typed, map_shares_every_matrix_geometry)
{
    using T = TypeParam;
    for (const auto& var : matrices(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        const at::Tensor reference = var.tensor.clone();
        auto c = xtt::eigen::map<const T>(var.tensor);
        EXPECT_TRUE(coefficients_equal(c, reference));
        if (var.overlapping)
        {
            EXPECT_CONVERSION_ERROR(xtt::eigen::map<T>(var.tensor), "overlap", "xtt::stage::contiguous");
            continue;
        }
        auto m = xtt::eigen::map<T>(var.tensor);
        EXPECT_TRUE(coefficients_equal(m, reference));
        EXPECT_TRUE(map_shares_memory(m, var.tensor));
        auto col = xtt::eigen::map<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>(var.tensor);
        EXPECT_TRUE(coefficients_equal(col, var.tensor));
    }
}

TYPED_TEST(eigen_typed, map_vector_shares_every_vector_geometry)
{
    using T = TypeParam;
    for (const auto& var : vectors(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        const at::Tensor reference = var.tensor.clone();
        EXPECT_TRUE(coefficients_equal(xtt::eigen::map_vector<const T>(var.tensor), reference));
        if (var.overlapping)
        {
            EXPECT_CONVERSION_ERROR(xtt::eigen::map_vector<T>(var.tensor), "overlap");
            continue;
        }
        auto v = xtt::eigen::map_vector<T>(var.tensor);
        EXPECT_TRUE(coefficients_equal(v, reference));
        EXPECT_TRUE(map_shares_memory(v, var.tensor));
    }
}

TYPED_TEST(eigen_typed, packed_maps_need_packed_tensors)
{
    using T = TypeParam;
    using packed_row = Eigen::Stride<0, 0>;
    for (const auto& var : matrices(dtype_of<T>))
    {
        SCOPED_TRACE(var.name);
        const at::Tensor reference = var.tensor.clone();
        if (var.tensor.is_contiguous())
        {
            auto m = xtt::eigen::map<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, packed_row>(var.tensor);
            EXPECT_TRUE(map_shares_memory(m, var.tensor));
            continue;
        }
        if (var.overlapping)
        {
            EXPECT_CONVERSION_ERROR((xtt::eigen::map<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, packed_row>(var.tensor)),
                                    "overlap", "xtt::stage::contiguous");
        }
        else
        {
            EXPECT_CONVERSION_ERROR((xtt::eigen::map<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, packed_row>(var.tensor)),
                                    "not row-major contiguous", "xtt::stage::contiguous", ".contiguous()");
        }
        auto copy = xtt::eigen::map<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, packed_row>(var.tensor,
                                                                                                   xtt::stage::contiguous);
        EXPECT_TRUE(coefficients_equal(copy, reference));
    }
}

TYPED_TEST(eigen_typed, to_torch_copies_and_adopts)
{
    using T = TypeParam;
    using column_major = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic>;
    using row_major = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
    const at::Tensor ref = iota({3, 4}, dtype_of<T>);
    column_major c = xtt::eigen::map<const T>(ref);
    row_major r = xtt::eigen::map<const T>(ref);

    const at::Tensor tc = xtt::to_torch(c);
    EXPECT_EQ(tc.strides(), c10::IntArrayRef({1, 3}));
    EXPECT_TRUE(tensors_equal(tc, ref));
    const at::Tensor tr = xtt::to_torch(r);
    EXPECT_TRUE(tr.is_contiguous());
    EXPECT_TRUE(tensors_equal(tr, ref));
    const at::Tensor block = xtt::to_torch(c.block(1, 1, 2, 2));
    EXPECT_TRUE(tensors_equal(block, ref.slice(0, 1, 3).slice(1, 1, 3)));
    const at::Tensor column = xtt::to_torch(c.col(2));
    EXPECT_EQ(column.dim(), 1);
    EXPECT_TRUE(tensors_equal(column, ref.select(1, 2)));

    const T* p = c.data();
    const at::Tensor adopted = xtt::to_torch(std::move(c));
    EXPECT_EQ(adopted.data_ptr(), static_cast<const void*>(p));
    EXPECT_EQ(adopted.strides(), c10::IntArrayRef({1, 3}));
    EXPECT_TRUE(tensors_equal(adopted, ref));
}

TYPED_TEST(eigen_typed, as_tensor_borrows_eigen_memory)
{
    using T = TypeParam;
    const at::Tensor ref = iota({4, 5}, dtype_of<T>);
    Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> m = xtt::eigen::map<const T>(ref);
    const at::Tensor t = xtt::as_tensor(m);
    EXPECT_EQ(t.data_ptr(), static_cast<void*>(m.data()));
    EXPECT_TRUE(tensors_equal(t, ref));
    auto block = m.block(1, 2, 3, 2);
    const at::Tensor b = xtt::as_tensor(block);
    EXPECT_EQ(b.data_ptr(), static_cast<void*>(&m(1, 2)));
    EXPECT_TRUE(tensors_equal(b, ref.slice(0, 1, 4).slice(1, 2, 4)));
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, 1>, 0, Eigen::InnerStride<>> every_other(m.data(), 10, Eigen::InnerStride<>(2));
    const at::Tensor e = xtt::as_tensor(every_other);
    EXPECT_EQ(e.strides(), c10::IntArrayRef({2}));
}

TEST(eigen, fixed_size_maps_check_the_shape)
{
    const at::Tensor t = iota({3, 4}, at::kFloat);
    auto m = xtt::eigen::map<float, 3, 4>(t);
    EXPECT_EQ(m(2, 3), 11.f);
    static_assert(decltype(m)::RowsAtCompileTime == 3);
    EXPECT_CONVERSION_ERROR((xtt::eigen::map<float, 4, 3>(t)), "3x4", "not 4x3", "Eigen::Dynamic");
    auto v = xtt::eigen::map<float, 4, 1>(t.select(0, 1).unsqueeze(1));
    EXPECT_EQ(v(3), 7.f);
    auto w = xtt::eigen::map<float, 4, 1>(t.select(0, 1));  // a 1-D tensor as a column vector
    EXPECT_EQ(w(3), 7.f);
    auto r = xtt::eigen::map<float, 1, 4>(t.select(0, 2));  // as a row vector
    EXPECT_EQ(r(0, 3), 11.f);
    EXPECT_CONVERSION_ERROR((xtt::eigen::map<float, 3, 1>(t.select(0, 1))), "4x1", "not 3x1", "Eigen::Dynamic");
    EXPECT_CONVERSION_ERROR((xtt::eigen::map<float, 4, 1>(t)), "3x4", "not 4x1");
    EXPECT_CONVERSION_ERROR((xtt::eigen::map<float, 4, 1>(iota({2, 2, 1}, at::kFloat))), "rank 3, not 1 or 2");
}

TEST(eigen, refusals_name_the_fix)
{
    const at::Tensor t = iota({3, 4}, at::kFloat);
    EXPECT_CONVERSION_ERROR(xtt::eigen::map<double>(t), "can't map cpu float32 [3, 4]", "as an Eigen matrix",
                            "not float64", "xtt::to_xarray");
    EXPECT_CONVERSION_ERROR(xtt::eigen::map<float>(t.select(0, 0)), "rank 1, not 2", "xtt::eigen::map_vector");
    EXPECT_CONVERSION_ERROR(xtt::eigen::map_vector<float>(t), "as an Eigen vector", "3x4, not Nx1", "xtt::eigen::map");
    EXPECT_EQ(xtt::eigen::map_vector<float>(t.narrow(1, 2, 1))(2), 10.f);  // a 2-D tensor of one column
    const at::Tensor g = iota({3, 4}, at::kFloat).requires_grad_();
    EXPECT_CONVERSION_ERROR(xtt::eigen::map<float>(g), "requires grad", "xtt::stage::detach");
    EXPECT_TRUE(coefficients_equal(xtt::eigen::map<float>(g, xtt::stage::detach), t));
    EXPECT_CONVERSION_ERROR(xtt::eigen::map<float>(t.to_sparse()), "sparse_coo", "xtt::stage::to_dense");
    EXPECT_TRUE(coefficients_equal(xtt::eigen::map<float>(t.to_sparse(), xtt::stage::to_dense), t));
    EXPECT_CONVERSION_ERROR(xtt::eigen::map<float>(at::Tensor()), "undefined");
    EXPECT_CONVERSION_ERROR((xtt::eigen::map<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor, Eigen::Stride<0, 0>>(
                                iota({3, 4}, at::kFloat))),
                            "not column-major contiguous", ".t().contiguous().t()");
}

TEST(eigen, map_works_in_eigen_expressions_and_writes_back)
{
    at::Tensor t = iota({3, 3}, at::kDouble).t();
    auto m = xtt::eigen::map<double>(t);
    const Eigen::MatrixXd product = m * m.transpose();
    const at::Tensor expected = at::mm(t, t.t());
    EXPECT_TRUE(coefficients_equal(product, expected));
    m = m * 2.0;  // aliasing: Eigen evaluates the product into a temporary
    EXPECT_TRUE(tensors_equal(t, iota({3, 3}, at::kDouble).t() * 2));
    m.col(0).setZero();
    EXPECT_TRUE(tensors_equal(t.select(1, 0), at::zeros({3}, at::kDouble)));
}

TEST(eigen, map_outlives_the_tensor)
{
    auto m = [] {
        const at::Tensor t = iota({16, 16}, at::kFloat);
        return xtt::eigen::map<float>(t.slice(0, 4, 8).t());
    }();
    EXPECT_EQ(m(0, 0), 64.f);
    m(1, 1) = -1.f;
    EXPECT_EQ(m(1, 1), -1.f);
    const at::Tensor back = xtt::as_tensor(m);  // keeps the storage alive as well
    auto again = std::move(m);
    EXPECT_EQ(back[1][1].item<float>(), -1.f);
    EXPECT_EQ(back.data_ptr(), static_cast<void*>(&again(0, 0)));
}

TEST(eigen, as_tensor_of_a_map_is_an_alias_of_the_tensor)
{
    const at::Tensor t = iota({4, 5}, at::kDouble).slice(1, 1, 5, 2);
    auto m = xtt::eigen::map<double>(t);
    const at::Tensor back = xtt::as_tensor(m);
    EXPECT_TRUE(back.is_alias_of(t));
    EXPECT_EQ(back.storage_offset(), t.storage_offset());
    EXPECT_EQ(back.strides(), t.strides());
    EXPECT_TRUE(tensors_equal(back, t));
    const at::Tensor rows = iota({4, 3}, at::kFloat);
    const at::Tensor alias = xtt::as_tensor(xtt::eigen::map<float>(rows));
    EXPECT_THROW(alias.narrow(0, 1, 2).copy_(rows.narrow(0, 0, 2)), c10::Error);  // ATen sees the overlap
    at::Tensor r = iota({3, 3}, at::kFloat);
    auto rm = xtt::eigen::map<float>(r);
    r.resize_({100, 100});
    EXPECT_FALSE(rm.valid());
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(rm), "storage was given new memory");
}

TEST(eigen, memory_torch_cant_hold_is_refused)
{
    std::vector<float> buffer(10, 1.f);
    Eigen::Map<Eigen::VectorXf, 0, Eigen::InnerStride<>> reversed(buffer.data() + 9, 5, Eigen::InnerStride<>(-2));
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(reversed), "negative strides", "xtt::to_torch");
    EXPECT_TRUE(tensors_equal(xtt::to_torch(reversed), at::ones({5})));  // a copy is fine
    Eigen::Map<Eigen::MatrixXf> null(nullptr, 2, 3);
    EXPECT_CONVERSION_ERROR(xtt::as_tensor(null), "null");
    EXPECT_CONVERSION_ERROR(xtt::to_torch(null), "null");
    Eigen::MatrixXf moved = Eigen::MatrixXf::Ones(2, 2);
    Eigen::MatrixXf taken = std::move(moved);
    EXPECT_EQ(xtt::as_tensor(moved).numel(), 0);  // Eigen empties a moved-from matrix
    EXPECT_EQ(xtt::to_torch(std::move(moved)).numel(), 0);
    EXPECT_EQ(taken(1, 1), 1.f);
}

TEST(eigen, tensor_map_needs_contiguous_memory)
{
    const at::Tensor t = iota({2, 3, 4}, at::kFloat);
    auto m = xtt::eigen::tensor_map<float, 3>(t);
    EXPECT_EQ(m(1, 2, 3), 23.f);
    EXPECT_EQ(m.data(), t.data_ptr<float>());
    const Eigen::Tensor<float, 0, Eigen::RowMajor> sum = m.sum();
    EXPECT_EQ(sum(), t.sum().item<float>());
    m(0, 0, 1) = 100.f;
    EXPECT_EQ(t[0][0][1].item<float>(), 100.f);
    const at::Tensor p = t.permute({2, 0, 1});
    EXPECT_CONVERSION_ERROR((xtt::eigen::tensor_map<float, 3>(p)), "as an Eigen::TensorMap", "not row-major contiguous",
                            "xtt::stage::contiguous");
    auto copy = xtt::eigen::tensor_map<const float, 3>(p, xtt::stage::contiguous);
    EXPECT_EQ(copy(3, 1, 2), p[3][1][2].item<float>());
    auto column = xtt::eigen::tensor_map<float, 3, Eigen::ColMajor>(column_major(t));
    EXPECT_EQ(column(1, 2, 3), 23.f);
    EXPECT_CONVERSION_ERROR((xtt::eigen::tensor_map<float, 2>(t)), "rank 3, not 2");
    auto h = xtt::eigen::tensor_map<Eigen::half, 1>(iota({4}, at::kHalf));
    EXPECT_EQ(static_cast<float>(h(3)), 3.f);
}

/*
 * Sparse.
 */
namespace
{
    at::Tensor sparse_dense(at::ScalarType dtype)
    {
        return iota({4, 5}, dtype) * (iota({4, 5}, at::kLong).remainder(3) == 1).to(dtype);
    }
}

TEST(eigen, sparse_map_shares_csr_arrays)
{
    const at::Tensor dense = sparse_dense(at::kDouble);
    const at::Tensor csr = dense.to_sparse_csr();
    auto s = xtt::eigen::sparse_map<double>(csr);
    static_assert(std::is_same_v<decltype(s)::StorageIndex, std::int64_t>);
    EXPECT_TRUE(coefficients_equal(Eigen::MatrixXd(s), dense));
    EXPECT_EQ(static_cast<void*>(s.valuePtr()), csr.values().data_ptr());
    EXPECT_EQ(static_cast<void*>(s.outerIndexPtr()), csr.crow_indices().data_ptr());
    s.valuePtr()[0] = -7.0;  // a write through the map lands in the tensor
    EXPECT_EQ(csr.values()[0].item<double>(), -7.0);
    const Eigen::VectorXd y = s * Eigen::VectorXd::Ones(5);
    EXPECT_TRUE(coefficients_equal(y, csr.to_dense().sum(1)));
}

TEST(eigen, sparse_map_takes_csc_and_int32_indices)
{
    const at::Tensor dense = sparse_dense(at::kFloat);
    const at::Tensor csc = dense.to_sparse_csc();
    auto s = xtt::eigen::sparse_map<float, Eigen::ColMajor>(csc);
    EXPECT_TRUE(coefficients_equal(Eigen::MatrixXf(s), dense));
    EXPECT_EQ(static_cast<void*>(s.outerIndexPtr()), csc.ccol_indices().data_ptr());

    const at::Tensor csr = dense.to_sparse_csr();
    const at::Tensor csr32 = at::sparse_csr_tensor(csr.crow_indices().to(at::kInt), csr.col_indices().to(at::kInt),
                                                   csr.values(), csr.sizes(), at::TensorOptions().dtype(at::kFloat));
    auto s32 = xtt::eigen::sparse_map<const float, Eigen::RowMajor, std::int32_t>(csr32);
    EXPECT_TRUE(coefficients_equal(Eigen::MatrixXf(s32), dense));
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<float>(csr32), "indices are int32, not int64", "std::int32_t");
}

TEST(eigen, sparse_map_converts_other_layouts_only_when_allowed)
{
    const at::Tensor dense = sparse_dense(at::kFloat);
    const at::Tensor coo = dense.to_sparse();
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<float>(coo), "sparse_coo", "not sparse_csr",
                            "xtt::stage::to_sparse_csr", ".to_sparse_csr()");
    EXPECT_TRUE(coefficients_equal(Eigen::MatrixXf(xtt::eigen::sparse_map<float>(coo, xtt::stage::to_sparse_csr)), dense));
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<float>(dense.to_sparse_csc()), "sparse_csc", "Eigen::ColMajor");
    EXPECT_CONVERSION_ERROR((xtt::eigen::sparse_map<float, Eigen::ColMajor>(dense)), "strided", "not sparse_csc",
                            ".to_sparse_csc()");
    EXPECT_TRUE(coefficients_equal(
        Eigen::MatrixXf(xtt::eigen::sparse_map<float, Eigen::ColMajor>(dense.to_sparse_csr(), xtt::stage::to_sparse_csr)),
        dense));
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<double>(coo), "float32", "not float64");
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<float>(dense.to_sparse_csr().requires_grad_()), "requires grad");
}

TEST(eigen, sparse_map_refuses_hybrid_and_batched_tensors)
{
    const at::Tensor hybrid = at::ones({3, 2}).to_sparse(1);
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<float>(hybrid, xtt::stage::to_sparse_csr), "hybrid",
                            "1 sparse and 1 dense", ".to_dense()");
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<float>(hybrid, xtt::stage::all), "hybrid");
    EXPECT_FALSE((xtt::would_copy<xtt::eigen::sparse_matrix_map<float, Eigen::RowMajor, std::int64_t>>(hybrid, xtt::stage::all)));
    const at::Tensor batched = at::ones({2, 3, 3}).to_sparse_csr();
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<float>(batched, xtt::stage::all), "rank 3, not 2");
    const at::Tensor hybrid_csr = at::sparse_csr_tensor(at::tensor({0, 1, 2}, at::kLong), at::tensor({0, 1}, at::kLong),
                                                        at::ones({2, 2}), {2, 2, 2}, at::TensorOptions().dtype(at::kFloat));
    EXPECT_CONVERSION_ERROR(xtt::eigen::sparse_map<float>(hybrid_csr, xtt::stage::all), "rank 3, not 2");
}

TEST(eigen, sparse_map_outlives_the_tensor)
{
    auto s = [] { return xtt::eigen::sparse_map<float>(sparse_dense(at::kFloat).to_sparse_csr()); }();
    EXPECT_TRUE(coefficients_equal(Eigen::MatrixXf(s), sparse_dense(at::kFloat)));
}

TEST(eigen, sparse_matrices_become_csr_or_csc_tensors)
{
    Eigen::SparseMatrix<double, Eigen::RowMajor> r(3, 4);
    r.insert(0, 1) = 2.0;
    r.insert(2, 3) = 5.0;
    const at::Tensor csr = xtt::to_torch(r);
    EXPECT_EQ(csr.layout(), c10::kSparseCsr);
    EXPECT_EQ(csr.crow_indices().scalar_type(), at::kInt);
    EXPECT_TRUE(coefficients_equal(Eigen::MatrixXd(r), csr.to_dense()));

    Eigen::SparseMatrix<float, Eigen::ColMajor, std::int64_t> c(4, 2);
    c.insert(3, 0) = 1.5f;
    const at::Tensor csc = xtt::to_torch(c * 2.f);
    EXPECT_EQ(csc.layout(), c10::kSparseCsc);
    EXPECT_EQ(csc.ccol_indices().scalar_type(), at::kLong);
    EXPECT_EQ(csc.to_dense()[3][0].item<float>(), 3.f);
    const at::Tensor empty = xtt::to_torch(Eigen::SparseMatrix<float, Eigen::RowMajor>(2, 2));
    EXPECT_EQ(empty._nnz(), 0);
}

/*
 * would_copy<Target> for maps agrees with the maps themselves: true exactly
 * when the map is made over a copy (checked by storage identity).
 */
namespace
{
    /// Whether a map uses the memory of `t` (a dense map its storage, a
    /// sparse map its value array).
    template <class M>
    bool map_shares(const M& m, const at::Tensor& t)
    {
        if constexpr (std::is_base_of_v<Eigen::SparseMatrixBase<typename M::base_type>, typename M::base_type>)
        {
            const bool compressed = t.layout() == c10::kSparseCsr || t.layout() == c10::kSparseCsc;
            return compressed && static_cast<const void*>(m.valuePtr()) == t.values().data_ptr();
        }
        else
        {
            return same_storage(m.tensor_storage(), t);
        }
    }

    template <class Target, class Make>
    void check_map_target(const char* target, Make make, const std::vector<std::pair<std::string, at::Tensor>>& tensors,
                          std::size_t& checked)
    {
        const std::vector<xtt::stage> flags = {xtt::stage::to_cpu, xtt::stage::detach, xtt::stage::resolve_conj,
                                               xtt::stage::resolve_neg, xtt::stage::to_dense, xtt::stage::contiguous,
                                               xtt::stage::to_sparse_csr};
        for (const auto& [name, t] : tensors)
        {
            for (const xtt::stage policy : every_policy(flags))
            {
                EXPECT_TRUE(would_copy_is_exact<Target>(t, policy, make, [](const Target& m, const at::Tensor& x) {
                    return map_shares(m, x);
                })) << name << " as " << target;
                ++checked;
            }
        }
    }

    std::vector<std::pair<std::string, at::Tensor>> map_tensors(bool vectors)
    {
        std::vector<std::pair<std::string, at::Tensor>> out;
        for (const auto& v : variants(at::kComplexDouble))
        {
            if (v.tensor.dim() == (vectors ? 1 : 2))
            {
                out.emplace_back(v.name, v.tensor);
                out.emplace_back(v.name + "+conj", v.tensor.conj());
                out.emplace_back(v.name + "+neg", at::_neg_view(v.tensor));
            }
        }
        const at::Tensor base = iota(vectors ? std::vector<std::int64_t>{5} : std::vector<std::int64_t>{3, 4}, at::kComplexDouble);
        out.emplace_back("grad", base.clone().requires_grad_());
        out.emplace_back("zero", at::_efficientzerotensor(base.sizes(), at::TensorOptions().dtype(at::kComplexDouble)));
        out.emplace_back("sparse", base.to_sparse());
        if (!vectors)
        {
            out.emplace_back("csr", base.to_sparse_csr());
            out.emplace_back("csc", base.to_sparse_csc());
            out.emplace_back("csr_conj", base.conj_physical().to_sparse_csr());
            out.emplace_back("hybrid", base.to_sparse(1));
            const at::Tensor csr = base.to_sparse_csr();
            out.emplace_back("csr_int32", at::sparse_csr_tensor(csr.crow_indices().to(at::kInt), csr.col_indices().to(at::kInt),
                                                                csr.values(), csr.sizes(),
                                                                at::TensorOptions().dtype(at::kComplexDouble)));
        }
        return out;
    }
}

TEST(eigen, typed_would_copy_agrees_with_every_map_type)
{
    using C = std::complex<double>;
    using dynamic_map = xtt::eigen::matrix_map<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
    using packed_map = xtt::eigen::matrix_map<const C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, Eigen::Stride<0, 0>>;
    using outer_map = xtt::eigen::matrix_map<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor, Eigen::OuterStride<>>;
    using fixed_map = xtt::eigen::matrix_map<const C, 3, 4, Eigen::RowMajor, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
    using vector_map = xtt::eigen::matrix_map<C, Eigen::Dynamic, 1, Eigen::ColMajor, Eigen::InnerStride<Eigen::Dynamic>>;
    using unit_vector_map = xtt::eigen::matrix_map<const C, Eigen::Dynamic, 1, Eigen::ColMajor, Eigen::InnerStride<1>>;
    using csr_map = xtt::eigen::sparse_matrix_map<C, Eigen::RowMajor, std::int64_t>;
    using csc_map = xtt::eigen::sparse_matrix_map<const C, Eigen::ColMajor, std::int64_t>;
    using csr32_map = xtt::eigen::sparse_matrix_map<const C, Eigen::RowMajor, std::int32_t>;
    using tensor_map = xtt::eigen::tensor_map_type<const C, 2, Eigen::RowMajor>;
    const auto matrices = map_tensors(false);
    const auto vectors = map_tensors(true);
    std::size_t checked = 0;
    check_map_target<dynamic_map>("map", [](const at::Tensor& t, xtt::stage p) { return xtt::eigen::map<C>(t, p); }, matrices, checked);
    check_map_target<packed_map>("packed map", [](const at::Tensor& t, xtt::stage p) {
        return xtt::eigen::map<const C, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor, Eigen::Stride<0, 0>>(t, p);
    }, matrices, checked);
    check_map_target<outer_map>("column-major outer-stride map", [](const at::Tensor& t, xtt::stage p) {
        return xtt::eigen::map<C, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor, Eigen::OuterStride<>>(t, p);
    }, matrices, checked);
    check_map_target<fixed_map>("fixed 3x4 map", [](const at::Tensor& t, xtt::stage p) { return xtt::eigen::map<const C, 3, 4>(t, p); }, matrices, checked);
    check_map_target<vector_map>("vector map", [](const at::Tensor& t, xtt::stage p) { return xtt::eigen::map_vector<C>(t, p); }, vectors, checked);
    check_map_target<unit_vector_map>("unit-stride vector map", [](const at::Tensor& t, xtt::stage p) {
        return xtt::eigen::map_vector<const C, Eigen::InnerStride<1>>(t, p);
    }, vectors, checked);
    check_map_target<csr_map>("CSR map", [](const at::Tensor& t, xtt::stage p) { return xtt::eigen::sparse_map<C>(t, p); }, matrices, checked);
    check_map_target<csc_map>("CSC map", [](const at::Tensor& t, xtt::stage p) {
        return xtt::eigen::sparse_map<const C, Eigen::ColMajor>(t, p);
    }, matrices, checked);
    check_map_target<csr32_map>("CSR int32 map", [](const at::Tensor& t, xtt::stage p) {
        return xtt::eigen::sparse_map<const C, Eigen::RowMajor, std::int32_t>(t, p);
    }, matrices, checked);
    check_map_target<tensor_map>("TensorMap", [](const at::Tensor& t, xtt::stage p) { return xtt::eigen::tensor_map<const C, 2>(t, p); }, matrices, checked);
    EXPECT_GT(checked, 20000u);
}

TEST(eigen, fixed_strides_no_copy_can_reach_are_refused)
{
    // InnerStride<2>: only a tensor with stride 2 fits; a contiguous copy never does
    const at::Tensor every_other = iota({8}, at::kFloat).slice(0, 0, 8, 2);
    auto m = xtt::eigen::map_vector<float, Eigen::InnerStride<2>>(every_other);
    EXPECT_EQ(m(3), 6.f);
    const at::Tensor contiguous = iota({4}, at::kFloat);
    EXPECT_CONVERSION_ERROR((xtt::eigen::map_vector<float, Eigen::InnerStride<2>>(contiguous, xtt::stage::all)),
                            "StrideType", "Eigen::Dynamic");
    EXPECT_FALSE((xtt::would_copy<decltype(m)>(contiguous, xtt::stage::all)));
}
