#include "csv_reader.hpp"

#include <algorithm>
#include <cstring>

#include "data_file.hpp"
#include "error.hpp"

namespace linlearn {
namespace {

// Empty or spaces only (tabs too, unless they are the delimiter): skipped, not an error.
bool is_blank(std::string_view line, char delimiter) {
    return std::all_of(line.begin(), line.end(),
                       [&](char c) { return c == ' ' || (c == '\t' && delimiter != '\t'); });
}

bool is_space(char c) { return c == ' ' || c == '\t'; }

void trim(const char*& b, const char*& e) {
    while (b < e && is_space(*b)) ++b;
    while (e > b && is_space(e[-1])) --e;
}

}  // namespace

CsvReader::CsvReader(std::string path, CsvOptions opts) : path_(std::move(path)), opts_(opts) {
    if (opts_.delimiter != ',' && opts_.delimiter != '\t')
        fail(ErrorCode::invalid_argument, "CSV options: the delimiter must be ',' or tab, found '" +
                                              std::string(1, opts_.delimiter) + "'");
    if (opts_.label_column < -1)
        fail(ErrorCode::invalid_argument,
             "CSV options: label_column must be a column number from 0, or -1 for no label "
             "column, found " + std::to_string(opts_.label_column));
    src_ = std::make_unique<detail::LineSource>(path_);
    header_pending_ = opts_.header;
}

CsvReader::~CsvReader() = default;
CsvReader::CsvReader(CsvReader&&) noexcept = default;
CsvReader& CsvReader::operator=(CsvReader&&) noexcept = default;

bool CsvReader::next(int64_t max_rows, Dataset& batch) {
    if (max_rows <= 0)
        fail(ErrorCode::invalid_argument,
             "CsvReader::next: max_rows must be positive, found " + std::to_string(max_rows));
    std::vector<float> x, y;
    int64_t rows = 0;
    std::string_view line;
    while (rows < max_rows && src_->next(line)) {
        if (is_blank(line, opts_.delimiter)) continue;
        if (header_pending_) {
            header_pending_ = false;
            continue;
        }
        parse_row(line, x, y);
        if (rows++ == 0) {  // the column count is known now: size the batch
            // Without a hint, reserve at most 16 MiB of features and let the vector grow.
            const int64_t guess = hint_rows_ > 0 ? hint_rows_ : (int64_t(1) << 22) / std::max<int64_t>(1, cols());
            const int64_t expect = std::max<int64_t>(1, std::min(max_rows, guess));
            x.reserve(static_cast<size_t>(expect * cols()));
            if (opts_.label_column >= 0) y.reserve(static_cast<size_t>(expect));
        }
    }
    if (rows_read_ == 0 && rows == 0)
        throw parse_error(path_, src_->line_number() + 1, 1,
                          "no data rows: expected a data row, found the end of the file");
    rows_read_ += rows;
    if (rows == 0) {
        batch = Dataset();
        return false;
    }
    batch = Dataset::dense(std::move(x), rows, cols(), std::move(y));
    return true;
}

// Splits a line at the delimiter and parses each field straight from the read buffer.
void CsvReader::parse_row(std::string_view line, std::vector<float>& x, std::vector<float>& y) {
    const char* const b = line.data();
    const char* const e = b + line.size();
    const char d = opts_.delimiter;
    int64_t n = 0;  // fields parsed so far
    for (const char* p = b;; ++n) {
        if (n == fields_) column_count_error(line, p, n + 1 + std::count(p, e, d));
        float v = 0;
        const char* end = detail::scan_float(p, e, v);  // fast path: a bare number
        if (!end || (end != e && *end != d)) {          // else spaces, quotes or an error
            end = static_cast<const char*>(std::memchr(p, d, e - p));
            if (!end) end = e;
            v = parse_field(b, p, end);
        }
        (n == opts_.label_column ? y : x).push_back(v);
        if (end == e) break;
        p = end + 1;
    }
    ++n;
    if (fields_ >= 0) {
        if (n != fields_) column_count_error(line, e, n);
        return;
    }
    // The first row sets the column count; the label column must lie inside it.
    const int64_t line_no = src_->line_number();
    if (opts_.label_column >= n)
        fail(ErrorCode::invalid_argument,
             parse_error(path_, line_no, 1,
                         "label_column " + std::to_string(opts_.label_column) +
                             " is beyond the first row's " + std::to_string(n) + " columns")
                 .what());
    if (opts_.label_column >= 0 && n < 2)
        throw parse_error(path_, line_no, 1,
                          "expected at least 2 columns (the label and a feature), found 1");
    fields_ = n;
}

float CsvReader::parse_field(const char* line, const char* b, const char* e) const {
    trim(b, e);
    const int64_t col = b - line + 1;
    if (b < e && *b == '"') {
        if (e - b < 2 || e[-1] != '"')
            throw parse_error(path_, src_->line_number(), col,
                              "expected a closing '\"', found " +
                                  detail::shown(std::string_view(b, e - b)));
        ++b, --e;
        trim(b, e);
    }
    float v = 0;
    if (!detail::parse_float(b, e, v))
        throw parse_error(path_, src_->line_number(), col,
                          detail::bad_number("a number", std::string_view(b, e - b),
                                             "an empty field"));
    return v;
}

void CsvReader::column_count_error(std::string_view line, const char* at, int64_t found) const {
    throw parse_error(path_, src_->line_number(), at - line.data() + 1,
                      "expected " + std::to_string(fields_) + " columns (as in the first row), found " +
                          std::to_string(found));
}

Dataset read_csv(const std::string& path, const CsvOptions& opts) {
    CsvReader reader(path, opts);
    // A line count bounds the rows, so the arrays are allocated once at (about) their final size.
    if (const int64_t lines = detail::count_text(path, false).lines) reader.size_hint(lines);
    Dataset all;
    reader.next(INT64_MAX, all);
    return all;
}

}  // namespace linlearn
