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

namespace {

// A key whose unsigned order is the floats' descending order.
uint32_t descending_key(float v) {
    uint32_t u;
    std::memcpy(&u, &v, sizeof u);
    u = (u >> 31) ? ~u : u | (uint32_t(1) << 31);
    return ~u;
}

// order ← 0..n-1 sorted by ascending key(i): an LSD radix sort of 11-bit digits, the
// histograms of every pass counted in one read; a pass whose digit is the same for every
// key is skipped. Scratch kept per thread: the evaluation sorts every model every epoch.
template <class Key, class KeyOf>
void radix_order(Eigen::Index n, KeyOf key_of, std::vector<Eigen::Index>& order) {
    constexpr int kBits = 11, kBuckets = 1 << kBits;
    constexpr int kPasses = (int(sizeof(Key)) * 8 + kBits - 1) / kBits;
    thread_local std::vector<Key> key, key2;
    thread_local std::vector<Eigen::Index> order2;
    key.resize(size_t(n)), key2.resize(size_t(n)), order2.resize(size_t(n));
    for (Eigen::Index i = 0; i < n; ++i) key[size_t(i)] = key_of(i);
    std::vector<uint32_t> count(size_t(kPasses) * kBuckets, 0);
    for (Key k : key)
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
    radix_order<uint64_t>(n, [&](Eigen::Index i) { return descending_key(score[i]); }, order);
}

void order_descending(const Eigen::Ref<const Eigen::VectorXf>& z, const Eigen::Ref<const Eigen::VectorXd>& score,
                      std::vector<Eigen::Index>& order) {
    const Eigen::Index n = z.size();
    if (n < kRadixFrom || n >= (Eigen::Index(1) << 32)) return order_descending(score, order);
    order.resize(static_cast<size_t>(n));
    std::iota(order.begin(), order.end(), Eigen::Index{0});
    radix_order<uint32_t>(n, [&](Eigen::Index i) { return descending_key(z[i]); }, order);
    for (Eigen::Index i = 1; i < n; ++i)
        if (descending_key(score[order[size_t(i)]]) < descending_key(score[order[size_t(i - 1)]]))
            return order_descending(score, order);
}

}  // namespace linlearn
