#include "helpers.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <fcntl.h>
#include <unistd.h>

namespace sink_tests {
namespace {

std::string text(const char* s) { return s ? s : ""; }

const char* phase_name(uint32_t phase) {
    static const char* const names[] = {"train", "validation", "test"};
    return phase < 3 ? names[phase] : "unknown_phase";
}

const char* event_name(uint32_t kind) {
    static const char* const names[] = {"unknown", "run_start", "epoch_end", "early_stop",
                                        "model_selected", "diagnostic", "run_end"};
    return kind < 7 ? names[kind] : "unknown";
}

const char* status_name(uint32_t status) {
    static const char* const names[] = {"running", "completed", "early_stopped", "cancelled", "failed"};
    return status < 5 ? names[status] : "unknown";
}

// A JSON value the sinks wrote for v: null for NaN and infinities.
void check_number(const Json& written, double v, const std::string& what) {
    INFO(what);
    if (std::isfinite(v)) {
        REQUIRE(written.is_number());
        CHECK(same(written.get<double>(), v));
    } else {
        CHECK(written.is_null());
    }
}

// {"train": {...}, ...} as written for the sets of one model.
void check_phases(const Json& written, const std::vector<RecordedSet>& sets, int32_t model,
                  const std::string& what) {
    size_t phases = 0;
    for (const RecordedSet& set : sets) {
        if (model != -2 && set.model != model) continue;
        ++phases;
        const Json& metrics = written.at(phase_name(set.phase));
        CHECK(metrics.size() == set.metrics.size());
        for (const auto& [name, value] : set.metrics)
            check_number(metrics.at(name), value, what + " " + phase_name(set.phase) + ":" + name);
    }
    CHECK(written.size() == phases);
}

std::vector<int32_t> models_of(const Recorded& ev) {
    std::vector<int32_t> models;
    for (const RecordedSet& set : ev.sets)
        if (set.model >= 0 && std::find(models.begin(), models.end(), set.model) == models.end())
            models.push_back(set.model);
    return models;
}

double parse_cell(const std::string& cell) {
    if (cell == "NaN") return std::nan("");
    if (cell == "Inf") return INFINITY;
    if (cell == "-Inf") return -INFINITY;
    double v = 0;
    const auto result = std::from_chars(cell.data(), cell.data() + cell.size(), v);
    REQUIRE_MESSAGE(result.ptr == cell.data() + cell.size(), "not a number: '" << cell << "'");
    return v;
}

}  // namespace

Recorded record(const ll_event& ev) {
    Recorded r;
    r.kind = ev.kind;
    r.run_id = text(ev.run_id);
    r.timestamp_ms = ev.timestamp_ms;
    r.elapsed_s = ev.elapsed_s;
    r.epoch = ev.epoch;
    r.model = ev.model;
    r.best_epoch = ev.best_epoch;
    for (uint32_t i = 0; ev.metric_sets && i < ev.n_metric_sets; ++i) {
        const ll_metric_set& s = ev.metric_sets[i];
        RecordedSet set{s.phase, s.model, {}};
        for (uint32_t j = 0; j < s.count; ++j) set.metrics.emplace_back(s.metrics[j].name, s.metrics[j].value);
        r.sets.push_back(std::move(set));
    }
    r.predictor_type = text(ev.predictor_type);
    r.library_version = text(ev.library_version);
    r.message = text(ev.message);
    r.model_path = text(ev.model_path);
    for (uint32_t i = 0; ev.params && i < ev.n_params; ++i)
        r.params.emplace_back(ev.params[i].key, text(ev.params[i].value));
    r.n_features = ev.n_features;
    r.n_train_rows = ev.n_train_rows;
    r.n_validation_rows = ev.n_validation_rows;
    r.n_test_rows = ev.n_test_rows;
    r.num_models = ev.num_models;
    r.num_classes = ev.num_classes;
    r.learning_rate = ev.learning_rate;
    r.throughput = ev.throughput;
    r.total_time_s = ev.total_time_s;
    r.sink_time_s = ev.sink_time_s;
    r.status = ev.status;
    r.diagnostic_code = text(ev.diagnostic_code);
    if (LL_HAS_FIELD(&ev, ll_event, model_params))
        for (uint32_t m = 0; ev.model_params && m < ev.n_model_params; ++m) {
            CHECK(ev.model_params[m].model == static_cast<int32_t>(m));
            std::vector<std::pair<std::string, std::string>> list;
            for (uint32_t i = 0; i < ev.model_params[m].n_params; ++i)
                list.emplace_back(ev.model_params[m].params[i].key, text(ev.model_params[m].params[i].value));
            r.model_params.push_back(std::move(list));
        }
    return r;
}

std::vector<Recorded> record_all(const std::vector<ll_event>& events) {
    std::vector<Recorded> out;
    for (const ll_event& ev : events) out.push_back(record(ev));
    return out;
}

bool same(double a, double b) { return (std::isnan(a) && std::isnan(b)) || a == b; }

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot read " << path);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string scratch_dir(const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path(SINK_TEST_SCRATCH) / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

EnvVar::EnvVar(const char* name, const char* value) : name_(name) {
    const char* old = std::getenv(name);
    had_ = old != nullptr;
    if (had_) old_ = old;
    if (value)
        ::setenv(name, value, 1);
    else
        ::unsetenv(name);
}

EnvVar::~EnvVar() {
    if (had_)
        ::setenv(name_.c_str(), old_.c_str(), 1);
    else
        ::unsetenv(name_.c_str());
}

CaptureStdout::CaptureStdout(const std::string& path) {
    std::fflush(stdout);
    saved_ = ::dup(STDOUT_FILENO);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    REQUIRE(fd >= 0);
    ::dup2(fd, STDOUT_FILENO);
    ::close(fd);
}

CaptureStdout::~CaptureStdout() {
    std::fflush(stdout);
    ::dup2(saved_, STDOUT_FILENO);
    ::close(saved_);
}

std::vector<std::vector<std::string>> parse_csv(const std::string& text) {
    std::vector<std::vector<std::string>> rows;
    std::vector<std::string> row;
    std::string field;
    bool quoted = false;
    for (size_t i = 0; i < text.size(); ++i) {
        const char c = text[i];
        if (quoted) {
            if (c == '"' && i + 1 < text.size() && text[i + 1] == '"') field += text[++i];
            else if (c == '"') quoted = false;
            else field += c;
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            row.push_back(field);
            field.clear();
        } else if (c == '\r') {
            REQUIRE_MESSAGE(i + 1 < text.size(), "CR at the end of the file");
            REQUIRE_MESSAGE(text[i + 1] == '\n', "a line must end with CRLF");
        } else if (c == '\n') {
            REQUIRE_MESSAGE(i > 0, "an empty first line");
            REQUIRE_MESSAGE(text[i - 1] == '\r', "a line must end with CRLF, line " << rows.size() + 1);
            row.push_back(field);
            rows.push_back(row);
            row.clear();
            field.clear();
        } else {
            field += c;
        }
    }
    REQUIRE_MESSAGE((field.empty() && row.empty()), "the last line has no line end");
    return rows;
}

void check_json_lines(const std::string& text, const std::vector<Recorded>& events, bool per_model) {
    REQUIRE(!text.empty());
    CHECK(text.back() == '\n');
    std::istringstream in(text);
    std::string line;
    size_t i = 0;
    for (; std::getline(in, line); ++i) {
        REQUIRE(i < events.size());
        const Recorded& ev = events[i];
        const Json j = Json::parse(line);  // throws, failing the test, on an invalid line
        INFO("line " << i + 1 << ": " << line.substr(0, 200));
        CHECK(j.at("event") == event_name(ev.kind));
        CHECK(j.at("run_id") == ev.run_id);
        CHECK(j.at("timestamp_ms") == ev.timestamp_ms);
        check_number(j.at("elapsed_s"), ev.elapsed_s, "elapsed_s");
        switch (ev.kind) {
            case LL_EVENT_RUN_START: {
                CHECK(j.at("predictor_type") == ev.predictor_type);
                CHECK(j.at("library_version") == ev.library_version);
                CHECK(j.at("params").size() == ev.params.size());
                for (const auto& [key, value] : ev.params) CHECK(j.at("params").at(key) == value);
                CHECK(j.at("n_features") == ev.n_features);
                CHECK(j.at("n_train_rows") == ev.n_train_rows);
                CHECK(j.at("n_validation_rows") == ev.n_validation_rows);
                CHECK(j.at("n_test_rows") == ev.n_test_rows);
                CHECK(j.at("num_models") == ev.num_models);
                CHECK(j.at("num_classes") == ev.num_classes);
                CHECK(j.contains("model_params") == !ev.model_params.empty());
                if (ev.model_params.empty()) break;
                REQUIRE(j.at("model_params").size() == ev.model_params.size());
                for (size_t m = 0; m < ev.model_params.size(); ++m) {
                    const Json& entry = j.at("model_params")[m];
                    CHECK(entry.at("model") == m);
                    CHECK(entry.at("params").size() == ev.model_params[m].size());
                    for (const auto& [key, value] : ev.model_params[m]) CHECK(entry.at("params").at(key) == value);
                }
                break;
            }
            case LL_EVENT_EPOCH_END: {
                CHECK(j.at("epoch") == ev.epoch);
                check_number(j.at("learning_rate"), ev.learning_rate, "learning_rate");
                check_number(j.at("throughput"), ev.throughput, "throughput");
                check_phases(j.at("best"), ev.sets, LL_MODEL_BEST, "best");
                CHECK(j.contains("models") == per_model);
                if (!per_model) break;
                const std::vector<int32_t> models = models_of(ev);
                REQUIRE(j.at("models").size() == models.size());
                for (size_t m = 0; m < models.size(); ++m) {
                    Json entry = j.at("models")[m];
                    CHECK(entry.at("model") == models[m]);
                    entry.erase("model");
                    check_phases(entry, ev.sets, models[m], "model " + std::to_string(models[m]));
                }
                break;
            }
            case LL_EVENT_RUN_END:
                CHECK(j.at("status") == status_name(ev.status));
                CHECK(j.at("best_epoch") == ev.best_epoch);
                CHECK(j.at("model") == ev.model);
                CHECK((j.at("model_path").is_null() ? "" : j.at("model_path").get<std::string>()) == ev.model_path);
                check_number(j.at("total_time_s"), ev.total_time_s, "total_time_s");
                check_phases(j.at("metrics"), ev.sets, -2, "final");
                break;
            case LL_EVENT_MODEL_SELECTED:
                CHECK(j.at("model") == ev.model);
                check_phases(j.at("metrics"), ev.sets, -2, "selected");
                break;
            case LL_EVENT_DIAGNOSTIC:
                CHECK((j.at("code").is_null() ? "" : j.at("code").get<std::string>()) == ev.diagnostic_code);
                [[fallthrough]];
            case LL_EVENT_EARLY_STOP:
                CHECK((j.at("message").is_null() ? "" : j.at("message").get<std::string>()) == ev.message);
                break;
        }
    }
    CHECK(i == events.size());
}

void check_csv(const std::string& text, const std::vector<Recorded>& events, bool per_model) {
    const auto rows = parse_csv(text);
    REQUIRE(!rows.empty());
    const std::vector<std::string>& header = rows[0];
    std::vector<std::string> leading = {"epoch", "timestamp_ms", "elapsed_s", "learning_rate", "throughput"};
    if (per_model) leading.insert(leading.begin() + 1, "model");
    REQUIRE(header.size() > leading.size());
    CHECK(std::vector<std::string>(header.begin(), header.begin() + leading.size()) == leading);
    const size_t first_metric = leading.size();

    size_t r = 1;
    for (const Recorded& ev : events) {
        if (ev.kind != LL_EVENT_EPOCH_END) continue;
        std::vector<int32_t> row_models = {LL_MODEL_BEST};
        if (per_model)
            for (int32_t m : models_of(ev)) row_models.push_back(m);
        for (int32_t model : row_models) {
            REQUIRE(r < rows.size());
            const std::vector<std::string>& row = rows[r++];
            INFO("row " << r << ", epoch " << ev.epoch << ", model " << model);
            REQUIRE(row.size() == header.size());
            CHECK(row[0] == std::to_string(ev.epoch));
            if (per_model) CHECK(row[1] == (model == LL_MODEL_BEST ? "best" : std::to_string(model)));
            CHECK(row[first_metric - 4] == std::to_string(ev.timestamp_ms));
            CHECK(same(parse_cell(row[first_metric - 3]), ev.elapsed_s));
            CHECK(same(parse_cell(row[first_metric - 2]), ev.learning_rate));
            CHECK(same(parse_cell(row[first_metric - 1]), ev.throughput));
            size_t found = 0;
            for (const RecordedSet& set : ev.sets) {
                if (set.model != model) continue;
                for (const auto& [name, value] : set.metrics) {
                    const std::string column = std::string(phase_name(set.phase)) + ":" + name;
                    const auto at = std::find(header.begin(), header.end(), column);
                    REQUIRE_MESSAGE(at != header.end(), "no column " << column);
                    CHECK(same(parse_cell(row[at - header.begin()]), value));
                    ++found;
                }
            }
            CHECK(found == header.size() - first_metric);
        }
    }
    CHECK(r == rows.size());
}

void check_metrics_file(const std::string& text, const std::vector<Recorded>& events) {
    const Json j = Json::parse(text);
    const Recorded& start = events.front();
    const Recorded& end = events.back();
    REQUIRE(start.kind == LL_EVENT_RUN_START);
    REQUIRE(end.kind == LL_EVENT_RUN_END);
    CHECK(j.at("run_id") == end.run_id);
    CHECK(j.at("status") == status_name(end.status));
    CHECK(j.at("predictor_type") == start.predictor_type);
    CHECK(j.at("best_epoch") == end.best_epoch);
    CHECK(j.at("selected_model") == end.model);
    CHECK(j.at("hyperparameters").size() == start.params.size());
    for (const auto& [key, value] : start.params) CHECK(j.at("hyperparameters").at(key) == value);
    size_t count = 0;
    for (const RecordedSet& set : end.sets)
        for (const auto& [name, value] : set.metrics) {
            const std::string full = std::string(phase_name(set.phase)) + ":" + name;
            check_number(j.at("metrics").at(full), value, name);
            ++count;
            // SageMaker's name of the final objective loss of train and validation, beside it.
            if (name == "objective_loss" && set.phase != LL_PHASE_TEST) {
                check_number(j.at("metrics").at(full + ":final"), value, name + ":final");
                ++count;
            }
        }
    CHECK(j.at("metrics").size() == count);
    CHECK(!j.at("metrics").contains("test:objective_loss:final"));
}

Json sagemaker_expectations(const std::vector<Recorded>& events) {
    Json expected = Json::object();
    const auto add = [&](const std::string& name, double v) {
        if (std::isfinite(v)) expected[name].push_back(v);
    };
    int epochs = 0;
    for (const Recorded& ev : events) {
        if (ev.kind == LL_EVENT_RUN_START)
            for (const auto& [key, value] : ev.params)
                if (key == "epochs") epochs = std::atoi(value.c_str());
        if (ev.kind == LL_EVENT_EPOCH_END) {
            for (uint32_t phase : {LL_PHASE_TRAIN, LL_PHASE_VALIDATION}) {
                const RecordedSet* first = nullptr;  // SageMaker prints model 0 per epoch
                for (const RecordedSet& set : ev.sets)
                    if (set.phase == phase && set.model >= 0 && (!first || set.model < first->model)) first = &set;
                if (first)
                    for (const auto& [name, value] : first->metrics)
                        if (name == "objective_loss") add(std::string(phase_name(phase)) + ":objective_loss", value);
            }
            if (epochs > 0) add("train:progress", std::floor(100.0 * (ev.epoch + 1) / epochs));
            add("train:throughput", ev.throughput);
        }
        if (ev.kind == LL_EVENT_RUN_END)
            for (const RecordedSet& set : ev.sets)
                for (const auto& [name, value] : set.metrics) {
                    const std::string phase = phase_name(set.phase);
                    if (name != "objective_loss") add(phase + ":" + name, value);
                    else add(phase == "test" ? "test:objective_loss" : phase + ":objective_loss:final", value);
                }
    }
    return expected;
}

}  // namespace sink_tests
