/*
 * bench_read — reading a data file through the C ABI (issue 6, cases 4 and 8).
 *
 *   bench_read FILE [OPTIONS] [REPS]     times ll_dataset_from_file(FILE, OPTIONS) REPS times
 *   bench_read --baseline                 loads the library and exits (the memory baseline
 *                                         for /usr/bin/time -v)
 *
 * One JSON object per line: the file's size, the seconds, the shape, and the process's
 * resident memory (current and peak) with the dataset still alive.
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime in strict C11 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "bench_common.h"

int main(int argc, char** argv) {
    if (argc >= 2 && !strcmp(argv[1], "--baseline")) {
        int64_t rss, hwm;
        bench_rss(&rss, &hwm);
        printf("{\"bench\":\"read_baseline\",\"library\":\"%s\",\"rss\":%lld,\"hwm\":%lld}\n", ll_version_string(),
               (long long)rss, (long long)hwm);
        return 0;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: bench_read FILE [OPTIONS] [REPS] | bench_read --baseline\n");
        return 2;
    }
    const char* path = argv[1];
    const char* options = argc >= 3 ? argv[2] : "";
    const int reps = argc >= 4 ? atoi(argv[3]) : 3;
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "bench_read: cannot stat %s\n", path);
        return 1;
    }
    for (int rep = 0; rep < reps; ++rep) {
        ll_dataset* ds = NULL;
        const double t0 = bench_now();
        bench_check(ll_dataset_from_file(path, options, &ds), "ll_dataset_from_file");
        const double secs = bench_now() - t0;
        int64_t rows = 0, cols = 0, rss, hwm;
        bench_check(ll_dataset_shape(ds, &rows, &cols), "ll_dataset_shape");
        bench_rss(&rss, &hwm);
        printf("{\"bench\":\"read\",\"file\":\"%s\",\"rep\":%d,\"bytes\":%lld,\"s\":%.6f,\"rows\":%lld,"
               "\"cols\":%lld,\"rss\":%lld,\"hwm\":%lld}\n",
               path, rep, (long long)st.st_size, secs, (long long)rows, (long long)cols, (long long)rss,
               (long long)hwm);
        fflush(stdout);
        ll_dataset_free(ds);
    }
    return 0;
}
