#include "event_bridge.hpp"

namespace linlearn::capi {

namespace {
const char* c_str_or_null(const std::string& s) { return s.empty() ? nullptr : s.c_str(); }
}  // namespace

CEvent::CEvent(const Event& e) {
    for (const auto& set : e.metric_sets) {
        std::vector<ll_metric> list;
        for (const auto& m : set.metrics) list.push_back({m.name.c_str(), m.value});
        metrics_.push_back(std::move(list));
    }
    for (size_t i = 0; i < e.metric_sets.size(); ++i) {
        const auto& set = e.metric_sets[i];
        sets_.push_back({sizeof(ll_metric_set), static_cast<uint32_t>(set.phase), set.model,
                         static_cast<uint32_t>(metrics_[i].size()), metrics_[i].data()});
    }
    for (const auto& [k, v] : e.params) params_.push_back({k.c_str(), v.c_str()});
    for (const auto& list : e.model_params) {
        std::vector<ll_param> c;
        for (const auto& [k, v] : list) c.push_back({k.c_str(), v.c_str()});
        model_param_lists_.push_back(std::move(c));
    }
    for (size_t m = 0; m < model_param_lists_.size(); ++m) {
        const auto& list = model_param_lists_[m];
        model_params_.push_back({sizeof(ll_model_params), static_cast<int32_t>(m), static_cast<uint32_t>(list.size()),
                                 list.empty() ? nullptr : list.data()});
    }

    ev_.struct_size = sizeof(ll_event);
    ev_.kind = static_cast<uint32_t>(e.kind);
    ev_.run_id = e.run_id.c_str();
    ev_.timestamp_ms = e.timestamp_ms;
    ev_.elapsed_s = e.elapsed_s;
    ev_.epoch = e.epoch;
    ev_.model = e.model;
    ev_.n_metric_sets = static_cast<uint32_t>(sets_.size());
    ev_.metric_sets = sets_.empty() ? nullptr : sets_.data();
    ev_.predictor_type = c_str_or_null(e.predictor_type);
    ev_.library_version = c_str_or_null(e.library_version);
    ev_.n_params = static_cast<uint32_t>(params_.size());
    ev_.params = params_.empty() ? nullptr : params_.data();
    ev_.n_features = e.n_features;
    ev_.n_train_rows = e.n_train_rows;
    ev_.n_validation_rows = e.n_validation_rows;
    ev_.n_test_rows = e.n_test_rows;
    ev_.num_models = e.num_models;
    ev_.num_classes = e.num_classes;
    ev_.learning_rate = e.learning_rate;
    ev_.throughput = e.throughput;
    ev_.status = static_cast<uint32_t>(e.status);
    ev_.message = c_str_or_null(e.message);
    ev_.best_epoch = e.best_epoch;
    ev_.model_path = c_str_or_null(e.model_path);
    ev_.total_time_s = e.total_time_s;
    ev_.sink_time_s = e.sink_time_s;
    ev_.diagnostic_code = c_str_or_null(e.diagnostic_code);
    ev_.n_model_params = static_cast<uint32_t>(model_params_.size());
    ev_.model_params = model_params_.empty() ? nullptr : model_params_.data();
}

}  // namespace linlearn::capi
