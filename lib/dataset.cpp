#include "dataset.hpp"

#include <string>

#include "error.hpp"

namespace linlearn {
namespace {
void check_shape(int64_t rows, int64_t cols, const char* what) {
    if (rows < 0 || cols < 0)
        fail(ErrorCode::invalid_argument,
             std::string(what) + ": negative shape (" + std::to_string(rows) + " x " +
                 std::to_string(cols) + ")");
}
void check_length(size_t got, int64_t want, const char* what) {
    if (static_cast<int64_t>(got) != want)
        fail(ErrorCode::invalid_argument, std::string(what) + ": expected " +
                                              std::to_string(want) + " values, got " +
                                              std::to_string(got));
}
}  // namespace

Dataset Dataset::dense(std::vector<float> x, int64_t rows, int64_t cols,
                       std::vector<float> labels, std::vector<float> weights) {
    check_shape(rows, cols, "dense dataset");
    check_length(x.size(), rows * cols, "dense dataset features");
    if (!labels.empty()) check_length(labels.size(), rows, "dense dataset labels");
    if (!weights.empty()) check_length(weights.size(), rows, "dense dataset weights");
    Dataset d;
    d.store_ = std::make_shared<Store>();
    d.store_->x = std::move(x);
    d.store_->labels = std::move(labels);
    d.store_->weights = std::move(weights);
    d.dense_ = {d.store_->x.data(), rows, cols, cols};
    d.labels_ = d.store_->labels.empty() ? nullptr : d.store_->labels.data();
    d.weights_ = d.store_->weights.empty() ? nullptr : d.store_->weights.data();
    return d;
}

Dataset Dataset::csr(std::vector<int64_t> indptr, std::vector<int32_t> indices,
                     std::vector<float> values, int64_t cols, std::vector<float> labels,
                     std::vector<float> weights) {
    if (indptr.empty()) indptr.push_back(0);
    const int64_t rows = static_cast<int64_t>(indptr.size()) - 1;
    check_shape(rows, cols, "sparse dataset");
    check_length(values.size(), static_cast<int64_t>(indices.size()), "sparse dataset values");
    if (!labels.empty()) check_length(labels.size(), rows, "sparse dataset labels");
    if (!weights.empty()) check_length(weights.size(), rows, "sparse dataset weights");
    Dataset d;
    d.sparse_ = true;
    d.store_ = std::make_shared<Store>();
    d.store_->indptr = std::move(indptr);
    d.store_->indices = std::move(indices);
    d.store_->values = std::move(values);
    d.store_->labels = std::move(labels);
    d.store_->weights = std::move(weights);
    d.csr_ = {d.store_->indptr.data(), d.store_->indices.data(), d.store_->values.data(), rows,
              cols};
    d.labels_ = d.store_->labels.empty() ? nullptr : d.store_->labels.data();
    d.weights_ = d.store_->weights.empty() ? nullptr : d.store_->weights.data();
    return d;
}

Dataset Dataset::dense_view(const float* x, int64_t rows, int64_t cols, int64_t stride,
                            const float* labels, const float* weights) {
    check_shape(rows, cols, "dense dataset");
    if (stride < cols)
        fail(ErrorCode::invalid_argument, "dense dataset: row stride " + std::to_string(stride) +
                                              " is smaller than the column count " +
                                              std::to_string(cols));
    if (!x && rows * cols > 0) fail(ErrorCode::invalid_argument, "dense dataset: data is NULL");
    Dataset d;
    d.dense_ = {x, rows, cols, stride};
    d.labels_ = labels;
    d.weights_ = weights;
    return d;
}

Dataset Dataset::csr_view(const int64_t* indptr, const int32_t* indices, const float* values,
                          int64_t rows, int64_t cols, const float* labels, const float* weights) {
    check_shape(rows, cols, "sparse dataset");
    if (!indptr) fail(ErrorCode::invalid_argument, "sparse dataset: indptr is NULL");
    const int64_t nnz = indptr[rows] - indptr[0];
    if ((!indices || !values) && nnz > 0)
        fail(ErrorCode::invalid_argument, "sparse dataset: indices or values is NULL");
    for (int64_t i = 0; i < rows; ++i) {
        if (indptr[i + 1] < indptr[i])
            fail(ErrorCode::invalid_argument,
                 "sparse dataset: indptr decreases at row " + std::to_string(i));
        for (int64_t k = indptr[i]; k < indptr[i + 1]; ++k) {
            if (indices[k] < 0 || indices[k] >= cols)
                fail(ErrorCode::invalid_argument,
                     "sparse dataset: row " + std::to_string(i) + " has column index " +
                         std::to_string(indices[k]) + ", allowed 0.." + std::to_string(cols - 1));
            if (k > indptr[i] && indices[k] <= indices[k - 1])
                fail(ErrorCode::invalid_argument, "sparse dataset: row " + std::to_string(i) +
                                                      " has unsorted or duplicate column indices");
        }
    }
    Dataset d;
    d.sparse_ = true;
    d.csr_ = {indptr, indices, values, rows, cols};
    d.labels_ = labels;
    d.weights_ = weights;
    return d;
}

void Dataset::set_cols(int64_t cols) {
    if (!sparse_) fail(ErrorCode::invalid_argument, "set_cols: only a sparse dataset can widen");
    if (cols < csr_.cols)
        fail(ErrorCode::invalid_argument, "feature_dim " + std::to_string(cols) +
                                              " is smaller than the data's " +
                                              std::to_string(csr_.cols) + " features");
    csr_.cols = cols;
}

void Dataset::set_weights(std::vector<float> weights) {
    check_length(weights.size(), rows(), "dataset weights");
    if (!store_) store_ = std::make_shared<Store>();
    store_->weights = std::move(weights);
    weights_ = store_->weights.data();
}

Dataset Dataset::gather(const std::vector<int64_t>& rows) const {
    std::vector<float> labels, weights;
    for (int64_t i : rows) {
        if (labels_) labels.push_back(labels_[i]);
        if (weights_) weights.push_back(weights_[i]);
    }
    const int64_t n = static_cast<int64_t>(rows.size());
    if (!sparse_) {
        std::vector<float> x(static_cast<size_t>(n * dense_.cols));
        for (int64_t r = 0; r < n; ++r)
            std::copy(dense_.row(rows[r]), dense_.row(rows[r]) + dense_.cols, x.begin() + r * dense_.cols);
        return dense(std::move(x), n, dense_.cols, std::move(labels), std::move(weights));
    }
    std::vector<int64_t> indptr{0};
    std::vector<int32_t> indices;
    std::vector<float> values;
    for (int64_t i : rows) {
        indices.insert(indices.end(), csr_.indices + csr_.indptr[i], csr_.indices + csr_.indptr[i + 1]);
        values.insert(values.end(), csr_.values + csr_.indptr[i], csr_.values + csr_.indptr[i + 1]);
        indptr.push_back(static_cast<int64_t>(indices.size()));
    }
    return csr(std::move(indptr), std::move(indices), std::move(values), csr_.cols, std::move(labels),
               std::move(weights));
}

}  // namespace linlearn
