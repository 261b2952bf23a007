// Reading data files: format dispatch and the option string, plus the chunked line
// source and number parsing that the CSV and libsvm readers share (namespace detail).
#pragma once
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "csv_reader.hpp"
#include "dataset.hpp"
#include "libsvm_reader.hpp"

namespace linlearn {

enum class DataFormat { csv, libsvm };

struct DataFileOptions {
    DataFormat format = DataFormat::csv;
    CsvOptions csv;
    LibsvmOptions libsvm;
};

// .libsvm, .svm and .svmlight (any case) are libsvm; anything else is CSV. (.txt is not
// guessed: too many CSV files end in it.)
DataFormat format_from_extension(const std::string& path);

// "format=csv|libsvm,header=true|false,delimiter=comma|tab,label_column=N,feature_dim=N",
// any subset in any order, spaces around items allowed; "" means all defaults, the format
// coming from the extension. Unknown keys, bad values, a key given twice or a key that does
// not apply to the format throw Error(invalid_argument) naming key, value and what is allowed.
DataFileOptions parse_data_file_options(const std::string& path, const std::string& options);

// Reads the whole file as one Dataset: dense for CSV, CSR for libsvm.
Dataset read_data_file(const std::string& path, const std::string& options);
Dataset read_data_file(const std::string& path, const char* options);  // NULL = ""

namespace detail {

// What every reader drops from a line: a trailing '\r' (CRLF files) and, on the file's
// first line, a UTF-8 byte order mark.
inline void trim_line_end_and_bom(std::string_view& line, bool first_line) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (first_line && line.substr(0, 3) == "\xEF\xBB\xBF") line.remove_prefix(3);
}

// The lines of [begin, end) as LineSource gives them: split at '\n', a trailing '\r' dropped,
// and a UTF-8 byte order mark dropped from the line that starts at `file_start` (the file's
// first line; null when [begin, end) does not hold it). The last line needs no '\n'.
class LineCursor {
public:
    LineCursor(const char* begin, const char* end, const char* file_start = nullptr)
        : p_(begin), e_(end), file_start_(file_start) {}
    bool next(std::string_view& line) {
        if (p_ == e_) return false;
        const auto nl = static_cast<const char*>(std::memchr(p_, '\n', static_cast<size_t>(e_ - p_)));
        const char* end = nl ? nl : e_;
        line = std::string_view(p_, static_cast<size_t>(end - p_));
        p_ = nl ? nl + 1 : e_;
        trim_line_end_and_bom(line, line.data() == file_start_);
        return true;
    }
    const char* position() const { return p_; }  // the start of the next line

private:
    const char* p_;
    const char* e_;
    const char* file_start_;
};

// Byte offsets [begin, end) into a file.
struct FileRange {
    uint64_t begin, end;
};

// A regular file that the parallel readers read in ranges, from any thread (pread into the
// caller's buffer). Not a memory map: a file truncated by another process while it is read
// must be an Error, not a SIGBUS in the host program (a library installs no signal handler).
// opened() is false (and nothing is thrown) when the path cannot be opened, is not a regular
// file (a pipe, a terminal) or is empty: the caller then reads it sequentially, which reports
// any error as before.
class RangeFile {
public:
    explicit RangeFile(std::string path);
    ~RangeFile();
    RangeFile(const RangeFile&) = delete;
    RangeFile& operator=(const RangeFile&) = delete;
    bool opened() const { return fd_ >= 0; }
    uint64_t size() const { return size_; }

    // The bytes of r, read into buf (resized to fit; reuse it to avoid an allocation per range).
    // Throws changed() when the file now ends before r.end.
    std::string_view read(FileRange r, std::vector<char>& buf) const;
    // [from, size()) in ranges of about `bytes` (at least 1), each ending just after a '\n' (the
    // last at size()); none when from == size(). Only the bytes near each boundary are read.
    std::vector<FileRange> split(uint64_t from, size_t bytes) const;
    // Throws changed() if the file's size or modification time is no longer what it was when
    // opened: two passes over it must see the same text.
    void check_unchanged() const;
    // Error(io): "<path>: the file changed while it was being read".
    [[noreturn]] void changed() const;

private:
    std::string path_;
    int fd_ = -1;
    uint64_t size_ = 0;
    int64_t mtime_s_ = 0, mtime_ns_ = 0;
};

// The calling thread's index in the current OpenMP team (0 outside one): which of a reader's
// per-thread buffers it uses.
int worker_index();

// The whole-file readers cut the text into ranges of about this many bytes, each ending after
// a '\n', counted and then parsed in parallel (the tests force tiny ranges).
constexpr size_t default_range_bytes = size_t(1) << 20;
// A reader's num_threads option: itself when positive, else omp_get_max_threads() (read, never
// set: the process's OpenMP settings are left alone); 1 without OpenMP.
int resolve_threads(int threads);

// Runs body(r) for r in [0, n) on up to `threads` threads (OpenMP, dynamic schedule, in the
// caller's thread alone when threads <= 1 or n <= 1). If some body throws, rethrows the
// exception of the smallest r that threw, whichever finished first: ranges are in file
// order, so this is the first error in the file. Ranges after a failed one may be skipped.
void parallel_ranges(int64_t n, int threads, const std::function<void(int64_t)>& body);

// Faults in the pages of [data, data + bytes) (memory the caller owns, e.g. a vector's
// reserved capacity) on up to `threads` threads, without touching their contents
// (MADV_POPULATE_WRITE; nothing happens where the kernel lacks it). The readers' arrays must be
// value-initialised (std::vector), which would otherwise fault every page in on one thread:
// on a 2-core virtual machine, 45 ms of CPU and 250 ms of wall time for 81 MB.
void prefault(void* data, size_t bytes, int threads);

// v.resize(n), its new pages faulted in on `threads` threads first.
template <class T>
void resize_prefaulted(std::vector<T>& v, size_t n, int threads) {
    v.reserve(n);
    prefault(v.data(), n * sizeof(T), threads);
    v.resize(n);
}

// Hands out a file's lines one at a time from a large read buffer, so that no line costs an
// allocation and the file text is never held whole. The buffer grows to fit a line longer
// than it (no line-length limit); it is not zero-filled, and for a regular file smaller than
// chunk_bytes it is only as large as the file (a tiny file costs a tiny buffer). The last
// line needs no '\n'; a trailing '\r' (CRLF) is dropped, and so is a UTF-8 byte order mark
// before the first line. The batch readers (CsvReader, LibsvmReader) and the whole-file
// readers' fallback for what cannot be mapped (pipes) read through it; the whole-file readers
// otherwise read the file in ranges and parse them in parallel (RangeFile, LineCursor,
// parallel_ranges).
class LineSource {
public:
    static constexpr size_t default_chunk = size_t(4) << 20;
    // Throws Error(io) naming the path and the system's reason.
    explicit LineSource(std::string path, size_t chunk_bytes = default_chunk);
    ~LineSource();
    LineSource(const LineSource&) = delete;
    LineSource& operator=(const LineSource&) = delete;

    // The next line, valid until the following call; false at the end of the file.
    bool next(std::string_view& line);
    int64_t line_number() const { return line_; }  // 1-based, of the line last returned
    const std::string& path() const { return path_; }

private:
    void refill();

    std::string path_;
    std::FILE* file_ = nullptr;
    std::unique_ptr<char[]> buf_;
    size_t cap_ = 0;
    size_t begin_ = 0, end_ = 0;  // unread bytes: buf_[begin_, end_)
    bool eof_ = false;
    int64_t line_ = 0;
};

// Upper bounds on a file's lines and ':' characters, counted in one fast pass so that a
// whole-file reader can size its arrays once (no doubling growth: memory stays close to the
// parsed data's own size). Zeros when the path is not a regular file (a pipe can't be read twice).
struct TextCounts {
    int64_t lines = 0, colons = 0;
};
TextCounts count_text(const std::string& path, bool count_colons);

// Parses a whole field as a finite float32 (locale-independent; a leading '+' is accepted).
// NaN and infinity are refused: features and labels must be finite for training.
bool parse_float(const char* begin, const char* end, float& out);
// The readers' fast path: parses the number that starts at `begin` and returns where it ends,
// or nullptr when there is none or it is not finite; the caller checks what follows it.
const char* scan_float(const char* begin, const char* end, float& out);
// Why parse_float refused `text`: "expected <what>, found '<text>'" or a finer reason;
// `empty` names an empty text ("nothing", "an empty field").
std::string bad_number(const char* what, std::string_view text, const char* empty = "nothing");
// 'text' in quotes for a message, cut short when long.
std::string shown(std::string_view text);

}  // namespace detail
}  // namespace linlearn
