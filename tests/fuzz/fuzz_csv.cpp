// libFuzzer target: the CSV reader (lib/csv_reader.cpp over lib/data_file.cpp's LineSource).
// Input: one control byte (options, batch size), then the file's bytes.
// Checks, beyond "no crash, no leak, no UB, only linlearn::Error thrown":
//  - a Dataset read whole has finite values, the right shape and labels iff a label column;
//  - reading in batches gives the same rows and values, or the same error;
//  - LineSource gives the same lines whatever its chunk size.
// (read_csv and CsvReader each allocate LineSource's 4 MiB buffer: expect tens of runs per
// second under ASan, not thousands.)
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "csv_reader.hpp"
#include "data_file.hpp"
#include "error.hpp"
#include "fuzz_util.hpp"

using namespace linlearn;

namespace {

void require(bool ok) {
    if (!ok) __builtin_trap();
}

struct Outcome {
    bool ok = false;
    std::string error;
    std::vector<float> x, y;
    int64_t rows = 0, cols = 0;
};

void append(Outcome& o, const Dataset& d, bool labelled) {
    require(!d.sparse());
    require(d.rows() > 0 && d.cols() >= 1);
    require(o.cols == 0 || o.cols == d.cols());
    o.cols = d.cols();
    o.rows += d.rows();
    require((d.labels() != nullptr) == labelled);
    const DenseView& v = d.dense();
    for (int64_t i = 0; i < v.rows; ++i)
        for (int64_t j = 0; j < v.cols; ++j) {
            require(std::isfinite(v.row(i)[j]));
            o.x.push_back(v.row(i)[j]);
        }
    if (labelled)
        for (int64_t i = 0; i < d.rows(); ++i) {
            require(std::isfinite(d.labels()[i]));
            o.y.push_back(d.labels()[i]);
        }
}

void expect_reader_error(const Error& e) {
    require(e.code() == ErrorCode::parse || e.code() == ErrorCode::invalid_argument);
    require(std::strlen(e.what()) > 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t control = data[0];
    fuzz::MemFile file(data + 1, size - 1);
    CsvOptions opts;
    opts.header = control & 1;
    opts.delimiter = (control & 2) ? '\t' : ',';
    opts.label_column = static_cast<int>((control >> 2) & 3) - 1;  // -1 .. 2
    const int64_t batch = (control >> 4) + 1;                       // 1 .. 16 rows
    const bool labelled = opts.label_column >= 0;

    Outcome whole;
    try {
        append(whole, read_csv(file.path(), opts), labelled);
        whole.ok = true;
    } catch (const Error& e) {
        expect_reader_error(e);
        whole.error = e.what();
    }

    Outcome batches;
    try {
        CsvReader reader(file.path(), opts);
        Dataset d;
        while (reader.next(batch, d)) {
            require(d.rows() <= batch);
            append(batches, d, labelled);
        }
        require(d.rows() == 0);
        require(reader.rows_read() == batches.rows);
        batches.ok = true;
    } catch (const Error& e) {
        expect_reader_error(e);
        batches.error = e.what();
    }
    require(whole.ok == batches.ok);
    if (whole.ok) {
        require(whole.rows == batches.rows && whole.cols == batches.cols);
        require(whole.x == batches.x && whole.y == batches.y);
    } else {
        require(whole.error == batches.error);
    }

    // The line source itself: a tiny chunk gives the lines of a larger one. (Not the 4 MiB
    // default: its allocation per run would halve the fuzzer's speed again.)
    auto lines = [&](size_t chunk) {
        std::vector<std::string> out;
        detail::LineSource src(file.path(), chunk);
        std::string_view line;
        while (src.next(line)) {
            require(line.find('\n') == std::string_view::npos);
            out.emplace_back(line);
        }
        require(src.line_number() == static_cast<int64_t>(out.size()));
        return out;
    };
    require(lines(1 + control % 7) == lines(4093));
    return 0;
}
