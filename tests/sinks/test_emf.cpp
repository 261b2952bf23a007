// The emf sink (CloudWatch Embedded Metric Format) on synthetic runs and on a real
// training run through the C ABI: every finite value of the events is in exactly one
// document, under the dimensions and name the layout gives it, and nothing else is.
// The documents land in <output>/tracking/emf, where check_emf.py (test
// sink_emf_schema) validates each against AWS's published JSON schema.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "error.hpp"
#include "helpers.hpp"
#include "linlearn/linlearn.h"
#include "sink_check.hpp"
#include "sink_host.hpp"

using linlearn::Error;
using linlearn::capi::SinkHost;
using linlearn::cli::SyntheticRun;
using namespace sink_tests;

namespace {

// A fresh folder under <output>/tracking/emf, kept after the test for check_emf.py.
std::string emf_output(const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path(SINK_TRACKING_OUTPUT) / "emf" / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

void run_all(SinkHost& host, const std::vector<ll_event>& events) {
    for (const ll_event& ev : events) CHECK(host.dispatch(ev).empty());
    CHECK(host.flush().empty());
}

std::string create_error(const std::string& spec) {
    SinkHost host;
    try {
        host.add(spec);
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("created: " << spec);
    return "";
}

std::vector<Json> documents(const std::string& text) {
    REQUIRE(!text.empty());
    CHECK(text.back() == '\n');
    std::vector<Json> docs;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) docs.push_back(Json::parse(line));
    return docs;
}

// Which qualifiers are dimensions; the others are in the metric's name.
struct Layout {
    bool model = true, phase = true, per_model = false;
};

// "event|epoch|Model|Phase|name": one value wherever it is.
using Flat = std::map<std::string, double>;

std::string key(const std::string& event, int epoch, const std::string& model, const std::string& phase,
                const std::string& name) {
    return event + "|" + std::to_string(epoch) + "|" + model + "|" + phase + "|" + name;
}

// What the documents must hold: the finite values of epoch_end and run_end, qualified as
// docs/plugins.md describes, and alerts = 1 for each "alert" diagnostic.
Flat expected(const std::vector<Recorded>& events, const Layout& layout) {
    Flat out;
    const auto add = [&](const std::string& event, int epoch, const std::string& model, const std::string& phase,
                         const std::string& name, double value) {
        if (!std::isfinite(value)) return;
        std::string prefix;
        if (!layout.model && !model.empty() && model != "best")
            prefix += model == "final" ? "final:" : "model_" + model + ":";
        if (!layout.phase && !phase.empty()) prefix += phase + ":";
        out[key(event, epoch, layout.model ? model : "", layout.phase ? phase : "", prefix + name)] = value;
    };
    static const char* const phases[] = {"train", "validation", "test"};
    for (const Recorded& ev : events) {
        if (ev.kind == LL_EVENT_EPOCH_END) {
            add("epoch_end", ev.epoch, "", "", "elapsed_time", ev.elapsed_s);
            add("epoch_end", ev.epoch, "", "", "learning_rate", ev.learning_rate);
            add("epoch_end", ev.epoch, "", "", "throughput", ev.throughput);
            for (const RecordedSet& set : ev.sets) {
                if (set.model >= 0 && !layout.per_model) continue;
                const std::string model = set.model < 0 ? "best" : std::to_string(set.model);
                for (const auto& [name, value] : set.metrics)
                    add("epoch_end", ev.epoch, model, phases[set.phase], name, value);
            }
        } else if (ev.kind == LL_EVENT_DIAGNOSTIC && ev.diagnostic_code == "alert") {
            add("diagnostic", ev.epoch, "", "", "alerts", 1);
        } else if (ev.kind == LL_EVENT_RUN_END) {
            add("run_end", -1, "", "", "total_time", ev.total_time_s);
            add("run_end", -1, "", "", "sink_time", ev.sink_time_s);
            for (const RecordedSet& set : ev.sets)
                for (const auto& [name, value] : set.metrics) add("run_end", -1, "final", phases[set.phase], name, value);
        }
    }
    return out;
}

const char* unit_of(const std::string& name) {
    for (const char* seconds : {"elapsed_time", "total_time", "sink_time"})
        if (name == seconds) return "Seconds";
    if (name == "alerts") return "Count";
    return name == "throughput" ? "Count/Second" : "None";
}

// The documents' values, with the checks that hold for every document.
Flat flatten(const std::vector<Json>& docs, const std::string& name_space, const std::vector<Recorded>& events) {
    Flat out;
    for (const Json& doc : docs) {
        INFO(doc.dump());
        const Json& directive = doc.at("_aws").at("CloudWatchMetrics").at(0);
        CHECK(doc.at("_aws").at("CloudWatchMetrics").size() == 1);
        CHECK(directive.at("Namespace") == name_space);
        CHECK(directive.at("Metrics").size() <= 100);
        CHECK(!directive.at("Metrics").empty());
        for (const Json& dimension : directive.at("Dimensions").at(0)) CHECK(doc.at(dimension.get<std::string>()).is_string());
        const std::string event = doc.at("Event");
        const int epoch = doc.value("Epoch", -1);
        bool timestamp_found = false;
        for (const Recorded& ev : events)
            timestamp_found = timestamp_found ||
                              (ev.timestamp_ms == doc.at("_aws").at("Timestamp").get<int64_t>() &&
                               ((ev.kind == LL_EVENT_EPOCH_END && event == "epoch_end" && ev.epoch == epoch) ||
                                (ev.kind == LL_EVENT_DIAGNOSTIC && event == "diagnostic" && ev.epoch == epoch &&
                                 doc.at("Code") == ev.diagnostic_code && doc.at("Message") == ev.message) ||
                                (ev.kind == LL_EVENT_RUN_END && event == "run_end")));
        CHECK(timestamp_found);
        for (const Json& definition : directive.at("Metrics")) {
            const std::string name = definition.at("Name");
            const std::string bare = name.substr(name.rfind(':') + 1);
            CHECK(definition.at("Unit") == unit_of(bare));
            const std::string k = key(event, epoch, doc.value("Model", ""), doc.value("Phase", ""), name);
            CHECK_MESSAGE(out.count(k) == 0, "twice: " << k);
            out[k] = doc.at(name).get<double>();
        }
    }
    return out;
}

void check_same(const Flat& written, const Flat& wanted) {
    // Not structured bindings: doctest's message macros capture in a lambda, which C++17
    // does not allow for a binding (clang refuses).
    for (const auto& kv : wanted) {
        const auto& k = kv.first;
        INFO(k);
        REQUIRE_MESSAGE(written.count(k) == 1, "missing " << k);
        CHECK(same(written.at(k), kv.second));
    }
    for (const auto& kv : written)
        CHECK_MESSAGE(wanted.count(kv.first) == 1, "unexpected " << kv.first << " = " << kv.second);
}

}  // namespace

TEST_CASE("emf: a document per model and phase, under run id, model, phase and host") {
    const std::string dir = emf_output("default");
    const SyntheticRun run;
    {
        SinkHost host;
        host.add("emf:path=" + dir + "/emf.jsonl,host=trainer-7");
        run_all(host, run.events());
    }
    const std::vector<Json> docs = documents(read_file(dir + "/emf.jsonl"));
    const std::vector<Recorded> events = record_all(run.events());
    check_same(flatten(docs, "linlearn", events), expected(events, Layout{}));
    for (const Json& doc : docs) {
        const Json& dimensions = doc.at("_aws").at("CloudWatchMetrics").at(0).at("Dimensions");
        const bool has_model = doc.contains("Model");
        CHECK(dimensions == (has_model ? Json::parse(R"([["RunId","Model","Phase","Host"]])")
                                       : Json::parse(R"([["RunId","Host"]])")));
        CHECK(doc.at("RunId") == SyntheticRun::run_id);
        CHECK(doc.at("Host") == "trainer-7");
        if (doc.at("Event") == "run_end") CHECK(doc.at("Status") == "early_stopped");
    }
    // epoch 0's throughput is infinite: left out, metric and member
    CHECK(docs.at(0).at("Epoch") == 0);
    CHECK(!docs.at(0).contains("throughput"));
    CHECK(docs.at(0).contains("learning_rate"));
}

TEST_CASE("emf: what is not a dimension is in the name; past 100 metrics a group is split") {
    const std::string dir = emf_output("split");
    const SyntheticRun run(2, 10);  // 3 + (10 models + best) x 2 phases x 6 metrics per epoch
    {
        SinkHost host;
        host.add("emf:path=" + dir + "/emf.jsonl,dimensions=run_id+host,per_model=true,namespace=ML/Linear_1");
        run_all(host, run.events());
    }
    const std::vector<Json> docs = documents(read_file(dir + "/emf.jsonl"));
    const std::vector<Recorded> events = record_all(run.events());
    const Flat written = flatten(docs, "ML/Linear_1", events);
    check_same(written, expected(events, Layout{false, false, true}));
    CHECK(written.count(key("epoch_end", 1, "", "", "model_3:validation:objective_loss")) == 1);
    CHECK(written.count(key("epoch_end", 1, "", "", "model_1:train:precision")) == 0);  // NaN: left out
    CHECK(written.count(key("run_end", -1, "", "", "final:test:roc_auc_score")) == 1);
    // epoch 0: 135 values but the infinite throughput, epoch 1: but model 1's two NaNs
    std::map<int, std::vector<size_t>> sizes;
    for (const Json& doc : docs)
        if (doc.at("Event") == "epoch_end")
            sizes[doc.at("Epoch")].push_back(doc.at("_aws").at("CloudWatchMetrics").at(0).at("Metrics").size());
    CHECK(sizes[0] == std::vector<size_t>{100, 34});
    CHECK(sizes[1] == std::vector<size_t>{100, 33});
    for (const Json& doc : docs) CHECK(doc.at("_aws").at("CloudWatchMetrics").at(0).at("Dimensions") ==
                                       Json::parse(R"([["RunId","Host"]])"));
}

TEST_CASE("emf: stdout by default; dimensions=none gives one empty dimension set") {
    const std::string dir = emf_output("stdout");
    const SyntheticRun run;
    {
        const CaptureStdout capture(dir + "/stdout.jsonl");
        SinkHost host;
        host.add("emf:dimensions=none,namespace=linlearn/test");
        run_all(host, run.events());
    }
    const std::vector<Json> docs = documents(read_file(dir + "/stdout.jsonl"));
    const std::vector<Recorded> events = record_all(run.events());
    check_same(flatten(docs, "linlearn/test", events), expected(events, Layout{false, false, false}));
    for (const Json& doc : docs) {
        CHECK(doc.at("_aws").at("CloudWatchMetrics").at(0).at("Dimensions") == Json::parse("[[]]"));
        CHECK(doc.at("RunId") == SyntheticRun::run_id);  // still there, to search by
    }
}

TEST_CASE("emf: a second run with NULL pointers and no metrics still gives valid documents") {
    const std::string dir = emf_output("sparse");
    const SyntheticRun run;
    {
        SinkHost host;
        host.add("emf:path=" + dir + "/emf.jsonl,dimensions=phase+model");
        run_all(host, run.sparse_events());
        CHECK(host.dispatch(run.unknown_event()).empty());
    }
    const std::vector<Json> docs = documents(read_file(dir + "/emf.jsonl"));
    const std::vector<Recorded> events = record_all(run.sparse_events());
    check_same(flatten(docs, "linlearn", events), expected(events, Layout{}));
}

TEST_CASE("emf: bad options are refused at create, naming the option") {
    const std::string dir = scratch_dir("emf_options");
    const std::string unknown = create_error("emf:nmespace=x");
    CHECK(unknown.find("sink 'emf': unknown option 'nmespace'") == 0);
    CHECK(unknown.find("(known: path, namespace, dimensions, host, per_model, append)") != std::string::npos);
    CHECK(create_error("emf:namespace=my app").find("namespace must be 1 to 255 of the characters") !=
          std::string::npos);
    CHECK(create_error("emf:namespace=").find("namespace must be") != std::string::npos);
    CHECK(create_error("emf:dimensions=run_id+zone").find("unknown dimension 'zone' (known: run_id, model, phase, host") !=
          std::string::npos);
    CHECK(create_error("emf:dimensions=phase+phase").find("'phase' appears twice") != std::string::npos);
    CHECK(create_error("emf:host=caf\xc3\xa9").find("host must be printable ASCII") != std::string::npos);
    CHECK(create_error("emf:per_model=maybe").find("per_model must be true or false") != std::string::npos);
    std::ofstream(dir + "/file") << "x";
    const std::string blocked = create_error("emf:path=" + dir + "/file/emf.jsonl");
    CHECK(blocked.find("sink 'emf': cannot ") == 0);
    CHECK(blocked.find(dir + "/file") != std::string::npos);
}

namespace {

int record_event(const ll_event* ev, void* user_data) {
    static_cast<std::vector<Recorded>*>(user_data)->push_back(record(*ev));
    return 0;
}

ll_dataset* load(const std::string& name) {
    ll_dataset* ds = nullptr;
    REQUIRE_MESSAGE(ll_dataset_from_file((std::string(SINK_DATA_DIR) + "/" + name).c_str(), nullptr, &ds) == LL_OK,
                    ll_last_error());
    return ds;
}

}  // namespace

TEST_CASE("emf: a real training run through the C ABI, per model") {
    const std::string dir = emf_output("training");
    std::vector<Recorded> events;
    ll_trainer* t = nullptr;
    REQUIRE(ll_trainer_create(&t) == LL_OK);
    for (const auto& [k, v] : {std::pair<const char*, const char*>{"predictor_type", "multiclass_classifier"},
                               {"num_classes", "10"}, {"epochs", "3"}, {"num_models", "2"}})
        REQUIRE(ll_trainer_set(t, k, v) == LL_OK);
    REQUIRE(ll_trainer_set_callback(t, record_event, &events) == LL_OK);
    REQUIRE_MESSAGE(ll_trainer_add_sink(t, ("emf:path=" + dir + "/emf.jsonl,per_model=true").c_str()) == LL_OK,
                    ll_last_error());
    CHECK(ll_trainer_add_sink(t, "emf:dimension=run_id") == LL_E_PLUGIN);
    CHECK(std::string(ll_last_error()).find("unknown option 'dimension' (known: path, namespace, ") !=
          std::string::npos);
    ll_dataset* train = load("digits.train.csv");
    ll_dataset* validation = load("digits.validation.csv");
    ll_dataset* test = load("digits.test.csv");
    ll_model* model = nullptr;
    const int status = ll_trainer_fit(t, train, validation, test, &model);
    CHECK_MESSAGE(status == LL_OK, ll_last_error());
    ll_model_free(model);
    ll_dataset_free(test);
    ll_dataset_free(validation);
    ll_dataset_free(train);
    ll_trainer_free(t);

    REQUIRE(events.size() >= 5);
    const std::vector<Json> docs = documents(read_file(dir + "/emf.jsonl"));
    check_same(flatten(docs, "linlearn", events), expected(events, Layout{true, true, true}));
}
