#include "alerts.hpp"

#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>

#include "common.hpp"

namespace linlearn::cli {

namespace {

// ll_trainer_add_alert's message is "ll_trainer_add_alert: rule '<rule>': column N: ...";
// the command says which option the rule came from instead.
[[noreturn]] void refuse(const char* option, const std::string& rule) {
    std::string why = ll_last_error();
    const std::string prefix = "ll_trainer_add_alert: rule ";
    if (why.compare(0, prefix.size(), prefix) == 0) why = std::string(option) + " " + why.substr(prefix.size());
    else why = std::string(option) + " '" + rule + "': " + why;
    throw CommandError(why, 2);
}

}  // namespace

void RuleWatcher::add_to(ll_trainer* t) const {
    for (const std::string& r : alerts_)
        if (ll_trainer_add_alert(t, r.c_str(), 0) != LL_OK) refuse("--alert", r);
    for (const std::string& r : stop_when_)
        if (ll_trainer_add_alert(t, r.c_str(), LL_ALERT_STOP) != LL_OK) refuse("--stop-when", r);
}

void RuleWatcher::install(ll_trainer* t) { check(ll_trainer_set_callback(t, &RuleWatcher::callback, this)); }

int RuleWatcher::callback(const ll_event* e, void* self) {
    // Nothing may be thrown through the C ABI; a failure here lets training go on.
    try {
        auto* w = static_cast<RuleWatcher*>(self);
        if (e->run_id) w->run_id_ = e->run_id;
        if (e->kind == LL_EVENT_DIAGNOSTIC && e->diagnostic_code && e->message) {
            if (std::strcmp(e->diagnostic_code, "alert") == 0)
                std::cerr << "linlearn: " << e->message << "\n";
            else if (std::strcmp(e->diagnostic_code, "alert_never_applies") == 0)
                std::cerr << "linlearn: warning: " << e->message << "\n";
        }
    } catch (...) {
    }
    return 0;
}

void RuleWatcher::collect(const ll_trainer* t) {
    size_t needed = 0;
    if (const int rc = ll_trainer_get_alerts(t, nullptr, 0, &needed); rc != LL_E_BUFFER_TOO_SMALL) check(rc);
    std::string buf(needed, '\0');
    check(ll_trainer_get_alerts(t, buf.data(), buf.size(), &needed));
    buf.resize(needed - 1);
    library_json_ = buf;
    const auto j = nlohmann::json::parse(library_json_);
    stopped_by_ = j.at("stopped_by").is_string() ? j.at("stopped_by").get<std::string>() : "";
}

std::string RuleWatcher::to_json() const {
    using Json = nlohmann::ordered_json;
    Json out = {{"run_id", run_id_}};
    const Json rules = library_json_.empty() ? Json::object() : Json::parse(library_json_);
    out["stopped_by"] = rules.value("stopped_by", Json());
    out["rules"] = rules.value("rules", Json::array());
    return out.dump(2) + "\n";
}

}  // namespace linlearn::cli
