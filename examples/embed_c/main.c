/*
 * embed_c: linlearn inside a C program.
 *
 * Trains a binary classifier on arrays made in memory, follows the epochs through the
 * event callback, and stops training from a second thread once the validation accuracy
 * reaches a target. Then saves the model, loads it back and predicts with it.
 *
 *   embed_c [MODEL_PATH]        (default: embed_c.llmodel)
 */
#include <linlearn/linlearn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { FEATURES = 8, TRAIN_ROWS = 4000, VALIDATION_ROWS = 1000 };
static const double TARGET_ACCURACY = 0.99;

/* Every fallible ll_ call returns a status; the reason is in ll_last_error(). */
static void check(int status, const char* what) {
    if (status != LL_OK) {
        fprintf(stderr, "embed_c: %s failed (%d): %s\n", what, status, ll_last_error());
        exit(1);
    }
}

/* A synthetic problem: label 1 when w.x plus a little noise is positive. */
static float uniform(unsigned* state) { /* in [-1, 1), reproducible everywhere */
    *state = *state * 1103515245u + 12345u;
    return (float)((*state >> 8) / 8388608.0 - 1.0);
}
static void make_data(float* x, float* y, int rows, unsigned seed) {
    static const float w[FEATURES] = {1.5f, -2.0f, 0.5f, 1.0f, -0.7f, 0.0f, 2.5f, -1.2f};
    for (int i = 0; i < rows; ++i) {
        float z = 0.1f * uniform(&seed);
        for (int j = 0; j < FEATURES; ++j) {
            x[i * FEATURES + j] = uniform(&seed);
            z += w[j] * x[i * FEATURES + j];
        }
        y[i] = z > 0 ? 1.0f : 0.0f;
    }
}

/* Shared by the callback (on the training thread) and the watcher thread. */
typedef struct progress {
    pthread_mutex_t lock;
    pthread_cond_t changed;
    int target_reached; /* set by the callback */
    int fit_returned;   /* set by main once ll_trainer_fit has returned */
    ll_trainer* trainer;
} progress;

/* A metric of the best model so far on the validation set, or -1 if absent. */
static double validation_metric(const ll_event* e, const char* name) {
    for (uint32_t i = 0; i < e->n_metric_sets; ++i) {
        const ll_metric_set* set = &e->metric_sets[i];
        if (set->phase != LL_PHASE_VALIDATION || set->model != LL_MODEL_BEST) continue;
        for (uint32_t k = 0; k < set->count; ++k)
            if (strcmp(set->metrics[k].name, name) == 0) return set->metrics[k].value;
    }
    return -1;
}

static const char* status_name(uint32_t status) {
    switch (status) {
    case LL_STATUS_COMPLETED: return "completed";
    case LL_STATUS_EARLY_STOPPED: return "early stopped";
    case LL_STATUS_CANCELLED: return "cancelled";
    case LL_STATUS_FAILED: return "failed";
    default: return "running";
    }
}

/* Called on the thread that runs ll_trainer_fit, for every event. The event and its
 * strings live only during this call. Keep it short: training waits for it. */
static int on_event(const ll_event* e, void* user_data) {
    progress* p = user_data;
    switch (e->kind) {
    case LL_EVENT_RUN_START:
        printf("training %s: %lld rows, %lld features, %d models in parallel\n", e->predictor_type,
               (long long)e->n_train_rows, (long long)e->n_features, e->num_models);
        break;
    case LL_EVENT_EPOCH_END: {
        const double accuracy = validation_metric(e, "binary_classification_accuracy");
        printf("epoch %2d  validation accuracy %.4f", e->epoch, accuracy);
        /* A field added by a later version of event.h: check that this library set it. */
        if (LL_HAS_FIELD(e, ll_event, throughput)) printf("  (%.0f rows/s)", e->throughput);
        printf("\n");
        if (accuracy >= TARGET_ACCURACY) {
            pthread_mutex_lock(&p->lock);
            p->target_reached = 1;
            pthread_cond_signal(&p->changed);
            pthread_mutex_unlock(&p->lock);
        }
        break;
    }
    case LL_EVENT_RUN_END: /* always the last event, whatever ended the run */
        printf("run ended: %s, best epoch %d\n", status_name(e->status), e->best_epoch);
        break;
    default: /* diagnostics, early stop, model selected, kinds added later */
        break;
    }
    return 0; /* returning non-zero would also stop training, from this thread */
}

/* Stands for any other thread that may decide to stop training: a UI, a server handling
 * a request, a time limit. ll_trainer_cancel is safe from any thread (and from a signal
 * handler); training stops at the next mini-batch and fit returns the best model so far. */
static void* watcher(void* arg) {
    progress* p = arg;
    pthread_mutex_lock(&p->lock);
    while (!p->target_reached && !p->fit_returned) pthread_cond_wait(&p->changed, &p->lock);
    /* Not once fit has returned: a request made between fits applies to the next fit. */
    if (p->target_reached && !p->fit_returned) {
        printf("watcher: target accuracy %.2f reached, cancelling\n", TARGET_ACCURACY);
        ll_trainer_cancel(p->trainer);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int main(int argc, char** argv) {
    const char* model_path = argc > 1 ? argv[1] : "embed_c.llmodel";
    printf("linlearn %s (ABI %d)\n", ll_version_string(), ll_abi_version());

    static float x_train[TRAIN_ROWS * FEATURES], y_train[TRAIN_ROWS];
    static float x_val[VALIDATION_ROWS * FEATURES], y_val[VALIDATION_ROWS];
    make_data(x_train, y_train, TRAIN_ROWS, 1);
    make_data(x_val, y_val, VALIDATION_ROWS, 2);

    /* Without LL_DATASET_COPY the datasets borrow the arrays: they must outlive them. */
    ll_dataset *train = NULL, *validation = NULL;
    check(ll_dataset_from_dense(x_train, TRAIN_ROWS, FEATURES, FEATURES, y_train, NULL, 0, &train),
          "ll_dataset_from_dense(train)");
    check(ll_dataset_from_dense(x_val, VALIDATION_ROWS, FEATURES, FEATURES, y_val, NULL, 0, &validation),
          "ll_dataset_from_dense(validation)");

    /* Hyperparameters by their SageMaker names, as text or as a JSON object. A small
     * learning rate, so that the accuracy climbs over a few epochs. */
    ll_trainer* trainer = NULL;
    check(ll_trainer_create(&trainer), "ll_trainer_create");
    check(ll_trainer_set(trainer, "predictor_type", "binary_classifier"), "ll_trainer_set");
    check(ll_trainer_set_json(trainer, "{\"epochs\": 40, \"learning_rate\": 0.001, "
                                       "\"mini_batch_size\": 200, \"seed\": 1}"),
          "ll_trainer_set_json");

    progress p = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0, 0, trainer};
    check(ll_trainer_set_callback(trainer, on_event, &p), "ll_trainer_set_callback");
    pthread_t watcher_thread;
    if (pthread_create(&watcher_thread, NULL, watcher, &p) != 0) {
        fprintf(stderr, "embed_c: cannot start the watcher thread\n");
        return 1;
    }

    ll_model* model = NULL;
    const int status = ll_trainer_fit(trainer, train, validation, NULL, &model);
    pthread_mutex_lock(&p.lock);
    p.fit_returned = 1;
    pthread_cond_signal(&p.changed);
    pthread_mutex_unlock(&p.lock);
    pthread_join(watcher_thread, NULL);
    check(status, "ll_trainer_fit"); /* LL_OK also when cancelled after an epoch */

    ll_model_info info = {.struct_size = sizeof info}; /* tells the library what we know */
    check(ll_model_info_get(model, &info), "ll_model_info_get");
    printf("model of epoch %d (run %s), threshold %.3f\n", info.best_epoch, status_name(info.status),
           info.threshold);

    /* Save (atomically), free, and load it back, as another process would. */
    check(ll_model_save(model, model_path), "ll_model_save");
    ll_model_free(model);
    model = NULL;
    check(ll_model_load(model_path, &model), "ll_model_load");

    /* Predict into our own buffer: one label per row for a binary classifier. */
    static double labels[VALIDATION_ROWS];
    check(ll_model_predict_dense(model, x_val, VALIDATION_ROWS, FEATURES, FEATURES, LL_PREDICT_LABEL,
                                 labels, VALIDATION_ROWS, NULL),
          "ll_model_predict_dense");
    int right = 0;
    for (int i = 0; i < VALIDATION_ROWS; ++i) right += labels[i] == y_val[i];
    printf("reloaded from %s: validation accuracy %.4f\n", model_path, (double)right / VALIDATION_ROWS);

    ll_model_free(model);
    ll_trainer_free(trainer);
    ll_dataset_free(validation);
    ll_dataset_free(train);
    return 0;
}
