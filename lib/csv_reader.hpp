// CSV reader: numeric CSV in SageMaker Linear Learner's convention (label in the first
// column, no header) into dense float32 Datasets, the whole file or in batches of rows.
//
// Accepted: ',' or '\t' delimiters; LF or CRLF line ends; a UTF-8 BOM; spaces around fields;
// numbers in double quotes ("1.5"). Blank lines (empty or spaces only) are skipped, but a line
// holding only delimiters is an error (empty fields). Every row must have the first row's
// column count. NaN and infinity are refused (training needs finite values). Errors name
// "file:line:col:" (1-based, bytes) and what was expected and found; ErrorCode::parse.
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

struct CsvOptions {
    bool header = false;   // the first non-blank line is a header to skip (its columns are not checked)
    char delimiter = ',';  // ',' or '\t'
    int label_column = 0;  // 0-based column holding the label; -1 = no label column (inference input)
    // read_csv only: threads parsing the file; 0 (or less) = omp_get_max_threads(). The
    // result does not depend on it.
    int num_threads = 0;
};

class CsvReader {
public:
    // Throws Error(io) naming the path and the system's reason if it cannot open the file,
    // Error(invalid_argument) for a bad option.
    CsvReader(std::string path, CsvOptions opts);
    ~CsvReader();
    CsvReader(CsvReader&&) noexcept;
    CsvReader& operator=(CsvReader&&) noexcept;

    // The next up to max_rows rows as an owning dense Dataset (unlabelled when label_column
    // is -1); false, with `batch` emptied, once the file is exhausted. A file without any
    // data row is an error ("no data rows") on the first call.
    bool next(int64_t max_rows, Dataset& batch);
    int64_t cols() const { return fields_ < 0 ? 0 : fields_ - (opts_.label_column >= 0); }  // 0 until the first row
    int64_t rows_read() const { return rows_read_; }
    const std::string& path() const { return path_; }
    // An upper bound on the rows the next batch will hold, so that its arrays are sized once.
    void size_hint(int64_t rows) { hint_rows_ = rows; }

private:
    std::string path_;
    CsvOptions opts_;
    std::unique_ptr<detail::LineSource> src_;
    int64_t fields_ = -1;  // columns per row, label included; -1 until the first row
    int64_t rows_read_ = 0;
    int64_t hint_rows_ = 0;  // 0 = no hint
    bool header_pending_ = false;
};

// The whole file as one dense Dataset. A regular file is mapped and parsed on
// opts.num_threads threads; anything else (a pipe) is read on one thread through CsvReader.
// Either way the values, their order and any error (the first in the file) are the same.
Dataset read_csv(const std::string& path, const CsvOptions& opts = {});

namespace detail {
// read_csv's two ways, for the tests: sequential (CsvReader, what a pipe gets) and parallel
// (ranges of about range_bytes, 0 = default_range_bytes; falls back to sequential when the
// file cannot be mapped).
Dataset read_csv_sequential(const std::string& path, const CsvOptions& opts);
Dataset read_csv_parallel(const std::string& path, const CsvOptions& opts, size_t range_bytes = 0);
}  // namespace detail

}  // namespace linlearn
