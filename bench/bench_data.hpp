// bench_data.hpp — the seeded data generators shared by bench_train and bench_gen.
// Rows are generated from a counter-based generator (bench_mix(seed, row)), so the data
// is the same whatever the thread count.
#pragma once
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "bench_common.h"

namespace bench {

struct Dense {
    std::vector<float> x, y;
    int64_t rows = 0, cols = 0;
};

// Features ~ N(0,1) (Irwin-Hall), label = [w.x + noise > 0] with a fixed hidden w:
// a linearly learnable binary problem with about 10% label noise.
inline std::vector<float> dense_weights(int64_t cols, uint64_t seed) {
    std::vector<float> w(static_cast<size_t>(cols));
    bench_rng wr{seed ^ 0x5eedULL};
    for (auto& v : w) v = bench_gauss(&wr) / std::sqrt(float(cols));
    return w;
}

// Row i into xi (cols values); returns its label.
inline float dense_row(uint64_t seed, const std::vector<float>& w, int64_t i, float* xi) {
    bench_rng r{bench_mix(seed, static_cast<uint64_t>(i))};
    float z = 0;
    for (size_t j = 0; j < w.size(); ++j) {
        xi[j] = bench_gauss(&r);
        z += w[j] * xi[j];
    }
    return z + 0.4f * bench_gauss(&r) > 0 ? 1.0f : 0.0f;
}

inline Dense make_dense(int64_t rows, int64_t cols, uint64_t seed, int threads) {
    Dense d;
    d.rows = rows, d.cols = cols;
    d.x.resize(static_cast<size_t>(rows * cols));
    d.y.resize(static_cast<size_t>(rows));
    const std::vector<float> w = dense_weights(cols, seed);
#pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t i = 0; i < rows; ++i)
        d.y[static_cast<size_t>(i)] = dense_row(seed, w, i, &d.x[static_cast<size_t>(i * cols)]);
    return d;
}

struct Sparse {
    std::vector<int64_t> indptr;
    std::vector<int32_t> indices;
    std::vector<float> values, y;
    int64_t rows = 0, cols = 0;
};

// One row of Zipf-distributed feature ids (continuous inversion of a power law with
// exponent s over ranks 1..D, ranks scattered over the ids by a multiplicative hash when
// D is a power of two), sorted and distinct: `nnz` ids (duplicates are drawn again).
inline void sparse_row(uint64_t seed, int64_t i, int64_t D, int64_t nnz, double s, std::vector<int32_t>& ids) {
    bench_rng r{bench_mix(seed, static_cast<uint64_t>(i))};
    ids.clear();
    const double a = std::pow(double(D) + 1.0, 1.0 - s) - 1.0;
    const bool pow2 = (D & (D - 1)) == 0;
    const int64_t want = std::min(nnz, D);
    for (int round = 0; round < 64 && static_cast<int64_t>(ids.size()) < want; ++round) {
        for (int64_t k = static_cast<int64_t>(ids.size()); k < want; ++k) {
            const double u = bench_u01(&r);
            const double x = std::fabs(s - 1.0) < 1e-9 ? std::exp(u * std::log(double(D) + 1.0))
                                                         : std::pow(1.0 + u * a, 1.0 / (1.0 - s));
            int64_t rank = std::min<int64_t>(D - 1, std::max<int64_t>(0, int64_t(x) - 1));
            if (pow2) rank = static_cast<int64_t>((uint64_t(rank) * 0x9E3779B1ULL) & uint64_t(D - 1));
            ids.push_back(static_cast<int32_t>(rank));
        }
        std::sort(ids.begin(), ids.end());  // duplicates are dropped and drawn again
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    }
}

inline float hidden_weight(uint64_t seed, int32_t id) {
    bench_rng r{bench_mix(seed ^ 0xfeedULL, static_cast<uint64_t>(id))};
    return bench_gauss(&r);
}

// Row i's values (in (0.1, 1]) for its ids; returns its label = [x.w / sqrt(k) + noise > 0]
// with hidden weights w[id] ~ N(0, 1).
inline float sparse_values(uint64_t seed, int64_t i, const std::vector<int32_t>& ids, float* values) {
    bench_rng r{bench_mix(seed ^ 0xabcdULL, static_cast<uint64_t>(i))};
    float z = 0;
    for (size_t k = 0; k < ids.size(); ++k) {
        values[k] = static_cast<float>(0.1 + 0.9 * bench_u01(&r));
        z += values[k] * hidden_weight(seed, ids[k]);
    }
    z /= std::sqrt(float(std::max<size_t>(ids.size(), 1)));
    return z + 0.3f * bench_gauss(&r) > 0 ? 1.0f : 0.0f;
}

inline Sparse make_sparse(int64_t rows, int64_t D, int64_t nnz, double s, uint64_t seed, int threads) {
    Sparse sp;
    sp.rows = rows, sp.cols = D;
    std::vector<int64_t> count(static_cast<size_t>(rows));
#pragma omp parallel num_threads(threads)
    {
        std::vector<int32_t> ids;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < rows; ++i) {
            sparse_row(seed, i, D, nnz, s, ids);
            count[static_cast<size_t>(i)] = static_cast<int64_t>(ids.size());
        }
    }
    sp.indptr.resize(static_cast<size_t>(rows + 1));
    sp.indptr[0] = 0;
    for (int64_t i = 0; i < rows; ++i) sp.indptr[i + 1] = sp.indptr[i] + count[static_cast<size_t>(i)];
    const int64_t total = sp.indptr[static_cast<size_t>(rows)];
    sp.indices.resize(static_cast<size_t>(total));
    sp.values.resize(static_cast<size_t>(total));
    sp.y.resize(static_cast<size_t>(rows));
#pragma omp parallel num_threads(threads)
    {
        std::vector<int32_t> ids;
#pragma omp for schedule(static)
        for (int64_t i = 0; i < rows; ++i) {
            sparse_row(seed, i, D, nnz, s, ids);
            const size_t at = static_cast<size_t>(sp.indptr[static_cast<size_t>(i)]);
            std::copy(ids.begin(), ids.end(), sp.indices.begin() + static_cast<std::ptrdiff_t>(at));
            sp.y[static_cast<size_t>(i)] = sparse_values(seed, i, ids, &sp.values[at]);
        }
    }
    return sp;
}

}  // namespace bench
