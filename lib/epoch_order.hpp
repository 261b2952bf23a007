// The order in which an epoch visits the training rows, as runs of consecutive rows.
//
// Each epoch shuffles the rows with a seeded generator. Data that fits in the cache is
// shuffled row by row. Larger data is shuffled in blocks of consecutive rows of about
// kBlockBytes (and the block boundaries move by a random offset every epoch): a row-by-row
// shuffle of data in main memory reads it one cache line at a time, about 8x slower than
// a sequential read (bench/README.md, case 1), while blocks of 32 KiB read at nearly the
// streaming rate. A mini-batch of 1,000 rows of 100 features then holds about 12 blocks
// from random places in the data.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace linlearn {

struct RowRun {
    int64_t first, count;
};

// k of the n rows (all when n <= k), ascending, drawn with `seed` in blocks of consecutive
// rows as EpochOrder draws them (single rows when the data fits in the cache): a fixed
// sample, e.g. for the train metrics, that reads memory in sequential runs.
std::vector<int64_t> sample_rows(int64_t n, double row_bytes, int64_t k, uint64_t seed);

class EpochOrder {
public:
    static constexpr int64_t kBlockBytes = 32 * 1024;
    static constexpr int64_t kCachedBytes = 16 * 1024 * 1024;

    // rows: the number of training rows; row_bytes: their average size in memory.
    EpochOrder(int64_t rows, double row_bytes, uint64_t seed);
    // The block size EpochOrder uses for such data, in rows (1: row by row).
    static int64_t block_rows_for(int64_t rows, double row_bytes);

    int64_t block_rows() const { return block_; }
    // Starts an epoch: a new order, drawn from (seed, epoch) alone.
    void shuffle(int epoch);
    // The next mini-batch, up to `rows` rows, as runs; false at the end of the epoch.
    bool next(int64_t rows, std::vector<RowRun>& runs);

private:
    int64_t n_, block_, offset_ = 0;
    uint64_t seed_;
    std::vector<int64_t> perm_;  // block ids (row ids when block_ == 1)
    size_t at_ = 0;              // the current block in perm_
    int64_t used_ = 0;           // rows of it already handed out
    RowRun block(int64_t id) const;
};

}  // namespace linlearn
