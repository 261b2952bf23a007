// What the opaque C handles hold. Each starts with a tag so that a handle of the wrong
// kind, or one already freed, is refused where that can be detected.
#pragma once
#include <atomic>
#include <memory>
#include <string>

#include "alerts.hpp"
#include "api_guard.hpp"
#include "dataset.hpp"
#include "hyperparams.hpp"
#include "model.hpp"
#include "sink_host.hpp"

namespace linlearn::capi {
enum class Tag : uint32_t { dataset = 0x4c4c4453, trainer = 0x4c4c5452, model = 0x4c4c4d44, freed = 0xdeadbeef };
}

struct ll_dataset {
    linlearn::capi::Tag tag = linlearn::capi::Tag::dataset;
    linlearn::Dataset data;
};

struct ll_trainer {
    linlearn::capi::Tag tag = linlearn::capi::Tag::trainer;
    linlearn::Hyperparameters hp;
    std::string run_id, model_path;
    ll_event_callback callback = nullptr;
    void* user_data = nullptr;
    std::atomic<bool> cancel{false};
    std::atomic<bool> running{false};
    std::unique_ptr<linlearn::capi::SinkHost> sinks = std::make_unique<linlearn::capi::SinkHost>();
    std::unique_ptr<linlearn::LinearModel> initial_model;  // incremental training, or null
    linlearn::AlertMonitor alerts;  // ll_trainer_add_alert's rules and what they did last fit
};

struct ll_model {
    linlearn::capi::Tag tag = linlearn::capi::Tag::model;
    linlearn::LinearModel model;
};

namespace linlearn::capi {
// The handle, checked: not NULL, of the right kind, not freed.
template <class H> H* check_handle(H* h, Tag want, const char* name) {
    require(h, name);
    if (h->tag != want)
        fail(ErrorCode::invalid_argument, std::string("argument '") + name +
                                              (h->tag == Tag::freed ? "' was already freed" : "' is not a valid handle"));
    return h;
}
inline const ll_dataset* check(const ll_dataset* d, const char* name) { return check_handle(d, Tag::dataset, name); }
inline ll_trainer* check(ll_trainer* t, const char* name) { return check_handle(t, Tag::trainer, name); }
inline const ll_trainer* check(const ll_trainer* t, const char* name) { return check_handle(t, Tag::trainer, name); }
inline const ll_model* check(const ll_model* m, const char* name) { return check_handle(m, Tag::model, name); }
}  // namespace linlearn::capi
