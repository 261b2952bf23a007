// What the JSON Lines of the json sink and of stdout's format=jsonl add to event_json()'s
// run_start object: "model_params", each model's own settings (ll_event.model_params,
// sink ABI 1.1), when the library sends them:
//   "model_params": [{"model": 0, "params": {"optimizer": "adam", "learning_rate": "0.1", ...}}, ...]
// (Meant to move into common/event_json.hpp.)
#pragma once
#include "event_json.hpp"

namespace linlearn::sinks {

inline void add_run_start_extras(Json& j, const ll_event& ev) {
    if (ev.kind != LL_EVENT_RUN_START || !LL_HAS_FIELD(&ev, ll_event, model_params) || !ev.model_params) return;
    Json models = Json::array();
    for (uint32_t m = 0; m < ev.n_model_params; ++m) {
        const ll_model_params& mp = ev.model_params[m];
        Json params = Json::object();
        for (uint32_t i = 0; mp.params && i < mp.n_params; ++i)
            if (mp.params[i].key) params[mp.params[i].key] = text(mp.params[i].value);
        models.push_back({{"model", mp.model}, {"params", std::move(params)}});
    }
    j["model_params"] = std::move(models);
}

}  // namespace linlearn::sinks
