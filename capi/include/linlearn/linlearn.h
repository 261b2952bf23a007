/*
 * linlearn.h — the C ABI of linlearn, an embeddable linear learner in the manner of
 * Amazon SageMaker's Linear Learner.
 *
 * Conventions
 *  - Every fallible call returns an int status: LL_OK (0) or a negative LL_E_* code.
 *    ll_last_error() then gives a message naming the function, the argument and the value.
 *  - Handles are opaque and created and freed by the library; ll_*_free(NULL) does nothing.
 *  - Out-parameters are written only on success. Strings and arrays passed in are
 *    borrowed for the call unless a function says otherwise.
 *  - Nothing thrown inside the library ever crosses this boundary.
 *  - Threads: a handle may be used by one thread at a time, except that
 *    ll_trainer_cancel() may be called from any thread, a model may be used for
 *    prediction by many threads at once, and a dataset may be read (by fits and
 *    predictions) from many threads at once. See docs/ABI.md.
 */
#ifndef LINLEARN_H
#define LINLEARN_H

#include <stddef.h>
#include <stdint.h>

#include "linlearn/event.h"

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define LL_API __declspec(dllexport)
#else
#define LL_API __attribute__((visibility("default")))
#endif

/* ---- Versions --------------------------------------------------------------------- */
#define LL_VERSION_MAJOR 0
#define LL_VERSION_MINOR 2
#define LL_VERSION_PATCH 0
#define LL_ABI_VERSION 1 /* the SONAME; changes only when a call or struct breaks */

LL_API const char* ll_version_string(void);            /* "0.2.0"; static */
LL_API void ll_version(int* major, int* minor, int* patch); /* writes the non-NULL ones */
LL_API int ll_abi_version(void);

/* ---- Status and errors ------------------------------------------------------------ */
#define LL_OK 0
#define LL_E_INVALID_ARG (-1) /* a bad argument, key or value */
#define LL_E_IO (-2)          /* a file could not be opened, read or written */
#define LL_E_PARSE (-3)       /* malformed data text; the message has file:line:column */
#define LL_E_MODEL_FORMAT (-4) /* not a model file, truncated, corrupted, or too new */
#define LL_E_PLUGIN (-5)      /* a sink plugin could not be loaded or failed */
#define LL_E_CALLBACK (-6)    /* the event callback failed */
#define LL_E_CANCELLED (-7)   /* cancelled before a model could be made */
#define LL_E_STATE (-8)       /* a call in the wrong order */
#define LL_E_NOMEM (-9)
#define LL_E_BUFFER_TOO_SMALL (-10) /* the needed size was written to *needed */
#define LL_E_INTERNAL (-11)

/* The message of the last failing call on this thread; "" if none. Valid until the
 * next failing ll_ call on this thread. Never NULL. */
LL_API const char* ll_last_error(void);
/* The status of the last failing call on this thread; LL_OK if none. */
LL_API int ll_last_error_code(void);

/* ---- Datasets --------------------------------------------------------------------- */
typedef struct ll_dataset ll_dataset;

/* Flags for ll_dataset_from_*: by default the dataset borrows the caller's arrays
 * (no copy) and the caller keeps them alive and unchanged until ll_dataset_free. */
#define LL_DATASET_COPY 1u /* copy the arrays instead; the caller may free them at once */

/* Dense row-major float32 features: row i starts at x + i * row_stride (row_stride >= cols).
 * labels (rows values) may be NULL for unlabelled data; weights (rows values) may be
 * NULL for unit weights. */
LL_API int ll_dataset_from_dense(const float* x, int64_t rows, int64_t cols, int64_t row_stride,
                                 const float* labels, const float* weights, uint32_t flags,
                                 ll_dataset** out);
/* The same from float64 arrays; always copied (converted to float32). */
LL_API int ll_dataset_from_dense_f64(const double* x, int64_t rows, int64_t cols,
                                     int64_t row_stride, const double* labels,
                                     const double* weights, ll_dataset** out);
/* CSR sparse features: row i holds indices[indptr[i] .. indptr[i+1]) (0-based columns,
 * strictly ascending within a row) with their values. */
LL_API int ll_dataset_from_csr(const int64_t* indptr, const int32_t* indices,
                               const float* values, int64_t rows, int64_t cols,
                               const float* labels, const float* weights, uint32_t flags,
                               ll_dataset** out);
/* Reads a labelled file. options: NULL or "key=value,..." with
 *   format=csv|libsvm (default: from the extension; .libsvm/.svm/.svmlight are libsvm),
 *   header=true|false (csv; default false), delimiter=comma|tab (csv; default comma),
 *   label_column=N (csv; default 0), feature_dim=N (libsvm; default the largest index),
 *   num_threads=N (threads that parse; default 0: OpenMP's default).
 * Parse errors name the file, line and column; a file changed by another process while it
 * is read is LL_E_IO ("<path>: the file changed while it was being read"). */
LL_API int ll_dataset_from_file(const char* path, const char* options, ll_dataset** out);
LL_API int ll_dataset_shape(const ll_dataset* ds, int64_t* rows, int64_t* cols);
LL_API void ll_dataset_free(ll_dataset* ds);

/* ---- Training --------------------------------------------------------------------- */
typedef struct ll_trainer ll_trainer;
typedef struct ll_model ll_model;

/* Receives every event of a run (see event.h) on the thread that called ll_trainer_fit.
 * Return 0 to go on; any other value stops training cleanly, as ll_trainer_cancel does. */
typedef int (*ll_event_callback)(const ll_event* event, void* user_data);

LL_API int ll_trainer_create(ll_trainer** out);
LL_API void ll_trainer_free(ll_trainer* t);

/* Sets a hyperparameter by its SageMaker name, value as text:
 *   ll_trainer_set(t, "predictor_type", "binary_classifier");
 * Unknown keys and invalid values are refused with the allowed values or range. */
LL_API int ll_trainer_set(ll_trainer* t, const char* key, const char* value);
/* Sets every hyperparameter of a SageMaker-style JSON object ({"epochs": "10", ...};
 * values may be strings, numbers or booleans). Nothing is changed if any is refused. */
LL_API int ll_trainer_set_json(ll_trainer* t, const char* json);
/* Reads a hyperparameter as set ("auto" stays "auto"). Two-call pattern: with a buffer
 * too small, returns LL_E_BUFFER_TOO_SMALL and writes the size needed (with the NUL). */
LL_API int ll_trainer_get(const ll_trainer* t, const char* key, char* buf, size_t buf_size,
                          size_t* needed);
/* Run options that are not hyperparameters: "run_id" (default: generated),
 * "model_path" (save the final model there, atomically, before run_end). */
LL_API int ll_trainer_set_option(ll_trainer* t, const char* key, const char* value);
/* Incremental training: the next fits start every model from m's weights, and from the
 * scaler and optimizer moments saved with it, instead of from a random draw (SageMaker's
 * incremental training). m must have the same predictor type, loss, feature count and
 * outputs as the training. The model is copied: the caller may free it at once. NULL
 * clears it. */
LL_API int ll_trainer_set_initial_model(ll_trainer* t, const ll_model* m);
/* Installs the event callback (NULL removes it). user_data is passed back untouched. */
LL_API int ll_trainer_set_callback(ll_trainer* t, ll_event_callback cb, void* user_data);
/* Adds a metric sink by spec "NAME[:key=value,...]" (json, csv, stdout, any installed
 * plugin, or an absolute path to one; see docs/plugins.md). The plugin is loaded and the
 * sink created now, so a bad spec fails here. Sinks receive every event after the
 * callback. on_error=warn (default) disables a failing sink and goes on; on_error=fail
 * ends the run with status failed. */
LL_API int ll_trainer_add_sink(ll_trainer* t, const char* spec);
/* Alert and stop rules (added with sink ABI 1.1). A rule is checked after every epoch of
 * every later fit, against the best model so far (the metric sets with LL_MODEL_BEST):
 *     "<phase>:<metric> <op> <number> [after epoch <N>]"
 * phase train or validation; metric a name of docs/metrics.md without the phase; op one of
 * > >= < <= == != (== compares exactly); after epoch N: only epochs numbered above N count.
 * For example "validation:objective_loss > 0.7 after epoch 3". An undefined (NaN) value
 * never holds. The first epoch on which a rule holds, the callback and every sink receive,
 * right after that epoch_end, an LL_EVENT_DIAGNOSTIC with diagnostic_code "alert" and a
 * message naming the rule, the epoch and the value. With LL_ALERT_STOP the run then stops:
 * an early_stop event, model_selected with the best checkpoint, and run_end with status
 * LL_STATUS_EARLY_STOPPED and message "stopped by rule '<rule>' at epoch N: <phase>:<metric>
 * = V"; the fit returns LL_OK and the model's status is LL_STATUS_EARLY_STOPPED. Several
 * stop rules at the same epoch: the first added wins. A rule that cannot apply to a run (a
 * metric its predictor type lacks, validation without validation data) gives a diagnostic
 * "alert_never_applies" at the first epoch, and training goes on.
 * A malformed rule, or a metric name that no predictor type has, is refused with
 * LL_E_INVALID_ARG and a message naming the rule, the 1-based column and what was
 * expected: "ll_trainer_add_alert: rule 'validation:objective_loss >> 0.7': column 28:
 * expected a number". flags: 0, or LL_ALERT_STOP. LL_E_STATE during a fit. */
#define LL_ALERT_STOP 1u /* a stop rule: when it holds, training stops */
LL_API int ll_trainer_add_alert(ll_trainer* t, const char* rule, uint32_t flags);
/* Removes every rule. LL_E_STATE during a fit. */
LL_API int ll_trainer_clear_alerts(ll_trainer* t);
/* The rules and what they did in the last fit, as JSON (two-call buffer pattern as
 * ll_trainer_get): {"stopped_by": "<rule>" or null, "rules": [{"rule", "kind" ("alert" or
 * "stop_when"), "phase", "metric", "op", "threshold", "after_epoch" (null: every epoch),
 * "fired", "first_epoch", "value" (the first epoch it held on and the value then; null if it
 * never did), "epochs_held", "note" (why it could not apply, or null)}, ...]}.
 * LL_E_STATE during a fit. */
LL_API int ll_trainer_get_alerts(const ll_trainer* t, char* buf, size_t buf_size, size_t* needed);
/* Requests that a running fit stop at the next mini-batch. Any thread; async-signal-safe.
 * A request made while no fit runs applies to the next fit. */
LL_API int ll_trainer_cancel(ll_trainer* t);
/* Withdraws a request no fit has acted on yet, e.g. one meant for a fit that ended just
 * before it arrived, which would otherwise stop the next fit. Any thread;
 * async-signal-safe. (Added in 0.2.0.) */
LL_API int ll_trainer_clear_cancel(ll_trainer* t);

/* Trains on train (labelled), evaluating each epoch on train and on validation (may be
 * NULL), and the final model on test (may be NULL). On LL_OK *out is a new model that
 * the caller frees with ll_model_free. A run cancelled (or stopped by the callback)
 * after at least one epoch still returns LL_OK with the best checkpoint so far; one
 * cancelled before returns LL_E_CANCELLED. */
LL_API int ll_trainer_fit(ll_trainer* t, const ll_dataset* train, const ll_dataset* validation,
                          const ll_dataset* test, ll_model** out);

/* ---- Models ----------------------------------------------------------------------- */
#define LL_BINARY_CLASSIFIER 1
#define LL_MULTICLASS_CLASSIFIER 2
#define LL_REGRESSOR 3

typedef struct ll_model_info {
    uint32_t struct_size;    /* set by the caller to sizeof(ll_model_info) before the call */
    uint32_t predictor_type; /* LL_BINARY_CLASSIFIER, LL_MULTICLASS_CLASSIFIER, LL_REGRESSOR */
    int64_t num_features;
    int32_t num_classes;     /* 2 for binary, K for multiclass, 0 for regression */
    int32_t num_outputs;     /* scores per row: K for multiclass, else 1 */
    double threshold;        /* binary: predicted_label = score > threshold */
    int32_t best_epoch;      /* the epoch of the selected checkpoint */
    int32_t best_model;      /* the index of the selected model among num_models */
    uint32_t status;         /* LL_STATUS_* of the run that made it */
    uint32_t score_is_probability; /* 1 when scores are probabilities (not for hinge) */
} ll_model_info;

LL_API int ll_model_info_get(const ll_model* m, ll_model_info* info);

/* What ll_model_predict* writes, per row. */
#define LL_PREDICT_SCORE 0 /* binary: P(label=1) (hinge: the margin); multiclass: K class
                              probabilities; regression: the prediction */
#define LL_PREDICT_LABEL 1 /* binary 0/1 by the threshold; multiclass argmax; regression value */
#define LL_PREDICT_RAW 2   /* the linear scores x.w + b (K per row for multiclass) */

/* Predicts for rows × cols float32 features (row_stride as in ll_dataset_from_dense) into
 * out, which holds out_len doubles: rows values, or rows × num_outputs for multiclass
 * scores, row-major. A too-small out gives LL_E_BUFFER_TOO_SMALL and *needed (if not
 * NULL) the count needed. Thread-safe on a shared model. */
LL_API int ll_model_predict_dense(const ll_model* m, const float* x, int64_t rows, int64_t cols,
                                  int64_t row_stride, int what, double* out, size_t out_len,
                                  size_t* needed);
/* The same for a dataset (dense or sparse). */
LL_API int ll_model_predict(const ll_model* m, const ll_dataset* data, int what, double* out,
                            size_t out_len, size_t* needed);

/* Metrics of the model on labelled data, as a JSON object {"name": value, ...} with
 * SageMaker's names (NaN as null). Two-call buffer pattern as ll_trainer_get. */
LL_API int ll_model_evaluate(const ll_model* m, const ll_dataset* data, char* buf,
                             size_t buf_size, size_t* needed);
/* Saves atomically (a temporary file in the same folder, then a rename): a crash never
 * leaves a half-written file at path. A symbolic link is followed (the link stays); a
 * device or FIFO is written in place, without atomicity. The file has a magic number,
 * a format version and a checksum. */
LL_API int ll_model_save(const ll_model* m, const char* path);
LL_API int ll_model_load(const char* path, ll_model** out);
LL_API void ll_model_free(ll_model* m);

#ifdef __cplusplus
}
#endif
#endif /* LINLEARN_H */
