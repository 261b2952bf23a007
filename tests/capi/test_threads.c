/* Threads: cancelling a running fit from another thread, stopping from the callback,
 * the thread-local last error, shared models, and reproducible training. */
#include <pthread.h>

#include "capi_test.h"
#include "tests.h"

/* ---- Cancel from a watcher thread ---------------------------------------------------- */

/* Shared by the training thread (in the callback) and the watcher thread. */
typedef struct watch {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    ll_trainer* trainer;
    /* When to cancel: at the first event of this kind with epoch >= min_epoch. */
    uint32_t trigger_kind;
    int32_t min_epoch;
    int block; /* the callback then waits until the watcher has cancelled */
    int triggered, cancelled, fit_returned;
    /* What the callback saw. */
    int epoch_ends, events;
    uint32_t last_kind, run_end_status;
    int32_t last_epoch;
} watch;

static void watch_init(watch* w, ll_trainer* t, uint32_t kind, int32_t min_epoch, int block) {
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
    w->trainer = t;
    w->trigger_kind = kind;
    w->min_epoch = min_epoch;
    w->block = block;
    w->last_epoch = -1;
}

static void watch_destroy(watch* w) {
    pthread_cond_destroy(&w->cv);
    pthread_mutex_destroy(&w->mu);
}

static int on_event(const ll_event* e, void* user_data) {
    watch* w = user_data;
    pthread_mutex_lock(&w->mu);
    ++w->events;
    w->last_kind = e->kind;
    if (e->kind == LL_EVENT_EPOCH_END) {
        ++w->epoch_ends;
        w->last_epoch = e->epoch;
    }
    if (e->kind == LL_EVENT_RUN_END) w->run_end_status = e->status;
    if (!w->triggered && e->kind == w->trigger_kind && e->epoch >= w->min_epoch) {
        w->triggered = 1;
        pthread_cond_broadcast(&w->cv);
        while (w->block && !w->cancelled) pthread_cond_wait(&w->cv, &w->mu);
    }
    pthread_mutex_unlock(&w->mu);
    return 0;
}

static void* watcher(void* arg) {
    watch* w = arg;
    pthread_mutex_lock(&w->mu);
    while (!w->triggered && !w->fit_returned) pthread_cond_wait(&w->cv, &w->mu);
    if (w->triggered && !w->fit_returned) {
        CHECK_INT(ll_trainer_cancel(w->trainer), ==, LL_OK);
        w->cancelled = 1;
        pthread_cond_broadcast(&w->cv);
    }
    pthread_mutex_unlock(&w->mu);
    return NULL;
}

/* Runs fit on this thread with a watcher thread cancelling as the watch says. */
static int fit_watched(watch* w, const ll_dataset* train, const ll_dataset* validation, ll_model** out) {
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, watcher, w) == 0);
    CHECK_OK(ll_trainer_set_callback(w->trainer, on_event, w));
    const int rc = ll_trainer_fit(w->trainer, train, validation, NULL, out);
    pthread_mutex_lock(&w->mu);
    w->fit_returned = 1;
    pthread_cond_broadcast(&w->cv);
    pthread_mutex_unlock(&w->mu);
    REQUIRE(pthread_join(thread, NULL) == 0);
    return rc;
}

/* A fit far longer than the test: 500 epochs over 20000 generated rows, cancelled by the
 * watcher once two epochs have ended, while training goes on (the callback does not
 * wait). Cancellation is polled before every mini-batch, so the fit returns soon. */
void test_cancel_running_fit(void) {
    table data = table_synthetic_binary(20000, 20, 11);
    ll_dataset* train = dataset_from_table(&data, 0);
    ll_trainer* t = new_trainer("binary_classifier", 500);
    CHECK_OK(ll_trainer_set(t, "mini_batch_size", "100"));
    watch w;
    watch_init(&w, t, LL_EVENT_EPOCH_END, 1, 0);
    ll_model* m = NULL;
    CHECK_INT(fit_watched(&w, train, NULL, &m), ==, LL_OK); /* after an epoch: the best so far */
    REQUIRE(m != NULL);
    CHECK(w.cancelled);
    CHECK(w.epoch_ends >= 2 && w.epoch_ends < 500);
    CHECK_INT(w.last_kind, ==, LL_EVENT_RUN_END);
    CHECK_INT(w.run_end_status, ==, LL_STATUS_CANCELLED);
    const ll_model_info info = model_info(m);
    CHECK_INT(info.status, ==, LL_STATUS_CANCELLED);
    CHECK(info.best_epoch >= 0 && info.best_epoch <= w.last_epoch);
    CHECK_DBL(accuracy(m, train, data.y), >, 0.8); /* a usable model */

    ll_model_free(m);
    watch_destroy(&w);
    ll_trainer_free(t);
    ll_dataset_free(train);
    table_free(&data);
}

/* The same with the callback holding training until the watcher has cancelled, so that
 * where the cancel lands is certain: before the first epoch, or after the first. */
void test_cancel_handshake(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_dataset* validation = dataset_from_file("breast_cancer.validation.csv");
    ll_trainer* t = new_trainer("binary_classifier", 5);

    /* At run_start: no epoch has ended, so there is no model to return. */
    watch w;
    watch_init(&w, t, LL_EVENT_RUN_START, -1, 1);
    ll_model* m = (ll_model*)&m;
    CHECK_ERROR(fit_watched(&w, train, validation, &m), LL_E_CANCELLED, "ll_trainer_fit", "cancelled");
    CHECK(m == (ll_model*)&m);
    CHECK_INT(w.epoch_ends, ==, 0);
    CHECK_INT(w.last_kind, ==, LL_EVENT_RUN_END);
    CHECK_INT(w.run_end_status, ==, LL_STATUS_CANCELLED);
    watch_destroy(&w);

    /* At the end of epoch 0: that epoch's model, with status cancelled. */
    watch_init(&w, t, LL_EVENT_EPOCH_END, 0, 1);
    m = NULL;
    CHECK_OK(fit_watched(&w, train, validation, &m));
    CHECK_INT(w.epoch_ends, ==, 1);
    CHECK_INT(w.run_end_status, ==, LL_STATUS_CANCELLED);
    ll_model_info info = model_info(m);
    CHECK_INT(info.status, ==, LL_STATUS_CANCELLED);
    CHECK_INT(info.best_epoch, ==, 0);
    ll_model_free(m);
    watch_destroy(&w);

    /* The request is used up: the next fit runs to the end. */
    watch_init(&w, t, 0 /* never */, 0, 0);
    m = NULL;
    CHECK_OK(fit_watched(&w, train, validation, &m));
    CHECK_INT(w.epoch_ends, ==, 5);
    CHECK_INT(model_info(m).status, ==, LL_STATUS_COMPLETED);
    ll_model_free(m);
    watch_destroy(&w);

    /* A request made while no fit runs applies to the next fit. */
    CHECK_OK(ll_trainer_set_callback(t, NULL, NULL));
    CHECK_INT(ll_trainer_cancel(t), ==, LL_OK);
    m = NULL;
    CHECK_ERROR(ll_trainer_fit(t, train, validation, NULL, &m), LL_E_CANCELLED,
                "cancelled before the first epoch ended (a cancel request)");
    CHECK(m == NULL);

    /* ... unless withdrawn: a request that arrived too late for the fit it meant. */
    CHECK_INT(ll_trainer_cancel(t), ==, LL_OK);
    CHECK_INT(ll_trainer_clear_cancel(t), ==, LL_OK);
    CHECK_OK(ll_trainer_fit(t, train, validation, NULL, &m));
    CHECK_INT(model_info(m).status, ==, LL_STATUS_COMPLETED);
    ll_model_free(m);

    ll_trainer_free(t);
    ll_dataset_free(validation);
    ll_dataset_free(train);
}

/* ---- Stop from the callback ---------------------------------------------------------- */

typedef struct stopper {
    uint32_t stop_kind;
    int32_t stop_epoch;
    int epoch_ends;
    uint32_t last_kind, run_end_status;
    ll_trainer* trainer;
    const ll_dataset* train;
    int calls_while_running_refused;
} stopper;

static int stop_at(const ll_event* e, void* user_data) {
    stopper* s = user_data;
    s->last_kind = e->kind;
    if (e->kind == LL_EVENT_EPOCH_END) ++s->epoch_ends;
    if (e->kind == LL_EVENT_RUN_END) s->run_end_status = e->status;
    if (e->kind == LL_EVENT_RUN_START) {
        /* The trainer is busy: settings and a nested fit are refused, not raced. */
        ll_model* m = NULL;
        const int set_rc = ll_trainer_set(s->trainer, "epochs", "99");
        const int set_msg = strstr(ll_last_error(), "running") != NULL;
        const int fit_rc = ll_trainer_fit(s->trainer, s->train, NULL, NULL, &m);
        s->calls_while_running_refused = set_rc == LL_E_STATE && set_msg && fit_rc == LL_E_STATE && !m;
    }
    return e->kind == s->stop_kind && e->epoch == s->stop_epoch ? 1 : 0;
}

void test_callback_stops(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_trainer* t = new_trainer("binary_classifier", 6);
    char epochs[16];

    /* Non-zero at the end of epoch 1: a model of the two epochs, status cancelled. */
    stopper s = {LL_EVENT_EPOCH_END, 1, 0, 0, 0, t, train, 0};
    CHECK_OK(ll_trainer_set_callback(t, stop_at, &s));
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    CHECK_INT(s.epoch_ends, ==, 2);
    CHECK_INT(s.last_kind, ==, LL_EVENT_RUN_END); /* still the last event */
    CHECK_INT(s.run_end_status, ==, LL_STATUS_CANCELLED);
    CHECK_INT(model_info(m).status, ==, LL_STATUS_CANCELLED);
    CHECK(s.calls_while_running_refused);
    CHECK_OK(ll_trainer_get(t, "epochs", epochs, sizeof epochs, NULL));
    CHECK_STR(epochs, "6");
    ll_model_free(m);

    /* Non-zero at run_start: no epoch, no model. */
    stopper s2 = {LL_EVENT_RUN_START, -1, 0, 0, 0, t, train, 0};
    CHECK_OK(ll_trainer_set_callback(t, stop_at, &s2));
    m = NULL;
    CHECK_ERROR(ll_trainer_fit(t, train, NULL, NULL, &m), LL_E_CANCELLED,
                "cancelled before the first epoch ended (the event callback asked to stop at run_start)");
    CHECK(m == NULL);
    CHECK_INT(s2.epoch_ends, ==, 0);
    CHECK_INT(s2.run_end_status, ==, LL_STATUS_CANCELLED);

    ll_trainer_free(t);
    ll_dataset_free(train);
}

/* ---- The last error is per thread ---------------------------------------------------- */

typedef struct error_probe {
    char seen_at_start[256];
    int code_at_start;
    char own[256];
} error_probe;

static void* probe_errors(void* arg) {
    error_probe* p = arg;
    snprintf(p->seen_at_start, sizeof p->seen_at_start, "%s", ll_last_error());
    p->code_at_start = ll_last_error_code();
    ll_trainer* t = NULL;
    if (ll_trainer_create(&t) == LL_OK) {
        ll_trainer_set(t, "epochs", "zero"); /* this thread's own error */
        ll_trainer_free(t);
    }
    snprintf(p->own, sizeof p->own, "%s", ll_last_error());
    return NULL;
}

void test_last_error_is_thread_local(void) {
    CHECK_ERROR(ll_trainer_set(NULL, "epochs", "1"), LL_E_INVALID_ARG, "'t'");
    char mine[256];
    snprintf(mine, sizeof mine, "%s", ll_last_error());

    error_probe p;
    memset(&p, 0, sizeof p);
    pthread_t thread;
    REQUIRE(pthread_create(&thread, NULL, probe_errors, &p) == 0);
    REQUIRE(pthread_join(thread, NULL) == 0);
    CHECK_STR(p.seen_at_start, ""); /* a new thread has no error */
    CHECK_INT(p.code_at_start, ==, LL_OK);
    CHECK_CONTAINS(p.own, "'zero'");
    CHECK_STR(ll_last_error(), mine); /* and its error is not this thread's */
    CHECK_INT(ll_last_error_code(), ==, LL_E_INVALID_ARG);
}

/* ---- Shared models, reproducible fits ------------------------------------------------ */

typedef struct predictor_job {
    const ll_model* model;
    const table* data;
    double* out;
    int rc;
} predictor_job;

static void* predict_job(void* arg) {
    predictor_job* j = arg;
    for (int rep = 0; rep < 20 && j->rc == LL_OK; ++rep)
        j->rc = ll_model_predict_dense(j->model, j->data->x, j->data->rows, j->data->cols, j->data->cols,
                                       LL_PREDICT_RAW, j->out, (size_t)j->data->rows, NULL);
    return NULL;
}

void test_concurrent_predict(void) {
    table data = table_synthetic_binary(4000, 16, 5);
    ll_dataset* train = dataset_from_table(&data, 0);
    ll_trainer* t = new_trainer("binary_classifier", 2);
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    size_t n = 0;
    double* want = predict_all(m, train, LL_PREDICT_RAW, &n);

    enum { THREADS = 4 };
    pthread_t threads[THREADS];
    predictor_job jobs[THREADS];
    for (int i = 0; i < THREADS; ++i) {
        jobs[i] = (predictor_job){m, &data, malloc(n * sizeof(double)), LL_OK};
        REQUIRE(jobs[i].out != NULL);
        REQUIRE(pthread_create(&threads[i], NULL, predict_job, &jobs[i]) == 0);
    }
    for (int i = 0; i < THREADS; ++i) {
        REQUIRE(pthread_join(threads[i], NULL) == 0);
        CHECK_INT(jobs[i].rc, ==, LL_OK);
        CHECK(memcmp(jobs[i].out, want, n * sizeof(double)) == 0);
        free(jobs[i].out);
    }

    free(want);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(train);
    table_free(&data);
}

static double* fit_and_predict(const ll_dataset* train, const ll_dataset* validation, const char* seed,
                               size_t* n) {
    ll_trainer* t = new_trainer("binary_classifier", 4);
    CHECK_OK(ll_trainer_set(t, "seed", seed));
    ll_model* m = fit_or_die(t, train, validation, NULL);
    double* raw = predict_all(m, validation, LL_PREDICT_RAW, n);
    ll_model_free(m);
    ll_trainer_free(t);
    return raw;
}

/* Same data, same hyperparameters, same seed: the same model, bit for bit, with the
 * default (parallel) number of threads. */
void test_same_seed_same_model(void) {
    table data = table_synthetic_binary(6000, 24, 3);
    table held_out = table_synthetic_binary(1000, 24, 4);
    ll_dataset* train = dataset_from_table(&data, 0);
    ll_dataset* validation = dataset_from_table(&held_out, 0);
    size_t n1 = 0, n2 = 0, n3 = 0;
    double* a = fit_and_predict(train, validation, "42", &n1);
    double* b = fit_and_predict(train, validation, "42", &n2);
    double* c = fit_and_predict(train, validation, "43", &n3);
    REQUIRE(n1 == n2 && n1 == n3);
    CHECK(memcmp(a, b, n1 * sizeof(double)) == 0);
    CHECK(memcmp(a, c, n1 * sizeof(double)) != 0); /* and the seed does matter */

    free(c);
    free(b);
    free(a);
    ll_dataset_free(validation);
    ll_dataset_free(train);
    table_free(&held_out);
    table_free(&data);
}
