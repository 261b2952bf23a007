// libFuzzer target: the libsvm reader (lib/libsvm_reader.cpp).
// Input: one control byte (feature_dim, batch size), then the file's bytes.
// Checks, beyond "no crash, no leak, no UB, only linlearn::Error thrown":
//  - every row's indices strictly increase and lie in [0, cols); values and labels finite;
//    cols is feature_dim when given, else the largest index seen;
//  - reading in batches gives the same rows, or the same error.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "data_file.hpp"
#include "error.hpp"
#include "fuzz_util.hpp"
#include "libsvm_reader.hpp"

using namespace linlearn;

namespace {

void require(bool ok) {
    if (!ok) __builtin_trap();
}

struct Row {
    float label;
    std::vector<int32_t> indices;
    std::vector<float> values;
    bool operator==(const Row& o) const { return label == o.label && indices == o.indices && values == o.values; }
};

struct Outcome {
    bool ok = false;
    std::string error;
    std::vector<Row> rows;
    int64_t max_cols = 0;
};

void append(Outcome& o, const Dataset& d, int64_t feature_dim) {
    require(d.sparse() && d.rows() > 0 && d.labels() != nullptr);
    const CsrView& v = d.csr();
    if (feature_dim > 0) require(v.cols == feature_dim);
    o.max_cols = std::max(o.max_cols, v.cols);
    require(v.indptr[0] == 0);
    for (int64_t i = 0; i < v.rows; ++i) {
        Row r{d.labels()[i], {}, {}};
        require(std::isfinite(r.label));
        require(v.indptr[i] <= v.indptr[i + 1]);
        for (int64_t k = v.indptr[i]; k < v.indptr[i + 1]; ++k) {
            require(v.indices[k] >= 0 && v.indices[k] < v.cols);
            require(k == v.indptr[i] || v.indices[k] > v.indices[k - 1]);
            require(std::isfinite(v.values[k]));
            r.indices.push_back(v.indices[k]);
            r.values.push_back(v.values[k]);
        }
        o.rows.push_back(std::move(r));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size < 1) return 0;
    const uint8_t control = data[0];
    fuzz::MemFile file(data + 1, size - 1);
    LibsvmOptions opts;
    opts.feature_dim = (control & 1) ? (control >> 1) & 15 : 0;  // 0 (largest seen) .. 15
    const int64_t batch = (control >> 5) + 1;                     // 1 .. 8 rows

    Outcome whole;
    try {
        append(whole, read_libsvm(file.path(), opts), opts.feature_dim);
        whole.ok = true;
    } catch (const Error& e) {
        require(e.code() == ErrorCode::parse || e.code() == ErrorCode::invalid_argument);
        whole.error = e.what();
    }
    Outcome batches;
    try {
        LibsvmReader reader(file.path(), opts);
        Dataset d;
        while (reader.next(batch, d)) append(batches, d, opts.feature_dim);
        require(reader.rows_read() == static_cast<int64_t>(batches.rows.size()));
        require(reader.cols() == batches.max_cols || batches.rows.empty());
        batches.ok = true;
    } catch (const Error& e) {
        require(e.code() == ErrorCode::parse || e.code() == ErrorCode::invalid_argument);
        batches.error = e.what();
    }
    require(whole.ok == batches.ok);
    if (whole.ok) {
        require(whole.rows == batches.rows);
        require(whole.max_cols == batches.max_cols);
    } else {
        require(whole.error == batches.error);
    }
    return 0;
}
