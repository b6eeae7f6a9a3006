// Randomized differential testing against ATen: a case is a tensor (dtype,
// sizes, a derivation chain, flags) and one conversion, drawn from an entropy
// source; the oracle is ATen doing the same on a clone. Shared by the seeded
// test driver and the libFuzzer target, which differ only in the entropy.
// SPDX-License-Identifier: BSD-3-Clause
#ifndef XTT_RANDOM_CASE_HPP
#define XTT_RANDOM_CASE_HPP

#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <ATen/ATen.h>

namespace xtt_random
{
    /// Where the choices of a case come from.
    class entropy
    {
    public:

        virtual ~entropy() = default;

        /// 8 bits, or 0 when there are none left.
        virtual std::uint8_t byte() = 0;

        /// A number in [0, n) (0 for n <= 1).
        std::uint64_t below(std::uint64_t n)
        {
            if (n <= 1)
            {
                return 0;
            }
            std::uint64_t v = byte();
            if (n > 256)
            {
                for (int i = 0; i < 3; ++i)
                {
                    v = (v << 8) | byte();
                }
            }
            return v % n;
        }

        /// True with probability percent / 100.
        bool chance(int percent)
        {
            return static_cast<int>(below(100)) < percent;
        }

        /// One of the items.
        template <class T>
        const T& pick(const std::vector<T>& items)
        {
            return items[below(items.size())];
        }
    };

    /// A seeded pseudo-random source: the seed reproduces the case.
    class seeded_entropy : public entropy
    {
    public:

        explicit seeded_entropy(std::uint64_t seed)
            : m_engine(seed)
        {
        }

        std::uint8_t byte() override
        {
            return static_cast<std::uint8_t>(m_engine() >> 24);
        }

    private:

        std::mt19937_64 m_engine;
    };

    /// The fuzzer's bytes, then zeros.
    class byte_entropy : public entropy
    {
    public:

        byte_entropy(const std::uint8_t* data, std::size_t size)
            : m_data(data),
              m_size(size)
        {
        }

        std::uint8_t byte() override
        {
            return m_pos < m_size ? m_data[m_pos++] : std::uint8_t{0};
        }

    private:

        const std::uint8_t* m_data;
        std::size_t m_size;
        std::size_t m_pos = 0;
    };

    /// The library disagreed with ATen: what the case was and what differed.
    class mismatch : public std::runtime_error
    {
    public:

        using std::runtime_error::runtime_error;
    };

    /// A tensor to convert, the same tensor derived from a clone of its root
    /// (the oracle's side), and how it was made.
    struct drawn
    {
        at::Tensor root;      // the allocation every derivation points into
        at::Tensor ref_root;  // a clone of root, for ATen's side
        at::Tensor t;         // root, derived
        at::Tensor ref_t;     // ref_root, derived the same way
        std::string description;
        bool requires_grad = false;
        bool sparse = false;
    };

    /// Draws a tensor: dtype, sizes, derivation chain, flags.
    drawn draw_tensor(entropy& e);

    /// Draws a case and runs it; throws mismatch (with the case) when the
    /// library and ATen disagree, or when anything but conversion_error
    /// leaves a conversion. Returns the case's description.
    std::string run_case(entropy& e);

    /// The typed part: one conversion of d.t, checked against ATen.
    /// `op` says which; `log` collects what was done, for the report.
    void run_typed(drawn& d, entropy& e, std::string& log);

    // One function per group of dtypes, each in its own file (compile memory).
    bool run_floating(drawn& d, entropy& e, std::string& log);
    bool run_integral(drawn& d, entropy& e, std::string& log);
    bool run_complex(drawn& d, entropy& e, std::string& log);
    bool run_other(drawn& d, entropy& e, std::string& log);

    /// The dtypes this LibTorch has that the library maps.
    const std::vector<at::ScalarType>& all_dtypes();
}

#endif
