// sink-check: a plugin author's test bench. Each check prints one line, PASS, FAIL, WARN
// (a habit worth fixing that breaks nothing) or INFO; the checks run in a child process
// so that a crashing or hanging plugin still gets a report.
#include "sink_check.hpp"

#include <boost/dll/shared_library.hpp>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <functional>
#include <iterator>
#include <limits>
#include <sstream>
#include <system_error>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "linlearn/sink.h"

namespace linlearn::cli {
namespace fs = std::filesystem;

// ---- The synthetic run ----------------------------------------------------------------

namespace {
constexpr int64_t kStartMs = 1700000000000;  // 2023-11-14T22:13:20Z
constexpr uint32_t kUnknownKind = 99;

const char* const kMetricNames[] = {"objective_loss", "binary_classification_accuracy", "precision",
                                    "recall",         "binary_f_beta",                  "roc_auc_score"};
}  // namespace

const char* SyntheticRun::keep(std::string s) { return strings_.emplace_back(std::move(s)).c_str(); }

ll_event SyntheticRun::base(uint32_t kind, int epoch) {
    ll_event ev{};
    ev.struct_size = sizeof(ll_event);
    ev.kind = kind;
    ev.run_id = run_id;
    ev.epoch = epoch;
    ev.model = -1;
    ev.best_epoch = -1;
    ev.timestamp_ms = kStartMs + 1500 * (epoch + 1);
    ev.elapsed_s = 1.5 * (epoch + 1);
    return ev;
}

// Made-up values that differ by phase, model and epoch, with a NaN (an undefined precision).
ll_metric_set SyntheticRun::metric_set(uint32_t phase, int32_t model, int epoch) {
    const int m = model < 0 ? 0 : model;  // the best model is model 0 here
    std::vector<ll_metric>& metrics = metrics_.emplace_back();
    const double loss = 0.693147 / (1 + epoch) + 0.0123 * m + 0.017 * phase;
    const double accuracy = 0.61 + 0.0917 * epoch - 0.013 * m - 0.004 * phase;
    const double values[] = {loss,
                             accuracy,
                             (m == 1 && epoch == 1) ? std::nan("") : accuracy + 0.021,
                             accuracy - 0.033,
                             accuracy - 0.006,
                             accuracy + 0.1};
    for (size_t i = 0; i < std::size(kMetricNames); ++i) metrics.push_back({kMetricNames[i], values[i]});
    return {sizeof(ll_metric_set), phase, model, static_cast<uint32_t>(metrics.size()), metrics.data()};
}

const ll_metric_set* SyntheticRun::add_sets(const std::vector<ll_metric_set>& sets) {
    return sets_.emplace_back(sets).data();
}

SyntheticRun::SyntheticRun(int epochs, int models) {
    const std::pair<const char*, std::string> params[] = {
        {"predictor_type", "binary_classifier"}, {"loss", "logistic"},
        {"epochs", std::to_string(epochs)},      {"num_models", std::to_string(models)},
        {"f_beta", "1.0"},                        {"learning_rate", "0.1"},
        {"note", "a value, with \"quotes\""}};
    for (const auto& [key, value] : params) params_.push_back({key, keep(value)});

    ll_event start = base(LL_EVENT_RUN_START, -1);
    start.timestamp_ms = kStartMs;
    start.elapsed_s = 0;
    start.predictor_type = "binary_classifier";
    start.library_version = "0.0.0-sink-check";
    start.n_params = static_cast<uint32_t>(params_.size());
    start.params = params_.data();
    start.n_features = 4;
    start.n_train_rows = 100;
    start.n_validation_rows = 50;
    start.n_test_rows = 25;
    start.num_models = models;
    start.num_classes = 2;
    for (int32_t m = 0; m < models; ++m) {
        const std::vector<ll_param>& list = model_param_lists_.emplace_back(std::vector<ll_param>{
            {"optimizer", m % 2 ? "sgd" : "adam"}, {"learning_rate", keep(std::to_string(0.1 / (m + 1)))}});
        model_params_.push_back({sizeof(ll_model_params), m, static_cast<uint32_t>(list.size()), list.data()});
    }
    start.n_model_params = static_cast<uint32_t>(model_params_.size());
    start.model_params = model_params_.data();
    events_.push_back(start);

    const int last = epochs - 1;
    for (int epoch = 0; epoch < epochs; ++epoch) {
        std::vector<ll_metric_set> sets;
        for (uint32_t phase : {LL_PHASE_TRAIN, LL_PHASE_VALIDATION}) {
            for (int32_t model = 0; model < models; ++model) sets.push_back(metric_set(phase, model, epoch));
            sets.push_back(metric_set(phase, LL_MODEL_BEST, epoch));
        }
        ll_event ev = base(LL_EVENT_EPOCH_END, epoch);
        ev.n_metric_sets = static_cast<uint32_t>(sets.size());
        ev.metric_sets = add_sets(sets);
        ev.learning_rate = 0.1 * std::pow(0.99, epoch);
        ev.throughput = epoch == 0 ? std::numeric_limits<double>::infinity() : 12345.678 + epoch;
        events_.push_back(ev);
        if (epoch == 0) {
            ll_event diagnostic = base(LL_EVENT_DIAGNOSTIC, epoch);
            diagnostic.diagnostic_code = "diverging";
            diagnostic.message = "model 1 diverges; lower learning_rate";
            events_.push_back(diagnostic);
        }
        if (epoch == 1) {  // an alert rule fired (ll_trainer_add_alert)
            ll_event alert = base(LL_EVENT_DIAGNOSTIC, epoch);
            alert.model = 0;
            alert.diagnostic_code = "alert";
            alert.message = "alert 'validation:objective_loss > 0.2' fired at epoch 1: validation:objective_loss = 0.25";
            events_.push_back(alert);
        }
    }

    ll_event stop = base(LL_EVENT_EARLY_STOP, last);
    stop.model = 0;
    stop.message = "validation objective_loss did not improve for 3 epochs";
    events_.push_back(stop);

    const std::vector<ll_metric_set> final_sets = {metric_set(LL_PHASE_TRAIN, LL_MODEL_BEST, last),
                                                   metric_set(LL_PHASE_VALIDATION, LL_MODEL_BEST, last),
                                                   metric_set(LL_PHASE_TEST, LL_MODEL_BEST, last)};
    ll_event selected = base(LL_EVENT_MODEL_SELECTED, last);
    selected.model = 0;
    selected.best_epoch = last;
    selected.n_metric_sets = 2;  // train and validation: test comes at run end
    selected.metric_sets = add_sets(final_sets);
    events_.push_back(selected);

    ll_event end = base(LL_EVENT_RUN_END, last);
    end.status = LL_STATUS_EARLY_STOPPED;
    end.model = 0;
    end.best_epoch = last;
    end.model_path = "/tmp/sink-check/model.llm";
    end.n_metric_sets = 3;
    end.metric_sets = add_sets(final_sets);
    end.total_time_s = 1.5 * epochs + 0.25;
    end.sink_time_s = 0.0125;
    events_.push_back(end);

    // The sparse run: the same shapes with every optional pointer NULL.
    ll_event sparse_start = start;
    sparse_start.n_params = 0;
    sparse_start.params = nullptr;
    sparse_start.n_model_params = 0;
    sparse_start.model_params = nullptr;
    sparse_.push_back(sparse_start);
    sparse_.push_back(events_[1]);  // a full epoch 0: the columns of a CSV stay the same
    ll_event empty_epoch = base(LL_EVENT_EPOCH_END, 1);
    empty_epoch.learning_rate = 0.099;
    sparse_.push_back(empty_epoch);
    sparse_.push_back(base(LL_EVENT_DIAGNOSTIC, 1));
    ll_event sparse_end = base(LL_EVENT_RUN_END, 1);
    sparse_end.status = LL_STATUS_FAILED;
    sparse_.push_back(sparse_end);

    unknown_ = base(kUnknownKind, 0);
}

// ---- The checks ---------------------------------------------------------------------

namespace {

// Writes report lines to a file descriptor at once, so they survive a crash after them.
class Report {
public:
    explicit Report(int fd) : fd_(fd) {}
    void line(const char* tag, const std::string& text) {
        const std::string s = std::string("  ") + tag + "  " + text + "\n";
        for (size_t done = 0; done < s.size();) {
            const ssize_t n = ::write(fd_, s.data() + done, s.size() - done);
            if (n <= 0) return;
            done += static_cast<size_t>(n);
        }
    }
    bool check(bool ok, const std::string& text) {
        line(ok ? "PASS" : "FAIL", text);
        return ok;
    }

private:
    int fd_;
};

std::string quoted(const char* s) { return s ? "\"" + std::string(s) + "\"" : "NULL"; }

// Runs a call into the plugin; a C++ exception escaping it is a failure of its own.
bool no_throw(Report& report, const std::string& what, const std::function<void()>& call) {
    try {
        call();
        return true;
    } catch (const std::exception& e) {
        report.line("FAIL", what + " let an exception escape: " + e.what());
    } catch (...) {
        report.line("FAIL", what + " let an exception escape");
    }
    return false;
}

std::string version_text(uint32_t major, uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

// Loading and the version handshake; NULL when the plugin cannot be used further.
const ll_sink_plugin* handshake(Report& report, const boost::dll::shared_library& library) {
    if (!report.check(library.has(LL_SINK_ENTRY_SYMBOL), "exports " LL_SINK_ENTRY_SYMBOL)) return nullptr;
    auto& entry = library.get<const ll_sink_plugin*(uint32_t, uint32_t)>(LL_SINK_ENTRY_SYMBOL);

    const ll_sink_plugin* table = nullptr;
    if (!no_throw(report, "ll_sink_entry", [&] { table = entry(LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR); }))
        return nullptr;
    if (!report.check(table != nullptr, "ll_sink_entry(" + version_text(LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR) +
                                            ") returns a table"))
        return nullptr;
    const size_t min_size = offsetof(ll_sink_plugin, last_error) + sizeof(void*);
    if (!report.check(table->struct_size >= min_size,
                      "table size " + std::to_string(table->struct_size) + " bytes (ABI 1.0 needs " +
                          std::to_string(min_size) + ")"))
        return nullptr;
    if (!report.check(table->abi_major == LL_SINK_ABI_MAJOR,
                      "sink ABI " + version_text(table->abi_major, table->abi_minor) + ", host " +
                          version_text(LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR)))
        return nullptr;
    report.check(table->name && *table->name, "name " + quoted(table->name) + ", version " +
                                                  quoted(table->version) + ", description " +
                                                  quoted(table->description));
    if (!report.check(table->create && table->on_event && table->destroy, "create, on_event and destroy are set"))
        return nullptr;
    if (!table->flush) report.line("INFO", "no flush (optional)");
    if (!table->last_error) report.line("WARN", "no last_error: failures will carry no message");

    const ll_sink_plugin* again = nullptr;
    no_throw(report, "ll_sink_entry", [&] { again = entry(LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR); });
    report.check(again == table, "ll_sink_entry returns the same table every time");
    const ll_sink_plugin* foreign = table;
    no_throw(report, "ll_sink_entry", [&] { foreign = entry(999, 0); });
    report.check(!foreign || foreign->abi_major != 999,
                 "ll_sink_entry(999.0) returns NULL or a table a 999.x host refuses");
    return table;
}

// An ll_sink_config and the strings it points to. Not copyable: it points into itself.
class Config {
public:
    Config(const std::vector<std::pair<std::string, std::string>>& options, const std::string& plugin_path)
        : options_(options), plugin_path_(plugin_path) {
        for (const auto& [key, value] : options_) {
            keys_.push_back(key.c_str());
            values_.push_back(value.c_str());
        }
        config_ = {sizeof(ll_sink_config), static_cast<uint32_t>(keys_.size()),
                   keys_.empty() ? nullptr : keys_.data(), values_.empty() ? nullptr : values_.data(),
                   "sink-check", plugin_path_.c_str()};
    }
    Config(const Config&) = delete;
    Config& operator=(const Config&) = delete;
    const ll_sink_config* get() const { return &config_; }

private:
    std::vector<std::pair<std::string, std::string>> options_;
    std::string plugin_path_;
    std::vector<const char*> keys_, values_;
    ll_sink_config config_{};
};

void host_log(void*, int level, const char* message) {
    std::fprintf(stderr, "sink-check: plugin log (level %d): %s\n", level, message ? message : "(NULL)");
}

const ll_sink_host kHost = {sizeof(ll_sink_host), LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR, "linlearn sink-check",
                            "0.0.0", nullptr, &host_log};

// create() with these options: the instance, or NULL with the plugin's message in error.
void* try_create(Report& report, const ll_sink_plugin& table, const Config& config, std::string& error,
                 bool& created) {
    char buffer[1024] = "";
    void* instance = nullptr;
    int status = 1;
    created = no_throw(report, "create",
                       [&] { status = table.create(config.get(), &kHost, &instance, buffer, sizeof buffer); }) &&
              status == 0;
    buffer[sizeof buffer - 1] = '\0';
    error = buffer;
    return instance;
}

void destroy(Report& report, const ll_sink_plugin& table, void* instance) {
    no_throw(report, "destroy", [&] { table.destroy(instance); });
}

// An unknown option and a tiny error buffer: refused, with a message that fits.
void check_create_errors(Report& report, const ll_sink_plugin& table, const std::string& path) {
    const Config config({{"sink_check_unknown_option", "1"}}, path);
    constexpr size_t kSmall = 24;
    char buffer[kSmall + 16];
    std::memset(buffer, '#', sizeof buffer);
    void* instance = nullptr;
    int status = 0;
    if (!no_throw(report, "create", [&] {
            status = table.create(config.get(), &kHost, &instance, buffer, kSmall);
        }))
        return;
    if (status == 0) {
        report.line("WARN", "create accepts the unknown option sink_check_unknown_option=1: refuse unknown "
                            "keys, so that a typo stops the run before training");
        destroy(report, table, instance);
        return;
    }
    const bool terminated = std::memchr(buffer, '\0', kSmall) != nullptr;
    bool intact = true;
    for (size_t i = kSmall; i < sizeof buffer; ++i) intact = intact && buffer[i] == '#';
    report.check(terminated && intact && buffer[0] != '\0',
                 "create refuses an unknown option with a message within error_size (" +
                     std::to_string(kSmall) + " bytes): " +
                     (terminated ? quoted(buffer) : std::string("not NUL-terminated")) +
                     (intact ? "" : ", and wrote past error_size"));
}

const char* kind_name(uint32_t kind) {
    static const char* const names[] = {"?", "run_start", "epoch_end", "early_stop", "model_selected",
                                        "diagnostic", "run_end"};
    return kind < std::size(names) ? names[kind] : "unknown kind";
}

bool send(Report& report, const ll_sink_plugin& table, void* instance, const ll_event& ev,
          const std::string& what) {
    int status = 1;
    if (!no_throw(report, "on_event(" + what + ")", [&] { status = table.on_event(instance, &ev); }))
        return false;
    const char* error = nullptr;
    if (status != 0 && table.last_error) no_throw(report, "last_error", [&] { error = table.last_error(instance); });
    return report.check(status == 0, "on_event(" + what + ")" + (status ? " failed: " + quoted(error) : ""));
}

void drive(Report& report, const ll_sink_plugin& table, void* instance) {
    const SyntheticRun run;
    for (const ll_event& ev : run.events())
        send(report, table, instance, ev,
             std::string(kind_name(ev.kind)) + (ev.kind == LL_EVENT_EPOCH_END ? " " + std::to_string(ev.epoch) : ""));
    send(report, table, instance, run.unknown_event(), "an unknown kind: ignored");
    for (const ll_event& ev : run.sparse_events())
        send(report, table, instance, ev, "second run, " + std::string(kind_name(ev.kind)) + " " +
                                              (ev.n_metric_sets ? "" : "without metrics, ") + "NULL pointers");

    int status = 1;
    if (!no_throw(report, "on_event(NULL)", [&] { status = table.on_event(instance, nullptr); })) return;
    const char* error = nullptr;
    if (table.last_error) no_throw(report, "last_error", [&] { error = table.last_error(instance); });
    report.check(status != 0, "on_event(NULL) fails (returned " + std::to_string(status) + ")");
    if (table.last_error)
        report.check(error && *error, "last_error after the failure: " + quoted(error));
    if (table.flush) {
        no_throw(report, "flush", [&] { status = table.flush(instance); });
        report.check(status == 0, "flush");
    }
}

void list_outputs(Report& report, const fs::path& folder) {
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(folder, ec))
        report.line("INFO", "wrote " + entry.path().filename().string() + " (" +
                                std::to_string(entry.is_regular_file() ? entry.file_size(ec) : 0) + " bytes)");
}

// Every check, in order; stops where going on makes no sense.
void run_checks(Report& report, const fs::path& path, const fs::path& scratch) {
    boost::dll::shared_library library;
    try {
        library.load(path, boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local);
        report.check(true, "loads as a shared library");
    } catch (const std::exception& e) {
        report.check(false, std::string("loads as a shared library: ") + e.what());
        return;
    }
    const ll_sink_plugin* table = handshake(report, library);
    if (!table) return;
    check_create_errors(report, *table, path.string());

    // Plugins that write files get path=; the built-in json and csv sinks need it.
    std::string error, first_error;
    bool created = false;
    void* instance = try_create(report, *table, Config({}, path.string()), first_error, created);
    if (!created) {
        const std::string out = (scratch / "sink-check.out").string();
        report.line("INFO", "create with no options refused (" + quoted(first_error.c_str()) + "); trying path=" + out);
        instance = try_create(report, *table, Config({{"path", out}}, path.string()), error, created);
    }
    if (!report.check(created, "create" + (created ? std::string() : ": " + quoted(error.c_str())))) return;
    drive(report, *table, instance);
    destroy(report, *table, instance);
    report.check(true, "destroy");
    destroy(report, *table, nullptr);
    report.check(true, "destroy(NULL)");
    list_outputs(report, scratch);
}

// Runs the checks in a child process and returns its report, with a last FAIL line if
// the child did not end normally (the plugin crashed, hung or aborted).
std::string run_isolated(const fs::path& path, const std::string& scratch) {
    int pipe_fds[2];
    if (::pipe(pipe_fds) != 0) return "  FAIL  cannot set up the check: " + std::string(std::strerror(errno)) + "\n";
    std::fflush(nullptr);  // nothing buffered may be written twice by the child
    const pid_t child = ::fork();
    const int fork_errno = errno;
    if (child == 0) {  // the plugin's stdout goes to a file, the report to the pipe
        ::close(pipe_fds[0]);
        const int sink_out = ::open((scratch + "/stdout.txt").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (sink_out >= 0) ::dup2(sink_out, STDOUT_FILENO);
        ::alarm(60);  // a hanging plugin is killed and reported
        Report report(pipe_fds[1]);
        run_checks(report, path, scratch);
        std::fflush(nullptr);
        ::_exit(0);
    }
    ::close(pipe_fds[1]);
    std::string text;
    char buffer[4096];
    for (ssize_t n; (n = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0;) text.append(buffer, n);
    ::close(pipe_fds[0]);
    if (child < 0) return text + "  FAIL  cannot start the check: " + std::strerror(fork_errno) + "\n";

    int status = 0;
    ::waitpid(child, &status, 0);
    if (WIFSIGNALED(status))
        text += "  FAIL  the plugin crashed or hung (signal " + std::to_string(WTERMSIG(status)) + ", " +
                strsignal(WTERMSIG(status)) + ") after the last line above\n";
    else if (WEXITSTATUS(status) != 0)
        text += "  FAIL  the check process exited with status " + std::to_string(WEXITSTATUS(status)) +
                " after the last line above\n";
    return text;
}

}  // namespace

int sink_check(const std::string& path_text, std::ostream& out) {
    std::error_code ec;
    const fs::path path = fs::absolute(path_text, ec).lexically_normal();
    out << "sink-check " << path.string() << " (host sink ABI " << LL_SINK_ABI_MAJOR << "." << LL_SINK_ABI_MINOR
        << ")" << std::endl;

    std::string scratch = (fs::temp_directory_path(ec) / "linlearn-sink-check-XXXXXX").string();
    const std::string text = ::mkdtemp(scratch.data())
                                 ? run_isolated(path, scratch)
                                 : "  FAIL  cannot make a scratch folder: " + std::string(std::strerror(errno)) + "\n";
    fs::remove_all(scratch, ec);

    size_t failures = 0;
    for (size_t at = text.find("  FAIL  "); at != std::string::npos; at = text.find("  FAIL  ", at + 1)) ++failures;
    out << text << "result: " << (failures ? "FAIL (" + std::to_string(failures) + " failed)" : std::string("PASS"))
        << "\n";
    return failures ? 1 : 0;
}

}  // namespace linlearn::cli
