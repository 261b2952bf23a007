#include <vector>

#include "data_file.hpp"
#include "handles.hpp"

using namespace linlearn;
using namespace linlearn::capi;

namespace {
void check_shape(int64_t rows, int64_t cols, const char* fn) {
    if (rows < 0 || cols <= 0)
        fail(ErrorCode::invalid_argument, std::string("shape ") + std::to_string(rows) + " x " +
                                              std::to_string(cols) + " is invalid (rows >= 0, cols >= 1)");
    if (rows > (int64_t{1} << 62) / cols)  // rows * cols (and its bytes) must not overflow
        fail(ErrorCode::invalid_argument, std::string("shape ") + std::to_string(rows) + " x " +
                                              std::to_string(cols) + " is too large");
}
template <class T> std::vector<float> to_floats(const T* p, int64_t n) {
    return p ? std::vector<float>(p, p + n) : std::vector<float>{};
}
// A copy of strided rows as a packed float32 array.
template <class T> std::vector<float> pack_rows(const T* x, int64_t rows, int64_t cols, int64_t stride) {
    std::vector<float> out(static_cast<size_t>(rows * cols));
    for (int64_t i = 0; i < rows; ++i)
        for (int64_t j = 0; j < cols; ++j) out[i * cols + j] = static_cast<float>(x[i * stride + j]);
    return out;
}
}  // namespace

extern "C" {

LL_API int ll_dataset_from_dense(const float* x, int64_t rows, int64_t cols, int64_t row_stride,
                                 const float* labels, const float* weights, uint32_t flags,
                                 ll_dataset** out) {
    return guarded(__func__, [&] {
        require(out, "out");
        check_shape(rows, cols, __func__);
        if (rows > 0) require(x, "x");
        check_shape(rows, std::max<int64_t>(row_stride, 1), __func__);
        if (row_stride < cols)
            fail(ErrorCode::invalid_argument, "row_stride " + std::to_string(row_stride) +
                                                  " is smaller than cols " + std::to_string(cols));
        if (flags & ~LL_DATASET_COPY)
            fail(ErrorCode::invalid_argument, "flags " + std::to_string(flags) + " has unknown bits; allowed: LL_DATASET_COPY");
        auto h = std::make_unique<ll_dataset>();
        h->data = (flags & LL_DATASET_COPY)
                      ? Dataset::dense(pack_rows(x, rows, cols, row_stride), rows, cols,
                                       to_floats(labels, rows), to_floats(weights, rows))
                      : Dataset::dense_view(x, rows, cols, row_stride, labels, weights);
        *out = h.release();
    });
}

LL_API int ll_dataset_from_dense_f64(const double* x, int64_t rows, int64_t cols, int64_t row_stride,
                                     const double* labels, const double* weights, ll_dataset** out) {
    return guarded(__func__, [&] {
        require(out, "out");
        check_shape(rows, cols, __func__);
        if (rows > 0) require(x, "x");
        check_shape(rows, std::max<int64_t>(row_stride, 1), __func__);
        if (row_stride < cols)
            fail(ErrorCode::invalid_argument, "row_stride " + std::to_string(row_stride) +
                                                  " is smaller than cols " + std::to_string(cols));
        auto h = std::make_unique<ll_dataset>();
        h->data = Dataset::dense(pack_rows(x, rows, cols, row_stride), rows, cols, to_floats(labels, rows),
                                 to_floats(weights, rows));
        *out = h.release();
    });
}

LL_API int ll_dataset_from_csr(const int64_t* indptr, const int32_t* indices, const float* values,
                               int64_t rows, int64_t cols, const float* labels, const float* weights,
                               uint32_t flags, ll_dataset** out) {
    return guarded(__func__, [&] {
        require(out, "out");
        check_shape(rows, cols, __func__);
        require(indptr, "indptr");
        if (flags & ~LL_DATASET_COPY)
            fail(ErrorCode::invalid_argument, "flags " + std::to_string(flags) + " has unknown bits; allowed: LL_DATASET_COPY");
        auto h = std::make_unique<ll_dataset>();
        Dataset view = Dataset::csr_view(indptr, indices, values, rows, cols, labels, weights);  // validates
        if (flags & LL_DATASET_COPY) {
            const int64_t nnz = indptr[rows] - indptr[0];
            std::vector<int64_t> ptr(indptr, indptr + rows + 1);
            for (auto& p : ptr) p -= indptr[0];
            h->data = Dataset::csr(std::move(ptr), std::vector<int32_t>(indices + indptr[0], indices + indptr[0] + nnz),
                                   std::vector<float>(values + indptr[0], values + indptr[0] + nnz), cols,
                                   to_floats(labels, rows), to_floats(weights, rows));
        } else {
            h->data = view;
        }
        *out = h.release();
    });
}

LL_API int ll_dataset_from_file(const char* path, const char* options, ll_dataset** out) {
    return guarded(__func__, [&] {
        require(out, "out");
        require(path, "path");
        auto h = std::make_unique<ll_dataset>();
        h->data = read_data_file(path, options ? options : "");
        *out = h.release();
    });
}

LL_API int ll_dataset_shape(const ll_dataset* ds, int64_t* rows, int64_t* cols) {
    return guarded(__func__, [&] {
        check(ds, "ds");
        if (rows) *rows = ds->data.rows();
        if (cols) *cols = ds->data.cols();
    });
}

LL_API void ll_dataset_free(ll_dataset* ds) {
    if (!ds || ds->tag != Tag::dataset) return;
    ds->tag = Tag::freed;
    delete ds;
}

}  // extern "C"
