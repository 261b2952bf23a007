// Dataset: dense row-major float32 or CSR sparse features, labels, optional weights.
// A Dataset either owns its arrays or borrows the caller's (zero-copy); the views
// below are what the trainer reads, whichever the case.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

namespace linlearn {

struct DenseView {
    const float* data = nullptr;
    int64_t rows = 0, cols = 0;
    int64_t stride = 0;  // elements between the starts of two rows (>= cols)
    const float* row(int64_t i) const { return data + i * stride; }
};

struct CsrView {
    const int64_t* indptr = nullptr;  // rows + 1 offsets into indices/values
    const int32_t* indices = nullptr; // 0-based column ids, ascending within a row
    const float* values = nullptr;
    int64_t rows = 0, cols = 0;
    int64_t nnz() const { return rows ? indptr[rows] - indptr[0] : 0; }
};

class Dataset {
public:
    Dataset() = default;

    // Owning constructors: the dataset keeps the vectors.
    static Dataset dense(std::vector<float> x, int64_t rows, int64_t cols,
                         std::vector<float> labels, std::vector<float> weights = {});
    static Dataset csr(std::vector<int64_t> indptr, std::vector<int32_t> indices,
                       std::vector<float> values, int64_t cols, std::vector<float> labels,
                       std::vector<float> weights = {});
    // Borrowing constructors: the caller keeps the memory alive while the Dataset lives.
    // labels and weights may be null (unlabelled data; unit weights).
    static Dataset dense_view(const float* x, int64_t rows, int64_t cols, int64_t stride,
                              const float* labels, const float* weights);
    static Dataset csr_view(const int64_t* indptr, const int32_t* indices, const float* values,
                            int64_t rows, int64_t cols, const float* labels, const float* weights);

    bool sparse() const { return sparse_; }
    int64_t rows() const { return sparse_ ? csr_.rows : dense_.rows; }
    int64_t cols() const { return sparse_ ? csr_.cols : dense_.cols; }
    const DenseView& dense() const { return dense_; }
    const CsrView& csr() const { return csr_; }
    const float* labels() const { return labels_; }    // null when unlabelled
    const float* weights() const { return weights_; }  // null means every weight is 1
    bool owns_features() const { return static_cast<bool>(store_); }

    // Widens a sparse dataset's feature count (libsvm files name only the ids they use).
    void set_cols(int64_t cols);
    // Replaces or attaches weights (copied).
    void set_weights(std::vector<float> weights);
    // An owning copy of the given rows, in that order.
    Dataset gather(const std::vector<int64_t>& rows) const;

private:
    struct Store {
        std::vector<float> x, values, labels, weights;
        std::vector<int64_t> indptr;
        std::vector<int32_t> indices;
    };
    std::shared_ptr<Store> store_;  // shared: copies of a Dataset are cheap views
    bool sparse_ = false;
    DenseView dense_;
    CsrView csr_;
    const float* labels_ = nullptr;
    const float* weights_ = nullptr;
};

}  // namespace linlearn
