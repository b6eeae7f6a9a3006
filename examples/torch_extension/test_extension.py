"""Checks the xtensor-written operators of ops.cpp against PyTorch's own.

    python3 test_extension.py --library build/libxtt_ops.so   # the CMake route
    python3 test_extension.py --jit                           # torch.utils.cpp_extension.load
    python3 test_extension.py --module-dir DIR                # import xtt_ops_setup (setup.py) from DIR
"""
# SPDX-License-Identifier: BSD-3-Clause
import argparse
import os
import platform
import sys
import tempfile
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))


def load(args):
    """Loads the operators by the route asked for; torch.ops.xtt_ops then has them.
    Returns the Python module of the setup.py and JIT routes (None for the CMake one)."""
    if args.library:
        torch.ops.load_library(args.library)
        return None
    if args.module_dir:
        sys.path.insert(0, args.module_dir)
        import xtt_ops_setup  # importing it registers the operators

        return xtt_ops_setup
    from torch.utils import cpp_extension

    sys.path.insert(0, HERE)
    from cxx_standard import cxx_standard_flag

    include = os.path.join(HERE, "..", "..", "include")
    build_dir = args.build_dir or tempfile.mkdtemp(prefix="xtt_ops_jit_")
    os.makedirs(build_dir, exist_ok=True)  # load() expects the folder to exist
    return cpp_extension.load(
        name="xtt_ops_jit",
        sources=[os.path.join(HERE, "ops.cpp"), os.path.join(HERE, "module.cpp")],
        extra_include_paths=[os.path.abspath(include)],
        # C++17 (torch 1.13's tools pass -std=c++14), C++20 for LibTorch 2.14
        extra_cflags=[cxx_standard_flag(), "-O1"],
        build_directory=build_dir,
        verbose=False,
    )


ops = None
module = None


class Operators(unittest.TestCase):
    def test_mul_add_broadcasts_like_torch(self):
        for dtype in (torch.float32, torch.float64):
            a = torch.rand(3, 1, dtype=dtype)
            x = torch.rand(3, 4, dtype=dtype)
            b = torch.rand(4, dtype=dtype)
            torch.testing.assert_close(ops.mul_add(a, x, b), a * x + b)
            # a transposed (non-contiguous) input, read in place
            torch.testing.assert_close(ops.mul_add(a, x.t().contiguous().t(), b), a * x + b)

    def test_mul_add_in_place_keeps_the_memory_and_counts_the_write(self):
        x = torch.rand(3, 4, dtype=torch.float64)
        expected = 2 * x + 1
        pointer, version = x.data_ptr(), x._version
        out = ops.mul_add_(x, torch.tensor(2.0, dtype=torch.float64), torch.tensor(1.0, dtype=torch.float64))
        torch.testing.assert_close(x, expected)
        self.assertEqual(x.data_ptr(), pointer)
        self.assertEqual(out.data_ptr(), pointer)
        self.assertGreater(x._version, version)  # autograd sees the in-place change

    def test_an_in_place_write_to_a_saved_tensor_is_caught_by_autograd(self):
        w = torch.rand(4, dtype=torch.float64, requires_grad=True)
        x = torch.rand(4, dtype=torch.float64)
        y = (w * x).sum()  # saves x for w's gradient
        ops.mul_add_(x, torch.tensor(2.0, dtype=torch.float64), torch.tensor(0.0, dtype=torch.float64))
        with self.assertRaisesRegex(RuntimeError, "modified by an inplace operation"):
            y.backward()

    def test_softmax_matches_torch(self):
        x = torch.randn(5, 7, dtype=torch.float64)
        torch.testing.assert_close(ops.softmax_forward(x), torch.softmax(x, 1))
        torch.testing.assert_close(ops.softmax(x.t()), torch.softmax(x.t(), 1))

    def test_cpp_autograd_function_passes_gradcheck(self):
        x = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
        self.assertTrue(torch.autograd.gradcheck(ops.softmax, (x,)))
        xt = torch.randn(6, 4, dtype=torch.float64).t().requires_grad_()  # transposed
        self.assertFalse(xt.is_contiguous())
        self.assertTrue(torch.autograd.gradcheck(ops.softmax, (xt,)))

    def test_python_autograd_function_passes_gradcheck(self):
        class Softmax(torch.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = ops.softmax_forward(x)
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, grad):
                (y,) = ctx.saved_tensors
                return ops.softmax_backward(grad, y)

        x = torch.randn(4, 6, dtype=torch.float64, requires_grad=True)
        self.assertTrue(torch.autograd.gradcheck(Softmax.apply, (x,)))
        xt = torch.randn(6, 4, dtype=torch.float64).t().requires_grad_()
        self.assertTrue(torch.autograd.gradcheck(Softmax.apply, (xt,)))

    def test_a_tensor_that_requires_grad_is_read_without_a_copy(self):
        w = torch.rand(3, 3, requires_grad=True)
        self.assertEqual(ops.read_address(w), w.data_ptr())
        self.assertEqual(ops.read_address(w.t()), w.data_ptr())

    def test_an_int64_input_raises_our_message(self):
        x = torch.arange(6).reshape(2, 3)
        with self.assertRaises(ValueError) as caught:
            ops.mul_add(x, x, x)
        message = str(caught.exception)
        self.assertIn("xtensor-torch: can't run an xtt::op on cpu int64 [2, 3]", message)
        self.assertIn("the operator takes float32, float64", message)

    def test_mixed_dtypes_raise_our_message(self):
        a = torch.rand(2, 3)
        with self.assertRaises(ValueError) as caught:
            ops.mul_add(a, a.double(), a)
        message = str(caught.exception)
        self.assertIn("(argument 1)", message)
        self.assertIn("the operator runs in float32", message)

    def test_a_wrong_rank_raises_our_message(self):
        with self.assertRaises(ValueError) as caught:
            ops.softmax_forward(torch.rand(4))
        self.assertIn("rank", str(caught.exception))

    def test_an_in_place_write_to_a_tensor_that_requires_grad_is_refused(self):
        x = torch.rand(3, requires_grad=True)
        one = torch.tensor(1.0)
        with self.assertRaises(ValueError) as caught:
            ops.mul_add_(x, one, one)
        self.assertIn("autograd can't see a write through a view", str(caught.exception))
        with torch.no_grad():
            expected = x + 1
            ops.mul_add_(x, one, one)  # as x.add_(1) under no_grad
        torch.testing.assert_close(x.detach(), expected)

    def test_torchscript_sees_the_operators(self):
        @torch.jit.script
        def scripted(a, x, b):
            return torch.ops.xtt_ops.mul_add(a, x, b)

        a, x, b = torch.rand(2, 2), torch.rand(2, 2), torch.rand(2, 2)
        torch.testing.assert_close(scripted(a, x, b), a * x + b)


class BoundFunctionChecks:
    """The functions module.cpp binds with pybind11, taking xtt::tensor_views:
    run for the routes that build a Python module (setup.py, JIT)."""

    def test_a_read_only_view_shares_any_strides(self):
        x = torch.rand(4, 5, dtype=torch.float64)
        torch.testing.assert_close(module.row_sums(x), x.sum(1))
        torch.testing.assert_close(module.row_sums(x.t()), x.t().sum(1))
        torch.testing.assert_close(module.row_sums(x=x[1:, ::2]), x[1:, ::2].sum(1))

    def test_the_convert_pass_stages_and_the_noconvert_pass_never_copies(self):
        x = torch.rand(3, 4)
        self.assertEqual(module.row_major_address(x), x.data_ptr())
        self.assertEqual(module.row_major_address_noconvert(x), x.data_ptr())
        self.assertNotEqual(module.row_major_address(x.t()), x.data_ptr())  # a contiguous copy
        with self.assertRaises(TypeError):
            module.row_major_address_noconvert(x.t())  # no copy: the overload does not match
        w = torch.rand(2, 3, dtype=torch.float64, requires_grad=True)
        torch.testing.assert_close(module.row_sums(w), w.detach().sum(1))  # read in place (stage::detach)
        g = torch.rand(2, 3, requires_grad=True)
        self.assertEqual(module.row_major_address_noconvert(g), g.data_ptr())  # detach copies nothing

    def test_a_refused_tensor_raises_type_error_with_our_message(self):
        with self.assertRaisesRegex(TypeError, "xtensor-torch: can't view cpu int64 \\[2, 3\\].*its dtype is int64"):
            module.row_sums(torch.arange(6).reshape(2, 3))
        with self.assertRaisesRegex(TypeError, "rank"):
            module.row_sums(torch.rand(3, dtype=torch.float64))
        with self.assertRaises(TypeError):
            module.row_sums("not a tensor")

    def test_a_writable_view_writes_in_place_and_counts_the_write(self):
        base = torch.rand(4, 6)
        x = base.t()[1:4]  # transposed and offset: shared
        expected = x * 3
        pointer, version = x.data_ptr(), x._version
        module.scale_(x, 3.0)
        torch.testing.assert_close(x, expected)
        self.assertEqual(x.data_ptr(), pointer)
        self.assertGreater(x._version, version)

    def test_a_writable_view_never_copies(self):
        leaf = torch.rand(3, requires_grad=True)
        with self.assertRaisesRegex(TypeError, "requires grad"):
            module.scale_(leaf, 2.0)
        with torch.no_grad():
            expected = leaf * 2
            module.scale_(leaf, 2.0)
        torch.testing.assert_close(leaf.detach(), expected)
        with self.assertRaisesRegex(TypeError, "its dtype is float64"):
            module.scale_(torch.rand(3, dtype=torch.float64), 2.0)
        with self.assertRaisesRegex(TypeError, "overlap"):
            module.scale_(torch.rand(1, 3).expand(2, 3), 2.0)


def main():
    global ops, module
    parser = argparse.ArgumentParser()
    parser.add_argument("--library", help="the operator library built with CMake")
    parser.add_argument("--jit", action="store_true", help="build the operators with torch.utils.cpp_extension.load")
    parser.add_argument("--build-dir", help="where the JIT route builds")
    parser.add_argument("--module-dir", help="where setup.py put the xtt_ops_setup module")
    parser.add_argument("--machine", help="the processor the build is for (CMAKE_SYSTEM_PROCESSOR): "
                        "fail when this Python runs on another one, as the host's would in a cross build")
    args, rest = parser.parse_known_args()
    if not (args.library or args.jit or args.module_dir):
        parser.error("pass --library PATH, --jit or --module-dir DIR")
    if args.machine and platform.machine() != args.machine:
        # the JIT and setup.py routes would build and test the host's code instead
        sys.exit(f"test_extension.py: this Python runs on {platform.machine()}, the build is for {args.machine}: "
                 "it would test code built for this machine, not the build's")
    module = load(args)
    ops = torch.ops.xtt_ops
    if module is not None:
        globals()["BoundFunctions"] = type("BoundFunctions", (BoundFunctionChecks, unittest.TestCase), {})
    torch.manual_seed(0)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
