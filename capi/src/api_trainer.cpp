#include <chrono>

#include "event_bridge.hpp"
#include "handles.hpp"
#include "trainer.hpp"

using namespace linlearn;
using namespace linlearn::capi;

namespace {

// Clears the running flag however fit ends, the fit's cancel request first: once running
// is false another thread may start a fit, and a cancel meant for that one must stay.
struct RunningGuard {
    ll_trainer* t;
    ~RunningGuard() {
        t->cancel.store(false);
        t->running.store(false);
    }
};

void require_idle(const ll_trainer* t) {
    if (t->running.load()) fail(ErrorCode::state, "the trainer is running a fit; wait for it to return");
}

// Delivers one event to the callback, then to the sinks; sink failures come back as
// diagnostic events. Returns false when the callback asked to stop.
bool deliver(ll_trainer* t, const Event& e) {
    bool go_on = true;
    auto to_all = [&](const Event& ev) -> std::vector<std::string> {
        CEvent c(ev);
        if (t->callback) {
            int rc = 0;
            try {
                rc = t->callback(&c.view(), t->user_data);
            } catch (...) {  // a C++ callback that throws: treat as a request to stop
                rc = -1;
            }
            if (rc != 0) go_on = false;
        }
        return t->sinks->dispatch(c.view());
    };
    for (const std::string& warning : to_all(e)) {
        Event w;
        w.kind = EventKind::diagnostic;
        w.run_id = e.run_id;
        w.timestamp_ms = e.timestamp_ms;
        w.elapsed_s = e.elapsed_s;
        w.epoch = e.epoch;
        w.diagnostic_code = "sink_failed";
        w.message = warning;
        to_all(w);  // a further failure here is already disabled; nothing more to report
    }
    return go_on;
}

}  // namespace

extern "C" {

LL_API int ll_trainer_create(ll_trainer** out) {
    return guarded(__func__, [&] {
        require(out, "out");
        *out = new ll_trainer();
    });
}

LL_API void ll_trainer_free(ll_trainer* t) {
    if (!t || t->tag != Tag::trainer) return;
    t->tag = Tag::freed;
    delete t;
}

LL_API int ll_trainer_set(ll_trainer* t, const char* key, const char* value) {
    return guarded(__func__, [&] {
        check(t, "t");
        require(key, "key");
        require(value, "value");
        require_idle(t);
        t->hp.set(key, value);
    });
}

LL_API int ll_trainer_set_json(ll_trainer* t, const char* json) {
    return guarded(__func__, [&] {
        check(t, "t");
        require(json, "json");
        require_idle(t);
        t->hp.set_json(json);
    });
}

LL_API int ll_trainer_get(const ll_trainer* t, const char* key, char* buf, size_t buf_size, size_t* needed) {
    return guarded(__func__, [&] {
        check(t, "t");
        require(key, "key");
        copy_out(t->hp.get(key), buf, buf_size, needed);
    });
}

LL_API int ll_trainer_set_option(ll_trainer* t, const char* key, const char* value) {
    return guarded(__func__, [&] {
        check(t, "t");
        require(key, "key");
        require(value, "value");
        require_idle(t);
        const std::string k = key;
        if (k == "run_id") t->run_id = value;
        else if (k == "model_path") t->model_path = value;
        else fail(ErrorCode::invalid_argument, "unknown option '" + k + "'; allowed: 'run_id', 'model_path'");
    });
}

LL_API int ll_trainer_set_initial_model(ll_trainer* t, const ll_model* m) {
    return guarded(__func__, [&] {
        check(t, "t");
        require_idle(t);
        if (!m) {
            t->initial_model.reset();
            return;
        }
        check(m, "m");
        t->initial_model = std::make_unique<LinearModel>(m->model);
    });
}

LL_API int ll_trainer_set_callback(ll_trainer* t, ll_event_callback cb, void* user_data) {
    return guarded(__func__, [&] {
        check(t, "t");
        require_idle(t);
        t->callback = cb;
        t->user_data = user_data;
    });
}

LL_API int ll_trainer_add_sink(ll_trainer* t, const char* spec) {
    return guarded(__func__, [&] {
        check(t, "t");
        require(spec, "spec");
        require_idle(t);
        t->sinks->add(spec);
    });
}

LL_API int ll_trainer_add_alert(ll_trainer* t, const char* rule, uint32_t flags) {
    return guarded(__func__, [&] {
        check(t, "t");
        require(rule, "rule");
        require_idle(t);
        if (flags & ~LL_ALERT_STOP)
            fail(ErrorCode::invalid_argument,
                 "flags=" + std::to_string(flags) + ": allowed: 0 (an alert) or LL_ALERT_STOP (1, a stop rule)");
        t->alerts.add(parse_alert_rule(rule, flags & LL_ALERT_STOP ? AlertRule::Kind::stop : AlertRule::Kind::alert));
    });
}

LL_API int ll_trainer_clear_alerts(ll_trainer* t) {
    return guarded(__func__, [&] {
        check(t, "t");
        require_idle(t);
        t->alerts.clear();
    });
}

LL_API int ll_trainer_get_alerts(const ll_trainer* t, char* buf, size_t buf_size, size_t* needed) {
    return guarded(__func__, [&] {
        check(t, "t");
        require_idle(t);
        copy_out(t->alerts.to_json(), buf, buf_size, needed);
    });
}

LL_API int ll_trainer_cancel(ll_trainer* t) {
    if (!t) return LL_E_INVALID_ARG;  // async-signal-safe: no allocation, no last-error
    t->cancel.store(true);
    return LL_OK;
}

LL_API int ll_trainer_clear_cancel(ll_trainer* t) {
    if (!t) return LL_E_INVALID_ARG;  // async-signal-safe, as ll_trainer_cancel
    t->cancel.store(false);
    return LL_OK;
}

LL_API int ll_trainer_fit(ll_trainer* t, const ll_dataset* train, const ll_dataset* validation,
                          const ll_dataset* test, ll_model** out) {
    return guarded(__func__, [&] {
        check(t, "t");
        check(train, "train");
        if (validation) check(validation, "validation");
        if (test) check(test, "test");
        require(out, "out");
        if (t->running.exchange(true)) fail(ErrorCode::state, "the trainer is already running a fit");
        RunningGuard guard{t};
        TrainOptions opt;
        opt.run_id = t->run_id;
        opt.model_path = t->model_path;
        opt.cancel = &t->cancel;
        opt.initial_model = t->initial_model.get();
        opt.on_event = t->alerts.wrap([t](const Event& e) { return deliver(t, e); });
        opt.rule_stop = [t] { return TrainOptions::RuleStop{t->alerts.stop_epoch(), t->alerts.stop_reason()}; };
        auto model = std::make_unique<ll_model>();
        try {
            model->model = linlearn::train(t->hp, train->data, validation ? &validation->data : nullptr,
                                           test ? &test->data : nullptr, opt);
        } catch (...) {
            try {
                t->sinks->flush();
            } catch (...) {  // the run's own error is the one to report
            }
            throw;
        }
        t->sinks->flush();
        *out = model.release();
    });
}

}  // extern "C"
