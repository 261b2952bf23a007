/*
 * linlearn/event.h — the events a training run emits, as plain C.
 *
 * Shared by the in-process callback (linlearn.h) and the sink plugin ABI (sink.h).
 * Includes only <stdint.h> and <stddef.h>. Every struct starts with its size and
 * only ever grows at its end: a reader checks LL_HAS_FIELD before touching a field
 * that a later version added.
 *
 * Lifetime: an event and everything it points to (strings, arrays) is owned by the
 * library and valid only during the call that delivers it. Copy what you keep.
 * Threads: events are delivered in order, on the thread that called ll_trainer_fit,
 * never from inside a parallel region.
 */
#ifndef LINLEARN_EVENT_H
#define LINLEARN_EVENT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* True when a struct of the given size holds FIELD (it was filled by a version that knew it). */
#define LL_HAS_FIELD(ptr, type, field) \
    ((ptr)->struct_size >= offsetof(type, field) + sizeof(((type*)0)->field))

/* Event kinds (ll_event.kind). New kinds may be added; ignore the ones you do not know. */
#define LL_EVENT_RUN_START 1      /* before the first epoch: hyperparameters and shapes */
#define LL_EVENT_EPOCH_END 2      /* after each epoch: every metric, per model and best */
#define LL_EVENT_EARLY_STOP 3     /* early stopping or a stop rule fired; run_end follows */
#define LL_EVENT_MODEL_SELECTED 4 /* the (model, epoch) kept as the final model */
#define LL_EVENT_DIAGNOSTIC 5     /* a warning with advice (message), or an alert */
#define LL_EVENT_RUN_END 6        /* the last event of every run, whatever its status */

/* Phases (ll_metric_set.phase). */
#define LL_PHASE_TRAIN 0
#define LL_PHASE_VALIDATION 1
#define LL_PHASE_TEST 2

/* ll_metric_set.model: a model index >= 0, or this value for the best model so far
 * (in epoch_end) or the selected final model (in model_selected and run_end). */
#define LL_MODEL_BEST (-1)

/* Run status (ll_event.status). */
#define LL_STATUS_RUNNING 0
#define LL_STATUS_COMPLETED 1
#define LL_STATUS_EARLY_STOPPED 2 /* early stopping, or a stop rule (ll_trainer_add_alert) */
#define LL_STATUS_CANCELLED 3
#define LL_STATUS_FAILED 4

/* One named value. name is SageMaker's metric name without the phase, for example
 * "objective_loss", "binary_classification_accuracy", "rmse"; the full name of a
 * value is "<phase>:<name>" ("validation:roc_auc_score"). A value may be NaN when a
 * metric is undefined (ROC AUC with one class) or a model diverged. Precision and
 * recall with nothing to count are 0, as scikit-learn's zero_division=0. */
typedef struct ll_metric {
    const char* name;
    double value;
} ll_metric;

/* The metrics of one model on one phase. */
typedef struct ll_metric_set {
    uint32_t struct_size;      /* sizeof(ll_metric_set) as the library was built */
    uint32_t phase;            /* LL_PHASE_* */
    int32_t model;             /* model index (0 = the settings as given), or LL_MODEL_BEST */
    uint32_t count;            /* number of entries in metrics */
    const ll_metric* metrics;  /* count entries, in a stable order per predictor type */
} ll_metric_set;

/* A key/value pair of strings (a resolved hyperparameter). */
typedef struct ll_param {
    const char* key;
    const char* value;
} ll_param;

/* The settings of one model that may differ between the num_models models, in run_start
 * (sink ABI 1.1). Owned by the library, valid during the call that delivers the event. */
typedef struct ll_model_params {
    uint32_t struct_size;   /* sizeof(ll_model_params) as the library was built */
    int32_t model;          /* the model index, 0..num_models-1 */
    uint32_t n_params;      /* number of entries in params */
    const ll_param* params; /* "optimizer", "learning_rate", "l1", "wd", the lr_scheduler_*
                               settings when use_lr_scheduler is on, and, for binary_classifier,
                               "positive_example_weight_mult"; numbers as the shortest text that
                               reads back as the same double */
} ll_model_params;

typedef struct ll_event {
    uint32_t struct_size;  /* sizeof(ll_event) as the library was built; check LL_HAS_FIELD */
    uint32_t kind;         /* LL_EVENT_* */
    const char* run_id;    /* unique id of the run (caller-given or generated); every kind */
    int64_t timestamp_ms;  /* wall clock when emitted, ms since the Unix epoch; every kind */
    double elapsed_s;      /* seconds since the run started; every kind */
    int32_t epoch;         /* 0-based epoch the event is about; -1 when none */
    int32_t model;         /* epoch_end: the best model so far; early_stop, model_selected,
                              run_end: the selected model; diagnostic: the model concerned;
                              -1 when none */

    /* Metrics: epoch_end (train and validation, each model and LL_MODEL_BEST),
     * model_selected and run_end (the final model's train, validation, test). */
    uint32_t n_metric_sets;
    const ll_metric_set* metric_sets;

    /* run_start */
    const char* predictor_type;  /* "binary_classifier", "multiclass_classifier", "regressor" */
    const char* library_version; /* "MAJOR.MINOR.PATCH" */
    uint32_t n_params;           /* run_start: every hyperparameter, "auto" replaced by what
                                    is used (model 0's settings); model_selected: the settings
                                    of the selected model that differ between models */
    const ll_param* params;
    int64_t n_features;
    int64_t n_train_rows;
    int64_t n_validation_rows;   /* 0 when there is no validation set */
    int64_t n_test_rows;         /* 0 when there is no test set */
    int32_t num_models;
    int32_t num_classes;         /* 2 for binary, K for multiclass, 0 for regression */

    /* epoch_end */
    double learning_rate;        /* model 0's learning rate at the end of the epoch */
    double throughput;           /* training rows per second in this epoch */

    /* run_end (status, message, best_epoch, model_path, times); diagnostic (message) */
    uint32_t status;             /* LL_STATUS_*; LL_STATUS_RUNNING before run_end */
    const char* message;         /* failure reason, diagnostic text, early-stop reason; or NULL */
    int32_t best_epoch;          /* epoch_end: the epoch of the best checkpoint so far;
                                    model_selected, run_end: of the selected one; -1 when none */
    const char* model_path;      /* where the model was saved, or NULL */
    double total_time_s;         /* wall time of the whole run */
    double sink_time_s;          /* wall time spent inside callbacks and sinks */
    const char* diagnostic_code; /* diagnostic: a stable short id ("diverging",
                                    "constant_features", "sink_failed", "alert",
                                    "alert_never_applies") */

    /* Appended in sink ABI 1.1: check LL_HAS_FIELD(e, ll_event, model_params) first. */
    uint32_t n_model_params;     /* run_start: num_models; every other kind: 0 (sink ABI 1.1) */
    const ll_model_params* model_params; /* run_start: n_model_params entries, entry m
                                    holding model m's own settings (model 0's are the values
                                    of params, written exactly); NULL when n_model_params is
                                    0. Owned by the library, valid during the call, as every
                                    pointer of the event (sink ABI 1.1). */
} ll_event;

#ifdef __cplusplus
}
#endif
#endif /* LINLEARN_EVENT_H */
