#include "scaler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <unordered_map>

namespace linlearn {

namespace {
// k of the n rows, drawn by a partial Fisher-Yates shuffle. Only the positions the
// shuffle has moved are stored (at most k), not the n-row permutation: on 1M rows that
// was an 8 MB array, the peak of a one-model fit (bench/README.md, case 8).
std::vector<int64_t> sample_rows(int64_t n, int64_t k, uint64_t seed) {
    std::vector<int64_t> rows;
    if (k >= n) {
        rows.resize(static_cast<size_t>(n));
        std::iota(rows.begin(), rows.end(), 0);
        return rows;
    }
    rows.reserve(static_cast<size_t>(k));
    std::unordered_map<int64_t, int64_t> moved;  // position -> the row now there
    auto at = [&](int64_t p) {
        const auto it = moved.find(p);
        return it == moved.end() ? p : it->second;
    };
    std::mt19937_64 rng(seed + 0x5ca1e);
    for (int64_t i = 0; i < k; ++i) {
        std::uniform_int_distribution<int64_t> pick(i, n - 1);
        const int64_t j = pick(rng);
        const int64_t row_i = at(i);
        rows.push_back(at(j));  // swap(i, j); position i is never read again
        moved[j] = row_i;
        moved.erase(i);
    }
    std::sort(rows.begin(), rows.end());  // read in memory order
    return rows;
}

// Per-feature sums of x and x² over the sampled rows.
void moments(const Dataset& data, const std::vector<int64_t>& rows, Eigen::VectorXd& s1,
             Eigen::VectorXd& s2) {
    s1.setZero(data.cols());
    s2.setZero(data.cols());
    for (int64_t i : rows) {
        if (data.sparse()) {
            const CsrView& x = data.csr();
            for (int64_t k = x.indptr[i]; k < x.indptr[i + 1]; ++k) {
                const double v = x.values[k];
                s1[x.indices[k]] += v;
                s2[x.indices[k]] += v * v;
            }
        } else {
            Eigen::Map<const Eigen::VectorXf> xi(data.dense().row(i), data.cols());
            s1 += xi.cast<double>();
            s2 += xi.cast<double>().cwiseAbs2();
        }
    }
}
}  // namespace

Scaler fit_scaler(const Dataset& data, const TrainConfig& c) {
    const int64_t d = data.cols();
    Scaler s;
    s.mean = Eigen::VectorXf::Zero(d);
    s.inv_std = Eigen::VectorXf::Ones(d);
    const auto rows = sample_rows(data.rows(), c.num_point_for_scaler, c.seed);
    const double n = static_cast<double>(std::max<size_t>(rows.size(), 1));
    if (c.normalize_data || c.unbias_data) {
        Eigen::VectorXd s1, s2;
        moments(data, rows, s1, s2);
        const Eigen::VectorXd mean = s1 / n;
        const Eigen::VectorXd var = (s2 / n - mean.cwiseAbs2()).cwiseMax(0.0);
        for (int64_t j = 0; j < d; ++j) {
            // Relative test: a feature whose spread is rounding noise counts as constant.
            const bool constant = var[j] <= 1e-12 * std::max(1.0, mean[j] * mean[j]);
            s.constant_features += constant;
            if (c.normalize_data && !constant) s.inv_std[j] = static_cast<float>(1.0 / std::sqrt(var[j]));
            if (c.unbias_data && !data.sparse()) s.mean[j] = static_cast<float>(mean[j]);
        }
    }
    if (data.labels() && (c.unbias_label || c.normalize_label)) {
        double m1 = 0, m2 = 0;
        for (int64_t i : rows) m1 += data.labels()[i], m2 += double(data.labels()[i]) * data.labels()[i];
        const double mean = m1 / n, sd = std::sqrt(std::max(0.0, m2 / n - mean * mean));
        if (c.unbias_label) s.label_mean = mean;
        if (c.normalize_label && sd > 0) s.label_std = sd;
    }
    return s;
}

}  // namespace linlearn
