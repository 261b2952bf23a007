/* Alert and stop rules (ll_trainer_add_alert, ll_trainer_clear_alerts,
 * ll_trainer_get_alerts) and run_start's per-model settings (ll_event.model_params). */
#include "capi_test.h"
#include "tests.h"

#define MAX_SEEN 64

/* What the callback saw, kept past the events' lifetime. */
typedef struct seen {
    int n;
    uint32_t kinds[MAX_SEEN];
    int32_t epochs[MAX_SEEN];
    char codes[MAX_SEEN][32];
    char messages[MAX_SEEN][256];
    uint32_t run_end_status;
    /* Calls made from inside the callback, while the fit runs. */
    int add_rc, clear_rc, get_rc;
} seen;

static int record(const ll_event* e, void* user_data) {
    seen* s = user_data;
    REQUIRE(s->n < MAX_SEEN);
    s->kinds[s->n] = e->kind;
    s->epochs[s->n] = e->epoch;
    snprintf(s->codes[s->n], sizeof s->codes[0], "%s", e->diagnostic_code ? e->diagnostic_code : "");
    snprintf(s->messages[s->n], sizeof s->messages[0], "%s", e->message ? e->message : "");
    if (e->kind == LL_EVENT_RUN_END) s->run_end_status = e->status;
    ++s->n;
    return 0;
}

/* The index of the first event of kind (and diagnostic code, if not NULL), or -1. */
static int find_event(const seen* s, uint32_t kind, const char* code) {
    for (int i = 0; i < s->n; ++i)
        if (s->kinds[i] == kind && (!code || strcmp(s->codes[i], code) == 0)) return i;
    return -1;
}

static int count_events(const seen* s, uint32_t kind, const char* code) {
    int n = 0;
    for (int i = 0; i < s->n; ++i) n += s->kinds[i] == kind && (!code || strcmp(s->codes[i], code) == 0);
    return n;
}

/* ll_trainer_get_alerts by the two-call pattern, in a new string. */
static char* alerts_json(const ll_trainer* t) {
    size_t needed = 0;
    CHECK_ERROR(ll_trainer_get_alerts(t, NULL, 0, &needed), LL_E_BUFFER_TOO_SMALL, "bytes needed");
    REQUIRE(needed > 1);
    char* buf = malloc(needed);
    REQUIRE(buf != NULL);
    CHECK_OK(ll_trainer_get_alerts(t, buf, needed, &needed));
    CHECK_INT(strlen(buf) + 1, ==, needed);
    return buf;
}

/* An alert fires once, as a diagnostic right after the epoch_end it held on; a stop rule
 * ends the run early_stopped with the rule as the reason, and the fit still returns the
 * best checkpoint. */
void test_alert_rules(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_dataset* validation = dataset_from_file("breast_cancer.validation.csv");
    ll_trainer* t = new_trainer("binary_classifier", 8);
    CHECK_OK(ll_trainer_set(t, "num_models", "2"));
    CHECK_OK(ll_trainer_add_alert(t, "validation:objective_loss < 10", 0));              /* from epoch 0 */
    CHECK_OK(ll_trainer_add_alert(t, "  train:objective_loss<10   after   epoch 2 ", LL_ALERT_STOP)); /* stops at 3 */
    CHECK_OK(ll_trainer_add_alert(t, "validation:roc_auc_score < 0", 0));               /* never */
    seen s;
    memset(&s, 0, sizeof s);
    CHECK_OK(ll_trainer_set_callback(t, record, &s));
    ll_model* m = fit_or_die(t, train, validation, NULL);

    /* The alert: once, right after epoch 0's epoch_end. */
    CHECK_INT(count_events(&s, LL_EVENT_DIAGNOSTIC, "alert"), ==, 2); /* the alert and the stop rule */
    const int alert = find_event(&s, LL_EVENT_DIAGNOSTIC, "alert");
    REQUIRE(alert > 0);
    CHECK_INT(s.kinds[alert - 1], ==, LL_EVENT_EPOCH_END);
    CHECK_INT(s.epochs[alert - 1], ==, 0);
    CHECK_INT(s.epochs[alert], ==, 0);
    CHECK_CONTAINS(s.messages[alert], "alert 'validation:objective_loss < 10' fired at epoch 0: validation:objective_loss = ");

    /* The stop: epochs 0..3, then diagnostic, early_stop, model_selected, run_end. */
    CHECK_INT(count_events(&s, LL_EVENT_EPOCH_END, NULL), ==, 4);
    REQUIRE(s.n >= 5);
    CHECK_INT(s.kinds[s.n - 5], ==, LL_EVENT_EPOCH_END);
    CHECK_INT(s.kinds[s.n - 4], ==, LL_EVENT_DIAGNOSTIC);
    CHECK_STR(s.codes[s.n - 4], "alert");
    CHECK_CONTAINS(s.messages[s.n - 4], "stop rule '  train:objective_loss<10   after   epoch 2 ' fired at epoch 3");
    CHECK_INT(s.kinds[s.n - 3], ==, LL_EVENT_EARLY_STOP);
    CHECK_INT(s.epochs[s.n - 3], ==, 3);
    CHECK_INT(s.kinds[s.n - 2], ==, LL_EVENT_MODEL_SELECTED);
    CHECK_INT(s.kinds[s.n - 1], ==, LL_EVENT_RUN_END);
    CHECK_INT(s.run_end_status, ==, LL_STATUS_EARLY_STOPPED);
    CHECK_CONTAINS(s.messages[s.n - 1], "stopped by rule '  train:objective_loss<10   after   epoch 2 ' at epoch 3: "
                                        "train:objective_loss = ");
    CHECK_STR(s.messages[s.n - 3], s.messages[s.n - 1]);
    const ll_model_info info = model_info(m);
    CHECK_INT(info.status, ==, LL_STATUS_EARLY_STOPPED);
    CHECK(info.best_epoch >= 0 && info.best_epoch <= 3);

    /* What the rules did. */
    char* json = alerts_json(t);
    CHECK_CONTAINS(json, "\"stopped_by\":\"  train:objective_loss<10   after   epoch 2 \"");
    CHECK_CONTAINS(json, "{\"rule\":\"validation:objective_loss < 10\",\"kind\":\"alert\",\"phase\":\"validation\","
                         "\"metric\":\"objective_loss\",\"op\":\"<\",\"threshold\":10.0,\"after_epoch\":null,"
                         "\"fired\":true,\"first_epoch\":0,\"value\":");
    CHECK_CONTAINS(json, "\"epochs_held\":4,\"note\":null}");
    CHECK_CONTAINS(json, "\"kind\":\"stop_when\",\"phase\":\"train\",\"metric\":\"objective_loss\",\"op\":\"<\","
                         "\"threshold\":10.0,\"after_epoch\":2,\"fired\":true,\"first_epoch\":3,");
    CHECK_CONTAINS(json, "\"rule\":\"validation:roc_auc_score < 0\",\"kind\":\"alert\"");
    CHECK_CONTAINS(json, "\"fired\":false,\"first_epoch\":null,\"value\":null,\"epochs_held\":0,\"note\":null}");
    free(json);
    ll_model_free(m);

    /* Cleared, the next fit has no rule: no alert, and it runs every epoch. */
    CHECK_OK(ll_trainer_clear_alerts(t));
    memset(&s, 0, sizeof s);
    m = fit_or_die(t, train, validation, NULL);
    CHECK_INT(count_events(&s, LL_EVENT_DIAGNOSTIC, "alert"), ==, 0);
    CHECK_INT(count_events(&s, LL_EVENT_EPOCH_END, NULL), ==, 8);
    CHECK_INT(s.run_end_status, ==, LL_STATUS_COMPLETED);
    json = alerts_json(t);
    CHECK_STR(json, "{\"stopped_by\":null,\"rules\":[]}");
    free(json);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(validation);
    ll_dataset_free(train);
}

/* A rule that cannot apply to the run says so at the first epoch, and training goes on. */
void test_alert_never_applies(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_trainer* t = new_trainer("binary_classifier", 3);
    CHECK_OK(ll_trainer_add_alert(t, "validation:objective_loss > 0", LL_ALERT_STOP)); /* no validation data */
    CHECK_OK(ll_trainer_add_alert(t, "train:rmse > 0", 0));                            /* a regression metric */
    seen s;
    memset(&s, 0, sizeof s);
    CHECK_OK(ll_trainer_set_callback(t, record, &s));
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    CHECK_INT(count_events(&s, LL_EVENT_DIAGNOSTIC, "alert_never_applies"), ==, 2);
    const int first = find_event(&s, LL_EVENT_DIAGNOSTIC, "alert_never_applies");
    REQUIRE(first > 0);
    CHECK_INT(s.epochs[first], ==, 0);
    CHECK_CONTAINS(s.messages[first], "stop rule 'validation:objective_loss > 0' never applies: this run has no "
                                      "validation data");
    CHECK_CONTAINS(s.messages[first + 1], "alert 'train:rmse > 0' never applies: this run has no metric train:rmse");
    CHECK_INT(count_events(&s, LL_EVENT_DIAGNOSTIC, "alert"), ==, 0);
    CHECK_INT(count_events(&s, LL_EVENT_EPOCH_END, NULL), ==, 3);
    CHECK_INT(s.run_end_status, ==, LL_STATUS_COMPLETED);
    char* json = alerts_json(t);
    CHECK_CONTAINS(json, "\"stopped_by\":null");
    CHECK_CONTAINS(json, "\"note\":\"this run has no validation data\"");
    CHECK_CONTAINS(json, "\"note\":\"this run has no metric train:rmse\"");
    free(json);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(train);
}

typedef struct seen_with_trainer {
    seen s;
    ll_trainer* t;
} seen_with_trainer;

static int call_during_fit(const ll_event* e, void* user_data) {
    seen_with_trainer* st = user_data;
    if (e->kind == LL_EVENT_EPOCH_END && e->epoch == 0) {
        char buf[256];
        size_t needed = 0;
        st->s.add_rc = ll_trainer_add_alert(st->t, "train:objective_loss > 0", 0);
        st->s.clear_rc = ll_trainer_clear_alerts(st->t);
        st->s.get_rc = ll_trainer_get_alerts(st->t, buf, sizeof buf, &needed);
    }
    return 0;
}

/* Bad input: NULL handles and rules, malformed rules with their column, unknown flags and
 * metrics, and calls during a fit. */
void test_alert_errors(void) {
    ll_trainer* t = new_trainer("binary_classifier", 1);
    char buf[8];
    size_t needed = 0;
    CHECK_ERROR(ll_trainer_add_alert(NULL, "train:objective_loss > 1", 0), LL_E_INVALID_ARG,
                "ll_trainer_add_alert", "'t'");
    CHECK_ERROR(ll_trainer_add_alert(t, NULL, 0), LL_E_INVALID_ARG, "ll_trainer_add_alert", "'rule'");
    CHECK_ERROR(ll_trainer_clear_alerts(NULL), LL_E_INVALID_ARG, "ll_trainer_clear_alerts", "'t'");
    CHECK_ERROR(ll_trainer_get_alerts(NULL, buf, sizeof buf, &needed), LL_E_INVALID_ARG, "ll_trainer_get_alerts",
                "'t'");
    CHECK_ERROR(ll_trainer_add_alert(t, "train:objective_loss > 1", 6), LL_E_INVALID_ARG, "flags=6",
                "LL_ALERT_STOP");
    /* A handle of another kind. */
    ll_dataset* data = dataset_from_file("breast_cancer.train.csv");
    CHECK_ERROR(ll_trainer_add_alert((ll_trainer*)(void*)data, "train:objective_loss > 1", 0), LL_E_INVALID_ARG,
                "'t'", "not a valid handle");

    /* Malformed rules: the rule, the 1-based column, what was expected. */
    CHECK_ERROR(ll_trainer_add_alert(t, "validation:objective_loss >> 0.7", 0), LL_E_INVALID_ARG,
                "ll_trainer_add_alert: rule 'validation:objective_loss >> 0.7': column 28: expected a number");
    CHECK_ERROR(ll_trainer_add_alert(t, "", 0), LL_E_INVALID_ARG, "rule '': column 1: expected <phase>:<metric>");
    CHECK_ERROR(ll_trainer_add_alert(t, "test:objective_loss > 1", LL_ALERT_STOP), LL_E_INVALID_ARG, "column 1",
                "only at run end");
    CHECK_ERROR(ll_trainer_add_alert(t, "valid:objective_loss > 1", 0), LL_E_INVALID_ARG, "column 1",
                "unknown phase 'valid'; expected train or validation");
    CHECK_ERROR(ll_trainer_add_alert(t, "train:objective_loss => 1", 0), LL_E_INVALID_ARG, "column 22",
                "expected an operator: > >= < <= == !=");
    CHECK_ERROR(ll_trainer_add_alert(t, "train:objective_loss > inf", 0), LL_E_INVALID_ARG, "column 24",
                "expected a number");
    CHECK_ERROR(ll_trainer_add_alert(t, "train:objective_loss > 1 after epoch -1", 0), LL_E_INVALID_ARG,
                "column 38", "expected an epoch number");
    CHECK_ERROR(ll_trainer_add_alert(t, "train:accuracy > 0.9", 0), LL_E_INVALID_ARG, "column 7",
                "unknown metric 'accuracy'");
    CHECK_ERROR(ll_trainer_add_alert(t, "train:objective_los > 1", 0), LL_E_INVALID_ARG, "column 7",
                "did you mean 'objective_loss'?");
    /* Nothing refused was kept. */
    char* json = alerts_json(t);
    CHECK_STR(json, "{\"stopped_by\":null,\"rules\":[]}");
    free(json);

    /* Too small a buffer: the size needed, and nothing written. */
    CHECK_OK(ll_trainer_add_alert(t, "train:objective_loss > 1", 0));
    memset(buf, 'x', sizeof buf);
    CHECK_ERROR(ll_trainer_get_alerts(t, buf, sizeof buf, &needed), LL_E_BUFFER_TOO_SMALL, "bytes needed");
    CHECK(needed > sizeof buf);
    CHECK(buf[0] == 'x');

    /* During a fit (from the callback): refused, the fit goes on. */
    seen_with_trainer st;
    memset(&st, 0, sizeof st);
    st.t = t;
    CHECK_OK(ll_trainer_set_callback(t, call_during_fit, &st));
    ll_model* m = fit_or_die(t, data, NULL, NULL);
    CHECK_INT(st.s.add_rc, ==, LL_E_STATE);
    CHECK_INT(st.s.clear_rc, ==, LL_E_STATE);
    CHECK_INT(st.s.get_rc, ==, LL_E_STATE);
    json = alerts_json(t); /* the rule is still there */
    CHECK_CONTAINS(json, "\"rule\":\"train:objective_loss > 1\"");
    free(json);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(data);
}

static const char* param_of(const ll_param* params, uint32_t n, const char* key) {
    for (uint32_t i = 0; i < n; ++i)
        if (strcmp(params[i].key, key) == 0) return params[i].value;
    return NULL;
}

static int check_start(const ll_event* e, void* user_data) {
    if (e->kind != LL_EVENT_RUN_START) {
        if (LL_HAS_FIELD(e, ll_event, model_params)) { /* only run_start has them */
            CHECK_INT(e->n_model_params, ==, 0);
            CHECK(e->model_params == NULL);
        }
        return 0;
    }
    REQUIRE(LL_HAS_FIELD(e, ll_event, model_params));
    REQUIRE(e->n_model_params == 3);
    REQUIRE(e->model_params != NULL);
    const char* keys[] = {"optimizer", "learning_rate", "l1", "wd", "lr_scheduler_step", "lr_scheduler_factor",
                          "lr_scheduler_minimum_lr", "positive_example_weight_mult"};
    for (uint32_t m = 0; m < 3; ++m) {
        const ll_model_params* p = &e->model_params[m];
        CHECK_INT(p->struct_size, ==, sizeof(ll_model_params));
        CHECK_INT(p->model, ==, m);
        CHECK_INT(p->n_params, ==, sizeof keys / sizeof keys[0]);
        for (size_t k = 0; k < sizeof keys / sizeof keys[0]; ++k) {
            const char* v = param_of(p->params, p->n_params, keys[k]);
            if (!v) t_fail(__FILE__, __LINE__, "model %u lacks %s", (unsigned)m, keys[k]);
        }
    }
    /* Model 0: the hyperparameters as given and resolved. */
    const ll_model_params* m0 = &e->model_params[0];
    CHECK_STR(param_of(m0->params, m0->n_params, "learning_rate"), "0.05");
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; ++k) {
        const char* mine = param_of(m0->params, m0->n_params, keys[k]);
        const char* resolved = param_of(e->params, e->n_params, keys[k]);
        REQUIRE(mine && resolved);
        if (strcmp(keys[k], "optimizer") == 0) CHECK_STR(mine, resolved);
        else CHECK_NEAR(strtod(mine, NULL), strtod(resolved, NULL), 1e-9 * fabs(strtod(mine, NULL)));
    }
    /* The others draw their learning rate within 10x of model 0's. */
    for (uint32_t m = 1; m < 3; ++m) {
        const double lr = strtod(param_of(e->model_params[m].params, e->model_params[m].n_params, "learning_rate"), NULL);
        CHECK(lr >= 0.005 && lr <= 0.5 && lr != 0.05);
    }
    ++((int*)user_data)[0];
    return 0;
}

/* run_start carries the settings of every model, in order; model 0's are the resolved
 * hyperparameters. */
void test_run_start_model_params(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_trainer* t = new_trainer("binary_classifier", 1);
    CHECK_OK(ll_trainer_set(t, "num_models", "3"));
    CHECK_OK(ll_trainer_set(t, "learning_rate", "0.05"));
    int checked = 0;
    CHECK_OK(ll_trainer_set_callback(t, check_start, &checked));
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    CHECK_INT(checked, ==, 1);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(train);
}

/* model_selected names the selected model's own settings, its drawn
 * positive_example_weight_mult included: the same values run_start gave that model. */
typedef struct selected_watch {
    char drawn[8][8][64]; /* [model][key] as run_start wrote them */
    int selected_model, checked;
} selected_watch;

static const char* const kSelectedKeys[] = {"optimizer", "learning_rate", "l1", "wd", "positive_example_weight_mult"};
enum { kNumSelectedKeys = sizeof kSelectedKeys / sizeof kSelectedKeys[0] };

static int check_selected(const ll_event* e, void* user_data) {
    selected_watch* w = user_data;
    if (e->kind == LL_EVENT_RUN_START) {
        REQUIRE(e->n_model_params == 4);
        for (uint32_t m = 0; m < 4; ++m)
            for (int k = 0; k < kNumSelectedKeys; ++k) {
                const char* v = param_of(e->model_params[m].params, e->model_params[m].n_params, kSelectedKeys[k]);
                REQUIRE(v != NULL);
                snprintf(w->drawn[m][k], sizeof w->drawn[m][k], "%s", v);
            }
    }
    if (e->kind == LL_EVENT_MODEL_SELECTED) {
        REQUIRE(e->model >= 0 && e->model < 4);
        w->selected_model = e->model;
        for (int k = 0; k < kNumSelectedKeys; ++k) {
            const char* v = param_of(e->params, e->n_params, kSelectedKeys[k]);
            if (!v) t_fail(__FILE__, __LINE__, "model_selected lacks %s", kSelectedKeys[k]);
            const char* want = w->drawn[e->model][k];
            if (k == 0) CHECK_STR(v, want);
            else CHECK_NEAR(strtod(v, NULL), strtod(want, NULL), 1e-9 * fabs(strtod(want, NULL)));
        }
        ++w->checked;
    }
    return 0;
}

void test_model_selected_params(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_trainer* t = new_trainer("binary_classifier", 2);
    CHECK_OK(ll_trainer_set(t, "num_models", "4"));
    CHECK_OK(ll_trainer_set(t, "positive_example_weight_mult", "auto"));
    selected_watch w = {0};
    CHECK_OK(ll_trainer_set_callback(t, check_selected, &w));
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    CHECK_INT(w.checked, ==, 1);
    /* The hyperparameters saved in the model file (its JSON header) are the selected
     * model's too. */
    char path[512], header[8192] = {0};
    tmp_path(path, sizeof path, "selected.llmodel");
    CHECK_OK(ll_model_save(m, path));
    FILE* f = fopen(path, "rb");
    REQUIRE(f != NULL);
    const size_t got = fread(header, 1, sizeof header - 1, f);
    fclose(f);
    remove(path);
    header[got] = 0;
    const char* key = "[\"positive_example_weight_mult\",\"";
    const char* at = NULL;
    for (size_t i = 0; i + strlen(key) < got && !at; ++i)
        if (memcmp(header + i, key, strlen(key)) == 0) at = header + i + strlen(key);
    REQUIRE(at != NULL);
    const double saved = strtod(at, NULL), drawn = strtod(w.drawn[w.selected_model][4], NULL);
    CHECK_NEAR(saved, drawn, 1e-9 * drawn);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(train);
}
