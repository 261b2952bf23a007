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

void check_options(const LibsvmOptions& opts) {
    if (opts.feature_dim < 0 || opts.feature_dim > INT32_MAX)
        fail(ErrorCode::invalid_argument,
             "libsvm options: feature_dim must be from 0 (0 = largest index seen) to " +
                 std::to_string(INT32_MAX) + ", found " + std::to_string(opts.feature_dim));
}

[[noreturn]] void no_data_rows(const std::string& path, int64_t line_no) {
    throw parse_error(path, line_no, 1, "no data rows: expected a data row, found the end of the file");
}

// Where a line's data ends: at its comment, if any.
const char* data_end(std::string_view line) {
    const auto hash = static_cast<const char*>(std::memchr(line.data(), '#', line.size()));
    return hash ? hash : line.data() + line.size();
}

// A line that holds a row (not blank, not a comment only).
bool is_row(std::string_view line) {
    const char* e = data_end(line);
    return skip_space(line.data(), e) != e;
}

// One line's parsing, shared by the batch reader (LibsvmReader) and the parallel whole-file
// reader, so that both accept, refuse and report exactly alike.
struct RowParser {
    const std::string& path;
    const LibsvmOptions& opts;

    // One "label idx:val ... # comment" line; false for a blank or comment-only line. Else
    // out.label(y), then out.value(0-based index, value) for each pair (each consumes one ':'
    // before the comment), and `last` is the row's largest 1-based index (0 if none).
    template <class Out>
    bool parse(std::string_view line, int64_t line_no, Out& out, int64_t& last) const {
        const char* const b = line.data();
        const char* e = data_end(line);
        const char* p = skip_space(b, e);
        if (p == e) return false;
        auto error = [&](const char* at, const std::string& message) {
            return parse_error(path, line_no, at - b + 1, message);
        };
        const char* t = token_end(p, e);
        const std::string_view label(p, static_cast<size_t>(t - p));
        if (label.find(':') != std::string_view::npos)
            throw error(p, "expected a label before the features, found " + detail::shown(label));
        float y = 0;
        if (!detail::parse_float(p, t, y)) throw error(p, detail::bad_number("a label (a number)", label));
        out.label(y);
        int64_t prev = 0;
        const int64_t limit = opts.feature_dim > 0 ? opts.feature_dim : INT32_MAX;
        for (p = skip_space(t, e); p < e; p = skip_space(t, e)) {
            // Fast path: a valid "idx:val" parsed in place; anything else goes the careful
            // way, which names the problem.
            int64_t fast_idx = 0;
            float v = 0;
            const auto r = std::from_chars(p, e, fast_idx);
            if (r.ec == std::errc() && r.ptr < e && *r.ptr == ':' && fast_idx > prev && fast_idx <= limit &&
                (t = detail::scan_float(r.ptr + 1, e, v)) && (t == e || is_space(*t))) {
                out.value(static_cast<int32_t>(fast_idx - 1), v);
                prev = fast_idx;
                continue;
            }
            t = token_end(p, e);
            const auto colon = static_cast<const char*>(std::memchr(p, ':', static_cast<size_t>(t - p)));
            if (!colon)
                throw error(p, "expected 'index:value', found " +
                                   detail::shown(std::string_view(p, static_cast<size_t>(t - p))));
            const int32_t idx = parse_index(line_no, b, p, colon, prev);
            if (!detail::parse_float(colon + 1, t, v))
                throw error(colon + 1,
                            detail::bad_number(("a number after '" + std::to_string(idx) + ":'").c_str(),
                                               std::string_view(colon + 1, static_cast<size_t>(t - colon - 1))));
            out.value(idx - 1, v);
            prev = idx;
        }
        last = prev;
        return true;
    }

    // The 1-based index in [b, e) (the text before ':'), checked against the row's previous one.
    int32_t parse_index(int64_t line_no, const char* line, const char* b, const char* e, int64_t prev) const {
        auto error = [&](const std::string& message) {
            return parse_error(path, line_no, b - line + 1, message);
        };
        const std::string_view text(b, static_cast<size_t>(e - b));
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
        if (opts.feature_dim > 0 && idx > opts.feature_dim)
            throw error(found + " exceeds feature_dim " + std::to_string(opts.feature_dim));
        if (idx == prev) throw error("duplicate " + found);
        if (idx < prev)
            throw error("expected increasing feature indices, found " + std::to_string(idx) +
                        " after " + std::to_string(prev));
        return static_cast<int32_t>(idx);
    }
};

// The batch reader's rows: growing vectors.
struct BatchRows {
    std::vector<int64_t> indptr;
    std::vector<int32_t> indices;
    std::vector<float> values, labels;
    void label(float y) { labels.push_back(y); }
    void value(int32_t idx, float v) {
        indices.push_back(idx);
        values.push_back(v);
    }
};

// The parallel reader's rows: a range's slots in the final arrays, counted beforehand.
struct RangeRows {
    float* labels;  // from the range's first row
    int32_t* indices;
    float* values;
    int64_t rows, row_capacity, nnz, nnz_capacity;  // stored so far, counted
    void label(float y) {
        if (rows == row_capacity) fail(ErrorCode::internal, "read_libsvm: more rows than counted");
        labels[rows++] = y;
    }
    void value(int32_t idx, float v) {
        if (nnz == nnz_capacity) fail(ErrorCode::internal, "read_libsvm: more values than counted");
        indices[nnz] = idx;
        values[nnz++] = v;
    }
};

}  // namespace

LibsvmReader::LibsvmReader(std::string path, LibsvmOptions opts)
    : path_(std::move(path)), opts_(opts) {
    check_options(opts_);
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
    BatchRows b;
    b.indptr.reserve(static_cast<size_t>(rows_guess + 1));
    b.labels.reserve(static_cast<size_t>(rows_guess));
    b.indices.reserve(static_cast<size_t>(nnz_guess));
    b.values.reserve(static_cast<size_t>(nnz_guess));
    b.indptr.push_back(0);
    const RowParser parser{path_, opts_};
    int64_t rows = 0;
    std::string_view line;
    while (rows < max_rows && src_->next(line)) {
        int64_t last = 0;
        if (!parser.parse(line, src_->line_number(), b, last)) continue;
        max_index_ = std::max(max_index_, last);
        b.indptr.push_back(static_cast<int64_t>(b.indices.size()));
        ++rows;
    }
    if (rows_read_ == 0 && rows == 0) no_data_rows(path_, src_->line_number() + 1);
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

Dataset read_libsvm(const std::string& path, const LibsvmOptions& opts) {
    return detail::read_libsvm_parallel(path, opts);
}

namespace detail {

Dataset read_libsvm_sequential(const std::string& path, const LibsvmOptions& opts) {
    LibsvmReader reader(path, opts);
    // Line and ':' counts bound the rows and values: the arrays are allocated once.
    const TextCounts counts = count_text(path, true);
    if (counts.lines) reader.size_hint(counts.lines, counts.colons);
    Dataset all;
    reader.next(INT64_MAX, all);
    return all;
}

// The file in ranges ending at line ends: a parallel pass counts each range's lines, rows and
// ':' before comments (exactly the values of a valid range), the arrays are allocated at their
// final size, and a second parallel pass parses each range straight into its slots. Every
// range reports its first error; the earliest range's is thrown.
Dataset read_libsvm_parallel(const std::string& path, const LibsvmOptions& opts, size_t range_bytes) {
    check_options(opts);
    const RangeFile file(path);
    if (!file.opened()) return read_libsvm_sequential(path, opts);
    const std::vector<FileRange> ranges = file.split(0, range_bytes ? range_bytes : default_range_bytes);
    const size_t n = ranges.size();
    const int threads = resolve_threads(opts.num_threads);
    // One read buffer per thread (worker_index() is below `threads` inside parallel_ranges'
    // team; the modulo covers a caller's own OpenMP team when it runs alone).
    std::vector<std::vector<char>> buffers(static_cast<size_t>(threads));
    auto text_of = [&](size_t r) {
        return file.read(ranges[r], buffers[static_cast<size_t>(worker_index() % threads)]);
    };
    // Per range, then (prefix sums) the file's counts before it.
    std::vector<int64_t> first_line(n + 1), first_row(n + 1), first_nnz(n + 1), last(n, 0);
    parallel_ranges(static_cast<int64_t>(n), threads, [&](int64_t i) {
        const size_t r = static_cast<size_t>(i);
        const std::string_view text = text_of(r);
        const char* const begin = text.data();
        const char* const end = begin + text.size();
        const bool comments = std::memchr(begin, '#', text.size());
        LineCursor lines(begin, end, r == 0 ? begin : nullptr);
        int64_t count = 0, rows = 0, colons = 0;
        std::string_view s;
        while (lines.next(s)) {
            ++count;
            if (!is_row(s)) continue;
            ++rows;
            if (comments) colons += std::count(s.data(), data_end(s), ':');
        }
        // Without comments, every ':' lies on a row (a blank line holds none).
        if (!comments) colons = std::count(begin, end, ':');
        first_line[r + 1] = count;
        first_row[r + 1] = rows;
        first_nnz[r + 1] = colons;
    });
    for (size_t r = 0; r < n; ++r) {
        first_line[r + 1] += first_line[r];
        first_row[r + 1] += first_row[r];
        first_nnz[r + 1] += first_nnz[r];
    }
    const int64_t rows = first_row[n], nnz = first_nnz[n];
    if (rows == 0) no_data_rows(path, first_line[n] + 1);  // no row, so no error either

    std::vector<int64_t> indptr;
    std::vector<int32_t> indices;
    std::vector<float> values, labels;
    resize_prefaulted(indptr, static_cast<size_t>(rows) + 1, threads);
    resize_prefaulted(indices, static_cast<size_t>(nnz), threads);
    resize_prefaulted(values, static_cast<size_t>(nnz), threads);
    resize_prefaulted(labels, static_cast<size_t>(rows), threads);
    const RowParser parser{path, opts};
    try {
        parallel_ranges(static_cast<int64_t>(n), threads, [&](int64_t i) {
            const size_t r = static_cast<size_t>(i);
            const std::string_view text = text_of(r);
            const int64_t nnz0 = first_nnz[r];
            RangeRows out{labels.data() + first_row[r], indices.data() + nnz0, values.data() + nnz0,
                          0, first_row[r + 1] - first_row[r], 0, first_nnz[r + 1] - nnz0};
            LineCursor lines(text.data(), text.data() + text.size(), r == 0 ? text.data() : nullptr);
            int64_t at = first_line[r], largest = 0;
            int64_t* const ends = indptr.data() + first_row[r] + 1;  // the range's rows' ends
            std::string_view s;
            while (lines.next(s)) {
                int64_t row_last = 0;
                if (!parser.parse(s, ++at, out, row_last)) continue;
                largest = std::max(largest, row_last);
                ends[out.rows - 1] = nnz0 + out.nnz;
            }
            if (out.rows != out.row_capacity || out.nnz != out.nnz_capacity)
                fail(ErrorCode::internal, "read_libsvm: fewer rows or values than counted");
            last[r] = largest;
        });
    } catch (const Error&) {
        file.check_unchanged();  // a pass that saw other text than the first: the file's fault
        throw;
    }
    file.check_unchanged();  // what was parsed is what the file holds
    const int64_t largest = n ? *std::max_element(last.begin(), last.end()) : 0;
    return Dataset::csr(std::move(indptr), std::move(indices), std::move(values),
                        opts.feature_dim > 0 ? opts.feature_dim : largest, std::move(labels));
}

}  // namespace detail
}  // namespace linlearn
