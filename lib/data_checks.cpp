#include "data_checks.hpp"

#include <cmath>
#include <sstream>

#include "error.hpp"

namespace linlearn {

namespace {
std::string show(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
}
[[noreturn]] void bad_row(const std::string& role, int64_t row, const std::string& what) {
    fail(ErrorCode::invalid_argument, role + " data, row " + std::to_string(row + 1) + ": " + what);
}
}  // namespace

void check_labels(const Dataset& data, const TrainConfig& c, const std::string& role) {
    const float* y = data.labels();
    if (!y) fail(ErrorCode::invalid_argument, role + " data has no labels");
    for (int64_t i = 0; i < data.rows(); ++i) {
        const double v = y[i];
        if (!std::isfinite(v)) bad_row(role, i, "label " + show(v) + " is not a finite number");
        if (c.predictor == Predictor::binary && v != 0 && v != 1)
            bad_row(role, i, "label " + show(v) +
                                 " is not allowed for binary_classifier; labels must be 0 or 1"
                                 " (map -1/+1 labels to 0/1)");
        if (c.predictor == Predictor::multiclass && (v < 0 || v >= c.num_classes || v != std::floor(v)))
            bad_row(role, i, "label " + show(v) + " is not allowed for multiclass_classifier with num_classes=" +
                                 std::to_string(c.num_classes) + "; labels must be integers 0.." +
                                 std::to_string(c.num_classes - 1));
    }
    if (const float* w = data.weights())
        for (int64_t i = 0; i < data.rows(); ++i)
            if (!std::isfinite(w[i]) || w[i] < 0)
                bad_row(role, i, "example weight " + show(w[i]) + " must be finite and >= 0");
}

void check_finite_features(const Dataset& data, const std::string& role) {
    if (data.sparse()) {
        const CsrView& x = data.csr();
        for (int64_t i = 0; i < x.rows; ++i)
            for (int64_t k = x.indptr[i]; k < x.indptr[i + 1]; ++k)
                if (!std::isfinite(x.values[k]))
                    bad_row(role, i, "feature " + std::to_string(x.indices[k] + 1) + " is " +
                                         show(x.values[k]) + "; features must be finite");
        return;
    }
    const DenseView& x = data.dense();
    for (int64_t i = 0; i < x.rows; ++i)
        for (int64_t j = 0; j < x.cols; ++j)
            if (!std::isfinite(x.row(i)[j]))
                bad_row(role, i, "feature " + std::to_string(j + 1) + " is " + show(x.row(i)[j]) +
                                     "; features must be finite");
}

int64_t check_feature_counts(const Dataset& train, const Dataset* validation, const Dataset* test,
                             int64_t feature_dim) {
    if (train.rows() == 0) fail(ErrorCode::invalid_argument, "train data is empty (0 rows)");
    const int64_t d = feature_dim > 0 ? feature_dim : train.cols();
    auto check = [&](const Dataset& data, const char* role) {
        // Sparse data may name fewer features than the model has (ids never seen); dense must match.
        const bool ok = data.sparse() ? data.cols() <= d : data.cols() == d;
        if (!ok)
            fail(ErrorCode::invalid_argument,
                 std::string(role) + " data has " + std::to_string(data.cols()) + " features, expected " +
                     std::to_string(d) + (feature_dim > 0 ? " (feature_dim)" : " (as the train data)"));
    };
    check(train, "train");
    if (validation) check(*validation, "validation");
    if (test) check(*test, "test");
    return d;
}

}  // namespace linlearn
