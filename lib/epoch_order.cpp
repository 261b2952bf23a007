#include "epoch_order.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace linlearn {

int64_t EpochOrder::block_rows_for(int64_t rows, double row_bytes, int64_t batch_rows) {
    if (row_bytes * double(rows) <= double(kCachedBytes)) return 1;
    const auto by_bytes = static_cast<int64_t>(std::llround(double(kBlockBytes) / std::max(row_bytes, 1.0)));
    const int64_t by_batch = batch_rows > 0 ? batch_rows / kMinBlocksPerBatch : by_bytes;
    return std::max<int64_t>(1, std::min(by_bytes, by_batch));
}

EpochOrder::EpochOrder(int64_t rows, double row_bytes, uint64_t seed, int64_t batch_rows)
    : n_(rows), block_(block_rows_for(rows, row_bytes, batch_rows)), seed_(seed) {}

std::vector<int64_t> sample_rows(int64_t n, double row_bytes, int64_t k, uint64_t seed) {
    std::vector<int64_t> rows;
    if (n <= k) {
        rows.resize(static_cast<size_t>(n));
        std::iota(rows.begin(), rows.end(), 0);
        return rows;
    }
    // Blocks of at most k/64 rows: the sample comes from at least 64 places in the data.
    const int64_t block = EpochOrder::block_rows_for(n, row_bytes, k / 8);
    std::vector<int64_t> blocks(static_cast<size_t>((n + block - 1) / block));
    std::iota(blocks.begin(), blocks.end(), 0);
    std::mt19937_64 pick(seed);
    std::shuffle(blocks.begin(), blocks.end(), pick);
    rows.reserve(static_cast<size_t>(k + block));  // the array lives as long as the run
    for (size_t i = 0; static_cast<int64_t>(rows.size()) < k; ++i)
        for (int64_t r = blocks[i] * block; r < std::min(n, (blocks[i] + 1) * block); ++r) rows.push_back(r);
    rows.resize(static_cast<size_t>(k));  // the last block may overshoot
    std::sort(rows.begin(), rows.end());
    return rows;
}

// Block b covers rows [offset + (b-1)·block, offset + b·block) clipped to the data, so
// block 0 is the short head [0, offset) when the epoch's offset is not 0.
RowRun EpochOrder::block(int64_t id) const {
    if (block_ == 1) return {id, 1};
    const int64_t first = std::max<int64_t>(0, offset_ + (id - 1) * block_);
    const int64_t end = std::min(n_, offset_ + id * block_);
    return {first, std::max<int64_t>(0, end - first)};
}

void EpochOrder::shuffle(int epoch) {
    std::mt19937_64 rng(seed_ * 1000003 + static_cast<uint64_t>(epoch) + 1);
    if (block_ > 1) offset_ = static_cast<int64_t>(rng() % static_cast<uint64_t>(block_));
    const int64_t blocks = block_ == 1 ? n_ : (n_ - offset_ + block_ - 1) / block_ + 1;
    perm_.resize(static_cast<size_t>(blocks));
    std::iota(perm_.begin(), perm_.end(), 0);
    std::shuffle(perm_.begin(), perm_.end(), rng);
    at_ = 0;
    used_ = 0;
}

bool EpochOrder::next(int64_t rows, std::vector<RowRun>& runs) {
    runs.clear();
    int64_t got = 0;
    while (got < rows && at_ < perm_.size()) {
        const RowRun b = block(perm_[at_]);
        const int64_t take = std::min(rows - got, b.count - used_);
        if (take > 0) {
            if (!runs.empty() && runs.back().first + runs.back().count == b.first + used_)
                runs.back().count += take;  // adjacent rows: one run
            else
                runs.push_back({b.first + used_, take});
            got += take;
            used_ += take;
        }
        if (used_ >= b.count) ++at_, used_ = 0;
    }
    return got > 0;
}

}  // namespace linlearn
