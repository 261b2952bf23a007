/* Refusals: every failing call returns its LL_E_* code, sets a message that names the
 * function, the argument and the value, and leaves its out-parameters alone. */
#include "capi_test.h"
#include "tests.h"

static void write_file(const char* path, const void* data, size_t size) {
    FILE* f = fopen(path, "wb");
    REQUIRE(f != NULL);
    REQUIRE(fwrite(data, 1, size, f) == size);
    fclose(f);
}

static char* read_file(const char* path, size_t* size) {
    FILE* f = fopen(path, "rb");
    REQUIRE(f != NULL);
    REQUIRE(fseek(f, 0, SEEK_END) == 0);
    const long n = ftell(f);
    REQUIRE(n > 0);
    rewind(f);
    char* data = malloc((size_t)n);
    REQUIRE(data != NULL);
    REQUIRE(fread(data, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *size = (size_t)n;
    return data;
}

void test_null_arguments(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_trainer* t = new_trainer("binary_classifier", 1);
    ll_model* m = fit_or_die(t, train, NULL, NULL);
    float x[30] = {0};
    double out[4];
    char buf[64];
    size_t needed = 0;
    ll_dataset* ds = (ll_dataset*)&ds; /* sentinels: must survive a failed call */
    ll_trainer* tr = (ll_trainer*)&tr;
    ll_model* mo = (ll_model*)&mo;

    CHECK_ERROR(ll_dataset_from_file(NULL, NULL, &ds), LL_E_INVALID_ARG, "ll_dataset_from_file", "'path'");
    CHECK_ERROR(ll_dataset_from_file("x.csv", NULL, NULL), LL_E_INVALID_ARG, "ll_dataset_from_file", "'out'");
    CHECK_ERROR(ll_dataset_from_dense(NULL, 3, 2, 2, NULL, NULL, 0, &ds), LL_E_INVALID_ARG, "'x'");
    CHECK_ERROR(ll_dataset_from_dense(x, 3, 2, 2, NULL, NULL, 0, NULL), LL_E_INVALID_ARG, "'out'");
    CHECK_ERROR(ll_dataset_from_csr(NULL, NULL, NULL, 3, 2, NULL, NULL, 0, &ds), LL_E_INVALID_ARG, "'indptr'");
    CHECK(ds == (ll_dataset*)&ds);
    CHECK_ERROR(ll_dataset_shape(NULL, NULL, NULL), LL_E_INVALID_ARG, "ll_dataset_shape", "'ds'");

    CHECK_ERROR(ll_trainer_create(NULL), LL_E_INVALID_ARG, "ll_trainer_create", "'out'");
    CHECK_ERROR(ll_trainer_set(NULL, "epochs", "1"), LL_E_INVALID_ARG, "ll_trainer_set", "'t'");
    CHECK_ERROR(ll_trainer_set(t, NULL, "1"), LL_E_INVALID_ARG, "ll_trainer_set", "'key'");
    CHECK_ERROR(ll_trainer_set(t, "epochs", NULL), LL_E_INVALID_ARG, "ll_trainer_set", "'value'");
    CHECK_ERROR(ll_trainer_set_json(t, NULL), LL_E_INVALID_ARG, "ll_trainer_set_json", "'json'");
    CHECK_ERROR(ll_trainer_get(NULL, "epochs", buf, sizeof buf, &needed), LL_E_INVALID_ARG, "'t'");
    CHECK_ERROR(ll_trainer_get(t, NULL, buf, sizeof buf, &needed), LL_E_INVALID_ARG, "'key'");
    CHECK_ERROR(ll_trainer_set_option(t, NULL, "x"), LL_E_INVALID_ARG, "ll_trainer_set_option", "'key'");
    CHECK_ERROR(ll_trainer_set_callback(NULL, NULL, NULL), LL_E_INVALID_ARG, "ll_trainer_set_callback", "'t'");
    CHECK_ERROR(ll_trainer_add_sink(t, NULL), LL_E_INVALID_ARG, "ll_trainer_add_sink", "'spec'");
    CHECK_ERROR(ll_trainer_fit(NULL, train, NULL, NULL, &mo), LL_E_INVALID_ARG, "ll_trainer_fit", "'t'");
    CHECK_ERROR(ll_trainer_fit(t, NULL, NULL, NULL, &mo), LL_E_INVALID_ARG, "ll_trainer_fit", "'train'");
    CHECK_ERROR(ll_trainer_fit(t, train, NULL, NULL, NULL), LL_E_INVALID_ARG, "ll_trainer_fit", "'out'");
    CHECK(mo == (ll_model*)&mo);
    CHECK(tr == (ll_trainer*)&tr);
    /* Async-signal-safe: a status only, no message. */
    CHECK_INT(ll_trainer_cancel(NULL), ==, LL_E_INVALID_ARG);
    CHECK_INT(ll_trainer_clear_cancel(NULL), ==, LL_E_INVALID_ARG);

    ll_model_info info;
    info.struct_size = sizeof info;
    CHECK_ERROR(ll_model_info_get(NULL, &info), LL_E_INVALID_ARG, "ll_model_info_get", "'m'");
    CHECK_ERROR(ll_model_info_get(m, NULL), LL_E_INVALID_ARG, "ll_model_info_get", "'info'");
    CHECK_ERROR(ll_model_predict(NULL, train, LL_PREDICT_SCORE, out, 4, &needed), LL_E_INVALID_ARG, "'m'");
    CHECK_ERROR(ll_model_predict(m, NULL, LL_PREDICT_SCORE, out, 4, &needed), LL_E_INVALID_ARG, "'data'");
    CHECK_ERROR(ll_model_predict_dense(m, NULL, 1, 30, 30, LL_PREDICT_SCORE, out, 4, &needed),
                LL_E_INVALID_ARG, "ll_model_predict_dense", "'x'");
    CHECK_ERROR(ll_model_predict_dense(m, x, 1, 30, 30, LL_PREDICT_SCORE, NULL, 4, &needed),
                LL_E_INVALID_ARG, "'out'");
    CHECK_ERROR(ll_model_predict_dense(m, x, 1, 30, 30, 3, out, 4, &needed), LL_E_INVALID_ARG, "what=3");
    CHECK_ERROR(ll_model_evaluate(NULL, train, buf, sizeof buf, &needed), LL_E_INVALID_ARG, "'m'");
    CHECK_ERROR(ll_model_evaluate(m, NULL, buf, sizeof buf, &needed), LL_E_INVALID_ARG, "'data'");
    CHECK_ERROR(ll_model_save(m, NULL), LL_E_INVALID_ARG, "ll_model_save", "'path'");
    CHECK_ERROR(ll_model_save(NULL, "x.llmodel"), LL_E_INVALID_ARG, "ll_model_save", "'m'");
    CHECK_ERROR(ll_model_load(NULL, &mo), LL_E_INVALID_ARG, "ll_model_load", "'path'");
    CHECK_ERROR(ll_model_load("x.llmodel", NULL), LL_E_INVALID_ARG, "ll_model_load", "'out'");
    CHECK(mo == (ll_model*)&mo);

    /* A handle of the wrong kind is refused, not misused. */
    CHECK_ERROR(ll_dataset_shape((const ll_dataset*)(const void*)m, NULL, NULL), LL_E_INVALID_ARG,
                "'ds'", "not a valid handle");

    /* The message stays until the next failing call, whatever succeeds meanwhile. */
    CHECK_ERROR(ll_trainer_set(t, "epochs", NULL), LL_E_INVALID_ARG, "'value'");
    CHECK_OK(ll_trainer_set(t, "epochs", "2"));
    CHECK_CONTAINS(ll_last_error(), "'value'");
    CHECK_INT(ll_last_error_code(), ==, LL_E_INVALID_ARG);

    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(train);
}

void test_free_null(void) {
    /* Documented no-ops, so that cleanup code need not test for NULL; not errors either:
     * the last error stays what it was. */
    CHECK_ERROR(ll_trainer_set(NULL, "epochs", "1"), LL_E_INVALID_ARG, "'t'");
    ll_dataset_free(NULL);
    ll_trainer_free(NULL);
    ll_model_free(NULL);
    CHECK_INT(ll_last_error_code(), ==, LL_E_INVALID_ARG);
    CHECK_CONTAINS(ll_last_error(), "ll_trainer_set");
}

void test_hyperparameter_errors(void) {
    ll_trainer* t = NULL;
    CHECK_OK(ll_trainer_create(&t));
    char before[64], after[64];
    CHECK_OK(ll_trainer_get(t, "epochs", before, sizeof before, NULL));

    /* Unknown keys: a near miss is named. */
    CHECK_ERROR(ll_trainer_set(t, "epoch", "3"), LL_E_INVALID_ARG, "ll_trainer_set", "'epoch'",
                "did you mean 'epochs'");
    CHECK_ERROR(ll_trainer_set(t, "learning_rat", "0.1"), LL_E_INVALID_ARG, "did you mean 'learning_rate'");
    CHECK_ERROR(ll_trainer_set(t, "zzzzzzzzzzzzzz", "1"), LL_E_INVALID_ARG, "'zzzzzzzzzzzzzz'");
    CHECK(strstr(ll_last_error(), "did you mean") == NULL); /* nothing near */
    CHECK_ERROR(ll_trainer_get(t, "epoch", before, sizeof before, NULL), LL_E_INVALID_ARG,
                "did you mean 'epochs'");

    /* Invalid values: the key, the value and what is allowed. */
    CHECK_ERROR(ll_trainer_set(t, "epochs", "-1"), LL_E_INVALID_ARG, "'epochs'", "'-1'", "allowed");
    CHECK_ERROR(ll_trainer_set(t, "epochs", "2.5"), LL_E_INVALID_ARG, "'epochs'", "'2.5'", "integer");
    CHECK_ERROR(ll_trainer_set(t, "epochs", "ten"), LL_E_INVALID_ARG, "'epochs'", "'ten'", "allowed");
    CHECK_ERROR(ll_trainer_set(t, "predictor_type", "binary"), LL_E_INVALID_ARG, "'predictor_type'",
                "'binary'", "binary_classifier", "multiclass_classifier", "regressor");
    CHECK_ERROR(ll_trainer_set(t, "use_bias", "maybe"), LL_E_INVALID_ARG, "'use_bias'", "'maybe'", "'true'");
    CHECK_ERROR(ll_trainer_set(t, "beta_1", "1"), LL_E_INVALID_ARG, "'beta_1'", "'1'", "[0, 1)");
    CHECK_OK(ll_trainer_get(t, "epochs", after, sizeof after, NULL));
    CHECK_STR(after, before); /* a refused value changes nothing */

    /* Run options. */
    CHECK_ERROR(ll_trainer_set_option(t, "runid", "x"), LL_E_INVALID_ARG, "'runid'", "'run_id'",
                "'model_path'");

    /* Sinks: a bad spec fails when added, not when training. */
    CHECK_ERROR(ll_trainer_add_sink(t, "no_such_sink_xyz"), LL_E_PLUGIN, "no_such_sink_xyz");

    ll_trainer_free(t);
}

void test_set_json(void) {
    ll_trainer* t = NULL;
    CHECK_OK(ll_trainer_create(&t));
    char value[64];

    CHECK_OK(ll_trainer_set_json(t, "{\"predictor_type\": \"regressor\", \"epochs\": 7, "
                                    "\"normalize_data\": false, \"learning_rate\": 0.25}"));
    CHECK_OK(ll_trainer_get(t, "epochs", value, sizeof value, NULL));
    CHECK_STR(value, "7");
    CHECK_OK(ll_trainer_get(t, "normalize_data", value, sizeof value, NULL));
    CHECK_STR(value, "false");
    CHECK_OK(ll_trainer_get(t, "predictor_type", value, sizeof value, NULL));
    CHECK_STR(value, "regressor");

    /* All or nothing: epochs is fine, mini_batch_size is not; neither is applied. */
    CHECK_ERROR(ll_trainer_set_json(t, "{\"epochs\": \"9\", \"mini_batch_size\": \"lots\"}"),
                LL_E_INVALID_ARG, "'mini_batch_size'", "'lots'");
    CHECK_OK(ll_trainer_get(t, "epochs", value, sizeof value, NULL));
    CHECK_STR(value, "7");
    CHECK_OK(ll_trainer_get(t, "mini_batch_size", value, sizeof value, NULL));
    CHECK_STR(value, "auto");
    CHECK_ERROR(ll_trainer_set_json(t, "{\"epochs\": \"9\", \"epoch\": 3}"), LL_E_INVALID_ARG,
                "did you mean 'epochs'");
    CHECK_OK(ll_trainer_get(t, "epochs", value, sizeof value, NULL));
    CHECK_STR(value, "7");

    /* Not JSON, not an object, not a scalar. */
    CHECK_ERROR(ll_trainer_set_json(t, "{\"epochs\": "), LL_E_INVALID_ARG, "ll_trainer_set_json");
    CHECK_ERROR(ll_trainer_set_json(t, "[1, 2]"), LL_E_INVALID_ARG, "object");
    CHECK_ERROR(ll_trainer_set_json(t, "{\"epochs\": [9]}"), LL_E_INVALID_ARG, "'epochs'");
    CHECK_OK(ll_trainer_get(t, "epochs", value, sizeof value, NULL));
    CHECK_STR(value, "7");

    ll_trainer_free(t);
}

void test_dataset_errors(void) {
    const float x[6] = {1, 2, 3, 4, 5, 6};
    ll_dataset* ds = NULL;
    CHECK_ERROR(ll_dataset_from_dense(x, 3, 2, 1, NULL, NULL, 0, &ds), LL_E_INVALID_ARG, "row_stride");
    CHECK_ERROR(ll_dataset_from_dense(x, 3, 0, 0, NULL, NULL, 0, &ds), LL_E_INVALID_ARG, "3 x 0");
    CHECK_ERROR(ll_dataset_from_dense(x, 3, 2, 2, NULL, NULL, 4u, &ds), LL_E_INVALID_ARG, "flags",
                "LL_DATASET_COPY");
    /* CSR: columns out of range, or not ascending within a row. */
    const int64_t indptr[3] = {0, 2, 3};
    const int32_t out_of_range[3] = {0, 5, 1}, unsorted[3] = {1, 0, 1};
    const float values[3] = {1, 2, 3};
    CHECK_ERROR(ll_dataset_from_csr(indptr, out_of_range, values, 2, 3, NULL, NULL, 0, &ds),
                LL_E_INVALID_ARG, "column index 5");
    CHECK_ERROR(ll_dataset_from_csr(indptr, unsorted, values, 2, 3, NULL, NULL, 0, &ds), LL_E_INVALID_ARG,
                "unsorted");
    CHECK(ds == NULL);

    /* Files: missing, malformed (file:line:column), bad options. */
    char path[1024];
    tmp_path(path, sizeof path, "no_such_file.csv");
    remove(path);
    CHECK_ERROR(ll_dataset_from_file(path, NULL, &ds), LL_E_IO, "no_such_file.csv");
    tmp_path(path, sizeof path, "malformed.csv");
    write_file(path, "1,2,3\n0,4,x\n", 12);
    CHECK_ERROR(ll_dataset_from_file(path, NULL, &ds), LL_E_PARSE, "malformed.csv:2:5");
    CHECK_ERROR(ll_dataset_from_file(path, "delimiter=semicolon", &ds), LL_E_INVALID_ARG, "semicolon");
    CHECK(ds == NULL);
}

void test_wrong_feature_count(void) {
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_dataset* other = dataset_from_file("heart_scale.test.csv"); /* 13 features, not 30 */
    ll_trainer* t = new_trainer("binary_classifier", 1);
    ll_model* m = fit_or_die(t, train, NULL, NULL);

    float x[2 * 29] = {0};
    double out[2] = {-7, -7};
    CHECK_ERROR(ll_model_predict_dense(m, x, 2, 29, 29, LL_PREDICT_SCORE, out, 2, NULL), LL_E_INVALID_ARG,
                "29", "30");
    CHECK(out[0] == -7 && out[1] == -7);
    size_t n = 0;
    double* many = malloc(200 * sizeof(double));
    REQUIRE(many != NULL);
    CHECK_ERROR(ll_model_predict(m, other, LL_PREDICT_LABEL, many, 200, &n), LL_E_INVALID_ARG, "13", "30");
    char json[512];
    CHECK_ERROR(ll_model_evaluate(m, other, json, sizeof json, NULL), LL_E_INVALID_ARG, "13", "30");
    /* At fit time, validation must have the train data's width. */
    ll_model* none = NULL;
    CHECK_ERROR(ll_trainer_fit(t, train, other, NULL, &none), LL_E_INVALID_ARG, "validation", "13", "30");
    CHECK(none == NULL);

    free(many);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(other);
    ll_dataset_free(train);
}

void test_bad_model_files(void) {
    ll_model* m = NULL;
    char path[1024];

    /* Missing: an I/O error. Not a model: a format error naming the file. */
    tmp_path(path, sizeof path, "no_such_model.llmodel");
    remove(path);
    CHECK_ERROR(ll_model_load(path, &m), LL_E_IO, "no_such_model.llmodel");
    data_path(path, sizeof path, "breast_cancer.train.csv");
    CHECK_ERROR(ll_model_load(path, &m), LL_E_MODEL_FORMAT, "ll_model_load", "breast_cancer.train.csv");
    tmp_path(path, sizeof path, "empty.llmodel");
    write_file(path, "", 0);
    CHECK_ERROR(ll_model_load(path, &m), LL_E_MODEL_FORMAT, "empty.llmodel");
    CHECK(m == NULL);

    /* A good file, cut short or with one byte changed. */
    ll_dataset* train = dataset_from_file("breast_cancer.train.csv");
    ll_trainer* t = new_trainer("binary_classifier", 1);
    ll_model* good = fit_or_die(t, train, NULL, NULL);
    tmp_path(path, sizeof path, "good.llmodel");
    CHECK_OK(ll_model_save(good, path));
    size_t size = 0;
    char* bytes = read_file(path, &size);
    const size_t cuts[] = {4, 16, size / 2, size - 1};
    for (size_t i = 0; i < sizeof cuts / sizeof cuts[0]; ++i) {
        tmp_path(path, sizeof path, "truncated.llmodel");
        write_file(path, bytes, cuts[i]);
        CHECK_ERROR(ll_model_load(path, &m), LL_E_MODEL_FORMAT, "truncated.llmodel");
    }
    bytes[size - 12] ^= 0x01; /* a weight, under the checksum */
    tmp_path(path, sizeof path, "corrupted.llmodel");
    write_file(path, bytes, size);
    CHECK_ERROR(ll_model_load(path, &m), LL_E_MODEL_FORMAT, "checksum");
    CHECK(m == NULL);
    /* Saving where no folder exists: an I/O error naming the path. */
    tmp_path(path, sizeof path, "no_such_dir/model.llmodel");
    CHECK_ERROR(ll_model_save(good, path), LL_E_IO, "no_such_dir");

    free(bytes);
    ll_model_free(good);
    ll_trainer_free(t);
    ll_dataset_free(train);
}
