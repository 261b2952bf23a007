// libsvm / svmlight reader: "label idx:val idx:val ... # comment" lines into CSR Datasets,
// the whole file or in batches of rows. Ids are 1-based in the file and 0-based in the
// Dataset; within a line they must be strictly increasing. Labels are kept as written
// (+1/-1 stays +1/-1: the trainer, not the reader, judges labels). qid: tokens (ranking) are
// refused. Blank and comment-only lines are skipped. NaN and infinity are refused.
// Errors name "file:line:col:" (1-based, bytes) and what was expected and found.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dataset.hpp"

namespace linlearn {

namespace detail {
class LineSource;
}

struct LibsvmOptions {
    int64_t feature_dim = 0;  // 0 = the largest index seen; else every index must be <= it
    // read_libsvm only: threads parsing the file; 0 (or less) = omp_get_max_threads(). The
    // result does not depend on it.
    int num_threads = 0;
};

class LibsvmReader {
public:
    // Throws Error(io) naming the path and the system's reason if it cannot open the file,
    // Error(invalid_argument) for a bad option.
    LibsvmReader(std::string path, LibsvmOptions opts);
    ~LibsvmReader();
    LibsvmReader(LibsvmReader&&) noexcept;
    LibsvmReader& operator=(LibsvmReader&&) noexcept;

    // The next up to max_rows rows as an owning CSR Dataset; false, with `batch` emptied, once
    // the file is exhausted. A file without any data row is an error on the first call.
    // A batch's column count is feature_dim when given, else the largest index seen so far
    // (so earlier batches may be narrower; Dataset::set_cols widens them).
    bool next(int64_t max_rows, Dataset& batch);
    int64_t cols() const { return opts_.feature_dim > 0 ? opts_.feature_dim : max_index_; }
    int64_t rows_read() const { return rows_read_; }
    const std::string& path() const { return path_; }
    // Upper bounds on the next batch's rows and stored values, so its arrays are sized once.
    void size_hint(int64_t rows, int64_t nnz) { hint_rows_ = rows, hint_nnz_ = nnz; }

private:
    std::string path_;
    LibsvmOptions opts_;
    std::unique_ptr<detail::LineSource> src_;
    int64_t max_index_ = 0;  // largest 1-based index seen
    int64_t rows_read_ = 0, nnz_read_ = 0;
    int64_t hint_rows_ = 0, hint_nnz_ = 0;  // 0 = no hint
};

// The whole file as one CSR Dataset. A regular file is mapped and parsed on
// opts.num_threads threads; anything else (a pipe) is read on one thread through
// LibsvmReader. Either way the values, their order and any error (the first in the file) are
// the same.
Dataset read_libsvm(const std::string& path, const LibsvmOptions& opts = {});

namespace detail {
// read_libsvm's two ways, for the tests: sequential (LibsvmReader, what a pipe gets) and
// parallel (ranges of about range_bytes, 0 = default_range_bytes; falls back to sequential
// when the file cannot be mapped).
Dataset read_libsvm_sequential(const std::string& path, const LibsvmOptions& opts);
Dataset read_libsvm_parallel(const std::string& path, const LibsvmOptions& opts, size_t range_bytes = 0);
}  // namespace detail

}  // namespace linlearn
