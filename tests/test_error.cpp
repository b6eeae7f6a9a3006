// Tests of error.hpp: the exception type and the one tensor description.
// SPDX-License-Identifier: BSD-3-Clause
#include "support/common.hpp"

using namespace xtt_test;

static_assert(std::is_base_of_v<std::invalid_argument, xtt::conversion_error>,
              "conversion_error is a std::invalid_argument");

TEST(error, describe_names_device_dtype_sizes_and_strides)
{
    EXPECT_EQ(xtt::describe(at::Tensor()), "undefined tensor");
    EXPECT_EQ(xtt::describe(iota({2, 3}, at::kFloat)), "cpu float32 [2, 3] strides [3, 1]");
    EXPECT_EQ(xtt::describe(iota({2, 3}, at::kLong).t()), "cpu int64 [3, 2] strides [1, 3]");
    EXPECT_EQ(xtt::describe(iota({}, at::kBool)), "cpu bool [] strides []");
    EXPECT_EQ(xtt::describe(iota({4, 5}, at::kHalf).narrow(0, 1, 2)), "cpu float16 [2, 5] strides [5, 1] offset 5");
}

TEST(error, describe_names_the_states_that_matter)
{
    const at::Tensor c = at::complex(iota({2}, at::kFloat), iota({2}, at::kFloat));
    EXPECT_EQ(xtt::describe(c.conj()), "cpu complex64 [2] strides [1] conj");
    EXPECT_EQ(xtt::describe(at::_neg_view(iota({2}, at::kFloat))), "cpu float32 [2] strides [1] neg");
    EXPECT_EQ(xtt::describe(iota({2}, at::kDouble).requires_grad_()), "cpu float64 [2] strides [1] requires_grad");
    EXPECT_EQ(xtt::describe(iota({2, 2}, at::kFloat).to_sparse()), "cpu float32 [2, 2] sparse_coo");
    EXPECT_EQ(xtt::describe(iota({2, 2}, at::kFloat).to_sparse_csr()), "cpu float32 [2, 2] sparse_csr");
    EXPECT_EQ(xtt::describe(at::empty({2}, at::TensorOptions().device(at::kMeta))), "meta float32 [2] strides [1]");
    EXPECT_EQ(xtt::describe(at::quantize_per_tensor(iota({2}, at::kFloat), 1.0, 0, at::kQUInt8)),
              "cpu quint8 [2] strides [1] quantized");
    const at::Tensor nested = at::_nested_tensor_from_tensor_list({iota({2}, at::kFloat), iota({3}, at::kFloat)});
    EXPECT_EQ(xtt::describe(nested), "cpu float32 nested");
}

TEST(error, every_message_has_one_shape)
{
    try
    {
        xtt::view<float>(iota({2}, at::kDouble));
        FAIL() << "no exception";
    }
    catch (const std::invalid_argument& e)
    {
        const std::string m = e.what();
        EXPECT_EQ(m.rfind("xtensor-torch: can't view cpu float64 [2] strides [1] as xtensor: ", 0), 0u) << m;
        EXPECT_NE(m.find("; "), std::string::npos) << m;
    }
}
