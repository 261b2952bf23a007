#include <stdarg.h>

#include "capi_test.h"

atomic_int t_failures;

void t_fail(const char* file, int line, const char* fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "%s:%d: FAILED: ", file, line);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    atomic_fetch_add(&t_failures, 1);
}

_Noreturn void t_abort(void) {
    fprintf(stderr, "test ended at the first failed requirement\n");
    exit(1);
}

void t_check_error(const char* file, int line, const char* call, int got, int want,
                   const char* const* needles) {
    if (got != want) {
        t_fail(file, line, "%s returned %d, expected %d (message: \"%s\")", call, got, want,
               ll_last_error());
        return;
    }
    if (ll_last_error_code() != want)
        t_fail(file, line, "%s: ll_last_error_code() is %d, expected %d", call, ll_last_error_code(),
               want);
    for (const char* const* n = needles; *n; ++n)
        if (!strstr(ll_last_error(), *n))
            t_fail(file, line, "%s: the message \"%s\" does not contain \"%s\"", call, ll_last_error(),
                   *n);
}

/* ---- Data ---------------------------------------------------------------------------- */

void data_path(char* buf, size_t size, const char* name) {
    snprintf(buf, size, "%s/%s", LL_TEST_DATA_DIR, name);
}

void tmp_path(char* buf, size_t size, const char* name) {
    snprintf(buf, size, "%s/%s", LL_TEST_TMP_DIR, name);
}

/* strtof rounds the text to the nearest float, as the library's reader does, so a table
 * read here holds exactly the values of the same file read by ll_dataset_from_file. */
table table_read_csv(const char* name) {
    char path[1024];
    data_path(path, sizeof path, name);
    FILE* f = fopen(path, "r");
    REQUIRE(f != NULL);
    table t = {NULL, NULL, 0, 0};
    size_t cap = 0;
    char line[1 << 14];
    while (fgets(line, sizeof line, f)) {
        int64_t fields = 0;
        for (const char* p = line; *p; ++p) fields += *p == ',';
        ++fields;
        if (t.cols == 0) t.cols = fields - 1;
        REQUIRE(fields - 1 == t.cols);
        if ((size_t)t.rows == cap) {
            cap = cap ? 2 * cap : 256;
            t.x = realloc(t.x, cap * (size_t)t.cols * sizeof(float));
            t.y = realloc(t.y, cap * sizeof(float));
            REQUIRE(t.x && t.y);
        }
        char* p = line;
        t.y[t.rows] = strtof(p, &p);
        for (int64_t j = 0; j < t.cols; ++j) {
            REQUIRE(*p == ',');
            t.x[t.rows * t.cols + j] = strtof(p + 1, &p);
        }
        ++t.rows;
    }
    fclose(f);
    REQUIRE(t.rows > 0);
    return t;
}

static uint32_t xorshift(uint32_t* s) {
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}
static float uniform(uint32_t* s) { return (float)(xorshift(s) / 4294967296.0 * 2.0 - 1.0); }

table table_synthetic_binary(int64_t rows, int64_t cols, uint32_t seed) {
    table t = {malloc((size_t)(rows * cols) * sizeof(float)), malloc((size_t)rows * sizeof(float)),
               rows, cols};
    REQUIRE(t.x && t.y);
    uint32_t s = seed ? seed : 1;
    for (int64_t i = 0; i < rows; ++i) {
        double z = 0;
        for (int64_t j = 0; j < cols; ++j) {
            const float v = uniform(&s);
            t.x[i * cols + j] = v;
            z += v * (j % 2 ? 1.0 : -0.5) * (1.0 + (double)j / (double)cols);
        }
        t.y[i] = z + 0.3 * uniform(&s) > 0 ? 1.0f : 0.0f;
    }
    return t;
}

void table_free(table* t) {
    free(t->x);
    free(t->y);
    t->x = t->y = NULL;
}

ll_dataset* dataset_from_file(const char* name) {
    char path[1024];
    data_path(path, sizeof path, name);
    ll_dataset* ds = NULL;
    CHECK_OK(ll_dataset_from_file(path, NULL, &ds));
    return ds;
}

ll_dataset* dataset_from_table(const table* t, uint32_t flags) {
    ll_dataset* ds = NULL;
    CHECK_OK(ll_dataset_from_dense(t->x, t->rows, t->cols, t->cols, t->y, NULL, flags, &ds));
    return ds;
}

/* ---- Training ------------------------------------------------------------------------ */

ll_trainer* new_trainer(const char* predictor_type, int epochs) {
    ll_trainer* t = NULL;
    CHECK_OK(ll_trainer_create(&t));
    char text[32];
    snprintf(text, sizeof text, "%d", epochs);
    CHECK_OK(ll_trainer_set(t, "predictor_type", predictor_type));
    CHECK_OK(ll_trainer_set(t, "epochs", text));
    CHECK_OK(ll_trainer_set(t, "seed", "7"));
    CHECK_OK(ll_trainer_set(t, "early_stopping_patience", "1000"));
    return t;
}

ll_model* fit_or_die(ll_trainer* t, const ll_dataset* train, const ll_dataset* validation,
                     const ll_dataset* test) {
    ll_model* m = NULL;
    CHECK_OK(ll_trainer_fit(t, train, validation, test, &m));
    REQUIRE(m != NULL);
    return m;
}

ll_model_info model_info(const ll_model* m) {
    ll_model_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    CHECK_OK(ll_model_info_get(m, &info));
    return info;
}

double event_metric(const ll_event* e, uint32_t phase, int32_t model, const char* name) {
    for (uint32_t i = 0; i < e->n_metric_sets; ++i) {
        const ll_metric_set* set = &e->metric_sets[i];
        if (set->phase != phase || set->model != model) continue;
        for (uint32_t k = 0; k < set->count; ++k)
            if (strcmp(set->metrics[k].name, name) == 0) return set->metrics[k].value;
    }
    return NAN;
}

double* predict_all(const ll_model* m, const ll_dataset* data, int what, size_t* count) {
    size_t needed = 0;
    /* The sizing call: no buffer, the count needed comes back with BUFFER_TOO_SMALL. */
    REQUIRE(ll_model_predict(m, data, what, NULL, 0, &needed) == LL_E_BUFFER_TOO_SMALL);
    REQUIRE(needed > 0);
    double* out = malloc(needed * sizeof(double));
    REQUIRE(out != NULL);
    CHECK_OK(ll_model_predict(m, data, what, out, needed, NULL));
    *count = needed;
    return out;
}

double accuracy(const ll_model* m, const ll_dataset* data, const float* labels) {
    size_t n = 0;
    double* pred = predict_all(m, data, LL_PREDICT_LABEL, &n);
    size_t right = 0;
    for (size_t i = 0; i < n; ++i) right += pred[i] == (double)labels[i];
    free(pred);
    return (double)right / (double)n;
}
