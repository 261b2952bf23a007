// libFuzzer target: the model loader (deserialize_model in lib/model_io.cpp), then the
// model in use, as ll_model_load and ll_model_predict/evaluate would use it.
// Checks, beyond "no crash, no leak, no UB, only linlearn::Error thrown":
//  - a refused file is ErrorCode::model_format;
//  - a loaded model's shapes agree with its weights, and it serializes back to bytes that
//    load to the same model;
//  - predicting (every kind, dense and sparse) and evaluating on data of its width either
//    works or throws invalid_argument, multiclass labels predicted lie in 0..K-1, and
//    data with a label outside the classes is refused.
#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include "error.hpp"
#include "model.hpp"

using namespace linlearn;

namespace {

void require(bool ok) {
    if (!ok) __builtin_trap();
}

void use(const LinearModel& m) {
    const int64_t d = m.num_features();
    const int K = m.outputs();
    if (d > 512 || K > 64) return;  // keep each run fast
    constexpr int64_t rows = 4;
    std::vector<float> x(static_cast<size_t>(rows * d));
    for (size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(static_cast<int>(i % 7) - 3) * 0.5f;
    std::vector<float> labels(rows);
    // Labels the model's own header says are valid, the largest class first.
    const int classes = m.predictor == Predictor::binary ? 2 : m.predictor == Predictor::multiclass ? m.num_classes : 0;
    for (int64_t i = 0; i < rows; ++i)
        labels[static_cast<size_t>(i)] =
            classes > 0 ? static_cast<float>(classes - 1 - i % classes) : 0.25f * static_cast<float>(i);
    const bool finite_weights = m.W.allFinite() && m.b.allFinite();
    const Dataset dense = Dataset::dense(x, rows, d, labels);
    std::vector<int64_t> indptr{0};
    std::vector<int32_t> indices;
    std::vector<float> values;
    for (int64_t i = 0; i < rows; ++i) {
        for (int64_t j = i % 2; j < d; j += 2) {
            indices.push_back(static_cast<int32_t>(j));
            values.push_back(x[static_cast<size_t>(i * d + j)]);
        }
        indptr.push_back(static_cast<int64_t>(indices.size()));
    }
    const Dataset sparse = Dataset::csr(indptr, indices, values, d, labels);
    for (const Dataset* data : {&dense, &sparse})
        for (PredictKind kind : {PredictKind::score, PredictKind::label, PredictKind::raw}) {
            std::vector<double> out(static_cast<size_t>(rows * m.values_per_row(kind)), -1.0);
            try {
                m.predict(*data, kind, out.data());
                if (finite_weights && kind == PredictKind::label && m.predictor == Predictor::multiclass)
                    for (double v : out) require(v >= 0 && v < K);
            } catch (const Error& e) {
                require(e.code() == ErrorCode::invalid_argument);
            }
        }
    try {
        const MetricList metrics = m.evaluate(dense);
        require(!metrics.empty() && metrics[0].name == "objective_loss");
    } catch (const Error& e) {
        require(e.code() == ErrorCode::invalid_argument);
    }
    // Data with a label outside the classes is refused (evaluate used to read the score of
    // class <label> before checking it: corpus/model/regression_evaluate_label_*).
    if (m.predictor != Predictor::regressor) {
        std::vector<float> bad = labels;
        bad[0] = static_cast<float>(K + 5);
        bool refused = false;
        try {
            m.evaluate(Dataset::dense(x, rows, d, bad));
        } catch (const Error& e) {
            refused = e.code() == ErrorCode::invalid_argument;
        }
        require(refused);
    }
}

// The standard CRC-32 (as the format uses), to let mutated inputs past the checksum.
uint32_t crc32(const std::string& bytes, size_t n) {
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) {
        c ^= static_cast<uint8_t>(bytes[i]);
        for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

void load_and_use(const std::string& bytes) {
    LinearModel m;
    try {
        m = deserialize_model(bytes, "fuzz.llmodel");
    } catch (const Error& e) {
        require(e.code() == ErrorCode::model_format);
        return;
    }
    require(m.W.cols() == m.b.size() && m.outputs() >= 1 && m.num_features() >= 0);
    const std::string again = serialize_model(m);
    const LinearModel m2 = deserialize_model(again, "again");
    require(serialize_model(m2) == again);
    use(m);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    std::string bytes(reinterpret_cast<const char*>(data), size);
    load_and_use(bytes);  // as is: almost every mutation fails the checksum...
    if (bytes.size() >= 28) {  // ...so also with the checksum made right, to reach the header
        const uint32_t c = crc32(bytes, bytes.size() - 4);
        std::memcpy(&bytes[bytes.size() - 4], &c, 4);
        load_and_use(bytes);
    }
    return 0;
}
