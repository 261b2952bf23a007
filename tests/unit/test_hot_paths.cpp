// The vectorised and reordered hot paths against their plain definitions: the batched loss
// gradient against the scalar derivative, the vector sigmoid and logistic loss against the
// scalar ones, the radix order against std::sort, the epoch order's coverage, and the
// narrow dense kernels and batch gradient against their definitions in double.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>
#include <set>
#include <vector>

#include "dataset.hpp"
#include "epoch_order.hpp"
#include "gradient.hpp"
#include "losses.hpp"
#include "model.hpp"
#include "sort_order.hpp"

using namespace linlearn;

TEST_CASE("hot paths: batched loss gradient equals the scalar derivative, every loss") {
    const LossParams p{1.0, 0.1, 0.3, 0.7};
    std::mt19937 rng(3);
    std::normal_distribution<float> normal(0.f, 3.f);
    const Eigen::Index n = 37, C = 6;
    Eigen::MatrixXf Z(n, C);
    for (Eigen::Index i = 0; i < Z.size(); ++i) Z.data()[i] = normal(rng);
    Z(0, 0) = 90.f, Z(1, 0) = -90.f;  // saturated logistic
    std::vector<float> binary(n), real(n);
    for (Eigen::Index i = 0; i < n; ++i) binary[i] = float(i % 3 == 0), real[i] = normal(rng);
    for (Loss loss : {Loss::logistic, Loss::hinge, Loss::squared, Loss::absolute, Loss::eps_squared,
                      Loss::eps_absolute, Loss::quantile, Loss::huber}) {
        CAPTURE(to_string(loss));
        const std::vector<float>& y = loss == Loss::logistic || loss == Loss::hinge ? binary : real;
        Eigen::MatrixXf G(n, C);
        loss_gradient(loss, p, 1, Z, y.data(), G);
        for (Eigen::Index c = 0; c < C; ++c)
            for (Eigen::Index i = 0; i < n; ++i)
                CHECK(G(i, c) == doctest::Approx(loss_derivative(loss, p, Z(i, c), y[i])).epsilon(1e-5));
    }
    // Softmax: blocks of K = 3 columns per model, against the row-wise reference.
    const int K = 3;
    Eigen::MatrixXf Zs = Z.leftCols(6), G(n, 6), want(n, 6);
    std::vector<float> cls(n);
    for (Eigen::Index i = 0; i < n; ++i) cls[i] = float(i % K);
    loss_gradient(Loss::softmax, p, K, Zs, cls.data(), G);
    for (Eigen::Index c0 = 0; c0 < 6; c0 += K)
        for (Eigen::Index i = 0; i < n; ++i) softmax_loss_row(&Zs(i, c0), n, K, int(cls[i]), &want(i, c0), n);
    for (Eigen::Index i = 0; i < G.size(); ++i) CHECK(G.data()[i] == doctest::Approx(want.data()[i]).epsilon(1e-5));
}

TEST_CASE("hot paths: vector sigmoid and logistic loss equal the scalar ones") {
    Eigen::VectorXf z(9);
    z << -800.f, -40.f, -5.5f, -1e-3f, 0.f, 1e-3f, 5.5f, 40.f, 800.f;
    const Eigen::VectorXd p = sigmoid(z);
    for (Eigen::Index i = 0; i < z.size(); ++i) {
        CAPTURE(z[i]);
        const double want = sigmoid(double(z[i]));
        CHECK(std::fabs(p[i] - want) <= 1e-15 * want + 1e-300);  // relative, or both underflow
    }
    const std::vector<float> y{0, 1, 0, 1, 1, 0, 1, 0, 1}, w{1, 2, 0.5f, 1, 1, 3, 1, 1, 0.25f};
    const LossParams params{};
    for (const float* weights : {static_cast<const float*>(nullptr), w.data()}) {
        double sum = 0, wsum = 0;
        for (Eigen::Index i = 0; i < z.size(); ++i) {
            const double wi = weights ? weights[i] : 1.0;
            sum += wi * loss_value(Loss::logistic, params, z[i], y[i]);
            wsum += wi;
        }
        CHECK(mean_loss(Loss::logistic, params, z, y.data(), weights) == doctest::Approx(sum / wsum).epsilon(1e-13));
    }
}

TEST_CASE("hot paths: the radix order sorts as std::sort does, ties and signs included") {
    std::mt19937 rng(5);
    for (Eigen::Index n : {Eigen::Index(0), Eigen::Index(1), Eigen::Index(100), Eigen::Index(5000), Eigen::Index(70000)}) {
        Eigen::VectorXd s(n);
        std::uniform_int_distribution<int> coarse(-50, 50);
        std::normal_distribution<double> fine(0, 1e3);
        for (Eigen::Index i = 0; i < n; ++i) s[i] = i % 4 == 0 ? coarse(rng) * 0.25 : fine(rng);  // many ties
        if (n > 3) s[1] = -0.0, s[2] = 0.0, s[3] = -1e-300;
        std::vector<Eigen::Index> order;
        order_descending(s, order);
        REQUIRE(order.size() == size_t(n));
        std::vector<Eigen::Index> sorted = order;
        std::sort(sorted.begin(), sorted.end());
        for (Eigen::Index i = 0; i < n; ++i) REQUIRE(sorted[size_t(i)] == i);  // a permutation
        for (Eigen::Index i = 1; i < n; ++i) REQUIRE(s[order[size_t(i - 1)]] >= s[order[size_t(i)]]);
    }
}

TEST_CASE("hot paths: the order of probabilities from their float margins, and the fallback") {
    std::mt19937 rng(9);
    std::normal_distribution<float> normal(0.f, 12.f);  // wide: sigmoid saturates at 1 and 0
    for (Eigen::Index n : {Eigen::Index(10), Eigen::Index(5000), Eigen::Index(70000)}) {
        Eigen::VectorXf z(n);
        for (Eigen::Index i = 0; i < n; ++i) z[i] = i % 5 == 0 ? std::round(normal(rng)) : normal(rng);  // ties
        if (n > 3) z[1] = -0.f, z[2] = 0.f, z[3] = 60.f;
        Eigen::VectorXd p;
        sigmoid(z, p);
        // Not a function of z alone: the check along z's order must catch it and sort p.
        Eigen::VectorXd bumped = p;
        for (Eigen::Index i = 0; i < n; i += 7) bumped[i] = 1.0 - p[i];
        for (const Eigen::VectorXd* score : {&p, &bumped}) {
            CAPTURE(n);
            CAPTURE(score == &bumped);
            std::vector<Eigen::Index> order;
            order_descending(z, *score, order);
            REQUIRE(order.size() == size_t(n));
            std::vector<Eigen::Index> sorted = order;
            std::sort(sorted.begin(), sorted.end());
            for (Eigen::Index i = 0; i < n; ++i) REQUIRE(sorted[size_t(i)] == i);  // a permutation
            for (Eigen::Index i = 1; i < n; ++i) REQUIRE((*score)[order[size_t(i - 1)]] >= (*score)[order[size_t(i)]]);
        }
    }
}

TEST_CASE("hot paths: an epoch visits every row once, in batches of the asked size") {
    for (double row_bytes : {16.0, 4000.0}) {  // in cache: rows; in memory: blocks of rows
        const int64_t n = 10007;
        EpochOrder order(n, row_bytes, 42, 1000);
        CAPTURE(row_bytes);
        CHECK((order.block_rows() > 1) == (row_bytes * n > EpochOrder::kCachedBytes));
        std::vector<std::vector<int64_t>> epochs;
        for (int epoch = 0; epoch < 3; ++epoch) {
            order.shuffle(epoch);
            std::vector<RowRun> runs;
            std::vector<int64_t> seen;
            int64_t batches = 0;
            while (order.next(1000, runs)) {
                int64_t rows = 0;
                for (const RowRun& r : runs)
                    for (int64_t i = 0; i < r.count; ++i) seen.push_back(r.first + i), ++rows;
                CHECK(rows == (++batches * 1000 <= n ? 1000 : n % 1000));
            }
            CHECK(batches == (n + 999) / 1000);
            std::vector<int64_t> all = seen;
            std::sort(all.begin(), all.end());
            std::vector<int64_t> want(static_cast<size_t>(n));
            std::iota(want.begin(), want.end(), 0);
            CHECK(all == want);
            epochs.push_back(seen);
        }
        CHECK(epochs[0] != epochs[1]);  // a new order each epoch
        EpochOrder again(n, row_bytes, 42, 1000);  // the same seed, the same order
        again.shuffle(1);
        std::vector<RowRun> runs;
        std::vector<int64_t> seen;
        while (again.next(1000, runs))
            for (const RowRun& r : runs)
                for (int64_t i = 0; i < r.count; ++i) seen.push_back(r.first + i);
        CHECK(seen == epochs[1]);
    }
}

TEST_CASE("hot paths: a block is at most 128 KiB and 1/8 of a batch, whatever the row width") {
    // Data in cache: row by row.
    CHECK(EpochOrder::block_rows_for(1000, 400.0, 1000) == 1);
    const int64_t n = 10000000;
    // 100 floats (400 B): the batch bound, 125 rows (50 KB), 8 places per batch of 1,000.
    CHECK(EpochOrder::block_rows_for(n, 400.0, 1000) == 125);
    // Narrow rows (44 B): still 8 places per batch, not one block holding the whole batch.
    CHECK(EpochOrder::block_rows_for(n, 44.0, 1000) == 125);
    // Wide rows (3,140 B): the byte bound, 42 rows of 128 KiB.
    CHECK(EpochOrder::block_rows_for(n, 3140.0, 1000) == 42);
    // Tiny batches and huge rows: single rows.
    CHECK(EpochOrder::block_rows_for(n, 400.0, 5) == 1);
    CHECK(EpochOrder::block_rows_for(n, 1e6, 1000) == 1);
    // Every batch of an epoch draws on at least 8 runs of rows (sorted data stays mixed).
    EpochOrder order(200000, 400.0 * 100, 3, 1000);  // 8 GB "rows": in memory
    order.shuffle(0);
    std::vector<RowRun> runs;
    while (order.next(1000, runs))
        if (runs.size() < 8) {
            int64_t rows = 0;
            for (const RowRun& r : runs) rows += r.count;
            CHECK(rows < 1000);  // only the epoch's last, short batch may span fewer
        }
}

TEST_CASE("hot paths: the train-metrics sample has k distinct rows, ascending, seeded") {
    for (double row_bytes : {8.0, 4000.0}) {
        CAPTURE(row_bytes);
        const int64_t n = 20011, k = 5000;
        const std::vector<int64_t> s = sample_rows(n, row_bytes, k, 7);
        REQUIRE(s.size() == size_t(k));
        for (size_t i = 1; i < s.size(); ++i) REQUIRE(s[i - 1] < s[i]);
        CHECK(s.front() >= 0);
        CHECK(s.back() < n);
        CHECK(s == sample_rows(n, row_bytes, k, 7));
        CHECK(s != sample_rows(n, row_bytes, k, 8));
        int64_t runs = 1;
        for (size_t i = 1; i < s.size(); ++i) runs += s[i] != s[i - 1] + 1;
        if (EpochOrder::block_rows_for(n, row_bytes, k / 8) > 1) CHECK(runs < k / 4);  // whole blocks
    }
    CHECK(sample_rows(10, 8.0, 50, 1).size() == 10);  // fewer rows than asked: all of them
}

// The trainer's evaluation scores the models a group of columns at a time when the score
// matrix would be large (Run::eval_group): groups of a multiple of 8 columns from a
// multiple of 8, at least 12 features. Each column must be the same bits as in the
// product of every column at once, or the epoch metrics would depend on the grouping.
TEST_CASE("hot paths: scores of a group of 8 columns are the bits of the full product") {
    std::mt19937 rng(11);
    std::normal_distribution<float> normal(0.f, 1.f);
    for (const Eigen::Index d : {12, 30, 100}) {
        for (const Eigen::Index C : {10, 24, 32, 40, 320}) {
            CAPTURE(d);
            CAPTURE(C);
            const int64_t n = 5000, stride = d + 3;  // 3 chunks, the last short; padded rows
            std::vector<float> x(size_t(n * stride)), y(size_t(n), 0.f);
            for (float& v : x) v = normal(rng);
            std::vector<int64_t> rows;
            for (int64_t r = 0; r < n; r += 3) rows.push_back(r);
            const Dataset data = Dataset::dense_view(x.data(), n, d, stride, y.data(), nullptr);
            Eigen::MatrixXf W(d, C);
            Eigen::VectorXf b(C);
            for (Eigen::Index i = 0; i < W.size(); ++i) W.data()[i] = normal(rng);
            for (Eigen::Index i = 0; i < b.size(); ++i) b[i] = normal(rng);
            const int64_t* lists[] = {nullptr, rows.data()};  // every row, a listed subset
            for (const int64_t* list : lists) {
                const int64_t m = list ? int64_t(rows.size()) : n;
                Eigen::MatrixXf Z, Zg;
                linear_scores(data, list, m, W, b, Z, 2);
                bool same = true;
                for (Eigen::Index c0 = 0; c0 < C; c0 += 8) {
                    const Eigen::Index w = std::min<Eigen::Index>(8, C - c0);
                    const Eigen::MatrixXf Wg = W.middleCols(c0, w);
                    const Eigen::VectorXf bg = b.segment(c0, w);
                    linear_scores(data, list, m, Wg, bg, Zg, 2);
                    same = same && std::memcmp(Zg.data(), Z.middleCols(c0, w).data(),
                                               sizeof(float) * size_t(Zg.size())) == 0;
                }
                CHECK(same);
            }
        }
    }
}

namespace {
// Rows of d floats at awkward places: one float past an aligned start, stride d + 3, taken
// in a shuffled order (the kernels get a list of row addresses).
struct ScatteredRows {
    std::vector<float> buf;
    std::vector<const float*> rows;
    ScatteredRows(int64_t m, int64_t d, std::mt19937& rng) : buf(static_cast<size_t>((m + 1) * (d + 3) + 1)) {
        std::uniform_real_distribution<float> u(-2.f, 2.f);
        for (float& v : buf) v = u(rng);
        for (int64_t i = 0; i < m; ++i) rows.push_back(buf.data() + 1 + i * (d + 3));
        std::shuffle(rows.begin(), rows.end(), rng);
    }
};
}  // namespace

TEST_CASE("hot paths: narrow scores and X^T G equal their definitions, any d, m, C, alignment") {
    std::mt19937 rng(11);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    for (int64_t d : {1, 3, 15, 16, 17, 31, 64, 100}) {
        for (int64_t m : {0, 1, 3, 4, 5, 7, 13}) {
            for (int64_t C = 1; C <= 5; ++C) {  // 5: more than one pass of 4 columns
                CAPTURE(d);
                CAPTURE(m);
                CAPTURE(C);
                ScatteredRows x(m, d, rng);
                const int64_t ldw = d + 2, ldz = m + 1, ldgw = d + 1;
                std::vector<float> W(static_cast<size_t>(ldw * C)), b(static_cast<size_t>(C)), G(static_cast<size_t>(ldz * C));
                std::vector<float> gW(static_cast<size_t>(ldgw * C));
                for (auto* v : {&W, &b, &G, &gW})
                    for (float& e : *v) e = u(rng);
                std::vector<float> Z(static_cast<size_t>(ldz * C), 99.f), gW0 = gW;
                piece_scores(x.rows.data(), m, d, W.data(), ldw, C, b.data(), Z.data(), ldz);
                piece_axpy(x.rows.data(), m, d, G.data(), ldz, C, gW.data(), ldgw);
                for (int64_t c = 0; c < C; ++c) {
                    for (int64_t i = 0; i < m; ++i) {
                        double want = b[c], scale = std::fabs(b[c]);
                        for (int64_t j = 0; j < d; ++j) {
                            want += double(x.rows[i][j]) * W[c * ldw + j];
                            scale += std::fabs(double(x.rows[i][j]) * W[c * ldw + j]);
                        }
                        REQUIRE(std::fabs(Z[c * ldz + i] - want) <= 1e-6 * scale + 1e-7);
                        float alone;  // a row's score does not depend on its neighbours
                        piece_scores(&x.rows[i], 1, d, W.data() + c * ldw, ldw, 1, &b[c], &alone, 1);
                        REQUIRE(alone == Z[c * ldz + i]);
                    }
                    CHECK(Z[c * ldz + m] == 99.f);  // nothing written past m rows
                    for (int64_t j = 0; j < d; ++j) {
                        double want = gW0[c * ldgw + j], scale = std::fabs(want);
                        for (int64_t i = 0; i < m; ++i) {
                            want += double(G[c * ldz + i]) * x.rows[i][j];
                            scale += std::fabs(double(G[c * ldz + i]) * x.rows[i][j]);
                        }
                        REQUIRE(std::fabs(gW[c * ldgw + j] - want) <= 1e-6 * scale + 1e-7);
                    }
                    if (c + 1 < C) CHECK(gW[c * ldgw + d] == gW0[c * ldgw + d]);  // the padding is untouched
                }
            }
        }
    }
}

TEST_CASE("hot paths: a dense batch gradient equals its definition, runs cut anywhere, 1 and 3 threads") {
    // Few models (the in-place path, runs of any length split across pieces and threads)
    // and many (the gathered GEMM path), unaligned rows with a stride, example weights.
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    const int64_t n = 700, d = 37, stride = 41;
    std::vector<float> buf(static_cast<size_t>(n * stride + 1)), y(static_cast<size_t>(n)), w(static_cast<size_t>(n));
    for (float& v : buf) v = u(rng) * 3.f + 1.f;
    for (int64_t i = 0; i < n; ++i) y[i] = float(u(rng) > 0.2f), w[i] = 0.5f + u(rng) * 0.4f;
    const Dataset data = Dataset::dense_view(buf.data() + 1, n, d, stride, y.data(), w.data());
    for (int models : {1, 3, 6}) {
        TrainConfig cfg;
        cfg.models.resize(static_cast<size_t>(models));
        cfg.models.back().positive_example_weight_mult = 2.5;
        Scaler sc;
        sc.mean.resize(d), sc.inv_std.resize(d);
        for (int64_t j = 0; j < d; ++j) sc.mean[j] = 1.f + u(rng) * 0.1f, sc.inv_std[j] = 0.5f + u(rng) * 0.2f;
        Eigen::MatrixXf W(d, models);
        Eigen::VectorXf b(models);
        for (Eigen::Index i = 0; i < W.size(); ++i) W.data()[i] = u(rng) * 0.3f;
        for (Eigen::Index i = 0; i < b.size(); ++i) b[i] = u(rng);
        // Runs of 1 to 300 rows with gaps between them, last first.
        std::vector<RowRun> runs;
        for (int64_t at = 0; at < n;) {
            const int64_t len = std::min<int64_t>(n - at, 1 + static_cast<int64_t>(rng() % 300));
            runs.push_back({at, len});
            at += len + static_cast<int64_t>(rng() % 5);
        }
        std::reverse(runs.begin(), runs.end());
        int64_t rows = 0;
        for (const RowRun& r : runs) rows += r.count;
        Eigen::MatrixXd want_g = Eigen::MatrixXd::Zero(d, models);
        Eigen::VectorXd want_b = Eigen::VectorXd::Zero(models);
        for (const RowRun& r : runs)
            for (int64_t i = r.first; i < r.first + r.count; ++i)
                for (int c = 0; c < models; ++c) {
                    Eigen::VectorXd xs(d);
                    for (int64_t j = 0; j < d; ++j) xs[j] = (double(data.dense().row(i)[j]) - sc.mean[j]) * sc.inv_std[j];
                    const double z = xs.dot(W.col(c).cast<double>()) + b[c];
                    double g = (sigmoid(z) - y[i]) * w[i] / double(rows);
                    if (y[i] > 0.5f) g *= cfg.models[static_cast<size_t>(c)].positive_example_weight_mult;
                    want_g.col(c) += g * xs;
                    want_b[c] += g;
                }
        for (int threads : {1, 3}) {
            CAPTURE(models);
            CAPTURE(threads);
            BatchGradient grad(cfg, data, sc, threads);
            Gradient out;
            grad.compute(W, b, runs, out);
            REQUIRE(out.g.rows() == d);
            REQUIRE(out.g.cols() == models);
            for (Eigen::Index i = 0; i < out.g.size(); ++i)
                REQUIRE(out.g.data()[i] == doctest::Approx(want_g.data()[i]).epsilon(1e-4).scale(1e-3));
            for (int c = 0; c < models; ++c) REQUIRE(out.gb[c] == doctest::Approx(want_b[c]).epsilon(1e-4).scale(1e-3));
            Gradient again;  // the same batch, the same result, bit for bit
            grad.compute(W, b, runs, again);
            CHECK(again.g == out.g);
        }
    }
}
