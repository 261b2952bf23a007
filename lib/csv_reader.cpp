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

void check_options(const CsvOptions& opts) {
    if (opts.delimiter != ',' && opts.delimiter != '\t')
        fail(ErrorCode::invalid_argument, "CSV options: the delimiter must be ',' or tab, found '" +
                                              std::string(1, opts.delimiter) + "'");
    if (opts.label_column < -1)
        fail(ErrorCode::invalid_argument,
             "CSV options: label_column must be a column number from 0, or -1 for no label "
             "column, found " + std::to_string(opts.label_column));
}

[[noreturn]] void no_data_rows(const std::string& path, int64_t line_no) {
    throw parse_error(path, line_no, 1, "no data rows: expected a data row, found the end of the file");
}

// One line's parsing, shared by the batch reader (CsvReader) and the parallel whole-file reader,
// so that both accept, refuse and report exactly alike.
struct RowParser {
    const std::string& path;
    const CsvOptions& opts;
    int64_t fields;  // columns per row, label included; -1 before the first row

    // Splits the line at the delimiter and parses each field in place; put(n, value) gets
    // column n's value (n < fields: a row with too many columns fails before its extra field
    // is stored). Returns the column count, which is `fields` unless that is -1.
    template <class Put>
    int64_t parse(std::string_view line, int64_t line_no, Put&& put) const {
        const char* const b = line.data();
        const char* const e = b + line.size();
        const char d = opts.delimiter;
        int64_t n = 0;  // fields parsed so far
        for (const char* p = b;; ++n) {
            if (n == fields) column_count_error(line, line_no, p, n + 1 + std::count(p, e, d));
            float v = 0;
            const char* end = detail::scan_float(p, e, v);  // fast path: a bare number
            if (!end || (end != e && *end != d)) {          // else spaces, quotes or an error
                end = static_cast<const char*>(std::memchr(p, d, static_cast<size_t>(e - p)));
                if (!end) end = e;
                v = parse_field(line_no, b, p, end);
            }
            put(n, v);
            if (end == e) break;
            p = end + 1;
        }
        ++n;
        if (fields >= 0 && n != fields) column_count_error(line, line_no, e, n);
        return n;
    }

    // The first row sets the column count; the label column must lie inside it.
    void set_fields(int64_t n, int64_t line_no) {
        if (opts.label_column >= n)
            fail(ErrorCode::invalid_argument,
                 parse_error(path, line_no, 1,
                             "label_column " + std::to_string(opts.label_column) +
                                 " is beyond the first row's " + std::to_string(n) + " columns")
                     .what());
        if (opts.label_column >= 0 && n < 2)
            throw parse_error(path, line_no, 1,
                              "expected at least 2 columns (the label and a feature), found 1");
        fields = n;
    }

    float parse_field(int64_t line_no, const char* line, const char* b, const char* e) const {
        trim(b, e);
        const int64_t col = b - line + 1;
        if (b < e && *b == '"') {
            if (e - b < 2 || e[-1] != '"')
                throw parse_error(path, line_no, col,
                                  "expected a closing '\"', found " +
                                      detail::shown(std::string_view(b, static_cast<size_t>(e - b))));
            ++b, --e;
            trim(b, e);
        }
        float v = 0;
        if (!detail::parse_float(b, e, v))
            throw parse_error(path, line_no, col,
                              detail::bad_number("a number", std::string_view(b, static_cast<size_t>(e - b)),
                                                 "an empty field"));
        return v;
    }

    [[noreturn]] void column_count_error(std::string_view line, int64_t line_no, const char* at,
                                         int64_t found) const {
        throw parse_error(path, line_no, at - line.data() + 1,
                          "expected " + std::to_string(fields) + " columns (as in the first row), found " +
                              std::to_string(found));
    }
};

}  // namespace

CsvReader::CsvReader(std::string path, CsvOptions opts) : path_(std::move(path)), opts_(opts) {
    check_options(opts_);
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
    RowParser parser{path_, opts_, fields_};
    auto put = [&](int64_t n, float v) { (n == opts_.label_column ? y : x).push_back(v); };
    while (rows < max_rows && src_->next(line)) {
        if (is_blank(line, opts_.delimiter)) continue;
        if (header_pending_) {
            header_pending_ = false;
            continue;
        }
        const int64_t n = parser.parse(line, src_->line_number(), put);
        if (fields_ < 0) parser.set_fields(n, src_->line_number()), fields_ = n;
        if (rows++ == 0) {  // the column count is known now: size the batch
            // Without a hint, reserve at most 16 MiB of features and let the vector grow.
            const int64_t guess = hint_rows_ > 0 ? hint_rows_ : (int64_t(1) << 22) / std::max<int64_t>(1, cols());
            const int64_t expect = std::max<int64_t>(1, std::min(max_rows, guess));
            x.reserve(static_cast<size_t>(expect * cols()));
            if (opts_.label_column >= 0) y.reserve(static_cast<size_t>(expect));
        }
    }
    if (rows_read_ == 0 && rows == 0) no_data_rows(path_, src_->line_number() + 1);
    rows_read_ += rows;
    if (rows == 0) {
        batch = Dataset();
        return false;
    }
    batch = Dataset::dense(std::move(x), rows, cols(), std::move(y));
    return true;
}

Dataset read_csv(const std::string& path, const CsvOptions& opts) {
    return detail::read_csv_parallel(path, opts);
}

namespace detail {

Dataset read_csv_sequential(const std::string& path, const CsvOptions& opts) {
    CsvReader reader(path, opts);
    // A line count bounds the rows, so the arrays are allocated once at (about) their final size.
    if (const int64_t lines = count_text(path, false).lines) reader.size_hint(lines);
    Dataset all;
    reader.next(INT64_MAX, all);
    return all;
}

// The header and the first data row on one thread (the first row sets the column count that
// every other row is checked against); then the rest of the file in ranges ending at line
// ends: a parallel pass counts each range's lines and rows, the arrays are allocated at their
// final size, and a second parallel pass parses each range straight into its rows. Every
// range reports its first error; the earliest range's is thrown.
Dataset read_csv_parallel(const std::string& path, const CsvOptions& opts, size_t range_bytes) {
    check_options(opts);
    const RangeFile file(path);
    if (!file.opened()) return read_csv_sequential(path, opts);
    const char d = opts.delimiter;

    RowParser parser{path, opts, -1};
    std::vector<float> x0, y0;  // the first row
    int64_t line_no = 0;
    uint64_t head_end = 0;  // where the line after the first row starts
    // The head (blank lines, the header, the first row) from a window at the file's start,
    // doubled until it holds the first row's whole line or the whole file.
    std::vector<char> window;
    for (uint64_t w = std::min<uint64_t>(file.size(), 1 << 16);; w = std::min<uint64_t>(file.size(), 2 * w)) {
        std::string_view text = file.read({0, w}, window);
        if (w < file.size()) text = text.substr(0, text.rfind('\n') + 1);  // whole lines only
        LineCursor head(text.data(), text.data() + text.size(), text.data());
        line_no = 0;
        bool header_pending = opts.header;
        std::string_view line;
        while (head.next(line)) {
            ++line_no;
            if (is_blank(line, d)) continue;
            if (header_pending) {
                header_pending = false;
                continue;
            }
            parser.set_fields(parser.parse(line, line_no, [&](int64_t n, float v) {
                (n == opts.label_column ? y0 : x0).push_back(v);
            }), line_no);
            head_end = static_cast<uint64_t>(head.position() - text.data());
            break;
        }
        if (parser.fields >= 0 || w == file.size()) break;
    }
    if (parser.fields < 0) no_data_rows(path, line_no + 1);

    const bool labelled = opts.label_column >= 0;
    const int64_t cols = parser.fields - labelled;
    // A line shorter than this cannot hold `fields` non-empty fields: it is an error, and is
    // not given a row (so that lines of garbage cannot inflate the arrays beyond the file).
    const size_t min_length = static_cast<size_t>(2 * parser.fields - 1);
    auto is_row = [&](std::string_view s) { return s.size() >= min_length && !is_blank(s, d); };

    const std::vector<FileRange> ranges = file.split(head_end, range_bytes ? range_bytes : default_range_bytes);
    const int64_t n = static_cast<int64_t>(ranges.size());
    const int threads = resolve_threads(opts.num_threads);
    // One read buffer per thread (worker_index() is below `threads` inside parallel_ranges'
    // team; the modulo covers a caller's own OpenMP team when it runs alone).
    std::vector<std::vector<char>> buffers(static_cast<size_t>(threads));
    auto text_of = [&](int64_t r) {
        const std::string_view t = file.read(ranges[static_cast<size_t>(r)],
                                             buffers[static_cast<size_t>(worker_index() % threads)]);
        return LineCursor(t.data(), t.data() + t.size());
    };
    std::vector<int64_t> first_line(static_cast<size_t>(n) + 1), first_row(static_cast<size_t>(n) + 1);
    parallel_ranges(n, threads, [&](int64_t r) {
        LineCursor lines = text_of(r);
        int64_t count = 0, rows = 0;
        std::string_view s;
        while (lines.next(s)) ++count, rows += is_row(s);
        first_line[static_cast<size_t>(r) + 1] = count;
        first_row[static_cast<size_t>(r) + 1] = rows;
    });
    first_line[0] = line_no;
    first_row[0] = 1;
    for (size_t r = 0; r < ranges.size(); ++r) {
        first_line[r + 1] += first_line[r];
        first_row[r + 1] += first_row[r];
    }
    const int64_t rows = first_row.back();

    std::vector<float> x, y;
    resize_prefaulted(x, static_cast<size_t>(rows * cols), threads);
    resize_prefaulted(y, labelled ? static_cast<size_t>(rows) : 0, threads);
    std::copy(x0.begin(), x0.end(), x.begin());
    if (labelled) y[0] = y0[0];
    try {
        parallel_ranges(n, threads, [&](int64_t r) {
            LineCursor lines = text_of(r);
            int64_t at = first_line[static_cast<size_t>(r)], row = first_row[static_cast<size_t>(r)];
            std::string_view s;
            while (lines.next(s)) {
                ++at;
                if (is_blank(s, d)) continue;
                if (!is_row(s)) {  // too short for a row: parsing it must fail
                    parser.parse(s, at, [](int64_t, float) {});
                    fail(ErrorCode::internal, "read_csv: a short line parsed as a row");
                }
                if (row == first_row[static_cast<size_t>(r) + 1])
                    fail(ErrorCode::internal, "read_csv: more rows than counted");
                float* xp = x.data() + row * cols;
                float* const yp = labelled ? y.data() + row : nullptr;
                parser.parse(s, at, [&](int64_t k, float v) {
                    if (k == opts.label_column) *yp = v;
                    else *xp++ = v;
                });
                ++row;
            }
            if (row != first_row[static_cast<size_t>(r) + 1])
                fail(ErrorCode::internal, "read_csv: fewer rows than counted");
        });
    } catch (const Error&) {
        file.check_unchanged();  // a pass that saw other text than the first: the file's fault
        throw;
    }
    file.check_unchanged();  // what was parsed is what the file holds
    return Dataset::dense(std::move(x), rows, cols, std::move(y));
}

}  // namespace detail
}  // namespace linlearn
