#include "sort_order.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <numeric>
#include <utility>

namespace linlearn {

namespace {
constexpr Eigen::Index kRadixFrom = 2048;  // below this, std::sort is as fast

// A key whose unsigned order is the doubles' descending order.
uint64_t descending_key(double v) {
    uint64_t u;
    std::memcpy(&u, &v, sizeof u);
    u = (u >> 63) ? ~u : u | (uint64_t(1) << 63);  // ascending as unsigned
    return ~u;
}
}  // namespace

void order_descending(const Eigen::Ref<const Eigen::VectorXd>& score, std::vector<Eigen::Index>& order) {
    const Eigen::Index n = score.size();
    order.resize(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    if (n < kRadixFrom || n >= (Eigen::Index(1) << 32)) {
        std::sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
            return descending_key(score[a]) < descending_key(score[b]);
        });
        return;
    }
    // Scratch kept per thread: the evaluation sorts every model's scores every epoch.
    thread_local std::vector<uint64_t> key, key2;
    thread_local std::vector<Eigen::Index> order2;
    key.resize(size_t(n)), key2.resize(size_t(n)), order2.resize(size_t(n));
    for (Eigen::Index i = 0; i < n; ++i) key[size_t(i)] = descending_key(score[i]);
    // Six passes of 11 bits, their histograms counted in one read.
    constexpr int kBits = 11, kPasses = 6, kBuckets = 1 << kBits;
    std::vector<uint32_t> count(size_t(kPasses) * kBuckets, 0);
    for (uint64_t k : key)
        for (int p = 0; p < kPasses; ++p) ++count[size_t(p) * kBuckets + ((k >> (p * kBits)) & (kBuckets - 1))];
    for (int p = 0; p < kPasses; ++p) {
        uint32_t* c = &count[size_t(p) * kBuckets];
        const int shift = p * kBits;
        if (c[(key[0] >> shift) & (kBuckets - 1)] == uint32_t(n)) continue;  // one digit: nothing moves
        uint32_t sum = 0;
        for (int d = 0; d < kBuckets; ++d) sum += std::exchange(c[d], sum);
        for (size_t i = 0; i < size_t(n); ++i) {
            const uint32_t to = c[(key[i] >> shift) & (kBuckets - 1)]++;
            key2[to] = key[i];
            order2[to] = order[i];
        }
        key.swap(key2);
        order.swap(order2);
    }
}

}  // namespace linlearn
