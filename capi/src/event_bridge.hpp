// Turns a C++ Event into the C ll_event (event.h). The CEvent owns every array and
// string the ll_event points to, so the view stays valid while the CEvent lives.
#pragma once
#include <vector>

#include "events.hpp"
#include "linlearn/event.h"

namespace linlearn::capi {

class CEvent {
public:
    explicit CEvent(const Event& e);
    CEvent(const CEvent&) = delete;
    CEvent& operator=(const CEvent&) = delete;
    const ll_event& view() const { return ev_; }

private:
    std::vector<std::vector<ll_metric>> metrics_;
    std::vector<ll_metric_set> sets_;
    std::vector<ll_param> params_;
    std::vector<std::vector<ll_param>> model_param_lists_;
    std::vector<ll_model_params> model_params_;
    ll_event ev_{};
};

static_assert(static_cast<int>(EventKind::run_end) == LL_EVENT_RUN_END, "event kinds match");
static_assert(static_cast<int>(RunStatus::failed) == LL_STATUS_FAILED, "statuses match");
static_assert(static_cast<int>(Phase::test) == LL_PHASE_TEST, "phases match");
static_assert(kBestModel == LL_MODEL_BEST, "best-model marker matches");

}  // namespace linlearn::capi
