/*
 * A small test harness for the C ABI tests, in C11 against the public header only.
 *
 * CHECK* records a failure and goes on; REQUIRE* (and CHECK_OK) end the test at once,
 * for a result that everything after it depends on. Each test runs in its own process
 * (ctest runs `capi_tests NAME`), so ending one does not hide another.
 */
#ifndef LINLEARN_CAPI_TEST_H
#define LINLEARN_CAPI_TEST_H

#include <math.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "linlearn/linlearn.h"

/* ---- Checks ------------------------------------------------------------------------ */
extern atomic_int t_failures; /* checks may fail on helper threads too */

void t_fail(const char* file, int line, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
_Noreturn void t_abort(void);
void t_check_error(const char* file, int line, const char* call, int got, int want,
                   const char* const* needles);

#define CHECK(cond) ((cond) ? (void)0 : t_fail(__FILE__, __LINE__, "CHECK(%s)", #cond))
#define REQUIRE(cond)                                                  \
    do {                                                               \
        if (!(cond)) {                                                 \
            t_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);          \
            t_abort();                                                 \
        }                                                              \
    } while (0)
#define CHECK_INT(a, op, b)                                                                   \
    do {                                                                                      \
        const long long a_ = (long long)(a), b_ = (long long)(b);                             \
        if (!(a_ op b_))                                                                      \
            t_fail(__FILE__, __LINE__, "CHECK_INT(%s %s %s): %lld vs %lld", #a, #op, #b, a_, b_); \
    } while (0)
#define CHECK_DBL(a, op, b)                                                                      \
    do {                                                                                         \
        const double a_ = (double)(a), b_ = (double)(b);                                         \
        if (!(a_ op b_))                                                                         \
            t_fail(__FILE__, __LINE__, "CHECK_DBL(%s %s %s): %.17g vs %.17g", #a, #op, #b, a_, b_); \
    } while (0)
#define CHECK_NEAR(a, b, tol)                                                                  \
    do {                                                                                       \
        const double a_ = (double)(a), b_ = (double)(b);                                       \
        if (!(fabs(a_ - b_) <= (tol)))                                                         \
            t_fail(__FILE__, __LINE__, "CHECK_NEAR(%s, %s, %s): %.17g vs %.17g", #a, #b, #tol, \
                   a_, b_);                                                                    \
    } while (0)
#define CHECK_STR(a, b)                                                                     \
    do {                                                                                    \
        const char *a_ = (a), *b_ = (b);                                                    \
        if (!a_ || !b_ || strcmp(a_, b_) != 0)                                              \
            t_fail(__FILE__, __LINE__, "CHECK_STR(%s, %s): \"%s\" vs \"%s\"", #a, #b,       \
                   a_ ? a_ : "(null)", b_ ? b_ : "(null)");                                 \
    } while (0)
#define CHECK_CONTAINS(hay, needle)                                                           \
    do {                                                                                      \
        const char *h_ = (hay), *n_ = (needle);                                               \
        if (!h_ || !strstr(h_, n_))                                                           \
            t_fail(__FILE__, __LINE__, "CHECK_CONTAINS(%s, \"%s\"): \"%s\"", #hay, n_,        \
                   h_ ? h_ : "(null)");                                                       \
    } while (0)
/* The call must succeed; otherwise the test ends with the library's message. */
#define CHECK_OK(call)                                                                         \
    do {                                                                                       \
        const int rc_ = (call);                                                                \
        if (rc_ != LL_OK) {                                                                    \
            t_fail(__FILE__, __LINE__, "%s returned %d: %s", #call, rc_, ll_last_error());     \
            t_abort();                                                                         \
        }                                                                                      \
    } while (0)
/* The call must fail with status `want`, ll_last_error_code() must agree, and
 * ll_last_error() must contain every one of the (at least one) strings given. */
#define CHECK_ERROR(call, want, ...) \
    t_check_error(__FILE__, __LINE__, #call, (call), (want), (const char* const[]){__VA_ARGS__, NULL})

/* ---- Data ---------------------------------------------------------------------------- */
/* A labelled table in memory, row-major float32, as read from a CSV with the label first. */
typedef struct table {
    float* x;
    float* y;
    int64_t rows, cols;
} table;

table table_read_csv(const char* name); /* a file of data/, e.g. "breast_cancer.train.csv" */
/* rows x cols features uniform in [-1, 1], label (w.x + noise > 0) for a fixed w. */
table table_synthetic_binary(int64_t rows, int64_t cols, uint32_t seed);
void table_free(table* t);

void data_path(char* buf, size_t size, const char* name); /* LL_TEST_DATA_DIR/name */
void tmp_path(char* buf, size_t size, const char* name);  /* LL_TEST_TMP_DIR/name */
ll_dataset* dataset_from_file(const char* name);
ll_dataset* dataset_from_table(const table* t, uint32_t flags);

/* ---- Training ------------------------------------------------------------------------ */
/* A trainer with a predictor type, a number of epochs, a fixed seed and no early stop. */
ll_trainer* new_trainer(const char* predictor_type, int epochs);
ll_model* fit_or_die(ll_trainer* t, const ll_dataset* train, const ll_dataset* validation,
                     const ll_dataset* test);
ll_model_info model_info(const ll_model* m);

/* A metric of an event: the value of `name` in the set (phase, model), NaN if absent. */
double event_metric(const ll_event* e, uint32_t phase, int32_t model, const char* name);

/* Every prediction of `what` for a dataset, in a new array of *count doubles. */
double* predict_all(const ll_model* m, const ll_dataset* data, int what, size_t* count);
/* The share of rows whose LL_PREDICT_LABEL equals the label. */
double accuracy(const ll_model* m, const ll_dataset* data, const float* labels);

#endif
