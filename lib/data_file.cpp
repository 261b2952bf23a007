#include "data_file.hpp"

#include <fast_float/fast_float.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <exception>
#include <filesystem>
#include <memory>
#include <set>
#include <system_error>

#include "error.hpp"

#ifdef _OPENMP
#include <omp.h>
#endif

namespace linlearn {
namespace detail {

LineSource::LineSource(std::string path, size_t chunk_bytes) : path_(std::move(path)) {
    file_ = std::fopen(path_.c_str(), "rb");
    if (!file_) fail(ErrorCode::io, "cannot open '" + path_ + "': " + std::strerror(errno));
    cap_ = std::max<size_t>(chunk_bytes, 1);
    // A regular file smaller than the chunk needs no more than its size (+1 so that the end
    // of the file is seen without growing the buffer; at least 4 KiB, for the files of /proc
    // whose size says 0).
    struct stat st;
    if (::fstat(::fileno(file_), &st) == 0 && S_ISREG(st.st_mode) && st.st_size >= 0 &&
        static_cast<uint64_t>(st.st_size) < cap_)
        cap_ = std::min(cap_, std::max<size_t>(static_cast<size_t>(st.st_size) + 1, 4096));
    buf_.reset(new char[cap_]);  // not zero-filled
}

LineSource::~LineSource() { std::fclose(file_); }

void LineSource::refill() {
    // Keep the unread tail (a partial line) at the front; grow when it fills the buffer.
    const size_t tail = end_ - begin_;
    if (begin_ > 0) std::memmove(buf_.get(), buf_.get() + begin_, tail);
    begin_ = 0;
    end_ = tail;
    if (end_ == cap_) {
        std::unique_ptr<char[]> bigger(new char[cap_ * 2]);
        std::memcpy(bigger.get(), buf_.get(), end_);
        buf_ = std::move(bigger);
        cap_ *= 2;
    }
    const size_t got = std::fread(buf_.get() + end_, 1, cap_ - end_, file_);
    if (got == 0) {
        if (std::ferror(file_))
            fail(ErrorCode::io, "cannot read '" + path_ + "': " + std::strerror(errno));
        eof_ = true;
    }
    end_ += got;
}

bool LineSource::next(std::string_view& line) {
    size_t from = begin_;  // bytes before `from` are known to hold no '\n'
    for (;;) {
        const char* base = buf_.get();
        if (auto nl = static_cast<const char*>(std::memchr(base + from, '\n', end_ - from))) {
            line = std::string_view(base + begin_, nl - (base + begin_));
            begin_ = nl + 1 - base;
            break;
        }
        if (eof_) {
            if (begin_ == end_) return false;
            line = std::string_view(base + begin_, end_ - begin_);  // last line, no '\n'
            begin_ = end_;
            break;
        }
        const size_t scanned = end_ - begin_;
        refill();
        from = begin_ + scanned;
    }
    trim_line_end_and_bom(line, ++line_ == 1);
    return true;
}

TextCounts count_text(const std::string& path, bool count_colons) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(path, ec)) return {};
    std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
    if (!f) return {};  // the reader itself reports why
    const uintmax_t size = std::filesystem::file_size(path, ec);
    const size_t cap = ec || size >= LineSource::default_chunk
                           ? LineSource::default_chunk
                           : std::max<size_t>(static_cast<size_t>(size) + 1, 4096);
    std::unique_ptr<char[]> buf(new char[cap]);  // not zero-filled
    TextCounts c;
    bool ends_in_newline = true;
    while (size_t got = std::fread(buf.get(), 1, cap, f.get())) {
        c.lines += std::count(buf.get(), buf.get() + got, '\n');
        if (count_colons) c.colons += std::count(buf.get(), buf.get() + got, ':');
        ends_in_newline = buf[got - 1] == '\n';
    }
    return c.lines += !ends_in_newline, c;
}

RangeFile::RangeFile(std::string path) : path_(std::move(path)) {
    // Never open what is not a regular file: opening a named pipe would wait for a writer, and
    // closing it again would cut that writer off before the sequential reader connects.
    struct stat st;
    if (::stat(path_.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return;
    const int fd = ::open(path_.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) return;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size <= 0) {
        ::close(fd);
        return;
    }
    fd_ = fd;
    size_ = static_cast<uint64_t>(st.st_size);
    mtime_s_ = static_cast<int64_t>(st.st_mtim.tv_sec);
    mtime_ns_ = static_cast<int64_t>(st.st_mtim.tv_nsec);
}

RangeFile::~RangeFile() {
    if (fd_ >= 0) ::close(fd_);
}

void RangeFile::changed() const {
    fail(ErrorCode::io, path_ + ": the file changed while it was being read");
}

void RangeFile::check_unchanged() const {
    struct stat st;
    if (::fstat(fd_, &st) != 0 || static_cast<uint64_t>(st.st_size) != size_ ||
        static_cast<int64_t>(st.st_mtim.tv_sec) != mtime_s_ || static_cast<int64_t>(st.st_mtim.tv_nsec) != mtime_ns_)
        changed();
}

std::string_view RangeFile::read(FileRange r, std::vector<char>& buf) const {
    const size_t n = static_cast<size_t>(r.end - r.begin);
    if (buf.size() < n) buf.resize(n);
    for (size_t got = 0; got < n;) {
        const ssize_t k = ::pread(fd_, buf.data() + got, n - got, static_cast<off_t>(r.begin + got));
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            const int e = errno;  // before any allocation; strerror is not thread-safe
            fail(ErrorCode::io, path_ + ": " + std::error_code(e, std::generic_category()).message());
        }
        if (k == 0) changed();  // the file ends before what it held when opened
        got += static_cast<size_t>(k);
    }
    return {buf.data(), n};
}

std::vector<FileRange> RangeFile::split(uint64_t from, size_t bytes) const {
    bytes = std::max<size_t>(bytes, 1);
    std::vector<FileRange> ranges;
    ranges.reserve(static_cast<size_t>((size_ - std::min(from, size_)) / bytes + 1));
    std::vector<char> window;
    for (uint64_t p = from; p < size_;) {
        uint64_t q = size_;
        if (size_ - p > bytes) {
            // End just after the first '\n' at or after the nominal end's last byte.
            for (uint64_t at = p + bytes - 1; at < size_;) {
                const uint64_t to = std::min<uint64_t>(size_, at + 4096);
                const std::string_view w = read({at, to}, window);
                if (const void* nl = std::memchr(w.data(), '\n', w.size())) {
                    q = at + static_cast<uint64_t>(static_cast<const char*>(nl) - w.data()) + 1;
                    break;
                }
                at = to;
            }
        }
        ranges.push_back({p, q});
        p = q;
    }
    return ranges;
}

int worker_index() {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

void prefault(void* data, size_t bytes, int threads) {
#ifdef MADV_POPULATE_WRITE
    constexpr size_t chunk = size_t(2) << 20;
    if (bytes < chunk) return;  // not worth a system call
    static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
    const uintptr_t b = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
    const uintptr_t e = (reinterpret_cast<uintptr_t>(data) + bytes) / page * page;
    const int64_t chunks = static_cast<int64_t>((e - b + chunk - 1) / chunk);
    static std::atomic<bool> unsupported{false};  // an older kernel: EINVAL
    [[maybe_unused]] const int team = static_cast<int>(std::min<int64_t>(std::max(threads, 1), chunks));
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
    for (int64_t i = 0; i < chunks; ++i) {
        if (unsupported.load(std::memory_order_relaxed)) continue;
        const uintptr_t p = b + static_cast<uintptr_t>(i) * chunk;
        if (::madvise(reinterpret_cast<void*>(p), std::min<uintptr_t>(chunk, e - p), MADV_POPULATE_WRITE) != 0 &&
            errno == EINVAL)
            unsupported.store(true, std::memory_order_relaxed);
    }
#else
    (void)data, (void)bytes, (void)threads;
#endif
}

int resolve_threads(int threads) {
    if (threads > 0) return threads;
#ifdef _OPENMP
    return std::max(1, omp_get_max_threads());
#else
    return 1;
#endif
}

void parallel_ranges(int64_t n, int threads, const std::function<void(int64_t)>& body) {
    if (n <= 0) return;
    std::vector<std::exception_ptr> errors(static_cast<size_t>(n));
    std::atomic<int64_t> first_failed{n};
    auto run = [&](int64_t r) {
        // An earlier range failed: this one's outcome no longer matters.
        if (r > first_failed.load(std::memory_order_relaxed)) return;
        try {
            body(r);
        } catch (...) {
            errors[static_cast<size_t>(r)] = std::current_exception();
            int64_t seen = first_failed.load();
            while (r < seen && !first_failed.compare_exchange_weak(seen, r)) {
            }
        }
    };
    const int team = static_cast<int>(std::min<int64_t>(std::max(threads, 1), n));
    if (team <= 1) {
        for (int64_t r = 0; r < n; ++r) run(r);
    } else {
#pragma omp parallel for schedule(dynamic, 1) num_threads(team)
        for (int64_t r = 0; r < n; ++r) run(r);
    }
    for (const auto& e : errors)
        if (e) std::rethrow_exception(e);
}

const char* scan_float(const char* begin, const char* end, float& out) {
    // fast_float (like std::from_chars) refuses a leading '+', which libsvm labels use.
    if (end - begin > 1 && *begin == '+' && begin[1] != '-' && begin[1] != '+') ++begin;
    const auto r = fast_float::from_chars(begin, end, out);
    return r.ec == std::errc() && std::isfinite(out) ? r.ptr : nullptr;
}

bool parse_float(const char* begin, const char* end, float& out) {
    return begin != end && scan_float(begin, end, out) == end;
}

std::string shown(std::string_view text) {
    constexpr size_t most = 40;
    return "'" + std::string(text.substr(0, most)) + (text.size() > most ? "...'" : "'");
}

std::string bad_number(const char* what, std::string_view text, const char* empty) {
    std::string msg = std::string("expected ") + what + ", found ";
    if (text.empty()) return msg + empty;
    msg += shown(text);
    // Tell a refused NaN/infinity or an overflow apart from text that is no number at all.
    const char* b = text.data() + (text[0] == '+' || text[0] == '-');
    const char* e = text.data() + text.size();
    float v = 0;
    const auto r = fast_float::from_chars(b, e, v);
    if (b == e || r.ec != std::errc() || r.ptr != e || std::isfinite(v)) return msg;
    if (std::isalpha(static_cast<unsigned char>(*b)))
        return msg + " (NaN and infinity are not accepted: features and labels must be finite)";
    return msg + " (beyond the float32 range)";
}

}  // namespace detail

namespace {

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

[[noreturn]] void bad_option(std::string_view key, std::string_view value, const char* allowed) {
    fail(ErrorCode::invalid_argument, "data file options: bad value '" + std::string(value) +
                                          "' for '" + std::string(key) + "': allowed " + allowed);
}

bool parse_bool(std::string_view key, std::string_view value) {
    if (value == "true") return true;
    if (value == "false") return false;
    bad_option(key, value, "true or false");
}

int64_t parse_int(std::string_view key, std::string_view value, int64_t lo, int64_t hi,
                  const char* allowed) {
    int64_t v = 0;
    const auto r = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || r.ec != std::errc() || r.ptr != value.data() + value.size() || v < lo ||
        v > hi)
        bad_option(key, value, allowed);
    return v;
}

}  // namespace

DataFormat format_from_extension(const std::string& path) {
    std::string ext = std::filesystem::path(path).extension().string();
    for (char& c : ext) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return ext == ".libsvm" || ext == ".svm" || ext == ".svmlight" ? DataFormat::libsvm
                                                                    : DataFormat::csv;
}

DataFileOptions parse_data_file_options(const std::string& path, const std::string& options) {
    DataFileOptions o;
    o.format = format_from_extension(path);
    std::set<std::string, std::less<>> seen;
    std::string_view rest = options;
    while (!rest.empty()) {
        const size_t comma = rest.find(',');
        const std::string_view item = trimmed(rest.substr(0, comma));
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        if (item.empty()) continue;  // "a=1,,b=2" or a trailing comma
        const size_t eq = item.find('=');
        if (eq == std::string_view::npos)
            fail(ErrorCode::invalid_argument, "data file options: expected key=value, found '" +
                                                  std::string(item) + "'");
        const std::string_view key = trimmed(item.substr(0, eq)), value = trimmed(item.substr(eq + 1));
        if (!seen.emplace(key).second)
            fail(ErrorCode::invalid_argument,
                 "data file options: '" + std::string(key) + "' is given twice");
        if (key == "format") {
            if (value == "csv") o.format = DataFormat::csv;
            else if (value == "libsvm") o.format = DataFormat::libsvm;
            else bad_option(key, value, "csv or libsvm");
        } else if (key == "header") {
            o.csv.header = parse_bool(key, value);
        } else if (key == "delimiter") {
            if (value == "comma") o.csv.delimiter = ',';
            else if (value == "tab") o.csv.delimiter = '\t';
            else bad_option(key, value, "comma or tab");
        } else if (key == "label_column") {
            o.csv.label_column = static_cast<int>(parse_int(
                key, value, -1, 1 << 30, "a column number from 0, or -1 for no label column"));
        } else if (key == "feature_dim") {
            o.libsvm.feature_dim =
                parse_int(key, value, 0, INT32_MAX, "an integer from 0 (0 = largest index seen)");
        } else if (key == "num_threads") {
            o.csv.num_threads = o.libsvm.num_threads = static_cast<int>(
                parse_int(key, value, 0, 4096, "an integer from 0 (0 = OpenMP's default) to 4096"));
        } else {
            fail(ErrorCode::invalid_argument,
                 "data file options: unknown key '" + std::string(key) + "' (value '" +
                     std::string(value) +
                     "'); allowed keys: format, header, delimiter, label_column, feature_dim, num_threads");
        }
    }
    // A key meant for the other format is most likely a mistaken format: say so.
    const bool libsvm = o.format == DataFormat::libsvm;
    for (const char* key : {"header", "delimiter", "label_column", "feature_dim"}) {
        const bool csv_key = std::strcmp(key, "feature_dim") != 0;
        if (seen.count(key) && csv_key == libsvm)
            fail(ErrorCode::invalid_argument,
                 "data file options: '" + std::string(key) + "' applies to " +
                     (csv_key ? "CSV" : "libsvm") + " files only, but '" + path + "' is read as " +
                     (libsvm ? "libsvm" : "CSV") +
                     (seen.count("format") ? "" : " (from its extension; set format=...)"));
    }
    return o;
}

Dataset read_data_file(const std::string& path, const std::string& options) {
    const DataFileOptions o = parse_data_file_options(path, options);
    return o.format == DataFormat::libsvm ? read_libsvm(path, o.libsvm) : read_csv(path, o.csv);
}

Dataset read_data_file(const std::string& path, const char* options) {
    return read_data_file(path, std::string(options ? options : ""));
}

}  // namespace linlearn
