#include <cmath>
#include <nlohmann/json.hpp>

#include "handles.hpp"

using namespace linlearn;
using namespace linlearn::capi;

namespace {
PredictKind predict_kind(int what) {
    if (what < LL_PREDICT_SCORE || what > LL_PREDICT_RAW)
        fail(ErrorCode::invalid_argument, "what=" + std::to_string(what) +
                                              " is not one of LL_PREDICT_SCORE, LL_PREDICT_LABEL, LL_PREDICT_RAW");
    return static_cast<PredictKind>(what);
}

// Checks the caller's buffer: rows × values per row doubles.
void check_out(const LinearModel& m, int64_t rows, PredictKind kind, double* out, size_t out_len, size_t* needed) {
    const size_t want = static_cast<size_t>(rows) * static_cast<size_t>(m.values_per_row(kind));
    if (needed) *needed = want;
    if (out_len < want)
        fail(ErrorCode::buffer_too_small, "out holds " + std::to_string(out_len) + " values, " +
                                              std::to_string(want) + " needed");
    if (want > 0) require(out, "out");
}
}  // namespace

extern "C" {

LL_API int ll_model_info_get(const ll_model* m, ll_model_info* info) {
    return guarded(__func__, [&] {
        check(m, "m");
        require(info, "info");
        if (info->struct_size < offsetof(ll_model_info, threshold))
            fail(ErrorCode::invalid_argument, "info->struct_size " + std::to_string(info->struct_size) +
                                                  " is too small; set it to sizeof(ll_model_info)");
        ll_model_info full{};
        const LinearModel& lm = m->model;
        full.struct_size = static_cast<uint32_t>(std::min<size_t>(info->struct_size, sizeof(ll_model_info)));
        full.predictor_type = lm.predictor == Predictor::binary       ? LL_BINARY_CLASSIFIER
                              : lm.predictor == Predictor::multiclass ? LL_MULTICLASS_CLASSIFIER
                                                                      : LL_REGRESSOR;
        full.num_features = lm.num_features();
        full.num_classes = lm.num_classes;
        full.num_outputs = lm.outputs();
        full.threshold = lm.threshold;
        full.best_epoch = lm.best_epoch;
        full.best_model = lm.best_model;
        full.status = static_cast<uint32_t>(lm.status);
        full.score_is_probability = lm.score_is_probability() ? 1u : 0u;
        std::memcpy(info, &full, full.struct_size);  // an older caller gets the fields it knows
    });
}

LL_API int ll_model_predict_dense(const ll_model* m, const float* x, int64_t rows, int64_t cols,
                                  int64_t row_stride, int what, double* out, size_t out_len, size_t* needed) {
    return guarded(__func__, [&] {
        check(m, "m");
        const PredictKind kind = predict_kind(what);
        if (rows < 0 || row_stride < cols)
            fail(ErrorCode::invalid_argument, "rows must be >= 0 and row_stride >= cols");
        if (rows > 0) require(x, "x");
        check_out(m->model, rows, kind, out, out_len, needed);
        m->model.predict(DenseView{x, rows, cols, row_stride}, kind, out);
    });
}

LL_API int ll_model_predict(const ll_model* m, const ll_dataset* data, int what, double* out,
                            size_t out_len, size_t* needed) {
    return guarded(__func__, [&] {
        check(m, "m");
        check(data, "data");
        const PredictKind kind = predict_kind(what);
        check_out(m->model, data->data.rows(), kind, out, out_len, needed);
        m->model.predict(data->data, kind, out);
    });
}

LL_API int ll_model_evaluate(const ll_model* m, const ll_dataset* data, char* buf, size_t buf_size,
                             size_t* needed) {
    return guarded(__func__, [&] {
        check(m, "m");
        check(data, "data");
        nlohmann::ordered_json j = nlohmann::ordered_json::object();
        for (const auto& metric : m->model.evaluate(data->data))
            j[metric.name] = std::isfinite(metric.value) ? nlohmann::ordered_json(metric.value)
                                                         : nlohmann::ordered_json(nullptr);
        copy_out(j.dump(), buf, buf_size, needed);
    });
}

LL_API int ll_model_save(const ll_model* m, const char* path) {
    return guarded(__func__, [&] {
        check(m, "m");
        require(path, "path");
        save_model(m->model, path);
    });
}

LL_API int ll_model_load(const char* path, ll_model** out) {
    return guarded(__func__, [&] {
        require(path, "path");
        require(out, "out");
        auto h = std::make_unique<ll_model>();
        h->model = load_model(path);
        *out = h.release();
    });
}

LL_API void ll_model_free(ll_model* m) {
    if (!m || m->tag != Tag::model) return;
    const_cast<ll_model*>(m)->tag = Tag::freed;
    delete m;
}

}  // extern "C"
