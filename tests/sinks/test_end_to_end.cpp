// The built-in sinks driven by real training runs through the C ABI: what each wrote is
// parsed back and compared with what the in-process callback received; and the error
// policy of failing sinks as a caller of ll_trainer_fit sees it.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "helpers.hpp"
#include "linlearn/linlearn.h"
#include "linlearn/sink.h"

using namespace sink_tests;

namespace {

struct Run {
    std::vector<Recorded> events;  // as the callback received them
    int status = LL_OK;
    std::string error;
};

int record_event(const ll_event* ev, void* user_data) {
    static_cast<std::vector<Recorded>*>(user_data)->push_back(record(*ev));
    return 0;
}

std::string data(const std::string& name) { return std::string(SINK_DATA_DIR) + "/" + name; }

std::string fixture(const std::string& kind) { return std::string(SINK_FIXTURE_DIR) + "/libfixture_" + kind + ".so"; }

ll_dataset* load(const std::string& path) {
    ll_dataset* ds = nullptr;
    REQUIRE_MESSAGE(ll_dataset_from_file(path.c_str(), nullptr, &ds) == LL_OK, ll_last_error());
    return ds;
}

// Trains on DATASET.{train,validation,test}.csv with the sinks (and alert rules, flags
// for ll_trainer_add_alert); the trainer (and so its sinks) is freed before this returns.
Run train(const std::string& dataset, const std::vector<std::pair<std::string, std::string>>& hyperparameters,
          const std::vector<std::string>& sinks, const std::vector<std::pair<std::string, uint32_t>>& rules = {}) {
    Run run;
    ll_trainer* t = nullptr;
    REQUIRE(ll_trainer_create(&t) == LL_OK);
    for (const auto& [rule, flags] : rules)
        REQUIRE_MESSAGE(ll_trainer_add_alert(t, rule.c_str(), flags) == LL_OK, ll_last_error());
    for (const auto& [key, value] : hyperparameters)
        REQUIRE_MESSAGE(ll_trainer_set(t, key.c_str(), value.c_str()) == LL_OK, ll_last_error());
    REQUIRE(ll_trainer_set_callback(t, record_event, &run.events) == LL_OK);
    for (const std::string& spec : sinks) REQUIRE_MESSAGE(ll_trainer_add_sink(t, spec.c_str()) == LL_OK, ll_last_error());
    ll_dataset* train_set = load(data(dataset + ".train.csv"));
    ll_dataset* validation = load(data(dataset + ".validation.csv"));
    ll_dataset* test = load(data(dataset + ".test.csv"));
    ll_model* model = nullptr;
    run.status = ll_trainer_fit(t, train_set, validation, test, &model);
    if (run.status != LL_OK) run.error = ll_last_error();
    ll_model_free(model);
    ll_dataset_free(test);
    ll_dataset_free(validation);
    ll_dataset_free(train_set);
    ll_trainer_free(t);
    return run;
}

std::string add_sink_error(const std::string& spec, int expected_status) {
    ll_trainer* t = nullptr;
    REQUIRE(ll_trainer_create(&t) == LL_OK);
    CHECK(ll_trainer_add_sink(t, spec.c_str()) == expected_status);
    const std::string error = ll_last_error();
    ll_trainer_free(t);
    return error;
}

}  // namespace

TEST_CASE("every built-in sink writes what the callback received, for each predictor type") {
    struct Case {
        const char* predictor_type;
        const char* dataset;
        std::vector<std::pair<std::string, std::string>> extra;
    };
    const Case cases[] = {
        {"binary_classifier", "breast_cancer", {}},
        {"multiclass_classifier", "digits", {{"num_classes", "10"}}},
        {"regressor", "diabetes", {}},
    };
    for (const Case& c : cases) {
        SUBCASE(c.predictor_type) {
            const std::string dir = scratch_dir(std::string("e2e_") + c.predictor_type);
            const std::string log = std::string(SINK_TEST_OUTPUT) + "/sagemaker_" + c.predictor_type + ".log";
            auto hyperparameters = c.extra;
            hyperparameters.insert(hyperparameters.end(), {{"predictor_type", c.predictor_type},
                                                           {"epochs", "4"},
                                                           {"num_models", "3"},
                                                           {"early_stopping_patience", "10"}});
            Run run;
            {
                const CaptureStdout capture(log);
                run = train(c.dataset, hyperparameters,
                            {"json:path=" + dir + "/events.jsonl,metrics=" + dir + "/metrics.json",
                             "csv:path=" + dir + "/epochs.csv", "csv:path=" + dir + "/models.csv,per_model=true",
                             "stdout:format=sagemaker"});
            }
            REQUIRE_MESSAGE(run.status == LL_OK, run.error);
            REQUIRE(run.events.size() >= 7);
            CHECK(run.events.front().kind == LL_EVENT_RUN_START);
            CHECK(run.events.back().kind == LL_EVENT_RUN_END);

            check_json_lines(read_file(dir + "/events.jsonl"), run.events, true);
            check_metrics_file(read_file(dir + "/metrics.json"), run.events);
            check_csv(read_file(dir + "/epochs.csv"), run.events, false);
            check_csv(read_file(dir + "/models.csv"), run.events, true);
            // check_sagemaker_log.py applies SageMaker's regexes to the log and these values.
            std::ofstream(std::string(SINK_TEST_OUTPUT) + "/sagemaker_" + c.predictor_type + ".expected.json")
                << sagemaker_expectations(run.events).dump(1);
            CHECK(read_file(log).find("#quality_metric: host=algo-1, epoch=3, train ") != std::string::npos);
        }
    }
}

TEST_CASE("alert and stop rules reach every built-in sink, and the stop is an early stop") {
    const std::string dir = scratch_dir("e2e_alerts");
    const std::string stop = "train:objective_loss < 100 after epoch 1";  // stops after epoch 2
    Run run;
    {
        const CaptureStdout capture(dir + "/stdout.jsonl");
        run = train("breast_cancer",
                    {{"predictor_type", "binary_classifier"}, {"epochs", "6"}, {"num_models", "2"},
                     {"early_stopping_patience", "10"}},
                    {"json:path=" + dir + "/events.jsonl,metrics=" + dir + "/metrics.json", "csv:path=" + dir + "/epochs.csv",
                     "stdout:format=jsonl", "emf:path=" + dir + "/emf.jsonl", "prometheus:path=" + dir + "/run.prom",
                     "tensorboard:logdir=" + dir + "/tb,host=h"},
                    {{"validation:objective_loss < 100", 0}, {stop, LL_ALERT_STOP}});
    }
    REQUIRE_MESSAGE(run.status == LL_OK, run.error);
    std::vector<std::string> alerts;
    for (const Recorded& ev : run.events)
        if (ev.kind == LL_EVENT_DIAGNOSTIC && ev.diagnostic_code == "alert") alerts.push_back(ev.message);
    REQUIRE(alerts.size() == 2);
    CHECK(alerts[0].find("alert 'validation:objective_loss < 100' fired at epoch 0: ") == 0);
    CHECK(alerts[1].find("stop rule '" + stop + "' fired at epoch 2: ") == 0);
    const Recorded& end = run.events.back();
    CHECK(end.status == LL_STATUS_EARLY_STOPPED);
    CHECK(end.message.find("stopped by rule '" + stop + "' at epoch 2: train:objective_loss = ") == 0);
    CHECK(run.events[run.events.size() - 3].kind == LL_EVENT_EARLY_STOP);

    // json and stdout:format=jsonl: every event as the callback saw it, alerts included.
    check_json_lines(read_file(dir + "/events.jsonl"), run.events, true);
    check_json_lines(read_file(dir + "/stdout.jsonl"), run.events, true);
    check_metrics_file(read_file(dir + "/metrics.json"), run.events);
    // csv: epochs only, the three that ran.
    check_csv(read_file(dir + "/epochs.csv"), run.events, false);
    CHECK(parse_csv(read_file(dir + "/epochs.csv")).size() == 4);
    // emf: a document "alerts": 1 per alert, with the message.
    const std::string emf = read_file(dir + "/emf.jsonl");
    size_t documents = 0;
    for (size_t at = 0; (at = emf.find("\"alerts\":1", at)) != std::string::npos; ++at) ++documents;
    CHECK(documents == 2);
    CHECK(emf.find("\"Message\":\"" + alerts[0] + "\"") != std::string::npos);
    // prometheus: how many fired, and the status (2: early_stopped).
    const std::string prom = read_file(dir + "/run.prom");
    const std::string id = end.run_id;
    CHECK(prom.find("linlearn_run_alerts{run_id=\"" + id + "\"} 2\n") != std::string::npos);
    CHECK(prom.find("linlearn_run_status{run_id=\"" + id + "\"} 2\n") != std::string::npos);
    // tensorboard: each message as text (its records are decoded by test_tensorboard.cpp's
    // reader and check_tensorboard.py; here, that the text is in the file).
    std::string tb;
    for (const auto& entry : std::filesystem::directory_iterator(dir + "/tb")) tb += read_file(entry.path().string());
    for (const std::string& a : alerts) CHECK(tb.find(a) != std::string::npos);
}

TEST_CASE("stdout: format=jsonl is what the callback received; the table has a row per epoch") {
    const std::string dir = scratch_dir("e2e_stdout");
    const std::vector<std::pair<std::string, std::string>> hyperparameters = {
        {"predictor_type", "binary_classifier"}, {"epochs", "3"}, {"early_stopping_patience", "10"}};
    Run jsonl, table;
    {
        const CaptureStdout capture(dir + "/jsonl.txt");
        jsonl = train("breast_cancer", hyperparameters, {"stdout:format=jsonl"});
    }
    {
        const CaptureStdout capture(dir + "/table.txt");
        table = train("breast_cancer", hyperparameters, {"stdout"});
    }
    REQUIRE_MESSAGE(jsonl.status == LL_OK, jsonl.error);
    REQUIRE_MESSAGE(table.status == LL_OK, table.error);
    check_json_lines(read_file(dir + "/jsonl.txt"), jsonl.events, true);
    const std::string text = read_file(dir + "/table.txt");
    for (const char* row : {"\n    0  ", "\n    1  ", "\n    2  ", "\nrun completed in "})
        CHECK_MESSAGE(text.find(row) != std::string::npos, text);
}

TEST_CASE("on_error=warn: a sink failing mid-run is reported once as a diagnostic, training goes on") {
    const std::string dir = scratch_dir("e2e_warn");
    const std::string failing = fixture("event_fails");
    const Run run = train("breast_cancer", {{"predictor_type", "binary_classifier"}, {"epochs", "4"}},
                         {failing + ":fail_at_epoch=1", "json:path=" + dir + "/events.jsonl"});
    REQUIRE_MESSAGE(run.status == LL_OK, run.error);
    int reports = 0;
    for (size_t i = 0; i < run.events.size(); ++i)
        if (run.events[i].kind == LL_EVENT_DIAGNOSTIC &&
            run.events[i].message == "sink '" + failing + "': fixture: the disk is full") {
            ++reports;
            CHECK(run.events[i - 1].kind == LL_EVENT_EPOCH_END);
            CHECK(run.events[i - 1].epoch == 1);
        }
    CHECK(reports == 1);
    CHECK(run.events.back().kind == LL_EVENT_RUN_END);
    CHECK(run.events.back().status == LL_STATUS_COMPLETED);
    check_json_lines(read_file(dir + "/events.jsonl"), run.events, true);  // the other sink saw everything
}

TEST_CASE("on_error=fail: a sink failing mid-run ends the run with status failed") {
    const std::string dir = scratch_dir("e2e_fail");
    const std::string failing = fixture("event_fails");
    const Run run = train("breast_cancer", {{"predictor_type", "binary_classifier"}, {"epochs", "4"}},
                         {failing + ":fail_at_epoch=1,on_error=fail", "json:path=" + dir + "/events.jsonl"});
    CHECK(run.status == LL_E_PLUGIN);
    CHECK(run.error.find("sink '" + failing + "': fixture: the disk is full") != std::string::npos);
    REQUIRE(!run.events.empty());
    CHECK(run.events.back().kind == LL_EVENT_RUN_END);
    CHECK(run.events.back().status == LL_STATUS_FAILED);
    CHECK(run.events.back().message.find("fixture: the disk is full") != std::string::npos);
}

TEST_CASE("a sink that cannot be created stops the run before training, with its own message") {
    CHECK(add_sink_error(fixture("create_fails"), LL_E_PLUGIN).find("fixture refuses to be created") !=
          std::string::npos);
    CHECK(add_sink_error("json", LL_E_PLUGIN).find("sink 'json': path= is required") != std::string::npos);
    const std::string host_abi = std::to_string(LL_SINK_ABI_MAJOR) + "." + std::to_string(LL_SINK_ABI_MINOR);
    const std::string next_major_abi = std::to_string(LL_SINK_ABI_MAJOR + 1) + "." + std::to_string(LL_SINK_ABI_MINOR);
    CHECK(add_sink_error(fixture("wrong_major"), LL_E_PLUGIN)
              .find("(host sink ABI " + host_abi + ", plugin sink ABI " + next_major_abi + ")") != std::string::npos);
    CHECK(add_sink_error("plugins/libmine.so", LL_E_INVALID_ARG).find("give an absolute path") != std::string::npos);
    CHECK(add_sink_error("json:path", LL_E_INVALID_ARG).find("column 10: expected '='") != std::string::npos);
}
