// Shared by the sink tests: deep copies of events (what a callback saw), readers of the
// sinks' outputs that compare them with those events, and small test fixtures.
#pragma once
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "linlearn/event.h"

namespace sink_tests {

using Json = nlohmann::json;

struct RecordedSet {
    uint32_t phase;
    int32_t model;
    std::vector<std::pair<std::string, double>> metrics;
};

// An event copied out of the call that delivered it.
struct Recorded {
    uint32_t kind = 0;
    std::string run_id;
    int64_t timestamp_ms = 0;
    double elapsed_s = 0;
    int32_t epoch = -1, model = -1, best_epoch = -1;
    std::vector<RecordedSet> sets;
    std::string predictor_type, library_version, message, model_path;
    std::vector<std::pair<std::string, std::string>> params;
    int64_t n_features = 0, n_train_rows = 0, n_validation_rows = 0, n_test_rows = 0;
    int32_t num_models = 0, num_classes = 0;
    double learning_rate = 0, throughput = 0, total_time_s = 0, sink_time_s = 0;
    uint32_t status = 0;
    std::string diagnostic_code;
    // run_start (sink ABI 1.1): each model's settings, in model order; empty otherwise.
    std::vector<std::vector<std::pair<std::string, std::string>>> model_params;
};

Recorded record(const ll_event& ev);
std::vector<Recorded> record_all(const std::vector<ll_event>& events);

// Exact equality, NaN equal to NaN: the sinks write numbers that read back unchanged.
bool same(double a, double b);

std::string read_file(const std::string& path);
// A fresh empty folder for one test, under the build tree.
std::string scratch_dir(const std::string& name);

// Sets (or, with nullptr, unsets) an environment variable for a scope.
class EnvVar {
public:
    EnvVar(const char* name, const char* value);
    ~EnvVar();

private:
    std::string name_, old_;
    bool had_;
};

// Sends what the process writes to its standard output to a file for a scope.
class CaptureStdout {
public:
    explicit CaptureStdout(const std::string& path);
    ~CaptureStdout();

private:
    int saved_;
};

// RFC 4180: fields, quoted or not, lines ending in CRLF.
std::vector<std::vector<std::string>> parse_csv(const std::string& text);

// Each compares a sink's output with the events that produced it (CHECKs inside).
void check_json_lines(const std::string& text, const std::vector<Recorded>& events, bool per_model);
void check_csv(const std::string& text, const std::vector<Recorded>& events, bool per_model);
void check_metrics_file(const std::string& text, const std::vector<Recorded>& events);

// What each of SageMaker's linear-learner MetricDefinitions must capture from the
// format=sagemaker log of these events: {"train:objective_loss": [v0, v1, ...], ...}.
Json sagemaker_expectations(const std::vector<Recorded>& events);

}  // namespace sink_tests
