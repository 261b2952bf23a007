/*
 * bench_predict — prediction through the C ABI (issue 6, case 6).
 *
 *   bench_predict [--features F] [--calls N] [--batch-rows R] [--reps K] [--classes C]
 *
 * Trains a small model on seeded in-memory data (binary, or multiclass with --classes C),
 * then measures
 *   - single-row latency: ll_model_predict_dense on one row at a time, N calls cycling over
 *     a pool of 1024 rows (warm caches: the latency of the call itself), for scores and labels;
 *   - batch throughput: one ll_model_predict_dense call on R rows, and ll_model_predict on
 *     the same rows wrapped in an ll_dataset.
 * One JSON object per line on stdout.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime in strict C11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_common.h"

enum { POOL = 1024 };

static void fill(float* x, float* y, long long rows, int f, int classes, unsigned long long seed) {
    for (long long i = 0; i < rows; ++i) {
        bench_rng r = {bench_mix(seed, (uint64_t)i)};
        double z = 0;
        for (int j = 0; j < f; ++j) {
            x[i * f + j] = bench_gauss(&r);
            z += (j % 7 - 3) * x[i * f + j];
        }
        if (y) y[i] = classes > 2 ? (float)((unsigned)(z > 0 ? z : -z) % (unsigned)classes) : (z > 0 ? 1.0f : 0.0f);
    }
}

int main(int argc, char** argv) {
    int features = 100, reps = 5, classes = 2;
    long long calls = 1000000, batch_rows = 500000;
    for (int i = 1; i < argc; ++i) {
        if (i + 1 < argc && !strcmp(argv[i], "--features")) features = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--calls")) calls = atoll(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--batch-rows")) batch_rows = atoll(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--reps")) reps = atoi(argv[++i]);
        else if (i + 1 < argc && !strcmp(argv[i], "--classes")) classes = atoi(argv[++i]);
        else {
            fprintf(stderr, "usage: bench_predict [--features F] [--calls N] [--batch-rows R] [--reps K] [--classes C]\n");
            return 2;
        }
    }
    const long long train_rows = 20000;
    float* xt = malloc(sizeof(float) * (size_t)(train_rows * features));
    float* yt = malloc(sizeof(float) * (size_t)train_rows);
    float* xb = malloc(sizeof(float) * (size_t)(batch_rows * features));
    if (!xt || !yt || !xb) return 1;
    fill(xt, yt, train_rows, features, classes, 7);
    fill(xb, NULL, batch_rows, features, classes, 8);

    ll_dataset* train = NULL;
    bench_check(ll_dataset_from_dense(xt, train_rows, features, features, yt, NULL, 0, &train), "dataset");
    ll_trainer* t = NULL;
    bench_check(ll_trainer_create(&t), "ll_trainer_create");
    if (classes > 2) {
        bench_set(t, "predictor_type", "multiclass_classifier");
        bench_set_int(t, "num_classes", classes);
    } else {
        bench_set(t, "predictor_type", "binary_classifier");
    }
    bench_set(t, "epochs", "2");
    bench_set(t, "num_models", "1");
    bench_set(t, "mini_batch_size", "1000");
    ll_model* m = NULL;
    bench_check(ll_trainer_fit(t, train, NULL, NULL, &m), "ll_trainer_fit");
    ll_model_info info;
    info.struct_size = sizeof info;
    bench_check(ll_model_info_get(m, &info), "ll_model_info_get");
    const int outputs = info.num_outputs;
    const char* task = classes > 2 ? "multiclass" : "binary";

    /* Single-row latency. */
    double out[64];
    const int whats[2] = {LL_PREDICT_SCORE, LL_PREDICT_LABEL};
    const char* what_names[2] = {"score", "label"};
    for (int w = 0; w < 2; ++w) {
        const size_t out_len = whats[w] == LL_PREDICT_SCORE ? (size_t)outputs : 1;
        for (int rep = 0; rep < reps; ++rep) {
            double checksum = 0;
            const double t0 = bench_now();
            for (long long c = 0; c < calls; ++c) {
                const float* row = xb + (c % POOL) * features;
                if (ll_model_predict_dense(m, row, 1, features, features, whats[w], out, out_len, NULL) != LL_OK) {
                    fprintf(stderr, "predict failed: %s\n", ll_last_error());
                    return 1;
                }
                checksum += out[0];
            }
            const double secs = bench_now() - t0;
            printf("{\"bench\":\"predict_row\",\"task\":\"%s\",\"what\":\"%s\",\"features\":%d,\"rep\":%d,"
                   "\"calls\":%lld,\"ns_per_call\":%.2f,\"checksum\":%.3f}\n",
                   task, what_names[w], features, rep, calls, 1e9 * secs / (double)calls, checksum);
        }
    }

    /* Batch throughput. */
    const size_t n_out = (size_t)batch_rows * (size_t)outputs;
    double* bout = malloc(sizeof(double) * n_out);
    ll_dataset* batch = NULL;
    bench_check(ll_dataset_from_dense(xb, batch_rows, features, features, NULL, NULL, 0, &batch), "dataset");
    for (int rep = 0; rep < reps; ++rep) {
        double t0 = bench_now();
        bench_check(ll_model_predict_dense(m, xb, batch_rows, features, features, LL_PREDICT_SCORE, bout, n_out, NULL),
                    "ll_model_predict_dense");
        const double s_dense = bench_now() - t0;
        t0 = bench_now();
        bench_check(ll_model_predict(m, batch, LL_PREDICT_SCORE, bout, n_out, NULL), "ll_model_predict");
        const double s_ds = bench_now() - t0;
        printf("{\"bench\":\"predict_batch\",\"task\":\"%s\",\"features\":%d,\"rep\":%d,\"rows\":%lld,"
               "\"dense_s\":%.6f,\"dataset_s\":%.6f,\"bytes\":%.0f}\n",
               task, features, rep, batch_rows, s_dense, s_ds, (double)batch_rows * features * 4.0);
    }
    fflush(stdout);
    free(bout);
    ll_dataset_free(batch);
    ll_model_free(m);
    ll_trainer_free(t);
    ll_dataset_free(train);
    free(xt);
    free(yt);
    free(xb);
    return 0;
}
