// Reading data files: format dispatch and the option string, plus the chunked line
// source and number parsing that the CSV and libsvm readers share (namespace detail).
#pragma once
#include <cstdint>
#include <cstdio>
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

// Hands out a file's lines one at a time from a large read buffer, so that no line costs an
// allocation and the file text is never held whole. The buffer grows to fit a line longer
// than it (no line-length limit). The last line needs no '\n'; a trailing '\r' (CRLF) is
// dropped, and so is a UTF-8 byte order mark before the first line. Lines are found in a
// buffer of complete lines, so a parallel parser can later split that buffer among threads.
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
    std::vector<char> buf_;
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
