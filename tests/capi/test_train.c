/* The happy path: versions, datasets, a fit with its events, predictions, save and
 * load, evaluation. */
#include <time.h>

#include "capi_test.h"
#include "tests.h"

/* ---- Versions ------------------------------------------------------------------------ */

void test_versions(void) {
    int major = -1, minor = -1, patch = -1;
    ll_version(&major, &minor, &patch);
    CHECK_INT(major, ==, LL_VERSION_MAJOR);
    CHECK_INT(minor, ==, LL_VERSION_MINOR);
    CHECK_INT(patch, ==, LL_VERSION_PATCH);
    char text[64];
    snprintf(text, sizeof text, "%d.%d.%d", LL_VERSION_MAJOR, LL_VERSION_MINOR, LL_VERSION_PATCH);
    CHECK_STR(ll_version_string(), text);
    CHECK_STR(ll_version_string(), LL_TEST_PROJECT_VERSION); /* what CMake built */
    CHECK_INT(ll_abi_version(), ==, LL_ABI_VERSION);
    CHECK_INT(ll_abi_version(), ==, LL_TEST_ABI_VERSION);
    /* Only the non-NULL ones are written. */
    int only_minor = -1;
    ll_version(NULL, &only_minor, NULL);
    CHECK_INT(only_minor, ==, LL_VERSION_MINOR);
}

/* ---- A fit and its events ------------------------------------------------------------ */

#define MAX_EVENTS 64

/* What the callback saw: the events themselves die with the call, so it checks them
 * there and keeps what the test looks at afterwards. */
typedef struct recording {
    int n;
    uint32_t kinds[MAX_EVENTS];
    int32_t epochs[MAX_EVENTS];
    int epoch_ends;
    int64_t last_timestamp_ms;
    double last_elapsed_s;
    int32_t num_models;
    int32_t run_end_best_epoch;
    uint32_t run_end_status;
    double run_end_test_accuracy;
    double validation_accuracy[MAX_EVENTS]; /* of the best model, per epoch */
} recording;

static int param_is(const ll_event* e, const char* key, const char* value) {
    for (uint32_t i = 0; i < e->n_params; ++i)
        if (strcmp(e->params[i].key, key) == 0) return strcmp(e->params[i].value, value) == 0;
    return 0;
}

static int record_event(const ll_event* e, void* user_data) {
    recording* r = user_data;
    REQUIRE(r->n < MAX_EVENTS);
    r->kinds[r->n] = e->kind;
    r->epochs[r->n] = e->epoch;
    ++r->n;

    /* Every kind. */
    CHECK_INT(e->struct_size, ==, sizeof(ll_event));
    CHECK(LL_HAS_FIELD(e, ll_event, diagnostic_code));
    CHECK_STR(e->run_id, "capi-run-1");
    const int64_t now_ms = (int64_t)time(NULL) * 1000;
    CHECK_INT(e->timestamp_ms, >=, r->last_timestamp_ms);
    CHECK_INT(e->timestamp_ms, <=, now_ms + 1000);
    CHECK_INT(e->timestamp_ms, >=, now_ms - 60 * 1000);
    CHECK_DBL(e->elapsed_s, >=, r->last_elapsed_s);
    r->last_timestamp_ms = e->timestamp_ms;
    r->last_elapsed_s = e->elapsed_s;
    for (uint32_t i = 0; i < e->n_metric_sets; ++i) {
        const ll_metric_set* s = &e->metric_sets[i];
        CHECK_INT(s->struct_size, ==, sizeof(ll_metric_set));
        CHECK(s->count > 0 && s->metrics != NULL);
        CHECK(s->model == LL_MODEL_BEST || (s->model >= 0 && s->model < r->num_models));
    }

    switch (e->kind) {
    case LL_EVENT_RUN_START:
        CHECK_INT(r->n, ==, 1); /* the first event */
        CHECK_STR(e->predictor_type, "binary_classifier");
        CHECK_STR(e->library_version, ll_version_string());
        CHECK_INT(e->n_features, ==, 30);
        CHECK_INT(e->n_train_rows, ==, 341);
        CHECK_INT(e->n_validation_rows, ==, 114);
        CHECK_INT(e->n_test_rows, ==, 114);
        CHECK_INT(e->num_classes, ==, 2);
        CHECK_INT(e->num_models, >=, 1);
        CHECK_INT(e->epoch, ==, -1);
        CHECK(param_is(e, "epochs", "4"));
        CHECK(param_is(e, "predictor_type", "binary_classifier"));
        /* "auto" is resolved to what is used; SageMaker's hidden "_" keys are accepted
         * and ignored, so they keep their text. */
        for (uint32_t i = 0; i < e->n_params; ++i)
            if (e->params[i].key[0] != '_' && strcmp(e->params[i].value, "auto") == 0)
                t_fail(__FILE__, __LINE__, "run_start: %s is still 'auto'", e->params[i].key);
        r->num_models = e->num_models;
        break;
    case LL_EVENT_EPOCH_END: {
        CHECK_INT(e->epoch, ==, r->epoch_ends); /* 0, 1, 2, ... in order */
        CHECK_INT(e->status, ==, LL_STATUS_RUNNING);
        CHECK_DBL(e->learning_rate, >, 0);
        CHECK_DBL(e->throughput, >, 0);
        CHECK(e->best_epoch >= 0 && e->best_epoch <= e->epoch);
        /* Train and validation for each model, and the best so far. */
        CHECK_INT(e->n_metric_sets, ==, 2 * r->num_models + 2);
        const double acc = event_metric(e, LL_PHASE_VALIDATION, LL_MODEL_BEST, "binary_classification_accuracy");
        const double loss = event_metric(e, LL_PHASE_TRAIN, 0, "objective_loss");
        CHECK(acc >= 0.5 && acc <= 1.0);
        CHECK(isfinite(loss) && loss >= 0);
        CHECK(isnan(event_metric(e, LL_PHASE_TEST, LL_MODEL_BEST, "binary_classification_accuracy")));
        r->validation_accuracy[r->epoch_ends++] = acc;
        break;
    }
    case LL_EVENT_MODEL_SELECTED:
        CHECK(e->model >= 0 && e->model < r->num_models);
        CHECK(e->best_epoch >= 0 && e->best_epoch < r->epoch_ends);
        break;
    case LL_EVENT_RUN_END:
        r->run_end_status = e->status;
        r->run_end_best_epoch = e->best_epoch;
        r->run_end_test_accuracy =
            event_metric(e, LL_PHASE_TEST, LL_MODEL_BEST, "binary_classification_accuracy");
        CHECK_DBL(e->total_time_s, >=, 0);
        CHECK(e->sink_time_s >= 0 && e->sink_time_s <= e->total_time_s);
        CHECK(e->model_path == NULL); /* no model_path option given */
        break;
    case LL_EVENT_DIAGNOSTIC:
        CHECK(e->message != NULL && e->diagnostic_code != NULL);
        break;
    default:
        t_fail(__FILE__, __LINE__, "unexpected event kind %u", (unsigned)e->kind);
    }
    return 0;
}

void test_fit_events(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_dataset* validation = dataset_from_file("breast_cancer.validation.csv");
    ll_dataset* test = dataset_from_file("breast_cancer.test.csv");
    int64_t rows = 0, cols = 0;
    CHECK_OK(ll_dataset_shape(train, &rows, &cols));
    CHECK_INT(rows, ==, 341);
    CHECK_INT(cols, ==, 30);

    ll_trainer* t = new_trainer("binary_classifier", 4);
    CHECK_OK(ll_trainer_set_option(t, "run_id", "capi-run-1"));
    recording r;
    memset(&r, 0, sizeof r);
    CHECK_OK(ll_trainer_set_callback(t, record_event, &r));
    ll_model* m = fit_or_die(t, train, validation, test);

    /* run_start, epoch_end x 4, model_selected, run_end (diagnostics aside). */
    const uint32_t want[] = {LL_EVENT_RUN_START,  LL_EVENT_EPOCH_END,      LL_EVENT_EPOCH_END,
                             LL_EVENT_EPOCH_END,  LL_EVENT_EPOCH_END,      LL_EVENT_MODEL_SELECTED,
                             LL_EVENT_RUN_END};
    size_t k = 0;
    for (int i = 0; i < r.n; ++i) {
        if (r.kinds[i] == LL_EVENT_DIAGNOSTIC) continue;
        CHECK(k < sizeof want / sizeof want[0]);
        if (k < sizeof want / sizeof want[0]) CHECK_INT(r.kinds[i], ==, want[k]);
        ++k;
    }
    CHECK_INT(k, ==, sizeof want / sizeof want[0]);
    CHECK_INT(r.kinds[r.n - 1], ==, LL_EVENT_RUN_END); /* always last */
    CHECK_INT(r.run_end_status, ==, LL_STATUS_COMPLETED);

    /* The model is the one run_end describes. */
    const ll_model_info info = model_info(m);
    CHECK_INT(info.predictor_type, ==, LL_BINARY_CLASSIFIER);
    CHECK_INT(info.num_features, ==, 30);
    CHECK_INT(info.num_classes, ==, 2);
    CHECK_INT(info.num_outputs, ==, 1);
    CHECK_INT(info.status, ==, LL_STATUS_COMPLETED);
    CHECK_INT(info.best_epoch, ==, r.run_end_best_epoch);
    CHECK(info.best_model >= 0 && info.best_model < r.num_models);
    CHECK(info.threshold >= 0 && info.threshold <= 1);
    CHECK_INT(info.score_is_probability, ==, 1);
    /* run_end's test accuracy is what the model's labels score on the test set; a linear
     * model separates this data well. */
    table tt = table_read_csv("breast_cancer.test.csv");
    const double acc = accuracy(m, test, tt.y);
    CHECK_NEAR(r.run_end_test_accuracy, acc, 1e-12);
    CHECK_DBL(acc, >=, 0.9);
    table_free(&tt);

    /* The callback can be removed: a second fit sends it nothing. */
    const int seen = r.n;
    CHECK_OK(ll_trainer_set_callback(t, NULL, NULL));
    ll_model* m2 = fit_or_die(t, train, NULL, NULL);
    CHECK_INT(r.n, ==, seen);

    ll_model_free(m2);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(test);
    ll_dataset_free(validation);
    ll_dataset_free(train);
}

/* LL_HAS_FIELD against sizes of older versions, and ll_model_info_get for a caller that
 * knows fewer fields than the library. */
void test_struct_sizes(void) {
    ll_event e;
    memset(&e, 0, sizeof e);
    e.struct_size = (uint32_t)offsetof(ll_event, learning_rate);
    CHECK(LL_HAS_FIELD(&e, ll_event, num_classes));
    CHECK(!LL_HAS_FIELD(&e, ll_event, learning_rate));
    CHECK(!LL_HAS_FIELD(&e, ll_event, diagnostic_code));
    e.struct_size = sizeof e;
    CHECK(LL_HAS_FIELD(&e, ll_event, diagnostic_code));
    CHECK(LL_HAS_FIELD(&e, ll_event, model_params));
    /* An event of a library before sink ABI 1.1 ends at diagnostic_code. */
    e.struct_size = (uint32_t)(offsetof(ll_event, diagnostic_code) + sizeof e.diagnostic_code);
    CHECK(LL_HAS_FIELD(&e, ll_event, diagnostic_code));
    CHECK(!LL_HAS_FIELD(&e, ll_event, n_model_params));
    CHECK(!LL_HAS_FIELD(&e, ll_event, model_params));

    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_trainer* t = new_trainer("binary_classifier", 2);
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    const ll_model_info full = model_info(m);

    /* An older caller whose struct ends before best_epoch: nothing past it is written. */
    ll_model_info old;
    memset(&old, 0xAB, sizeof old);
    old.struct_size = (uint32_t)offsetof(ll_model_info, best_epoch);
    CHECK_OK(ll_model_info_get(m, &old));
    CHECK_INT(old.struct_size, ==, offsetof(ll_model_info, best_epoch));
    CHECK_INT(old.num_features, ==, full.num_features);
    CHECK_DBL(old.threshold, ==, full.threshold);
    ll_model_info untouched;
    memset(&untouched, 0xAB, sizeof untouched);
    CHECK_INT(old.best_epoch, ==, untouched.best_epoch);
    CHECK_INT(old.status, ==, untouched.status);
    /* Too small for even the first fields: refused, naming struct_size. */
    ll_model_info tiny;
    memset(&tiny, 0, sizeof tiny);
    tiny.struct_size = 4;
    CHECK_ERROR(ll_model_info_get(m, &tiny), LL_E_INVALID_ARG, "struct_size");

    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(train);
}

/* ---- Datasets from memory ------------------------------------------------------------ */

/* Trains with a fixed seed and returns the raw test scores, to compare datasets that
 * should hold the same values. */
static double* raw_scores_after_fit(const ll_dataset* train, const ll_dataset* test, size_t* n) {
    ll_trainer* t = new_trainer("binary_classifier", 3);
    CHECK_OK(ll_trainer_set(t, "num_threads", "1"));
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    double* raw = predict_all(m, test, LL_PREDICT_RAW, n);
    ll_model_free(m);
    ll_trainer_free(t);
    return raw;
}

void test_dense_datasets(void) {
    ll_dataset* from_file = dataset_from_file("breast_cancer.train.csv");
    ll_dataset* test = dataset_from_file("breast_cancer.test.csv");
    size_t n = 0, n2 = 0;
    double* want = raw_scores_after_fit(from_file, test, &n);

    /* Borrowed: the dataset reads the caller's arrays. */
    table borrowed = table_read_csv("breast_cancer.train.csv");
    ll_dataset* ds = dataset_from_table(&borrowed, 0);
    int64_t rows = 0, cols = 0;
    CHECK_OK(ll_dataset_shape(ds, &rows, &cols));
    CHECK_INT(rows, ==, borrowed.rows);
    CHECK_INT(cols, ==, borrowed.cols);
    double* got = raw_scores_after_fit(ds, test, &n2);
    REQUIRE(n2 == n);
    CHECK(memcmp(got, want, n * sizeof(double)) == 0);
    free(got);
    ll_dataset_free(ds);

    /* Copied: the caller may overwrite and free its arrays at once. */
    table copied = table_read_csv("breast_cancer.train.csv");
    ds = dataset_from_table(&copied, LL_DATASET_COPY);
    for (int64_t i = 0; i < copied.rows * copied.cols; ++i) copied.x[i] = NAN;
    for (int64_t i = 0; i < copied.rows; ++i) copied.y[i] = 7;
    table_free(&copied);
    got = raw_scores_after_fit(ds, test, &n2);
    CHECK(memcmp(got, want, n * sizeof(double)) == 0);
    free(got);
    ll_dataset_free(ds);

    /* A row stride wider than the row: the padding (NaN here) is never read. */
    const int64_t stride = borrowed.cols + 3;
    float* padded = malloc((size_t)(borrowed.rows * stride) * sizeof(float));
    REQUIRE(padded != NULL);
    for (int64_t i = 0; i < borrowed.rows; ++i)
        for (int64_t j = 0; j < stride; ++j)
            padded[i * stride + j] = j < borrowed.cols ? borrowed.x[i * borrowed.cols + j] : NAN;
    CHECK_OK(ll_dataset_from_dense(padded, borrowed.rows, borrowed.cols, stride, borrowed.y, NULL, 0, &ds));
    got = raw_scores_after_fit(ds, test, &n2);
    CHECK(memcmp(got, want, n * sizeof(double)) == 0);
    free(got);
    ll_dataset_free(ds);
    free(padded);

    /* float64 input, converted to float32: the same values, the same model. */
    double* x64 = malloc((size_t)(borrowed.rows * borrowed.cols) * sizeof(double));
    double* y64 = malloc((size_t)borrowed.rows * sizeof(double));
    REQUIRE(x64 && y64);
    for (int64_t i = 0; i < borrowed.rows * borrowed.cols; ++i) x64[i] = borrowed.x[i];
    for (int64_t i = 0; i < borrowed.rows; ++i) y64[i] = borrowed.y[i];
    CHECK_OK(ll_dataset_from_dense_f64(x64, borrowed.rows, borrowed.cols, borrowed.cols, y64, NULL, &ds));
    free(x64);
    free(y64);
    got = raw_scores_after_fit(ds, test, &n2);
    CHECK(memcmp(got, want, n * sizeof(double)) == 0);
    free(got);
    ll_dataset_free(ds);

    /* Unit weights given explicitly are the same as none. */
    float* ones = malloc((size_t)borrowed.rows * sizeof(float));
    REQUIRE(ones != NULL);
    for (int64_t i = 0; i < borrowed.rows; ++i) ones[i] = 1.0f;
    CHECK_OK(ll_dataset_from_dense(borrowed.x, borrowed.rows, borrowed.cols, borrowed.cols, borrowed.y, ones, 0, &ds));
    got = raw_scores_after_fit(ds, test, &n2);
    CHECK(memcmp(got, want, n * sizeof(double)) == 0);
    free(got);
    ll_dataset_free(ds);
    free(ones);

    free(want);
    table_free(&borrowed);
    ll_dataset_free(test);
    ll_dataset_free(from_file);
}

/* CSR arrays from a dense table: the nonzero entries of each row. */
typedef struct csr {
    int64_t* indptr;
    int32_t* indices;
    float* values;
} csr;

static csr csr_from_table(const table* t) {
    csr c = {malloc((size_t)(t->rows + 1) * sizeof(int64_t)),
             malloc((size_t)(t->rows * t->cols) * sizeof(int32_t)),
             malloc((size_t)(t->rows * t->cols) * sizeof(float))};
    REQUIRE(c.indptr && c.indices && c.values);
    int64_t nnz = 0;
    c.indptr[0] = 0;
    for (int64_t i = 0; i < t->rows; ++i) {
        for (int64_t j = 0; j < t->cols; ++j) {
            const float v = t->x[i * t->cols + j];
            if (v == 0) continue;
            c.indices[nnz] = (int32_t)j;
            c.values[nnz++] = v;
        }
        c.indptr[i + 1] = nnz;
    }
    return c;
}

static void csr_free(csr* c) {
    free(c->indptr);
    free(c->indices);
    free(c->values);
}

void test_csr_datasets(void) {
    /* heart_scale: features scaled to [-1, 1] with many zeros. */
    table train = table_read_csv("heart_scale.train.csv");
    table test = table_read_csv("heart_scale.test.csv");
    csr train_csr = csr_from_table(&train), test_csr = csr_from_table(&test);
    REQUIRE(train_csr.indptr[train.rows] < train.rows * train.cols); /* sparse indeed */

    ll_dataset *train_sparse = NULL, *test_sparse = NULL, *test_copy = NULL;
    CHECK_OK(ll_dataset_from_csr(train_csr.indptr, train_csr.indices, train_csr.values, train.rows,
                                 train.cols, train.y, NULL, 0, &train_sparse));
    CHECK_OK(ll_dataset_from_csr(test_csr.indptr, test_csr.indices, test_csr.values, test.rows, test.cols,
                                 test.y, NULL, 0, &test_sparse));
    int64_t rows = 0, cols = 0;
    CHECK_OK(ll_dataset_shape(test_sparse, &rows, &cols));
    CHECK_INT(rows, ==, test.rows);
    CHECK_INT(cols, ==, 13);

    /* A model trained on the sparse data separates it about as well as a dense one would. */
    ll_trainer* t = new_trainer("binary_classifier", 5);
    ll_model* m = fit_or_die(t, train_sparse, NULL, NULL);
    CHECK_INT(model_info(m).num_features, ==, 13);
    CHECK_DBL(accuracy(m, test_sparse, test.y), >=, 0.7);

    /* The same rows, sparse or dense, give the same scores (up to summation order). */
    ll_dataset* test_dense = dataset_from_table(&test, 0);
    size_t n = 0, n2 = 0;
    double* dense_raw = predict_all(m, test_dense, LL_PREDICT_RAW, &n);
    double* sparse_raw = predict_all(m, test_sparse, LL_PREDICT_RAW, &n2);
    REQUIRE(n == n2 && n == (size_t)test.rows);
    for (size_t i = 0; i < n; ++i) CHECK_NEAR(sparse_raw[i], dense_raw[i], 1e-4 * (1 + fabs(dense_raw[i])));

    /* A copy survives its source arrays, and holds the same values. */
    csr scratch = csr_from_table(&test);
    CHECK_OK(ll_dataset_from_csr(scratch.indptr, scratch.indices, scratch.values, test.rows, test.cols,
                                 test.y, NULL, LL_DATASET_COPY, &test_copy));
    memset(scratch.values, 0xFF, (size_t)scratch.indptr[test.rows] * sizeof(float));
    csr_free(&scratch);
    double* copy_raw = predict_all(m, test_copy, LL_PREDICT_RAW, &n2);
    CHECK(memcmp(copy_raw, sparse_raw, n * sizeof(double)) == 0);

    /* The libsvm copy of the same rows reads as a sparse dataset of the same shape. */
    ll_dataset* libsvm = dataset_from_file("heart_scale.test.libsvm");
    CHECK_OK(ll_dataset_shape(libsvm, &rows, &cols));
    CHECK_INT(rows, ==, test.rows);
    CHECK_INT(cols, ==, 13);
    double* libsvm_raw = predict_all(m, libsvm, LL_PREDICT_RAW, &n2);
    for (size_t i = 0; i < n; ++i) CHECK_NEAR(libsvm_raw[i], sparse_raw[i], 1e-4 * (1 + fabs(sparse_raw[i])));

    free(libsvm_raw);
    free(copy_raw);
    free(sparse_raw);
    free(dense_raw);
    ll_dataset_free(libsvm);
    ll_dataset_free(test_dense);
    ll_dataset_free(test_copy);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(test_sparse);
    ll_dataset_free(train_sparse);
    csr_free(&test_csr);
    csr_free(&train_csr);
    table_free(&test);
    table_free(&train);
}

/* ---- Predictions ------------------------------------------------------------------- */

static double sigmoid(double z) { return 1.0 / (1.0 + exp(-z)); }

void test_predict_binary(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_dataset* test = dataset_from_file("breast_cancer.test.csv");
    table tt = table_read_csv("breast_cancer.test.csv");
    ll_trainer* t = new_trainer("binary_classifier", 3);
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    const ll_model_info info = model_info(m);

    size_t ns = 0, nl = 0, nr = 0;
    double* score = predict_all(m, test, LL_PREDICT_SCORE, &ns);
    double* label = predict_all(m, test, LL_PREDICT_LABEL, &nl);
    double* raw = predict_all(m, test, LL_PREDICT_RAW, &nr);
    REQUIRE(ns == (size_t)tt.rows && nl == ns && nr == ns);
    for (size_t i = 0; i < ns; ++i) {
        CHECK(score[i] >= 0 && score[i] <= 1);              /* P(label = 1) */
        CHECK_DBL(label[i], ==, score[i] > info.threshold ? 1 : 0); /* by the threshold */
        CHECK_NEAR(sigmoid(raw[i]), score[i], 1e-6);         /* the logistic of x.w + b */
    }

    /* The same rows from the caller's array: the same values, bit for bit. */
    double* dense = malloc(ns * sizeof(double));
    REQUIRE(dense != NULL);
    const int kinds[] = {LL_PREDICT_SCORE, LL_PREDICT_LABEL, LL_PREDICT_RAW};
    const double* want[] = {score, label, raw};
    for (int k = 0; k < 3; ++k) {
        size_t needed = 0;
        CHECK_OK(ll_model_predict_dense(m, tt.x, tt.rows, tt.cols, tt.cols, kinds[k], dense, ns, &needed));
        CHECK_INT(needed, ==, ns);
        CHECK(memcmp(dense, want[k], ns * sizeof(double)) == 0);
    }
    /* Zero rows: nothing to write, no buffer needed. */
    size_t needed = 99;
    CHECK_OK(ll_model_predict_dense(m, tt.x, 0, tt.cols, tt.cols, LL_PREDICT_SCORE, NULL, 0, &needed));
    CHECK_INT(needed, ==, 0);

    free(dense);
    free(raw);
    free(label);
    free(score);
    table_free(&tt);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(test);
    ll_dataset_free(train);
}

void test_predict_multiclass(void) {
    ll_dataset* train = dataset_from_file("digits.train.csv");
    ll_dataset* test = dataset_from_file("digits.test.csv");
    table tt = table_read_csv("digits.test.csv");
    ll_trainer* t = new_trainer("multiclass_classifier", 3);
    CHECK_OK(ll_trainer_set(t, "num_classes", "10"));
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    const ll_model_info info = model_info(m);
    CHECK_INT(info.predictor_type, ==, LL_MULTICLASS_CLASSIFIER);
    CHECK_INT(info.num_classes, ==, 10);
    CHECK_INT(info.num_outputs, ==, 10);

    size_t ns = 0, nl = 0, nr = 0;
    double* score = predict_all(m, test, LL_PREDICT_SCORE, &ns);
    double* label = predict_all(m, test, LL_PREDICT_LABEL, &nl);
    double* raw = predict_all(m, test, LL_PREDICT_RAW, &nr);
    const size_t rows = (size_t)tt.rows;
    REQUIRE(ns == rows * 10 && nr == rows * 10 && nl == rows);
    for (size_t i = 0; i < rows; ++i) {
        double sum = 0;
        size_t best = 0, best_raw = 0;
        for (size_t k = 0; k < 10; ++k) {
            CHECK(score[i * 10 + k] >= 0 && score[i * 10 + k] <= 1);
            sum += score[i * 10 + k];
            if (score[i * 10 + k] > score[i * 10 + best]) best = k;
            if (raw[i * 10 + k] > raw[i * 10 + best_raw]) best_raw = k;
        }
        CHECK_NEAR(sum, 1.0, 1e-6);        /* class probabilities */
        CHECK_DBL(label[i], ==, best);     /* the argmax */
        CHECK_INT(best_raw, ==, best);     /* softmax keeps the order */
    }
    CHECK_DBL(accuracy(m, test, tt.y), >=, 0.85);

    free(raw);
    free(label);
    free(score);
    table_free(&tt);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(test);
    ll_dataset_free(train);
}

void test_predict_regressor(void) {
    ll_dataset* train = dataset_from_file("diabetes.train.csv");
    ll_dataset* test = dataset_from_file("diabetes.test.csv");
    table tt = table_read_csv("diabetes.test.csv");
    ll_trainer* t = new_trainer("regressor", 5);
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    const ll_model_info info = model_info(m);
    CHECK_INT(info.predictor_type, ==, LL_REGRESSOR);
    CHECK_INT(info.num_classes, ==, 0);
    CHECK_INT(info.num_outputs, ==, 1);
    CHECK_INT(info.score_is_probability, ==, 0);

    size_t ns = 0, nl = 0, nr = 0;
    double* score = predict_all(m, test, LL_PREDICT_SCORE, &ns);
    double* label = predict_all(m, test, LL_PREDICT_LABEL, &nl);
    double* raw = predict_all(m, test, LL_PREDICT_RAW, &nr);
    REQUIRE(ns == (size_t)tt.rows && nl == ns && nr == ns);
    /* For regression all three are the prediction; better than predicting the mean. */
    double mean = 0, sse = 0, sst = 0;
    for (size_t i = 0; i < ns; ++i) mean += tt.y[i] / (double)ns;
    for (size_t i = 0; i < ns; ++i) {
        CHECK_DBL(label[i], ==, score[i]);
        CHECK_DBL(raw[i], ==, score[i]);
        sse += (score[i] - tt.y[i]) * (score[i] - tt.y[i]);
        sst += (mean - tt.y[i]) * (mean - tt.y[i]);
    }
    CHECK_DBL(1 - sse / sst, >, 0.2); /* R^2 */

    free(raw);
    free(label);
    free(score);
    table_free(&tt);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(test);
    ll_dataset_free(train);
}

/* The two-call buffer pattern, and "out-parameters are written only on success". */
void test_buffer_too_small(void) {
    ll_dataset* train = dataset_from_file("digits.train.csv");
    ll_dataset* test = dataset_from_file("digits.test.csv");
    int64_t rows = 0;
    CHECK_OK(ll_dataset_shape(test, &rows, NULL));
    ll_trainer* t = new_trainer("multiclass_classifier", 1);
    CHECK_OK(ll_trainer_set(t, "num_classes", "10"));
    ll_model* m = fit_or_die(t, train, NULL, NULL);

    const size_t want_scores = (size_t)rows * 10, want_labels = (size_t)rows;
    double* out = malloc(want_scores * sizeof(double));
    REQUIRE(out != NULL);
    for (size_t i = 0; i < want_scores; ++i) out[i] = -7.0;
    size_t needed = 0;
    /* One row short: refused with the count needed, and the buffer untouched. */
    CHECK_ERROR(ll_model_predict(m, test, LL_PREDICT_LABEL, out, want_labels - 1, &needed),
                LL_E_BUFFER_TOO_SMALL, "ll_model_predict");
    CHECK_INT(needed, ==, want_labels);
    for (size_t i = 0; i < want_scores; ++i)
        if (out[i] != -7.0) {
            t_fail(__FILE__, __LINE__, "out[%zu] was written by a failed call", i);
            break;
        }
    /* Multiclass scores need K per row. */
    CHECK_ERROR(ll_model_predict(m, test, LL_PREDICT_SCORE, out, want_labels, &needed),
                LL_E_BUFFER_TOO_SMALL, "ll_model_predict");
    CHECK_INT(needed, ==, want_scores);
    /* needed may be NULL: the status still tells. */
    CHECK_ERROR(ll_model_predict(m, test, LL_PREDICT_RAW, out, 1, NULL), LL_E_BUFFER_TOO_SMALL,
                "ll_model_predict");
    CHECK_OK(ll_model_predict(m, test, LL_PREDICT_SCORE, out, want_scores, &needed));
    CHECK_INT(needed, ==, want_scores);
    CHECK(out[0] != -7.0);

    /* The same pattern for ll_trainer_get. */
    char small[2] = {'x', 'x'};
    CHECK_ERROR(ll_trainer_get(t, "predictor_type", small, sizeof small, &needed), LL_E_BUFFER_TOO_SMALL,
                "ll_trainer_get");
    CHECK_INT(needed, ==, strlen("multiclass_classifier") + 1);
    CHECK(small[0] == 'x' && small[1] == 'x');
    char* text = malloc(needed);
    REQUIRE(text != NULL);
    CHECK_OK(ll_trainer_get(t, "predictor_type", text, needed, &needed));
    CHECK_STR(text, "multiclass_classifier");
    free(text);
    char value[32];
    CHECK_OK(ll_trainer_get(t, "learning_rate", value, sizeof value, NULL));
    CHECK_STR(value, "auto"); /* as set: "auto" stays "auto" */

    free(out);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(test);
    ll_dataset_free(train);
}

/* ---- Save, load, evaluate ------------------------------------------------------------ */

static int file_exists(const char* path) {
    FILE* f = fopen(path, "rb");
    if (f) fclose(f);
    return f != NULL;
}

static char g_saved_path[1024];
static int check_model_path(const ll_event* e, void* user_data) {
    int* seen = user_data;
    if (e->kind == LL_EVENT_RUN_END) {
        CHECK_STR(e->model_path, g_saved_path);
        CHECK(file_exists(g_saved_path)); /* saved before run_end */
        ++*seen;
    }
    return 0;
}

void test_save_load(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_dataset* validation = dataset_from_file("breast_cancer.validation.csv");
    ll_dataset* test = dataset_from_file("breast_cancer.test.csv");
    tmp_path(g_saved_path, sizeof g_saved_path, "by_trainer.llmodel");
    remove(g_saved_path);
    ll_trainer* t = new_trainer("binary_classifier", 3);
    CHECK_OK(ll_trainer_set_option(t, "model_path", g_saved_path));
    int run_ends = 0;
    CHECK_OK(ll_trainer_set_callback(t, check_model_path, &run_ends));
    ll_model* m = fit_or_die(t, train, validation, NULL);
    CHECK_INT(run_ends, ==, 1);

    char path[1024];
    tmp_path(path, sizeof path, "saved.llmodel");
    CHECK_OK(ll_model_save(m, path));
    CHECK_OK(ll_model_save(m, path)); /* over an existing file */
    ll_model* loaded = (ll_model*)&path; /* a sentinel: must be replaced */
    CHECK_OK(ll_model_load(path, &loaded));
    ll_model* by_trainer = NULL;
    CHECK_OK(ll_model_load(g_saved_path, &by_trainer));

    const ll_model_info a = model_info(m), b = model_info(loaded), c = model_info(by_trainer);
    const ll_model_info* infos[] = {&b, &c};
    for (int i = 0; i < 2; ++i) {
        CHECK_INT(infos[i]->predictor_type, ==, a.predictor_type);
        CHECK_INT(infos[i]->num_features, ==, a.num_features);
        CHECK_INT(infos[i]->num_classes, ==, a.num_classes);
        CHECK_INT(infos[i]->num_outputs, ==, a.num_outputs);
        CHECK_DBL(infos[i]->threshold, ==, a.threshold);
        CHECK_INT(infos[i]->best_epoch, ==, a.best_epoch);
        CHECK_INT(infos[i]->best_model, ==, a.best_model);
        CHECK_INT(infos[i]->status, ==, a.status);
        CHECK_INT(infos[i]->score_is_probability, ==, a.score_is_probability);
    }
    const ll_model* models[] = {loaded, by_trainer};
    for (int what = LL_PREDICT_SCORE; what <= LL_PREDICT_RAW; ++what) {
        size_t n = 0, n2 = 0;
        double* want = predict_all(m, test, what, &n);
        for (int i = 0; i < 2; ++i) {
            double* got = predict_all(models[i], test, what, &n2);
            REQUIRE(n2 == n);
            CHECK(memcmp(got, want, n * sizeof(double)) == 0); /* identical, bit for bit */
            free(got);
        }
        free(want);
    }

    ll_model_free(by_trainer);
    ll_model_free(loaded);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(test);
    ll_dataset_free(validation);
    ll_dataset_free(train);
}

/* The value of "key": in a flat JSON object of numbers, or NaN. */
static double json_number(const char* json, const char* key) {
    char quoted[128];
    snprintf(quoted, sizeof quoted, "\"%s\":", key);
    const char* p = strstr(json, quoted);
    return p ? strtod(p + strlen(quoted), NULL) : NAN;
}

void test_evaluate_json(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_dataset* test = dataset_from_file("breast_cancer.test.csv");
    table tt = table_read_csv("breast_cancer.test.csv");
    ll_trainer* t = new_trainer("binary_classifier", 3);
    ll_model* m = fit_or_die(t, train, NULL, NULL);

    /* First call: the size, with the NUL. */
    size_t needed = 0;
    CHECK_ERROR(ll_model_evaluate(m, test, NULL, 0, &needed), LL_E_BUFFER_TOO_SMALL, "ll_model_evaluate");
    REQUIRE(needed > 2);
    char* json = malloc(needed);
    REQUIRE(json != NULL);
    memset(json, '#', needed);
    CHECK_ERROR(ll_model_evaluate(m, test, json, needed - 1, NULL), LL_E_BUFFER_TOO_SMALL, "needed");
    CHECK(json[0] == '#'); /* untouched */
    /* Second call: the text. */
    size_t needed2 = 0;
    CHECK_OK(ll_model_evaluate(m, test, json, needed, &needed2));
    CHECK_INT(needed2, ==, needed);
    CHECK_INT(strlen(json) + 1, ==, needed);
    CHECK(json[0] == '{' && json[needed - 2] == '}');
    /* SageMaker's names; the accuracy is the labels' on this data. */
    const char* names[] = {"objective_loss", "binary_classification_accuracy", "precision", "recall",
                           "binary_f_beta", "roc_auc_score"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; ++i) {
        const double v = json_number(json, names[i]);
        if (!isfinite(v)) t_fail(__FILE__, __LINE__, "\"%s\" missing or not a number in %s", names[i], json);
    }
    CHECK_NEAR(json_number(json, "binary_classification_accuracy"), accuracy(m, test, tt.y), 1e-12);
    CHECK_DBL(json_number(json, "roc_auc_score"), >, 0.9);

    free(json);
    table_free(&tt);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(test);
    ll_dataset_free(train);
}
