// The order in which an epoch visits the training rows, as runs of consecutive rows.
//
// Each epoch shuffles the rows with a seeded generator. Data that fits in the cache is
// shuffled row by row. Larger data is shuffled in blocks of consecutive rows (and the block
// boundaries move by a random offset every epoch): a row-by-row shuffle of data in main
// memory reads it one cache line at a time, about 8x slower than a sequential read
// (bench/README.md, case 1); blocks of 32 KiB in random order read at about 1.7x the time
// of a sequential read, of 128 KiB at about 1.2x. A block is at most kBlockBytes and at
// most 1/kMinBlocksPerBatch of a mini-batch, so that every mini-batch still draws its rows
// from at least that many random places, however narrow the rows (sorted data stays mixed):
// a batch of 1,000 rows of 100 floats holds 8 blocks of 125 rows.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace linlearn {

struct RowRun {
    int64_t first, count;
};

// k of the n rows (all when n <= k), ascending, drawn with `seed` in blocks of consecutive
// rows of at most kBlockBytes and k/64 rows (single rows when the data fits in the cache):
// a fixed sample, e.g. for the train metrics, that reads memory in sequential runs.
std::vector<int64_t> sample_rows(int64_t n, double row_bytes, int64_t k, uint64_t seed);

class EpochOrder {
public:
    static constexpr int64_t kBlockBytes = 128 * 1024;
    static constexpr int64_t kMinBlocksPerBatch = 8;
    static constexpr int64_t kCachedBytes = 16 * 1024 * 1024;

    // rows: the number of training rows; row_bytes: their average size in memory;
    // batch_rows: the mini-batch size (0: no batch bound on the block size).
    EpochOrder(int64_t rows, double row_bytes, uint64_t seed, int64_t batch_rows);
    // The block size EpochOrder uses for such data, in rows (1: row by row).
    static int64_t block_rows_for(int64_t rows, double row_bytes, int64_t batch_rows);

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
