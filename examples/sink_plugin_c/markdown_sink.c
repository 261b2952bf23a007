/*
 * markdown_sink.c — a complete linlearn sink plugin in plain C11.
 *
 * Writes a Markdown report of a training run: a table with one row per epoch holding
 * every metric of the best model so far, then the outcome and the final metrics.
 *
 *   linlearn train ... --sink /abs/path/liblinlearn_sink_markdown.so:path=report.md,title=Run 7
 *
 * It includes only linlearn/sink.h, links against nothing but the C library, and exports
 * one symbol, ll_sink_entry. docs/plugins.md walks through it.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <linlearn/sink.h>

/* One instance: what create made from the options, and the last error for last_error. */
typedef struct markdown {
    FILE* out;
    char title[128];
    int table_started; /* the header of this run's epoch table is written */
    char error[256];
} markdown;

static void set_error(markdown* md, const char* format, ...) {
    va_list args;
    va_start(args, format);
    vsnprintf(md->error, sizeof md->error, format, args);
    va_end(args);
}

static const char* phase_name(uint32_t phase) {
    switch (phase) {
        case LL_PHASE_TRAIN: return "train";
        case LL_PHASE_VALIDATION: return "validation";
        case LL_PHASE_TEST: return "test";
        default: return "other";
    }
}

/* Checks every option and opens the file now, so that a mistake stops the run before
 * training starts. The host copies nothing back but the message in error. */
static int md_create(const ll_sink_config* config, const ll_sink_host* host, void** out, char* error,
                     size_t error_size) {
    const char* path = NULL;
    const char* title = "Training run";
    markdown* md;
    uint32_t i;
    (void)host; /* this sink needs no host service */

    for (i = 0; i < config->count; ++i) {
        if (strcmp(config->keys[i], "path") == 0) {
            path = config->values[i];
        } else if (strcmp(config->keys[i], "title") == 0) {
            title = config->values[i];
        } else {
            snprintf(error, error_size, "unknown option '%s' (known: path, title)", config->keys[i]);
            return 1;
        }
    }
    if (!path || !*path) {
        snprintf(error, error_size, "path= is required, e.g. markdown:path=report.md");
        return 1;
    }
    md = calloc(1, sizeof *md);
    if (!md) {
        snprintf(error, error_size, "out of memory");
        return 1;
    }
    md->out = fopen(path, "w");
    if (!md->out) {
        snprintf(error, error_size, "cannot open %s: %s", path, strerror(errno));
        free(md);
        return 1;
    }
    snprintf(md->title, sizeof md->title, "%s", title); /* config strings die after create */
    *out = md;
    return 0;
}

/* "| epoch | time (s) | train:objective_loss | ..." from the best model's sets. */
static void write_table_header(markdown* md, const ll_event* ev) {
    uint32_t s, m;
    fprintf(md->out, "| epoch | time (s) |");
    for (s = 0; s < ev->n_metric_sets; ++s)
        if (ev->metric_sets[s].model == LL_MODEL_BEST)
            for (m = 0; m < ev->metric_sets[s].count; ++m)
                fprintf(md->out, " %s:%s |", phase_name(ev->metric_sets[s].phase), ev->metric_sets[s].metrics[m].name);
    fprintf(md->out, "\n|---:|---:|");
    for (s = 0; s < ev->n_metric_sets; ++s)
        if (ev->metric_sets[s].model == LL_MODEL_BEST)
            for (m = 0; m < ev->metric_sets[s].count; ++m) fprintf(md->out, "---:|");
    fprintf(md->out, "\n");
    md->table_started = 1;
}

/* The cells of an epoch row: every metric of the best model so far. */
static void write_table_row(markdown* md, const ll_event* ev) {
    uint32_t s, m;
    fprintf(md->out, "| %d | %.2f |", (int)ev->epoch, ev->elapsed_s);
    for (s = 0; s < ev->n_metric_sets; ++s)
        if (ev->metric_sets[s].model == LL_MODEL_BEST)
            for (m = 0; m < ev->metric_sets[s].count; ++m) fprintf(md->out, " %.6g |", ev->metric_sets[s].metrics[m].value);
    fprintf(md->out, "\n");
}

/* The final model's metrics, one list item each. */
static void write_final_metrics(markdown* md, const ll_event* ev) {
    uint32_t s, m;
    for (s = 0; s < ev->n_metric_sets; ++s)
        for (m = 0; m < ev->metric_sets[s].count; ++m)
            fprintf(md->out, "- %s:%s = %.6g\n", phase_name(ev->metric_sets[s].phase),
                    ev->metric_sets[s].metrics[m].name, ev->metric_sets[s].metrics[m].value);
}

static int md_on_event(void* instance, const ll_event* ev) {
    markdown* md = instance;
    if (!md) return 1;
    if (!ev) {
        set_error(md, "on_event: NULL event");
        return 1;
    }
    switch (ev->kind) {
        case LL_EVENT_RUN_START:
            fprintf(md->out, "# %s\n\nRun `%s`: %s, %lld training rows x %lld features.\n\n", md->title,
                    ev->run_id ? ev->run_id : "?", ev->predictor_type ? ev->predictor_type : "?",
                    (long long)ev->n_train_rows, (long long)ev->n_features);
            md->table_started = 0;
            break;
        case LL_EVENT_EPOCH_END:
            if (!md->table_started) write_table_header(md, ev);
            write_table_row(md, ev);
            break;
        case LL_EVENT_RUN_END: {
            /* A field a later ABI minor added would be read only after LL_HAS_FIELD: */
            const double total = LL_HAS_FIELD(ev, ll_event, total_time_s) ? ev->total_time_s : 0.0;
            static const char* const status[] = {"running", "completed", "early stopped", "cancelled", "failed"};
            fprintf(md->out, "\n**%s** in %.2f s; best epoch %d, model %d.%s%s\n\n",
                    ev->status <= LL_STATUS_FAILED ? status[ev->status] : "ended", total, (int)ev->best_epoch,
                    (int)ev->model, ev->message ? " " : "", ev->message ? ev->message : "");
            write_final_metrics(md, ev);
            break;
        }
        default: /* kinds this sink does not need, or does not know yet */
            return 0;
    }
    /* Each event reaches the file at once: a crash loses nothing already reported. */
    if (ferror(md->out) || fflush(md->out) != 0) {
        set_error(md, "cannot write the report: %s", strerror(errno));
        return 1;
    }
    return 0;
}

static int md_flush(void* instance) {
    markdown* md = instance;
    return md && fflush(md->out) == 0 ? 0 : 1;
}

static void md_destroy(void* instance) {
    markdown* md = instance;
    if (!md) return;
    fclose(md->out);
    free(md);
}

static const char* md_last_error(void* instance) {
    markdown* md = instance;
    return md && md->error[0] ? md->error : NULL;
}

static const ll_sink_plugin markdown_plugin = {
    sizeof(ll_sink_plugin),
    LL_SINK_ABI_MAJOR,
    LL_SINK_ABI_MINOR,
    "markdown",
    "a Markdown report: a table of the epochs and the final metrics",
    "1.0.0",
    md_create,
    md_on_event,
    md_flush,
    md_destroy,
    md_last_error,
};

/* The one exported symbol. The host checks the versions in the table itself. */
LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t host_abi_major, uint32_t host_abi_minor) {
    (void)host_abi_major;
    (void)host_abi_minor;
    return &markdown_plugin;
}
