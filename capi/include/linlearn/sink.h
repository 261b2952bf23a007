/*
 * linlearn/sink.h — the metric sink plugin ABI.
 *
 * A sink receives every event of a training run (event.h) and does something with it:
 * writes JSON Lines, a CSV file, a progress table, a Markdown report... A sink is a
 * shared library that exports ONE C function, ll_sink_entry, returning a static table
 * of function pointers (ll_sink_plugin). The host (liblinlearn) loads it at run time,
 * checks the versions in the table and creates sink instances from it.
 *
 * This header is plain C11 and includes only <stdint.h>, <stddef.h> and event.h (which
 * includes only those), so a sink can be written in C, C++, Rust or anything that makes
 * a C shared library, with neither Boost nor linlearn's C++ headers, and WITHOUT linking
 * against liblinlearn: the few services a sink may want from the host come to it as a
 * table of function pointers (ll_sink_host).
 *
 * Versions. LL_SINK_ABI_MAJOR changes only when something here changes incompatibly;
 * the host refuses a plugin of another major. LL_SINK_ABI_MINOR grows when fields are
 * appended. Every struct that crosses the boundary starts with its size and only ever
 * grows at its end: before reading a field that a later minor added, check it with
 * LL_HAS_FIELD (event.h), for instance LL_HAS_FIELD(host, ll_sink_host, log).
 *
 * Threads, in brackets on each function:
 *  [any-thread]   may be called from any thread, also concurrently with itself.
 *  [instance]     called for one instance by one thread at a time (the host serialises
 *                 the calls on an instance), though not always the same thread: create
 *                 runs where the sink was added, on_event/flush on the thread training
 *                 (ll_trainer_fit), destroy where the trainer is freed. Different
 *                 instances, of the same plugin too, may be called at the same time from
 *                 different threads (two trainers): guard any state they share.
 *
 * Errors. No function may let a C++ exception, a Rust panic or a longjmp escape into
 * the host. A failing call returns non-zero and keeps a message for last_error; the host
 * reports it with the sink's name. See docs/plugins.md, "Write your own sink".
 *
 * The file for the short name NAME is liblinlearn_sink_NAME.so (linlearn_sink_NAME.dll
 * on Windows), found in LINLEARN_PLUGIN_PATH or in <libdir>/linlearn/plugins.
 */
#ifndef LINLEARN_SINK_H
#define LINLEARN_SINK_H

#include <stddef.h>
#include <stdint.h>

#include "linlearn/event.h"

#ifdef __cplusplus
extern "C" {
#endif

#define LL_SINK_ABI_MAJOR 1
#define LL_SINK_ABI_MINOR 1 /* 1.1: ll_event.model_params, the "alert" diagnostics */

/* The name of the one symbol a plugin exports (see ll_sink_entry below). */
#define LL_SINK_ENTRY_SYMBOL "ll_sink_entry"

/* Put this on the definition of ll_sink_entry; build with hidden visibility otherwise,
 * so the entry is the only symbol the plugin exports. */
#if defined(_WIN32)
#define LL_SINK_EXPORT __declspec(dllexport)
#else
#define LL_SINK_EXPORT __attribute__((visibility("default")))
#endif

/* Levels for ll_sink_host.log. */
#define LL_SINK_LOG_DEBUG 0
#define LL_SINK_LOG_INFO 1
#define LL_SINK_LOG_WARN 2  /* shown to the user as a diagnostic of the run */
#define LL_SINK_LOG_ERROR 3 /* the same; use last_error for the error that fails a call */

/* The sink's configuration: the key=value options of its spec, e.g. for
 * "json:path=out/m.jsonl,metrics=out/final.json" the keys "path" and "metrics".
 * Host-level keys (on_error) are taken out before the plugin sees the options.
 * Owned by the host; valid only during create: copy what you keep. */
typedef struct ll_sink_config {
    uint32_t struct_size;       /* sizeof(ll_sink_config) as the host was built */
    uint32_t count;             /* number of options */
    const char* const* keys;    /* count keys, in the order given, no duplicates; NULL when count is 0 */
    const char* const* values;  /* count values (possibly ""), values[i] belongs to keys[i] */
    const char* name;           /* the NAME part of the spec (short name or path), for messages */
    const char* plugin_path;    /* absolute path of this plugin's file, e.g. to find data beside it */
} ll_sink_config;

/* Services of the host, given to create. Owned by the host; the pointer stays valid, and
 * its functions callable, until destroy of that instance returns. */
typedef struct ll_sink_host {
    uint32_t struct_size;       /* sizeof(ll_sink_host) as the host was built */
    uint32_t abi_major;         /* the host's LL_SINK_ABI_MAJOR */
    uint32_t abi_minor;         /* the host's LL_SINK_ABI_MINOR */
    const char* host_name;      /* "linlearn" */
    const char* host_version;   /* the library's version, "MAJOR.MINOR.PATCH" */
    void* host_data;            /* pass back to log untouched */
    /* Sends a message (one complete line, no trailing newline; copied before it returns)
     * to the host. WARN and ERROR reach the user as diagnostics of the run, naming the
     * sink; DEBUG and INFO go to stderr only when LINLEARN_SINK_LOG=1 is set.
     * [any-thread], while the instance lives. */
    void (*log)(void* host_data, int level, const char* message);
} ll_sink_host;

/* The table a plugin returns from its entry. Static: the host reads it as long as the
 * library stays loaded (while any instance of it lives) and never writes to it. */
typedef struct ll_sink_plugin {
    uint32_t struct_size;       /* sizeof(ll_sink_plugin) as the plugin was built */
    uint32_t abi_major;         /* LL_SINK_ABI_MAJOR the plugin was built with */
    uint32_t abi_minor;         /* LL_SINK_ABI_MINOR the plugin was built with */
    const char* name;           /* short name, e.g. "json"; static, never NULL */
    const char* description;    /* one line for listings; static, or NULL */
    const char* version;        /* the plugin's own version, e.g. "1.2.0"; static, or NULL */

    /* Creates an instance from the configuration. Check every option here, refuse an
     * unknown key or a bad value, and open what needs opening (files), so that a mistake
     * stops the run before training starts rather than after an hour.
     * On success returns 0 and stores the instance in *out (an opaque pointer the host
     * passes back to the other functions; NULL is allowed). On failure returns non-zero
     * and writes a NUL-terminated message of at most error_size bytes (truncated if
     * needed) into error, a host buffer of error_size >= 1 bytes; *out is not used then.
     * config and host are never NULL from the host. [any-thread]: two trainers may
     * create instances at the same time. */
    int (*create)(const ll_sink_config* config, const ll_sink_host* host, void** out,
                  char* error, size_t error_size);

    /* Handles one event. Events come in order: run_start, epoch_end..., perhaps
     * early_stop, model_selected, diagnostics at any point, and always run_end last; an
     * instance may see several runs one after the other. The event and everything it
     * points to are valid only during the call (copy what you keep). Ignore kinds you do
     * not know (return 0) and accept NULL for every pointer documented "or NULL". Return
     * 0 on success, non-zero on failure (the message then comes from last_error): the
     * host reports it once and, by default, stops sending events to this instance. A NULL
     * event is never sent by the host; return non-zero for it. [instance] */
    int (*on_event)(void* instance, const ll_event* event);

    /* Makes everything written so far durable (fflush the files). The host calls it
     * after run_end; sinks that flush after each event may do nothing. 0 on success.
     * May be NULL. [instance] */
    int (*flush)(void* instance);

    /* Flushes, closes and frees everything of the instance. Called exactly once per
     * created instance, always before the library is unloaded; destroy(NULL) must do
     * nothing harmful. Must not fail. [instance] */
    void (*destroy)(void* instance);

    /* The message of the last failed call on this instance, or NULL if none. Owned by
     * the instance; valid until the next call on it. May be NULL (the host then reports
     * the status code). [instance] */
    const char* (*last_error)(void* instance);
} ll_sink_plugin;

/* The entry point, defined by the plugin with C linkage and LL_SINK_EXPORT:
 *
 *   LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t host_abi_major,
 *                                                       uint32_t host_abi_minor) {
 *       return &my_table;
 *   }
 *
 * Receives the host's ABI version and returns the plugin's static table. A plugin that
 * can serve several majors returns the table for the host's; otherwise return the one
 * table you have (the host then refuses a major mismatch with a message naming both
 * versions), or NULL to refuse this host. Must be cheap, have no side effect, and
 * return the same table every time: it may be called several times. [any-thread] */
typedef const ll_sink_plugin* (*ll_sink_entry_fn)(uint32_t host_abi_major,
                                                  uint32_t host_abi_minor);
LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t host_abi_major,
                                                   uint32_t host_abi_minor);

#ifdef __cplusplus
}
#endif
#endif /* LINLEARN_SINK_H */
