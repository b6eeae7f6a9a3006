// The copy sweep: permuted copies (2-D transposes of every size class,
// rectangles, batches, NCHW <-> NHWC, a 5-D permutation) and casts, of 1-,
// 2-, 4-, 8- and 16-byte elements, into fresh memory and into memory written
// before, on one ATen thread and on two; each beside ATen's own call for the
// same result and beside memcpy of the same bytes, measured in the same run.
// At the end: each ratio against its target, the worst row of each target,
// and the median. XTT_BENCH_RATIOS=file writes the rows as tab-separated
// values for chart.sh --sweep.
// SPDX-License-Identifier: BSD-3-Clause
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <new>
#include <string>
#include <type_traits>
#include <vector>

#include <benchmark/benchmark.h>

#include <xtensor-torch/xtensor-torch.hpp>

#include "../support/xtensor_headers.hpp"
#include "warm_memory.hpp"

namespace
{
    constexpr std::int64_t mib = std::int64_t(1) << 20;

    /// One tensor kept between the benchmarks of a case, so that each large
    /// source (or destination) is made once, not once per benchmark.
    struct cache
    {
        std::string key;
        at::Tensor tensor;

        const at::Tensor& get(const std::string& k, const std::function<at::Tensor()>& make)
        {
            if (k != key)
            {
                tensor = at::Tensor();  // free the last one first
                tensor = make();
                key = k;
            }
            return tensor;
        }
    };

    cache sources;
    std::vector<std::string> errors;  // candidates whose values differed from ATen's
    cache aten_destinations;
    cache memcpy_sources;
    cache memcpy_destinations;

    /*
     * Runs `op` once, then times it. On a virtual machine the first pass
     * after a large free (the check, the last benchmark's buffers) can take
     * 10-30x the steady time; each benchmark, candidate or baseline, gets
     * the same untimed pass.
     */
    template <class F>
    void timed(benchmark::State& state, F&& op)
    {
        op();
        for (auto _ : state)
        {
            op();
        }
    }

    /// A tensor of the dtype whose memory has been written (so no page of it is fresh).
    at::Tensor written(c10::IntArrayRef sizes, at::ScalarType dtype)
    {
        return at::empty(sizes, at::TensorOptions().dtype(dtype)).fill_(1);
    }

    /// An xt::xarray of the shape whose memory has been written, as written() is.
    template <class T>
    xt::xarray<T> written_xarray(c10::IntArrayRef sizes)
    {
        xt::xarray<T> out = xt::xarray<T>::from_shape(std::vector<std::size_t>(sizes.begin(), sizes.end()));
        std::memset(static_cast<void*>(out.data()), 0, out.size() * sizeof(T));
        return out;
    }

    /// The shapes of the sweep: a family, a label for its size, the x of the
    /// chart (n for the square transposes), the sizes of the contiguous
    /// tensor for a dtype, and the permuted view of it that is copied.
    struct shape_case
    {
        std::string family;
        std::string label;
        std::int64_t x;
        std::function<std::vector<std::int64_t>(at::ScalarType)> sizes;
        std::function<at::Tensor(const at::Tensor&)> permute;

        at::Tensor make(at::ScalarType dtype) const
        {
            return permute(written(sizes(dtype), dtype));
        }

        std::int64_t bytes(at::ScalarType dtype) const
        {
            std::int64_t n = static_cast<std::int64_t>(c10::elementSize(dtype));
            for (const std::int64_t s : sizes(dtype))
            {
                n *= s;
            }
            return n;
        }
    };

    /// The side m of a square of m x m elements of the dtype that makes `bytes`
    /// (divided by `parts`), rounded down to a power of two.
    std::int64_t side_for(std::int64_t bytes, std::int64_t parts, at::ScalarType dtype)
    {
        const std::int64_t elements = bytes / parts / static_cast<std::int64_t>(c10::elementSize(dtype));
        std::int64_t m = 1;
        while ((2 * m) * (2 * m) <= elements)
        {
            m *= 2;
        }
        return m;
    }

    std::vector<shape_case> shape_cases()
    {
        using sizes = std::vector<std::int64_t>;
        const auto fixed = [](sizes s) { return [s](at::ScalarType) { return s; }; };
        const auto transposed = [](const at::Tensor& t) { return t.t(); };
        std::vector<shape_case> cases;
        for (const std::int64_t base : {512, 1024, 2048, 4096, 8192})
        {
            for (const std::int64_t n : {base - 1, base, base + 4})
            {
                cases.push_back({"t2d", std::to_string(n), n, fixed({n, n}), transposed});
            }
        }
        // 32 MiB rectangles, m x 8m and 8m x m, transposed (m: 1024 for float32)
        cases.push_back({"rect_1x8", "32MiB", 0, [=](at::ScalarType d) {
                             const std::int64_t m = side_for(32 * mib, 8, d);
                             return sizes{m, 8 * m};
                         }, transposed});
        cases.push_back({"rect_8x1", "32MiB", 0, [=](at::ScalarType d) {
                             const std::int64_t m = side_for(32 * mib, 8, d);
                             return sizes{8 * m, m};
                         }, transposed});
        // [16, m, m].transpose(1, 2), 64 MiB (m: 1024 for float32)
        cases.push_back({"batched", "16xmxm", 0, [=](at::ScalarType d) {
                             const std::int64_t m = side_for(64 * mib, 16, d);
                             return sizes{16, m, m};
                         }, [](const at::Tensor& t) { return t.transpose(1, 2); }});
        // NCHW memory read as NHWC, and NHWC memory read as NCHW; 64 channels and 3
        const auto nhwc = [](const at::Tensor& t) { return t.permute({0, 2, 3, 1}); };
        const auto nchw = [](const at::Tensor& t) { return t.permute({0, 3, 1, 2}); };
        cases.push_back({"nchw_to_nhwc", "16x64x128x128", 0, fixed({16, 64, 128, 128}), nhwc});
        cases.push_back({"nhwc_to_nchw", "16x64x128x128", 0, fixed({16, 128, 128, 64}), nchw});
        cases.push_back({"nchw_to_nhwc_c3", "32x3x224x224", 0, fixed({32, 3, 224, 224}), nhwc});
        cases.push_back({"nhwc_to_nchw_c3", "32x3x224x224", 0, fixed({32, 224, 224, 3}), nchw});
        cases.push_back({"perm5d", "8x16x32x32x64", 0, fixed({8, 16, 32, 32, 64}),
                         [](const at::Tensor& t) { return t.permute({0, 3, 1, 4, 2}); }});
        return cases;
    }

    std::string dtype_name(at::ScalarType d)
    {
        switch (d)
        {
            case at::kByte:
                return "uint8";
            case at::kHalf:
                return "float16";
            case at::kFloat:
                return "float32";
            case at::kDouble:
                return "float64";
            case at::kComplexDouble:
                return "complex128";
            case at::kInt:
                return "int32";
            default:
                return c10::toString(d);
        }
    }

    /*
     * The benchmarks of one case. Each candidate is checked once against
     * ATen's result (the whole destination) before it is timed.
     */
    template <class T>
    struct permuted
    {
        static at::Tensor as_tensor_of(const xt::xarray<T>& a)
        {
            std::vector<std::int64_t> sizes(a.shape().begin(), a.shape().end());
            return at::from_blob(const_cast<T*>(a.data()), sizes, at::TensorOptions().dtype(xtt::scalar_type_v<T>));
        }

        static bool check(benchmark::State& state, const at::Tensor& got, const at::Tensor& t)
        {
            if (!got.equal(t.contiguous()))
            {
                state.SkipWithError("the copy's values differ from ATen's");
                return false;
            }
            return true;
        }

        static void to_xarray(benchmark::State& state, const at::Tensor& t)
        {
            if (!check(state, as_tensor_of(xtt::to_xarray<T>(t)), t))
            {
                return;
            }
            timed(state, [&] {
                auto a = xtt::to_xarray<T>(t);
                benchmark::DoNotOptimize(a.data());
            });
        }

        static void view_staged(benchmark::State& state, const at::Tensor& t)
        {
            {
                const auto v = xtt::view<const T, xtt::dynamic, xt::layout_type::row_major>(t, xtt::stage::contiguous);
                if (!check(state, as_tensor_of(xt::xarray<T>(v)), t))
                {
                    return;
                }
            }
            timed(state, [&] {
                const auto v = xtt::view<const T, xtt::dynamic, xt::layout_type::row_major>(t, xtt::stage::contiguous);
                benchmark::DoNotOptimize(v.data());
            });
        }

        static void edit(benchmark::State& state, const at::Tensor& t)
        {
            {
                const at::Tensor before = t.contiguous();
                auto v = xtt::edit<T, xtt::dynamic, xt::layout_type::row_major>(t, xtt::stage::contiguous);
                v.commit();  // written back unchanged
                if (!check(state, before, t))
                {
                    return;
                }
            }
            timed(state, [&] {
                auto v = xtt::edit<T, xtt::dynamic, xt::layout_type::row_major>(t, xtt::stage::contiguous);
                benchmark::DoNotOptimize(v.data());
                v.commit();
            });
        }

        static void copy_to(benchmark::State& state, const at::Tensor& t)
        {
            xt::xarray<T> out = written_xarray<T>(t.sizes());
            xtt::copy_to(t, out);
            if (!check(state, as_tensor_of(out), t))
            {
                return;
            }
            timed(state, [&] {
                xtt::copy_to(t, out);
                benchmark::DoNotOptimize(out.data());
            });
        }
    };

    /// The floor of a copy into a fresh xt::xarray: making one of the same
    /// bytes (huge pages advised, as to_xarray does) and writing it once,
    /// with no source to read. ATen's fresh tensors often skip this cost:
    /// glibc hands a freed block of up to 32 MiB to the next allocation
    /// without returning it to the system, and a fresh xt::xarray of the same
    /// size may or may not get the same treatment.
    void fresh_floor(benchmark::State& state, std::int64_t bytes)
    {
        timed(state, [&] {
            xt::xarray<std::uint8_t> a = xt::xarray<std::uint8_t>::from_shape({static_cast<std::size_t>(bytes)});
            xtt::detail::advise_huge_pages(a.data(), static_cast<std::size_t>(bytes));
            std::memset(a.data(), 0, static_cast<std::size_t>(bytes));
            benchmark::DoNotOptimize(a.data());
        });
    }

    /// The floor of a fresh xt::xarray of an element type that is not
    /// trivially default constructible (std::complex): making it, which in
    /// xtensor writes every element before the copy can (its 4 KiB pages
    /// fault there, before any huge-page advice can apply).
    template <class T>
    void container_floor(benchmark::State& state, const std::vector<std::size_t>& shape)
    {
        timed(state, [&] {
            xt::xarray<T> a = xt::xarray<T>::from_shape(shape);
            benchmark::DoNotOptimize(a.data());
        });
    }

    void aten_contiguous(benchmark::State& state, const at::Tensor& t)
    {
        timed(state, [&] {
            benchmark::DoNotOptimize(t.contiguous().data_ptr());
        });
    }

    void aten_copy(benchmark::State& state, const at::Tensor& t, const std::string& key)
    {
        const at::Tensor& out = aten_destinations.get(key, [&] { return written(t.sizes(), t.scalar_type()); });
        timed(state, [&] {
            out.copy_(t);
            benchmark::DoNotOptimize(out.data_ptr());
        });
    }

    /// What xtt::edit does, by hand: a contiguous copy, then copy_ back.
    void aten_edit(benchmark::State& state, const at::Tensor& t)
    {
        timed(state, [&] {
            const at::Tensor c = t.contiguous();
            benchmark::DoNotOptimize(c.data_ptr());
            t.copy_(c);
        });
    }

    /// memcpy of the same bytes into memory written before.
    void memcpy_existing(benchmark::State& state, std::int64_t bytes)
    {
        const std::string key = std::to_string(bytes);
        const at::Tensor& s = memcpy_sources.get(key, [&] { return written({bytes}, at::kByte); });
        const at::Tensor& d = memcpy_destinations.get(key, [&] { return written({bytes}, at::kByte); });
        timed(state, [&] {
            std::memcpy(d.data_ptr(), s.data_ptr(), static_cast<std::size_t>(bytes));
            benchmark::DoNotOptimize(d.data_ptr());
        });
    }

    /*
     * The floor of a tiled transpose: the same bytes moved in the same
     * pattern (tiles of 32 rows x 256 bytes, each read from one square and
     * written to the mirrored tile of the other), but not transposed inside
     * the tile. Whatever a tiled transpose does in registers, its memory
     * traffic is this.
     */
    void tiled_floor(benchmark::State& state, std::int64_t n, std::int64_t itemsize)
    {
        const std::int64_t row = n * itemsize;
        const std::string key = std::to_string(n * row);
        const at::Tensor& s = memcpy_sources.get(key, [&] { return written({n * row}, at::kByte); });
        const at::Tensor& d = memcpy_destinations.get(key, [&] { return written({n * row}, at::kByte); });
        const auto* src = static_cast<const char*>(s.data_ptr());
        auto* dst = static_cast<char*>(d.data_ptr());
        constexpr std::int64_t tile_bytes = 256;
        const std::int64_t tile_rows = tile_bytes / itemsize;  // a square tile of elements
        timed(state, [&] {
            for (std::int64_t i = 0; i < n; i += tile_rows)
            {
                for (std::int64_t j = 0; j < row; j += tile_bytes)
                {
                    // tile (i, j) of the source to tile (j, i) of the destination, rows kept
                    const std::int64_t rows = std::min(tile_rows, n - i);
                    const std::int64_t bytes = std::min(tile_bytes, row - j);
                    const std::int64_t di = j / itemsize;
                    const std::int64_t dj = i * itemsize;
                    for (std::int64_t r = 0; r < rows && di + r < n; ++r)
                    {
                        std::memcpy(dst + (di + r) * row + dj, src + (i + r) * row + j,
                                    static_cast<std::size_t>(std::min(bytes, row - dj)));
                    }
                }
            }
            benchmark::DoNotOptimize(dst);
        });
    }

    /*
     * Casts: to_xarray<To> and copy_to an xt::xarray<To> against ATen's
     * .to(dtype) and copy_ into a tensor of that dtype.
     */
    template <class From, class To>
    struct cast
    {
        static void to_xarray(benchmark::State& state, const at::Tensor& t)
        {
            if (!permuted<To>::check(state, permuted<To>::as_tensor_of(xtt::to_xarray<To>(t)), t.to(xtt::scalar_type_v<To>)))
            {
                return;
            }
            timed(state, [&] {
                auto a = xtt::to_xarray<To>(t);
                benchmark::DoNotOptimize(a.data());
            });
        }

        static void copy_to(benchmark::State& state, const at::Tensor& t)
        {
            xt::xarray<To> out = written_xarray<To>(t.sizes());
            xtt::copy_to(t, out);
            if (!permuted<To>::check(state, permuted<To>::as_tensor_of(out), t.to(xtt::scalar_type_v<To>)))
            {
                return;
            }
            timed(state, [&] {
                xtt::copy_to(t, out);
                benchmark::DoNotOptimize(out.data());
            });
        }

        /// The floor of copy_to: ATen's copy_ into a tensor over the memory of
        /// an xt::xarray<To> written before, the destination copy_to writes
        /// (16-byte aligned by xtensor's default allocator; ATen's are 64).
        static void destination_floor(benchmark::State& state, const at::Tensor& t)
        {
            xt::xarray<To> out = written_xarray<To>(t.sizes());
            const at::Tensor d = permuted<To>::as_tensor_of(out);
            timed(state, [&] {
                d.copy_(t);
                benchmark::DoNotOptimize(out.data());
            });
        }

        static void aten_to(benchmark::State& state, const at::Tensor& t)
        {
            timed(state, [&] {
                benchmark::DoNotOptimize(t.to(xtt::scalar_type_v<To>).data_ptr());
            });
        }

        static void aten_copy(benchmark::State& state, const at::Tensor& t, const std::string& key)
        {
            const at::Tensor& out = aten_destinations.get(key, [&] { return written(t.sizes(), xtt::scalar_type_v<To>); });
            timed(state, [&] {
                out.copy_(t);
                benchmark::DoNotOptimize(out.data_ptr());
            });
        }
    };

    /// A row of the ratio table: a candidate, its baseline (a benchmark, or
    /// "a + b", the sum of two) and its target (0: printed for reference).
    struct ratio_row
    {
        std::string candidate;
        std::string baseline;
        double target;
        std::string family, dtype, label, kind, against;
        std::int64_t x;
        int threads;
        double mebibytes;
    };

    std::vector<ratio_row> rows;

    using body = std::function<void(benchmark::State&)>;

    std::string add(const std::string& name, body f, int threads)
    {
        benchmark::RegisterBenchmark(name.c_str(), [f, threads, name](benchmark::State& state) {
            at::set_num_threads(threads);
            f(state);
            if (state.error_occurred())
            {
                errors.push_back(name);
            }
        })
            ->UseRealTime()
            ->Unit(benchmark::kMillisecond);
        return name;
    }

    template <class T>
    void register_permuted(const shape_case& c, at::ScalarType dtype, int threads)
    {
        const std::string key = c.family + "/" + c.label + "/" + dtype_name(dtype);
        const std::string prefix = "sweep/" + key + "/t" + std::to_string(threads) + "/";
        const auto source = [key, c, dtype]() -> const at::Tensor& {
            return sources.get(key, [&] { return c.make(dtype); });
        };
        const std::int64_t bytes = c.bytes(dtype);
        const double mebibytes = static_cast<double>(bytes) / static_cast<double>(mib);
        const bool large = bytes >= 16 * mib;
        const double vs_aten = large ? 0.5 : 1.0;
        const auto row = [&](const std::string& kind, const std::string& candidate, const std::string& baseline,
                             const std::string& against, double target) {
            rows.push_back({candidate, baseline, target, c.family, dtype_name(dtype), c.label, kind, against, c.x, threads,
                            mebibytes});
        };
        // on two threads: one destination of each kind (fresh, existing); the
        // staged view and the edit take to_xarray's path, twice for the edit
        const bool all_kinds = threads == 1;
        const std::string contiguous = add(prefix + "aten_contiguous", [source](benchmark::State& s) { aten_contiguous(s, source()); }, threads);
        const std::string copy = add(prefix + "aten_copy", [source, key](benchmark::State& s) { aten_copy(s, source(), key); }, threads);
        const std::string memcpy_name = add(prefix + "memcpy_existing", [bytes](benchmark::State& s) { memcpy_existing(s, bytes); }, threads);
        const std::string to_xarray = add(prefix + "to_xarray", [source](benchmark::State& s) { permuted<T>::to_xarray(s, source()); }, threads);
        const std::string copy_to = add(prefix + "copy_to", [source](benchmark::State& s) { permuted<T>::copy_to(s, source()); }, threads);
        row("to_xarray", to_xarray, contiguous, "aten", vs_aten);
        row("copy_to", copy_to, copy, "aten", vs_aten);
        if (all_kinds)
        {
            const std::string floor = add(prefix + "fresh_floor", [bytes](benchmark::State& s) { fresh_floor(s, bytes); }, threads);
            row("fresh_floor", floor, contiguous, "aten", 0);
            row("to_xarray", to_xarray, floor, "fresh_floor", 0);
            const std::string edit_by_hand = add(prefix + "aten_edit", [source](benchmark::State& s) { aten_edit(s, source()); }, threads);
            const std::string staged = add(prefix + "view_staged", [source](benchmark::State& s) { permuted<T>::view_staged(s, source()); }, threads);
            const std::string edit = add(prefix + "edit", [source](benchmark::State& s) { permuted<T>::edit(s, source()); }, threads);
            row("view_staged", staged, contiguous, "aten", vs_aten);
            row("edit", edit, edit_by_hand, "aten", vs_aten);
        }
        if constexpr (!std::is_trivially_default_constructible_v<T>)
        {
            const std::vector<std::size_t> shape{static_cast<std::size_t>(bytes) / sizeof(T)};  // as many elements
            const std::string floor = add(prefix + "container_floor", [shape](benchmark::State& s) { container_floor<T>(s, shape); }, threads);
            row("container_floor", floor, contiguous, "aten", 0);
            // what to_xarray can't do without: the container, then a copy into
            // memory written before (the sum of the two rows' times)
            row("to_xarray", to_xarray, floor + " + " + copy_to, "container_floor + copy_to", 0);
        }
        row("copy_to", copy_to, memcpy_name, "memcpy", large ? 3.0 : 0);  // >= 1/3 of memcpy's bandwidth
        if (c.family == "t2d" && large)
        {
            const std::int64_t n = c.x;
            const auto itemsize = static_cast<std::int64_t>(c10::elementSize(dtype));
            const std::string floor = add(prefix + "tiled_floor", [n, itemsize](benchmark::State& s) { tiled_floor(s, n, itemsize); }, threads);
            row("tiled_floor", floor, copy, "aten", 0);
            row("copy_to", copy_to, floor, "floor", 0);
        }
    }

    template <class From, class To>
    void register_cast(std::int64_t source_mib, int threads)
    {
        const at::ScalarType from = xtt::scalar_type_v<From>;
        const at::ScalarType to = xtt::scalar_type_v<To>;
        const std::string label = std::to_string(source_mib) + "MiB";
        const std::string family = "cast_" + dtype_name(from) + "_to_" + dtype_name(to);
        const std::string key = family + "/" + label;
        const std::string prefix = "sweep/" + key + "/t" + std::to_string(threads) + "/";
        const std::int64_t n = source_mib * mib / static_cast<std::int64_t>(sizeof(From));
        const auto source = [key, n]() -> const at::Tensor& {
            return sources.get(key, [&] { return written({n}, xtt::scalar_type_v<From>); });
        };
        const double target = 1.0;
        const std::string aten_to = add(prefix + "aten_to", [source](benchmark::State& s) { cast<From, To>::aten_to(s, source()); }, threads);
        const std::string aten_copy_name = add(prefix + "aten_copy", [source, key](benchmark::State& s) { cast<From, To>::aten_copy(s, source(), key); }, threads);
        const std::string to_xarray = add(prefix + "to_xarray", [source](benchmark::State& s) { cast<From, To>::to_xarray(s, source()); }, threads);
        const std::string copy_to = add(prefix + "copy_to", [source](benchmark::State& s) { cast<From, To>::copy_to(s, source()); }, threads);
        const std::string floor = add(prefix + "destination_floor", [source](benchmark::State& s) { cast<From, To>::destination_floor(s, source()); }, threads);
        const double mebibytes = static_cast<double>(n * static_cast<std::int64_t>(sizeof(To))) / static_cast<double>(mib);
        rows.push_back({to_xarray, aten_to, target, family, dtype_name(from), label, "to_xarray", "aten", source_mib, threads, mebibytes});
        rows.push_back({copy_to, aten_copy_name, target, family, dtype_name(from), label, "copy_to", "aten", source_mib, threads, mebibytes});
        rows.push_back({floor, aten_copy_name, 0, family, dtype_name(from), label, "destination_floor", "aten", source_mib, threads, mebibytes});
        rows.push_back({copy_to, floor, 0, family, dtype_name(from), label, "copy_to", "destination_floor", source_mib, threads, mebibytes});
    }

    void register_all()
    {
        for (const int threads : {1, 2})
        {
            for (const auto& c : shape_cases())
            {
                register_permuted<std::uint8_t>(c, at::kByte, threads);
                register_permuted<c10::Half>(c, at::kHalf, threads);
                register_permuted<float>(c, at::kFloat, threads);
                register_permuted<double>(c, at::kDouble, threads);
                register_permuted<std::complex<double>>(c, at::kComplexDouble, threads);
            }
            for (const std::int64_t size : {1, 64, 256})
            {
                register_cast<float, double>(size, threads);
                register_cast<c10::Half, float>(size, threads);
                register_cast<std::int32_t, float>(size, threads);
            }
        }
    }

    std::string cpu_model()
    {
        std::ifstream cpuinfo("/proc/cpuinfo");
        std::string line;
        while (std::getline(cpuinfo, line))
        {
            if (line.rfind("model name", 0) == 0)
            {
                return line;
            }
        }
        return "model name : (not in /proc/cpuinfo)";
    }

    /// Prints, after the usual table, each row as a ratio to its baseline with its target.
    class sweep_reporter : public benchmark::ConsoleReporter
    {
    public:

        void ReportRuns(const std::vector<Run>& runs) override
        {
            ConsoleReporter::ReportRuns(runs);
            for (const auto& r : runs)
            {
                if (r.run_type == Run::RT_Iteration || r.aggregate_name == "median")
                {
                    m_times[r.run_name.function_name] = r.GetAdjustedRealTime();
                }
            }
        }

        void Finalize() override
        {
            ConsoleReporter::Finalize();
            auto& os = GetOutputStream();
            std::FILE* tsv = nullptr;
            if (const char* path = std::getenv("XTT_BENCH_RATIOS"))
            {
                tsv = std::fopen(path, "w");
            }
            if (tsv != nullptr)
            {
                std::fprintf(tsv, "# %s\n# row\tratio\ttarget\tfamily\tdtype\tsize\tx\tthreads\tkind\tagainst\tMiB\n",
                             cpu_model().c_str());
            }
            os << "\nsweep ratios (time / baseline time, same run; medians when repeated; lower is faster):\n";
            std::map<std::string, std::pair<double, std::string>> worst;  // by target class
            std::vector<double> vs_aten;
            int missed = 0;
            for (const auto& row : rows)
            {
                const double candidate = time_of(row.candidate);
                const double baseline = time_of(row.baseline);
                if (candidate < 0 || baseline <= 0)
                {
                    continue;
                }
                const double value = candidate / baseline;
                const bool miss = row.target > 0 && value > row.target;
                missed += miss ? 1 : 0;
                char verdict[64] = "(reference)";
                if (row.target > 0)
                {
                    std::snprintf(verdict, sizeof verdict, "target <= %.2f%s", row.target, miss ? "  MISSED" : "");
                }
                const std::string name = row.candidate.substr(6) + " / " + row.against;  // without "sweep/"
                char line[400];
                std::snprintf(line, sizeof line, "  %-64s %7.1f MiB %6.2f   %s\n", name.c_str(), row.mebibytes, value, verdict);
                os << line;
                if (tsv != nullptr)
                {
                    std::fprintf(tsv, "%s\t%.4f\t%.2f\t%s\t%s\t%s\t%lld\t%d\t%s\t%s\t%.1f\n", name.c_str(), value, row.target,
                                 row.family.c_str(), row.dtype.c_str(), row.label.c_str(), static_cast<long long>(row.x),
                                 row.threads, row.kind.c_str(), row.against.c_str(), row.mebibytes);
                }
                if (row.target > 0)
                {
                    char cls[64];
                    std::snprintf(cls, sizeof cls, "vs %s, target %.2f", row.against.c_str(), row.target);
                    auto& w = worst[cls];
                    if (value > w.first)
                    {
                        w = {value, name};
                    }
                }
                if (row.against == "aten" && row.target > 0)
                {
                    vs_aten.push_back(value);
                }
            }
            os << "\nworst row of each target (" << cpu_model() << "):\n";
            for (const auto& [cls, w] : worst)
            {
                char line[400];
                std::snprintf(line, sizeof line, "  %-28s %6.2f  %s%s\n", cls.c_str(), w.first, w.second.c_str(),
                              w.first > std::stod(cls.substr(cls.rfind(' ') + 1)) ? "  MISSED" : "");
                os << line;
            }
            if (!vs_aten.empty())
            {
                std::sort(vs_aten.begin(), vs_aten.end());
                const double median = vs_aten[vs_aten.size() / 2];
                char line[200];
                std::snprintf(line, sizeof line, "  median over %zu rows against ATen: %.2f (target <= 0.40%s)\n",
                              vs_aten.size(), median, median <= 0.4 ? "" : "  MISSED");
                os << line;
            }
            os << "  " << missed << " rows missed their target\n";
            for (const auto& e : errors)
            {
                os << "  ERROR: the values of " << e << " differ from ATen's\n";
            }
            if (tsv != nullptr)
            {
                std::fclose(tsv);
            }
        }

    private:

        /// The time of a benchmark, or the sum of those named "a + b"; -1 if one didn't run.
        double time_of(const std::string& names) const
        {
            double sum = 0;
            std::size_t begin = 0;
            while (true)
            {
                const std::size_t end = names.find(" + ", begin);
                const auto t = m_times.find(names.substr(begin, end == std::string::npos ? std::string::npos : end - begin));
                if (t == m_times.end())
                {
                    return -1;
                }
                sum += t->second;
                if (end == std::string::npos)
                {
                    return sum;
                }
                begin = end + 3;
            }
        }

        std::map<std::string, double> m_times;
    };
}

int main(int argc, char** argv)
{
    benchmark::Initialize(&argc, argv);
    if (benchmark::ReportUnrecognizedArguments(argc, argv))
    {
        return 1;
    }
    std::printf("%s; ATen's default threads: %d\n", cpu_model().c_str(), at::get_num_threads());
    xtt_bench::warm_memory();
    register_all();
    sweep_reporter reporter;
    benchmark::RunSpecifiedBenchmarks(&reporter);
    benchmark::Shutdown();
    return errors.empty() ? 0 : 1;
}
