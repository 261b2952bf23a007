// bench_gen — writes the seeded data files that the reading benchmarks read.
//
//   bench_gen csv    PATH [--rows N] [--cols D] [--seed S]
//       label,x1,...,xD per line; the same rows as bench_train's dense data (7 significant
//       digits, as a float32 written by most tools).
//   bench_gen libsvm PATH [--rows N] [--features D] [--nnz K] [--zipf S] [--seed S]
//       "label id:value ..." with 1-based ids; the same rows as bench_train's sparse data.
//
// Prints one JSON object: rows, columns, non-zeros and bytes written.
#include <charconv>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_common.h"
#include "bench_data.hpp"

namespace {

class Writer {
public:
    explicit Writer(const char* path) : f_(std::fopen(path, "wb")) {
        if (!f_) {
            std::perror(path);
            std::exit(1);
        }
        buf_.reserve(kFlush + 4096);
    }
    ~Writer() {
        flush();
        std::fclose(f_);
    }
    void put(char c) { buf_.push_back(c); }
    void put(float v, int precision) {
        char tmp[32];
        const auto r = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::general, precision);
        buf_.append(tmp, r.ptr);
    }
    void put(long long v) {
        char tmp[24];
        const auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
        buf_.append(tmp, r.ptr);
    }
    void end_line() {
        buf_.push_back('\n');
        if (buf_.size() >= kFlush) flush();
    }
    long long bytes() const { return written_ + static_cast<long long>(buf_.size()); }

private:
    void flush() {
        if (!buf_.empty() && std::fwrite(buf_.data(), 1, buf_.size(), f_) != buf_.size()) {
            std::perror("write");
            std::exit(1);
        }
        written_ += static_cast<long long>(buf_.size());
        buf_.clear();
    }
    static constexpr size_t kFlush = size_t(1) << 20;
    std::FILE* f_;
    std::string buf_;
    long long written_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
    if (argc < 3 || (std::strcmp(argv[1], "csv") && std::strcmp(argv[1], "libsvm"))) {
        std::fprintf(stderr, "usage: bench_gen csv|libsvm PATH [--rows N] [--cols D] [--features D] [--nnz K] "
                             "[--zipf S] [--seed S]\n");
        return 2;
    }
    const bool csv = !std::strcmp(argv[1], "csv");
    const char* path = argv[2];
    long long rows = 200000, cols = 100, features = 1LL << 20, nnz = 40;
    double zipf = 1.1;
    uint64_t seed = 42;
    for (int i = 3; i + 1 < argc; i += 2) {
        const std::string k = argv[i];
        if (k == "--rows") rows = std::atoll(argv[i + 1]);
        else if (k == "--cols") cols = std::atoll(argv[i + 1]);
        else if (k == "--features") features = std::atoll(argv[i + 1]);
        else if (k == "--nnz") nnz = std::atoll(argv[i + 1]);
        else if (k == "--zipf") zipf = std::atof(argv[i + 1]);
        else if (k == "--seed") seed = std::strtoull(argv[i + 1], nullptr, 10);
        else {
            std::fprintf(stderr, "bench_gen: unknown option %s\n", k.c_str());
            return 2;
        }
    }
    long long total_nnz = 0;
    {
        Writer w(path);
        if (csv) {
            const std::vector<float> hidden = bench::dense_weights(cols, seed);
            std::vector<float> x(static_cast<size_t>(cols));
            for (long long i = 0; i < rows; ++i) {
                const float y = bench::dense_row(seed, hidden, i, x.data());
                w.put(static_cast<long long>(y));
                for (float v : x) w.put(','), w.put(v, 7);
                w.end_line();
            }
            total_nnz = rows * cols;
        } else {
            std::vector<int32_t> ids;
            std::vector<float> values;
            for (long long i = 0; i < rows; ++i) {
                bench::sparse_row(seed, i, features, nnz, zipf, ids);
                values.resize(ids.size());
                const float y = bench::sparse_values(seed, i, ids, values.data());
                w.put(static_cast<long long>(y));
                for (size_t k = 0; k < ids.size(); ++k) {
                    w.put(' ');
                    w.put(static_cast<long long>(ids[k]) + 1);
                    w.put(':');
                    w.put(values[k], 4);
                }
                w.end_line();
                total_nnz += static_cast<long long>(ids.size());
            }
            cols = features;
        }
        std::printf("{\"bench\":\"gen\",\"format\":\"%s\",\"path\":\"%s\",\"rows\":%lld,\"cols\":%lld,\"nnz\":%lld,"
                    "\"bytes\":%lld}\n",
                    csv ? "csv" : "libsvm", path, rows, cols, total_nnz, w.bytes());
    }
    return 0;
}
