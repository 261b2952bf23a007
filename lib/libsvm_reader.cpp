#include "libsvm_reader.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

#include "data_file.hpp"
#include "error.hpp"

namespace linlearn {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
const char* skip_space(const char* p, const char* e) {
    while (p < e && is_space(*p)) ++p;
    return p;
}
const char* token_end(const char* p, const char* e) {
    while (p < e && !is_space(*p)) ++p;
    return p;
}

}  // namespace

LibsvmReader::LibsvmReader(std::string path, LibsvmOptions opts)
    : path_(std::move(path)), opts_(opts) {
    if (opts_.feature_dim < 0 || opts_.feature_dim > INT32_MAX)
        fail(ErrorCode::invalid_argument,
             "libsvm options: feature_dim must be from 0 (0 = largest index seen) to " +
                 std::to_string(INT32_MAX) + ", found " + std::to_string(opts_.feature_dim));
    src_ = std::make_unique<detail::LineSource>(path_);
}

LibsvmReader::~LibsvmReader() = default;
LibsvmReader::LibsvmReader(LibsvmReader&&) noexcept = default;
LibsvmReader& LibsvmReader::operator=(LibsvmReader&&) noexcept = default;

bool LibsvmReader::next(int64_t max_rows, Dataset& batch) {
    if (max_rows <= 0)
        fail(ErrorCode::invalid_argument,
             "LibsvmReader::next: max_rows must be positive, found " + std::to_string(max_rows));
    // Size the arrays from the hints, else from the rows read so far (at most 4Ki rows ahead).
    const int64_t rows_guess = std::max<int64_t>(1, std::min(max_rows, hint_rows_ > 0 ? hint_rows_ : 4096));
    const int64_t nnz_guess =
        hint_nnz_ > 0 ? hint_nnz_ : rows_guess * (rows_read_ ? nnz_read_ / rows_read_ + 1 : 16);
    Batch b;
    b.indptr.reserve(static_cast<size_t>(rows_guess + 1));
    b.labels.reserve(static_cast<size_t>(rows_guess));
    b.indices.reserve(static_cast<size_t>(nnz_guess));
    b.values.reserve(static_cast<size_t>(nnz_guess));
    b.indptr.push_back(0);
    int64_t rows = 0;
    std::string_view line;
    while (rows < max_rows && src_->next(line)) rows += parse_row(line, b);
    if (rows_read_ == 0 && rows == 0)
        throw parse_error(path_, src_->line_number() + 1, 1,
                          "no data rows: expected a data row, found the end of the file");
    rows_read_ += rows;
    nnz_read_ += static_cast<int64_t>(b.indices.size());
    if (rows == 0) {
        batch = Dataset();
        return false;
    }
    batch = Dataset::csr(std::move(b.indptr), std::move(b.indices), std::move(b.values), cols(),
                         std::move(b.labels));
    return true;
}

// One "label idx:val ... # comment" line; false for a blank or comment-only line.
bool LibsvmReader::parse_row(std::string_view line, Batch& out) {
    const char* const b = line.data();
    const char* e = b + line.size();
    if (auto hash = static_cast<const char*>(std::memchr(b, '#', line.size()))) e = hash;
    const char* p = skip_space(b, e);
    if (p == e) return false;
    auto error = [&](const char* at, const std::string& message) {
        return parse_error(path_, src_->line_number(), at - b + 1, message);
    };
    const char* t = token_end(p, e);
    const std::string_view label(p, t - p);
    if (label.find(':') != std::string_view::npos)
        throw error(p, "expected a label before the features, found " + detail::shown(label));
    float y = 0;
    if (!detail::parse_float(p, t, y)) throw error(p, detail::bad_number("a label (a number)", label));
    out.labels.push_back(y);
    int64_t prev = 0;
    const int64_t limit = opts_.feature_dim > 0 ? opts_.feature_dim : INT32_MAX;
    for (p = skip_space(t, e); p < e; p = skip_space(t, e)) {
        // Fast path: a valid "idx:val" parsed in place; anything else goes the careful way,
        // which names the problem.
        int64_t fast_idx = 0;
        float v = 0;
        const auto r = std::from_chars(p, e, fast_idx);
        if (r.ec == std::errc() && r.ptr < e && *r.ptr == ':' && fast_idx > prev && fast_idx <= limit &&
            (t = detail::scan_float(r.ptr + 1, e, v)) && (t == e || is_space(*t))) {
            out.indices.push_back(static_cast<int32_t>(fast_idx - 1));
            out.values.push_back(v);
            prev = fast_idx;
            continue;
        }
        t = token_end(p, e);
        const auto colon = static_cast<const char*>(std::memchr(p, ':', t - p));
        if (!colon)
            throw error(p, "expected 'index:value', found " +
                               detail::shown(std::string_view(p, t - p)));
        const int32_t idx = parse_index(b, p, colon, prev);
        if (!detail::parse_float(colon + 1, t, v))
            throw error(colon + 1,
                        detail::bad_number(("a number after '" + std::to_string(idx) + ":'").c_str(),
                                           std::string_view(colon + 1, t - colon - 1)));
        out.indices.push_back(idx - 1);
        out.values.push_back(v);
        prev = idx;
    }
    max_index_ = std::max(max_index_, prev);
    out.indptr.push_back(static_cast<int64_t>(out.indices.size()));
    return true;
}

// The 1-based index in [b, e) (the text before ':'), checked against the row's previous one.
int32_t LibsvmReader::parse_index(const char* line, const char* b, const char* e,
                                  int64_t prev) const {
    auto error = [&](const std::string& message) {
        return parse_error(path_, src_->line_number(), b - line + 1, message);
    };
    const std::string_view text(b, e - b);
    if (text == "qid") throw error("qid: tokens (ranking query ids) are not supported");
    int64_t idx = 0;
    const auto r = std::from_chars(b, e, idx);
    if (b == e || *b == '-' || r.ptr != e)
        throw error("expected a feature index (a positive integer) before ':', found " +
                    (b == e ? std::string("nothing") : detail::shown(text)));
    if (r.ec != std::errc() || idx > INT32_MAX)
        throw error("feature index " + std::string(text) + " is beyond the largest supported, " +
                    std::to_string(INT32_MAX));
    if (idx == 0) throw error("feature index 0: expected indices from 1 (they are 1-based)");
    const std::string found = "feature index " + std::to_string(idx);
    if (opts_.feature_dim > 0 && idx > opts_.feature_dim)
        throw error(found + " exceeds feature_dim " + std::to_string(opts_.feature_dim));
    if (idx == prev) throw error("duplicate " + found);
    if (idx < prev)
        throw error("expected increasing feature indices, found " + std::to_string(idx) +
                    " after " + std::to_string(prev));
    return static_cast<int32_t>(idx);
}

Dataset read_libsvm(const std::string& path, const LibsvmOptions& opts) {
    LibsvmReader reader(path, opts);
    // Line and ':' counts bound the rows and values: the arrays are allocated once.
    const detail::TextCounts counts = detail::count_text(path, true);
    if (counts.lines) reader.size_hint(counts.lines, counts.colons);
    Dataset all;
    reader.next(INT64_MAX, all);
    return all;
}

}  // namespace linlearn
