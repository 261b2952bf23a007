/*
 * bench_common.h — small helpers shared by the benchmark programs (C and C++).
 *
 * Everything here is static inline so that each program stays one translation unit.
 * Results are printed one JSON object per line on stdout ("records"); bench/run reads
 * them and computes the medians. Progress goes to stderr.
 */
#ifndef LINLEARN_BENCH_COMMON_H
#define LINLEARN_BENCH_COMMON_H

#include <linlearn/linlearn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Monotonic seconds. */
static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Exits with the library's message when an ll_ call fails. */
static inline void bench_check(int status, const char* what) {
    if (status != LL_OK) {
        fprintf(stderr, "bench: %s failed (%d): %s\n", what, status, ll_last_error());
        exit(1);
    }
}

/* splitmix64: a seeded, counter-based generator. bench_mix(seed, i) is a pure function
 * of its arguments, so rows can be generated in parallel and still be the same data
 * whatever the thread count. */
static inline uint64_t bench_mix(uint64_t seed, uint64_t i) {
    uint64_t z = seed + 0x9e3779b97f4a7c15ULL * (i + 1);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
typedef struct bench_rng {
    uint64_t state;
} bench_rng;
static inline uint64_t bench_next(bench_rng* r) {
    r->state += 0x9e3779b97f4a7c15ULL;
    uint64_t z = r->state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}
/* Uniform in [0, 1). */
static inline double bench_u01(bench_rng* r) { return (double)(bench_next(r) >> 11) * (1.0 / 9007199254740992.0); }
/* Roughly standard normal (Irwin-Hall, 4 uniforms): cheap and good enough for data. */
static inline float bench_gauss(bench_rng* r) {
    const double s = bench_u01(r) + bench_u01(r) + bench_u01(r) + bench_u01(r);
    return (float)((s - 2.0) * 1.7320508075688772);
}

/* The process's current and peak resident memory in bytes, from /proc/self/status. */
static inline void bench_rss(int64_t* rss, int64_t* hwm) {
    *rss = *hwm = -1;
    FILE* f = fopen("/proc/self/status", "r");
    if (!f) return;
    char line[256];
    while (fgets(line, sizeof line, f)) {
        long long kb;
        if (sscanf(line, "VmRSS: %lld kB", &kb) == 1) *rss = kb * 1024;
        if (sscanf(line, "VmHWM: %lld kB", &kb) == 1) *hwm = kb * 1024;
    }
    fclose(f);
}

/* Sets a hyperparameter from text, exiting on refusal. */
static inline void bench_set(ll_trainer* t, const char* key, const char* value) {
    if (ll_trainer_set(t, key, value) != LL_OK) {
        fprintf(stderr, "bench: cannot set %s=%s: %s\n", key, value, ll_last_error());
        exit(1);
    }
}
static inline void bench_set_int(ll_trainer* t, const char* key, long long value) {
    char buf[32];
    snprintf(buf, sizeof buf, "%lld", value);
    bench_set(t, key, buf);
}
/* "key=value" from the command line. */
static inline void bench_set_pair(ll_trainer* t, const char* pair) {
    char key[128];
    const char* eq = strchr(pair, '=');
    if (!eq || (size_t)(eq - pair) >= sizeof key) {
        fprintf(stderr, "bench: expected key=value, found '%s'\n", pair);
        exit(2);
    }
    memcpy(key, pair, (size_t)(eq - pair));
    key[eq - pair] = 0;
    bench_set(t, key, eq + 1);
}

/* Parses "1,8,32" into out (at most cap values); returns the count. */
static inline int bench_parse_list(const char* text, long long* out, int cap) {
    int n = 0;
    const char* p = text;
    while (*p && n < cap) {
        char* end;
        out[n++] = strtoll(p, &end, 10);
        if (end == p) break;
        p = *end == ',' ? end + 1 : end;
    }
    return n;
}

#ifdef __cplusplus
}
#endif
#endif /* LINLEARN_BENCH_COMMON_H */
