// The built-in sinks, loaded through SinkHost and driven by the synthetic run; their
// output is parsed back and compared with the events.
#include <doctest/doctest.h>

#include <clocale>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <locale>
#include <sstream>

#include "error.hpp"
#include "helpers.hpp"
#include "sink_check.hpp"
#include "sink_host.hpp"

using linlearn::Error;
using linlearn::capi::SinkHost;
using linlearn::cli::SyntheticRun;
using namespace sink_tests;

namespace {

void run_all(SinkHost& host, const std::vector<ll_event>& events) {
    for (const ll_event& ev : events) CHECK(host.dispatch(ev).empty());
    CHECK(host.flush().empty());
}

std::vector<std::string> files_in(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

std::string on_event_error(const std::string& spec, const std::vector<ll_event>& events) {
    SinkHost host;
    host.add(spec + ",on_error=fail");
    try {
        for (const ll_event& ev : events) host.dispatch(ev);
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("no error");
    return "";
}

// A numpunct with ',' as the decimal point, for the C++ global locale.
struct CommaDecimal : std::numpunct<char> {
    char do_decimal_point() const override { return ','; }
};

std::string printf_g(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

TEST_CASE("json: one valid line per event, flushed as it is written") {
    const std::string dir = scratch_dir("json");
    const SyntheticRun run;
    SinkHost host;
    host.add("json:path=" + dir + "/events.jsonl,metrics=" + dir + "/final/metrics.json");
    size_t lines = 0;
    for (const ll_event& ev : run.events()) {
        CHECK(host.dispatch(ev).empty());
        // Without flush or close, every finished line is already in the file.
        const std::string text = read_file(dir + "/events.jsonl");
        CHECK(static_cast<size_t>(std::count(text.begin(), text.end(), '\n')) == ++lines);
        CHECK(text.back() == '\n');
    }
    check_json_lines(read_file(dir + "/events.jsonl"), record_all(run.events()), true);
    check_metrics_file(read_file(dir + "/final/metrics.json"), record_all(run.events()));
    CHECK(files_in(dir + "/final") == std::vector<std::string>{"metrics.json"});  // no temporary left
}

TEST_CASE("json: NaN and infinities are null; per_model=false leaves the models out") {
    const std::string dir = scratch_dir("json_nan");
    const SyntheticRun run;
    {
        SinkHost host;
        host.add("json:path=" + dir + "/events.jsonl,per_model=false");
        run_all(host, run.events());
    }
    const std::string text = read_file(dir + "/events.jsonl");
    check_json_lines(text, record_all(run.events()), false);
    CHECK(text.find("\"throughput\":null") != std::string::npos);  // epoch 0's infinite throughput
    CHECK(text.find("NaN") == std::string::npos);
    CHECK(text.find("Infinity") == std::string::npos);
}

TEST_CASE("json: the metrics file is replaced whole, and append=true keeps earlier runs") {
    const std::string dir = scratch_dir("json_append");
    std::ofstream(dir + "/metrics.json") << "old content";
    const SyntheticRun run;
    for (int i = 0; i < 2; ++i) {
        SinkHost host;
        host.add("json:path=" + dir + "/events.jsonl,append=true,metrics=" + dir + "/metrics.json");
        run_all(host, run.events());
    }
    const std::vector<Recorded> once = record_all(run.events());
    std::vector<Recorded> twice = once;
    twice.insert(twice.end(), once.begin(), once.end());
    check_json_lines(read_file(dir + "/events.jsonl"), twice, true);
    check_metrics_file(read_file(dir + "/metrics.json"), record_all(run.events()));
    CHECK(files_in(dir) == std::vector<std::string>{"events.jsonl", "metrics.json"});
}

TEST_CASE("json: a file that cannot be opened stops the sink at create") {
    const std::string dir = scratch_dir("json_bad");
    std::ofstream(dir + "/file") << "x";
    SinkHost host;
    try {
        host.add("json:path=" + dir + "/file/events.jsonl");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("sink 'json': cannot ") == 0);
        CHECK(std::string(e.what()).find(dir + "/file") != std::string::npos);
    }
}

TEST_CASE("csv: one row per epoch of the best model, header once, RFC 4180") {
    const std::string dir = scratch_dir("csv");
    const SyntheticRun run;
    SinkHost host;
    host.add("csv:path=" + dir + "/epochs.csv");
    run_all(host, run.events());
    const std::string text = read_file(dir + "/epochs.csv");
    check_csv(text, record_all(run.events()), false);
    CHECK(text.substr(0, text.find("\r\n")) ==
          "epoch,timestamp_ms,elapsed_s,learning_rate,throughput,train:objective_loss,"
          "train:binary_classification_accuracy,train:precision,train:recall,train:binary_f_beta,"
          "train:roc_auc_score,validation:objective_loss,validation:binary_classification_accuracy,"
          "validation:precision,validation:recall,validation:binary_f_beta,validation:roc_auc_score");
    CHECK(text.find(",Inf,") != std::string::npos);  // epoch 0's throughput
}

TEST_CASE("csv: per_model=true adds a row per model, marked apart from the best") {
    const std::string dir = scratch_dir("csv_models");
    const SyntheticRun run;
    SinkHost host;
    host.add("csv:path=" + dir + "/epochs.csv,per_model=true");
    run_all(host, run.events());
    const std::string text = read_file(dir + "/epochs.csv");
    check_csv(text, record_all(run.events()), true);
    CHECK(text.find(",NaN,") != std::string::npos);  // model 1's undefined precision at epoch 1
}

TEST_CASE("csv: append=true writes the header once and refuses other columns") {
    const std::string dir = scratch_dir("csv_append");
    const SyntheticRun run;
    for (int i = 0; i < 2; ++i) {
        SinkHost host;
        host.add("csv:path=" + dir + "/epochs.csv,append=true");
        run_all(host, run.events());
    }
    const std::vector<Recorded> once = record_all(run.events());
    std::vector<Recorded> twice = once;
    twice.insert(twice.end(), once.begin(), once.end());
    check_csv(read_file(dir + "/epochs.csv"), twice, false);

    std::ofstream(dir + "/other.csv") << "epoch,something_else\r\n0,1\r\n";
    const std::string message = on_event_error("csv:path=" + dir + "/other.csv,append=true", run.events());
    CHECK(message.find("sink 'csv': the columns of this run differ from the header of " + dir + "/other.csv") == 0);
}

TEST_CASE("csv: fields are quoted when needed") {
    const std::string dir = scratch_dir("csv_quote");
    const ll_metric metrics[] = {{"odd,name \"q\"", 0.5}, {"plain", 0.25}};
    const ll_metric_set set = {sizeof(ll_metric_set), LL_PHASE_TRAIN, LL_MODEL_BEST, 2, metrics};
    ll_event ev{};
    ev.struct_size = sizeof ev;
    ev.kind = LL_EVENT_EPOCH_END;
    ev.run_id = "r";
    ev.n_metric_sets = 1;
    ev.metric_sets = &set;
    SinkHost host;
    host.add("csv:path=" + dir + "/epochs.csv");
    CHECK(host.dispatch(ev).empty());
    const std::string text = read_file(dir + "/epochs.csv");
    CHECK(text.substr(0, text.find("\r\n")) ==
          "epoch,timestamp_ms,elapsed_s,learning_rate,throughput,\"train:odd,name \"\"q\"\"\",train:plain");
    CHECK(parse_csv(text)[0][5] == "train:odd,name \"q\"");
}

TEST_CASE("csv and json: '.' is the decimal point whatever the locale") {
    const std::string dir = scratch_dir("locale");
    const std::locale old_cpp = std::locale::global(std::locale(std::locale::classic(), new CommaDecimal));
    const std::string old_c = std::setlocale(LC_NUMERIC, nullptr);
    std::setlocale(LC_NUMERIC, "de_DE.UTF-8");  // if the machine has it; the C++ locale is set anyway
    std::ostringstream probe;
    probe << 0.5;
    CHECK(probe.str() == "0,5");  // the trap is armed
    {
        const SyntheticRun run;
        SinkHost host;
        host.add("csv:path=" + dir + "/epochs.csv");
        host.add("json:path=" + dir + "/events.jsonl");
        run_all(host, run.events());
        check_csv(read_file(dir + "/epochs.csv"), record_all(run.events()), false);
        check_json_lines(read_file(dir + "/events.jsonl"), record_all(run.events()), true);
    }
    std::setlocale(LC_NUMERIC, old_c.c_str());
    std::locale::global(old_cpp);
}

TEST_CASE("stdout: an aligned table with a marker on the best epoch, then a summary") {
    const std::string dir = scratch_dir("table");
    const SyntheticRun run;
    {
        const CaptureStdout capture(dir + "/out.txt");
        SinkHost host;
        host.add("stdout");
        run_all(host, run.events());
    }
    std::istringstream in(read_file(dir + "/out.txt"));
    std::vector<std::string> lines;
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    REQUIRE(lines.size() >= 6);
    CHECK(lines[0].find("binary_classifier, 2 models, 100 training rows x 4 features") != std::string::npos);
    CHECK(lines[1].find("epoch    train loss  train accuracy") == 0);
    // Epoch rows line up with the header, and show the best model's values.
    const std::vector<Recorded> events = record_all(run.events());
    size_t row = 2;
    for (const Recorded& ev : events) {
        if (ev.kind != LL_EVENT_EPOCH_END) continue;
        while (lines[row].rfind("warning", 0) == 0) ++row;
        // The alert after epoch 1: its message alone, under that epoch's row.
        if (ev.epoch == 2) {
            CHECK(lines[row] == "alert 'validation:objective_loss > 0.2' fired at epoch 1: validation:objective_loss = 0.25");
            CHECK(lines[row - 1].substr(0, 5) == "    1");
            ++row;
        }
        const std::string& line = lines[row++];
        INFO(line);
        CHECK(line.size() == lines[1].size() - std::string("  (* best so far)").size() + 3);  // "  *"
        CHECK(line.substr(0, 5) == "    " + std::to_string(ev.epoch));
        for (const RecordedSet& set : ev.sets)
            if (set.model == LL_MODEL_BEST) CHECK(line.find(" " + printf_g(set.metrics[0].second) + " ") != std::string::npos);
        CHECK(line.substr(line.size() - 3) == "  *");  // the best model improves every epoch here
    }
    CHECK(lines[row].find("early stop after epoch 2: validation objective_loss did not improve") == 0);
    CHECK(lines[row + 2].find("run early_stopped in 4.750 s (0.013 s in sinks); best: epoch 2, model 0") == 0);
    CHECK(lines[row + 5].find("test: objective_loss=") != std::string::npos);
}

TEST_CASE("stdout: format=sagemaker writes SageMaker's log lines") {
    const std::string log = std::string(SINK_TEST_OUTPUT) + "/sagemaker_synthetic.log";
    const SyntheticRun run;
    {
        const CaptureStdout capture(log);
        SinkHost host;
        host.add("stdout:format=sagemaker");
        run_all(host, run.events());
    }
    // The regexes themselves are applied by check_sagemaker_log.py to these files.
    std::ofstream(std::string(SINK_TEST_OUTPUT) + "/sagemaker_synthetic.expected.json")
        << sagemaker_expectations(record_all(run.events())).dump(1);
    const std::string text = read_file(log);
    CHECK(text.find("#quality_metric: host=algo-1, epoch=0, train binary_classification_cross_entropy_objective "
                    "<loss>=0.693147\n") != std::string::npos);
    CHECK(text.find("#early_stopping_criteria_metric: host=algo-1, epoch=1, criteria=binary_classification_accuracy, "
                    "value=") != std::string::npos);
    CHECK(text.find("#progress_metric: host=algo-1, completed 33 % of epochs\n") != std::string::npos);
    CHECK(text.find("#quality_metric: host=algo-1, validation binary_f_1.000 <score>=") != std::string::npos);
    CHECK(text.find("#quality_metric: host=algo-1, test recall <score>=") != std::string::npos);
    CHECK(text.find("#metrics {\"StartTime\": 1700000000.0, \"EndTime\": 1700000001.5, \"Dimensions\": "
                    "{\"Algorithm\": \"Linear Learner\", \"Host\": \"algo-1\", \"Operation\": \"training\", "
                    "\"epoch\": 0, \"model\": 0}, \"Metrics\": {\"train_binary_classification_cross_entropy_objective\": "
                    "{\"sum\": 0.693147, \"count\": 1, \"min\": 0.693147, \"max\": 0.693147}}}\n") != std::string::npos);
    CHECK(text.find("nan") == std::string::npos);
    CHECK(text.find("inf") == std::string::npos);
}

TEST_CASE("stdout: format=jsonl writes the json sink's lines; bad options are refused") {
    const std::string dir = scratch_dir("jsonl");
    const SyntheticRun run;
    {
        const CaptureStdout capture(dir + "/out.txt");
        SinkHost host;
        host.add("stdout:format=jsonl,per_model=false");
        run_all(host, run.events());
    }
    check_json_lines(read_file(dir + "/out.txt"), record_all(run.events()), false);

    SinkHost host;
    CHECK_THROWS_WITH(host.add("stdout:format=xml"), "sink 'stdout': format must be one of table, sagemaker, jsonl, not 'xml'");
    CHECK_THROWS_WITH(host.add("stdout:host=a b"),
                      "sink 'stdout': host must be a word without spaces, commas, quotes or backslashes, not 'a b'");
    CHECK_THROWS_WITH(host.add("stdout:stream=file"), "sink 'stdout': stream must be one of stdout, stderr, not 'file'");
}
