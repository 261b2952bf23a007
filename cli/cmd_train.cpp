// linlearn train: fit on files, with progress on stdout and every artifact in --output-dir.
#include <csignal>
#include <filesystem>
#include <iostream>
#include <optional>

#include "alerts.hpp"
#include "commands.hpp"
#include "common.hpp"
#include "sagemaker_mode.hpp"

namespace linlearn::cli {

namespace {

struct TrainArgs {
    std::string train, validation, test, data_options, hp_file, output_dir, run_id, initial_model;
    std::vector<std::string> hps, sinks;
    bool quiet = false;
    std::vector<std::string> alerts, stop_when;  // rules (alerts.hpp)
    bool sagemaker = false;                      // SageMaker's container contract (sagemaker_mode.hpp)
    std::string sagemaker_root = "/opt/ml";
    // Set by SageMaker mode; the defaults are the plain command's behaviour.
    std::string hp_json;                    // hyperparameters as JSON text
    std::string model_path;                 // default: <output-dir>/model.llmodel
    std::string progress_sink = "stdout";   // the sink that prints progress unless -q
    bool cancel_on_sigterm = false;         // SageMaker stops a job with SIGTERM
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
    if (!a.hp_json.empty()) check(ll_trainer_set_json(t, a.hp_json.c_str()));
    for (const std::string& kv : a.hps) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0)
            throw CommandError("--hp '" + kv + "': expected key=value, e.g. --hp epochs=10", 2);
        check(ll_trainer_set(t, kv.substr(0, eq).c_str(), kv.substr(eq + 1).c_str()));
    }
}

int run_train(const TrainArgs& a) {
    namespace fs = std::filesystem;
    if (a.train.empty()) throw CommandError("--train is required (or --sagemaker)", 2);
    if (a.output_dir.empty()) throw CommandError("--output-dir is required (or --sagemaker)", 2);
    RuleWatcher rules(a.alerts, a.stop_when);
    Trainer t;
    {
        ll_trainer* raw = nullptr;
        check(ll_trainer_create(&raw));
        t.reset(raw);
    }
    rules.add_to(t.get());  // first: a mistake in a rule costs no reading and no training
    set_hyperparameters(t.get(), a);
    if (!a.initial_model.empty()) {  // incremental training
        Model start = load_model(a.initial_model);
        check(ll_trainer_set_initial_model(t.get(), start.get()));
    }
    // The data is read before any sink opens its files: bad data must not truncate the
    // logs of an earlier run in the same folder.
    Dataset train = load_dataset(a.train, a.data_options);
    Dataset validation = a.validation.empty() ? nullptr : load_dataset(a.validation, a.data_options);
    Dataset test = a.test.empty() ? nullptr : load_dataset(a.test, a.data_options);
    std::error_code ec;
    fs::create_directories(a.output_dir, ec);
    if (ec) throw CommandError("cannot create the output folder '" + a.output_dir + "': " + ec.message());
    const fs::path dir = fs::absolute(a.output_dir);
    const std::string model_path = a.model_path.empty() ? (dir / "model.llmodel").string() : a.model_path;
    const std::string metrics_path = (dir / "metrics.json").string();
    const std::string events_path = (dir / "events.jsonl").string();
    const std::string epochs_path = (dir / "epochs.csv").string();
    check(ll_trainer_set_option(t.get(), "model_path", model_path.c_str()));
    if (!a.run_id.empty()) check(ll_trainer_set_option(t.get(), "run_id", a.run_id.c_str()));
    if (!a.quiet) check(ll_trainer_add_sink(t.get(), a.progress_sink.c_str()));
    check(ll_trainer_add_sink(t.get(), ("json:path=" + spec_value(events_path) + ",metrics=" +
                                        spec_value(metrics_path)).c_str()));
    check(ll_trainer_add_sink(t.get(), ("csv:path=" + spec_value(epochs_path)).c_str()));
    for (const std::string& s : a.sinks) check(ll_trainer_add_sink(t.get(), s.c_str()));
    if (!rules.empty()) rules.install(t.get());

    g_running = t.get();
    auto previous = std::signal(SIGINT, on_sigint);
    auto previous_term = a.cancel_on_sigterm ? std::signal(SIGTERM, on_sigint) : SIG_ERR;
    ll_model* raw_model = nullptr;
    const int status = ll_trainer_fit(t.get(), train.get(), validation.get(), test.get(), &raw_model);
    std::signal(SIGINT, previous);
    if (previous_term != SIG_ERR) std::signal(SIGTERM, previous_term);
    g_running = nullptr;
    // Before check(): a failed run's rules (notes, alerts that fired) are worth keeping.
    if (!rules.empty()) {
        rules.collect(t.get());
        write_output((dir / "alerts.json").string(), rules.to_json());
    }
    if (status == LL_E_CANCELLED) throw CommandError(ll_last_error(), 130);  // as for SIGINT after an epoch
    check(status);
    Model model(raw_model);
    const ll_model_info info = model_info(model.get());
    std::cout << "model:   " << model_path << "\nmetrics: " << metrics_path << "\nevents:  " << events_path
              << "\nepochs:  " << epochs_path << "\n";
    if (!rules.empty()) std::cout << "alerts:  " << (dir / "alerts.json").string() << "\n";
    if (!rules.stopped_by().empty()) {
        // The user asked for this stop (the run ended early_stopped): success, with the best
        // checkpoint as the model.
        std::cerr << "linlearn: stopped by rule: " << rules.stopped_by() << "\n";
        return 0;
    }
    if (info.status == LL_STATUS_CANCELLED) {
        std::cerr << "linlearn: training cancelled; the model above is the best checkpoint before it\n";
        return 130;
    }
    return 0;
}

// SageMaker mode: the inputs and outputs come from the container layout; any failure
// is also written where SageMaker reads the job's FailureReason.
int run_sagemaker(TrainArgs a) {
    std::optional<SageMakerJob> job;
    try {
        job.emplace(a.sagemaker_root);
        a.hp_json = job->hyperparameters;
        a.train = job->train;
        a.validation = job->validation;
        a.test = job->test;
        a.data_options = job->data_options;
        a.output_dir = job->output_dir;
        a.model_path = job->model_path;
        a.progress_sink = "stdout:format=sagemaker";  // the lines SageMaker's metric regexes read
        a.cancel_on_sigterm = true;
        return run_train(a);
    } catch (const CommandError& e) {
        const std::string why = job ? job->explain(e.what()) : e.what();
        write_sagemaker_failure(a.sagemaker_root, why);
        throw CommandError(why, e.code);
    } catch (const std::exception& e) {
        write_sagemaker_failure(a.sagemaker_root, e.what());
        throw;
    }
}

}  // namespace

Action add_train(CLI::App& app) {
    auto a = std::make_shared<TrainArgs>();
    auto* train = app.add_option("--train", a->train,
                                 "labelled training data (CSV with the label first, or libsvm); required "
                                 "unless --sagemaker")
                      ->check(CLI::ExistingFile);
    auto* validation = app.add_option("--validation", a->validation, "labelled validation data: model selection, "
                                                  "calibration and early stopping use it")
        ->check(CLI::ExistingFile);
    auto* test = app.add_option("--test", a->test, "labelled test data, evaluated once with the final model")
        ->check(CLI::ExistingFile);
    auto* data_options = app.add_option("--data-options", a->data_options,
                   "how to read the files: format=csv|libsvm,header=true,delimiter=tab,label_column=N,"
                   "feature_dim=N,num_threads=N");
    app.add_option("--hp", a->hps, "a hyperparameter by its SageMaker name, key=value (repeatable)");
    auto* hp_file = app.add_option("--hyperparameters", a->hp_file, "a SageMaker-style hyperparameters JSON file")
        ->check(CLI::ExistingFile);
    auto* output = app.add_option("-o,--output-dir", a->output_dir,
                                  "folder for model.llmodel, metrics.json, events.jsonl and epochs.csv; "
                                  "required unless --sagemaker");
    app.add_option("--sink", a->sinks, "an extra metric sink, NAME[:key=value,...] (repeatable)");
    app.add_option("--run-id", a->run_id, "the run's id in every event (default: generated)");
    app.add_option("--initial-model", a->initial_model,
                   "incremental training: start every model from this saved model (its weights, scaler "
                   "and optimizer state)")
        ->check(CLI::ExistingFile);
    auto* quiet = app.add_flag("-q,--quiet", a->quiet, "no progress table on stdout");
    app.add_option("--alert", a->alerts,
                   "an alert event to every sink (and a line on stderr) the first epoch a rule holds for the best "
                   "model: '<phase>:<metric> <op> <number> [after epoch N]', op one of > >= < <= == != "
                   "(repeatable; recorded in alerts.json)");
    app.add_option("--stop-when", a->stop_when,
                   "stop training when a rule holds (status early_stopped, best checkpoint kept, exit 0), same "
                   "grammar as --alert (repeatable)");
    auto* sagemaker = app.add_flag("--sagemaker", a->sagemaker,
                 "run as a SageMaker training container: hyperparameters, channels and outputs under "
                 "--sagemaker-root; on failure the reason goes to <root>/output/failure")
        ->excludes(train, validation, test, data_options, hp_file, output, quiet);
    app.add_option("--sagemaker-root", a->sagemaker_root, "the SageMaker folder (default /opt/ml)")
        ->needs(sagemaker);
    app.footer("Example:\n  linlearn train --train data/breast_cancer.train.csv --validation "
               "data/breast_cancer.validation.csv \\\n    --hp predictor_type=binary_classifier -o out");
    return [a] { return a->sagemaker ? run_sagemaker(*a) : run_train(*a); };
}

}  // namespace linlearn::cli
