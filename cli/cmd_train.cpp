// linlearn train: fit on files, with progress on stdout and every artifact in --output-dir.
#include <csignal>
#include <filesystem>
#include <iostream>

#include "commands.hpp"
#include "common.hpp"

namespace linlearn::cli {

namespace {

struct TrainArgs {
    std::string train, validation, test, data_options, hp_file, output_dir, run_id;
    std::vector<std::string> hps, sinks;
    bool quiet = false;
};

ll_trainer* g_running = nullptr;  // the trainer SIGINT cancels
extern "C" void on_sigint(int) {
    if (g_running) ll_trainer_cancel(g_running);  // async-signal-safe
}

// Escapes a sink option value: '\' and ',' are special in sink specs.
std::string spec_value(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == ',') out += '\\';
        out += c;
    }
    return out;
}

void set_hyperparameters(ll_trainer* t, const TrainArgs& a) {
    if (!a.hp_file.empty()) check(ll_trainer_set_json(t, read_text(a.hp_file).c_str()));
    for (const std::string& kv : a.hps) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            throw CommandError("--hp '" + kv + "': expected key=value, e.g. --hp epochs=10", 2);
        check(ll_trainer_set(t, kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str()));
    }
}

int run_train(const TrainArgs& a) {
    namespace fs = std::filesystem;
    Trainer t;
    {
        ll_trainer* raw = nullptr;
        check(ll_trainer_create(&raw));
        t.reset(raw);
    }
    set_hyperparameters(t.get(), a);
    std::error_code ec;
    fs::create_directories(a.output_dir, ec);
    if (ec) throw CommandError("cannot create the output folder '" + a.output_dir + "': " + ec.message());
    const fs::path dir = fs::absolute(a.output_dir);
    const std::string model_path = (dir / "model.llmodel").string();
    const std::string metrics_path = (dir / "metrics.json").string();
    const std::string events_path = (dir / "events.jsonl").string();
    const std::string epochs_path = (dir / "epochs.csv").string();
    check(ll_trainer_set_option(t.get(), "model_path", model_path.c_str()));
    if (!a.run_id.empty()) check(ll_trainer_set_option(t.get(), "run_id", a.run_id.c_str()));
    if (!a.quiet) check(ll_trainer_add_sink(t.get(), "stdout"));
    check(ll_trainer_add_sink(t.get(), ("json:path=" + spec_value(events_path) + ",metrics=" +
                                        spec_value(metrics_path)).c_str()));
    check(ll_trainer_add_sink(t.get(), ("csv:path=" + spec_value(epochs_path)).c_str()));
    for (const std::string& s : a.sinks) check(ll_trainer_add_sink(t.get(), s.c_str()));

    Dataset train = load_dataset(a.train, a.data_options);
    Dataset validation = a.validation.empty() ? nullptr : load_dataset(a.validation, a.data_options);
    Dataset test = a.test.empty() ? nullptr : load_dataset(a.test, a.data_options);

    g_running = t.get();
    auto previous = std::signal(SIGINT, on_sigint);
    ll_model* raw_model = nullptr;
    const int status = ll_trainer_fit(t.get(), train.get(), validation.get(), test.get(), &raw_model);
    std::signal(SIGINT, previous);
    g_running = nullptr;
    check(status);
    Model model(raw_model);
    const ll_model_info info = model_info(model.get());
    std::cout << "model:   " << model_path << "\nmetrics: " << metrics_path << "\nevents:  " << events_path
              << "\nepochs:  " << epochs_path << "\n";
    if (info.status == LL_STATUS_CANCELLED) {
        std::cerr << "linlearn: training cancelled; the model above is the best checkpoint before it\n";
        return 130;
    }
    return 0;
}

}  // namespace

Action add_train(CLI::App& app) {
    auto a = std::make_shared<TrainArgs>();
    app.add_option("--train", a->train, "labelled training data (CSV with the label first, or libsvm)")
        ->required()
        ->check(CLI::ExistingFile);
    app.add_option("--validation", a->validation, "labelled validation data: model selection, "
                                                  "calibration and early stopping use it")
        ->check(CLI::ExistingFile);
    app.add_option("--test", a->test, "labelled test data, evaluated once with the final model")
        ->check(CLI::ExistingFile);
    app.add_option("--data-options", a->data_options,
                   "how to read the files: format=csv|libsvm,header=true,delimiter=tab,label_column=N,"
                   "feature_dim=N");
    app.add_option("--hp", a->hps, "a hyperparameter by its SageMaker name, key=value (repeatable)");
    app.add_option("--hyperparameters", a->hp_file, "a SageMaker-style hyperparameters JSON file")
        ->check(CLI::ExistingFile);
    app.add_option("-o,--output-dir", a->output_dir,
                   "folder for model.llmodel, metrics.json, events.jsonl and epochs.csv")
        ->required();
    app.add_option("--sink", a->sinks, "an extra metric sink, NAME[:key=value,...] (repeatable)");
    app.add_option("--run-id", a->run_id, "the run's id in every event (default: generated)");
    app.add_flag("-q,--quiet", a->quiet, "no progress table on stdout");
    app.footer("Example:\n  linlearn train --train data/breast_cancer.train.csv --validation "
               "data/breast_cancer.validation.csv \\\n    --hp predictor_type=binary_classifier -o out");
    return [a] { return run_train(*a); };
}

}  // namespace linlearn::cli
