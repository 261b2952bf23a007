// The prometheus sink: the .prom file and Pushgateway pushes, on synthetic runs and on a
// real training run through the C ABI. A real prometheus-pushgateway (Debian's package)
// is started by the tests on a free loopback port and stopped after each; what it holds
// is read back from its API (/api/v1/metrics), which shows the label values as its own
// parser decoded them. The .prom files land in <output>/tracking/prometheus, where
// check_prometheus.py (test sink_prometheus_promtool) runs `promtool check metrics`.
#include <doctest/doctest.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "error.hpp"
#include "helpers.hpp"
#include "linlearn/linlearn.h"
#include "sink_check.hpp"
#include "sink_host.hpp"

using linlearn::Error;
using linlearn::capi::SinkHost;
using linlearn::cli::SyntheticRun;
using namespace sink_tests;
using Clock = std::chrono::steady_clock;

namespace {

// Every character the text format must escape in a label value, and a '/' the
// Pushgateway's grouping key must encode.
const char* const kTrickyRunId = "run \"7\" C:\\tmp\nnext/line";

std::string prom_output(const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path(SINK_TRACKING_OUTPUT) / "prometheus" / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
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

// ---- Samples, as "name{label=value,...}" (labels sorted, values unescaped) → value ----------

using Samples = std::map<std::string, double>;
using Labels = std::vector<std::pair<std::string, std::string>>;

std::string sample_key(const std::string& name, Labels labels) {
    std::sort(labels.begin(), labels.end());
    std::string out = name + "{";
    for (const auto& [k, v] : labels) out += k + "=" + v + ",";
    return out + "}";
}

double parse_value(const std::string& text) {
    if (text == "NaN") return std::nan("");
    if (text == "+Inf") return INFINITY;
    if (text == "-Inf") return -INFINITY;
    double v = 0;
    const auto result = std::from_chars(text.data(), text.data() + text.size(), v);
    REQUIRE_MESSAGE(result.ptr == text.data() + text.size(), "not a number: '" << text << "'");
    return v;
}

// The text format read back: escapes undone, every sample once.
Samples parse_exposition(const std::string& text) {
    Samples out;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        INFO(line);
        size_t at = line.find_first_of("{ ");
        REQUIRE(at != std::string::npos);
        const std::string name = line.substr(0, at);
        Labels labels;
        if (line[at] == '{') {
            ++at;
            while (line[at] != '}') {
                const size_t eq = line.find("=\"", at);
                REQUIRE(eq != std::string::npos);
                std::string value;
                size_t i = eq + 2;
                for (; line.at(i) != '"'; ++i) {
                    if (line[i] != '\\') {
                        value += line[i];
                        continue;
                    }
                    const char c = line.at(++i);
                    REQUIRE_MESSAGE((c == '\\' || c == '"' || c == 'n'), "bad escape \\" << c);
                    value += c == 'n' ? '\n' : c;
                }
                labels.emplace_back(line.substr(at, eq - at), value);
                at = line[i + 1] == ',' ? i + 2 : i + 1;
            }
            ++at;
        }
        REQUIRE(line.at(at) == ' ');
        const std::string key = sample_key(name, labels);
        CHECK_MESSAGE(out.count(key) == 0, "twice: " << key);
        out[key] = parse_value(line.substr(at + 1));
    }
    return out;
}

// The gauges after these events, as run_gauges.hpp (and docs/plugins.md) list them.
Samples expected_samples(const std::vector<Recorded>& events, bool per_model) {
    static const char* const phases[] = {"train", "validation", "test"};
    Samples out;
    std::string run_id;
    int alerts = 0;
    const auto run = [&](const std::string& name, double v) { out[sample_key("linlearn_run_" + name, {{"run_id", run_id}})] = v; };
    const auto metrics = [&](const RecordedSet& set, const std::string& model) {
        for (const auto& [name, value] : set.metrics)
            out[sample_key("linlearn_" + name, {{"run_id", run_id}, {"phase", phases[set.phase]}, {"model", model}})] = value;
    };
    for (const Recorded& ev : events) {
        run_id = ev.run_id;
        if (ev.kind == LL_EVENT_RUN_START) {
            out.clear();
            out[sample_key("linlearn_run_info", {{"run_id", run_id},
                                                 {"predictor_type", ev.predictor_type},
                                                 {"library_version", ev.library_version}})] = 1;
            run("status", LL_STATUS_RUNNING);
            alerts = 0;
            run("alerts", alerts);
        } else if (ev.kind == LL_EVENT_DIAGNOSTIC && ev.diagnostic_code == "alert") {
            run("alerts", ++alerts);
        } else if (ev.kind == LL_EVENT_EPOCH_END) {
            run("epoch", ev.epoch);
            run("elapsed_seconds", ev.elapsed_s);
            run("learning_rate", ev.learning_rate);
            run("throughput_rows_per_second", ev.throughput);
            for (const RecordedSet& set : ev.sets)
                if (set.model < 0 || per_model) metrics(set, set.model < 0 ? "best" : std::to_string(set.model));
        } else if (ev.kind == LL_EVENT_RUN_END) {
            run("status", ev.status);
            run("best_epoch", ev.best_epoch);
            run("selected_model", ev.model);
            run("total_seconds", ev.total_time_s);
            run("sink_seconds", ev.sink_time_s);
            for (const RecordedSet& set : ev.sets) metrics(set, "final");
        }
    }
    return out;
}

void check_samples(const Samples& written, const Samples& wanted) {
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

std::vector<ll_event> with_run_id(const std::vector<ll_event>& events, const char* run_id) {
    std::vector<ll_event> out = events;
    for (ll_event& ev : out) ev.run_id = run_id;
    return out;
}

// ---- Outside processes ----------------------------------------------------------------

struct Command {
    int status;
    std::string output;
};

Command run_command(const std::string& command) {
    Command c{-1, ""};
    std::FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
    REQUIRE(pipe);
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0;) c.output.append(buffer, n);
    const int status = ::pclose(pipe);
    c.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return c;
}

// An HTTP request made by Python's urllib, not by the code under test.
Command python_http(const std::string& method, const std::string& url, const std::string& body = "") {
    return run_command(std::string(SINK_PYTHON3) +
                       " -c 'import sys, urllib.request as u; r = u.Request(sys.argv[2], method=sys.argv[1], "
                       "data=sys.argv[3].encode() or None); sys.stdout.write(u.urlopen(r, timeout=5).read().decode())' " +
                       method + " '" + url + "' '" + body + "'");
}

// A loopback port nothing listens on now (the kernel's pick for port 0).
int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

bool accepts_connections(int port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(fd);
    return ok;
}

// Debian's prometheus-pushgateway on a free loopback port, in memory only, for one scope.
// Every wait is bounded; the gateway dies with the test process (PR_SET_PDEATHSIG).
class Gateway {
public:
    explicit Gateway(const std::string& log) {
        std::string why;
        for (int attempt = 0; attempt < 3 && pid_ <= 0; ++attempt) why = start(free_port(), log);
        REQUIRE_MESSAGE(pid_ > 0, why);
    }
    ~Gateway() {
        if (pid_ <= 0) return;
        ::kill(pid_, SIGTERM);
        const auto deadline = Clock::now() + std::chrono::seconds(5);
        while (::waitpid(pid_, nullptr, WNOHANG) == 0) {
            if (Clock::now() > deadline) {
                ::kill(pid_, SIGKILL);
                ::waitpid(pid_, nullptr, 0);
                break;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
    Gateway(const Gateway&) = delete;
    Gateway& operator=(const Gateway&) = delete;

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // The API's view of one group: its samples (without the gateway's own push_*_seconds)
    // and the values of its grouping labels.
    Samples group(const std::string& job, const std::string& run_id) const {
        const Command got = python_http("GET", url() + "/api/v1/metrics");
        REQUIRE_MESSAGE(got.status == 0, got.output);
        const Json api = Json::parse(got.output);
        REQUIRE(api.at("status") == "success");
        for (const Json& g : api.at("data")) {
            if (g.at("labels").value("job", "") != job || g.at("labels").value("run_id", "") != run_id) continue;
            Samples out;
            for (const auto& [name, family] : g.items()) {
                if (!family.is_object() || !family.contains("metrics") || name.rfind("push_", 0) == 0) continue;
                for (const Json& m : family.at("metrics")) {
                    Labels labels;
                    for (const auto& [k, v] : m.at("labels").items())
                        if (k != "job" && k != "instance") labels.emplace_back(k, v.get<std::string>());
                    out[sample_key(name, labels)] = parse_value(m.at("value"));
                }
            }
            return out;
        }
        FAIL("no group job=" << job << ", run_id=" << run_id << " in " << got.output);
        return {};
    }

private:
    // Starts the gateway on port; "" once it accepts connections, else why not.
    std::string start(int port, const std::string& log) {
        const pid_t pid = ::fork();
        if (pid == 0) {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(fd, STDOUT_FILENO);
            ::dup2(fd, STDERR_FILENO);
            const std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(port);
            ::execlp("prometheus-pushgateway", "prometheus-pushgateway", listen.c_str(), "--persistence.file=",
                     "--log.level=warn", static_cast<char*>(nullptr));
            ::_exit(127);
        }
        REQUIRE(pid > 0);
        const auto deadline = Clock::now() + std::chrono::seconds(10);
        while (Clock::now() < deadline) {
            int status = 0;
            if (::waitpid(pid, &status, WNOHANG) == pid) {
                const bool missing = WIFEXITED(status) && WEXITSTATUS(status) == 127;  // exec failed
                REQUIRE_MESSAGE(!missing, "prometheus-pushgateway is not installed: scripts/install-deps.sh installs it");
                return "prometheus-pushgateway exited: see " + log;
            }
            if (accepts_connections(port)) {
                pid_ = pid;
                port_ = port;
                return "";
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        ::kill(pid, SIGKILL);
        ::waitpid(pid, nullptr, 0);
        return "prometheus-pushgateway did not listen within 10 s: see " + log;
    }

    pid_t pid_ = -1;
    int port_ = 0;
};

}  // namespace

TEST_CASE("prometheus: the .prom file holds the run's latest values, replaced whole at each event") {
    const std::string dir = prom_output("synthetic");
    const SyntheticRun run;
    SinkHost host;
    host.add("prometheus:path=" + dir + "/linlearn.prom");
    CHECK(read_file(dir + "/linlearn.prom").empty());  // created at once, empty: valid
    for (const ll_event& ev : run.events()) {
        CHECK(host.dispatch(ev).empty());
        if (ev.kind == LL_EVENT_EPOCH_END)
            CHECK(read_file(dir + "/linlearn.prom").find("\nlinlearn_run_epoch{run_id=\"sink-check-run\"} " +
                                                          std::to_string(ev.epoch) + "\n") != std::string::npos);
    }
    CHECK(host.flush().empty());
    const std::string text = read_file(dir + "/linlearn.prom");
    check_samples(parse_exposition(text), expected_samples(record_all(run.events()), false));
    CHECK(text.find("# HELP linlearn_objective_loss ") != std::string::npos);
    CHECK(text.find("# TYPE linlearn_objective_loss gauge\n") != std::string::npos);
    CHECK(text.find("model=\"0\"") == std::string::npos);  // per_model=false
    // No temporary file is left beside it (node_exporter reads every *.prom of the folder).
    size_t files = 0;
    for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir)) ++files;
    CHECK(files == 1);
}

TEST_CASE("prometheus: per_model=true, label values escaped, metric names made valid") {
    const std::string dir = prom_output("escaped");
    const SyntheticRun run(2, 2);  // the last epoch has model 1's NaN precision
    ll_metric odd[] = {{"binary_f_1.000", 0.5}, {"top-k accuracy", 0.25}, {"x:y", 1}, {"caf\xc3\xa9", 2}};
    const ll_metric_set odd_set = {sizeof(ll_metric_set), LL_PHASE_VALIDATION, LL_MODEL_BEST, 4, odd};
    ll_event odd_epoch{};
    odd_epoch.struct_size = sizeof odd_epoch;
    odd_epoch.kind = LL_EVENT_EPOCH_END;
    odd_epoch.run_id = kTrickyRunId;
    odd_epoch.epoch = 7;
    odd_epoch.n_metric_sets = 1;
    odd_epoch.metric_sets = &odd_set;
    {
        SinkHost host;
        host.add("prometheus:path=" + dir + "/escaped.prom,per_model=true");
        for (const ll_event& ev : with_run_id(run.events(), kTrickyRunId)) CHECK(host.dispatch(ev).empty());
        CHECK(host.dispatch(odd_epoch).empty());
    }
    const std::string text = read_file(dir + "/escaped.prom");
    CHECK(text.find("linlearn_run_epoch{run_id=\"run \\\"7\\\" C:\\\\tmp\\nnext/line\"} 7\n") != std::string::npos);
    for (const char* name : {"linlearn_binary_f_1_000{", "linlearn_top_k_accuracy{", "linlearn_x_y{", "linlearn_caf__{"})
        CHECK_MESSAGE(text.find(std::string("\n") + name) != std::string::npos, name);
    CHECK(text.find("model=\"1\"") != std::string::npos);  // per_model=true
    CHECK(text.find("NaN") != std::string::npos);  // model 1's undefined precision: a valid value here
    const Samples samples = parse_exposition(text);
    CHECK(samples.at(sample_key("linlearn_top_k_accuracy",
                                {{"run_id", kTrickyRunId}, {"phase", "validation"}, {"model", "best"}})) == 0.25);
}

TEST_CASE("prometheus: a run pushed to a real Pushgateway reads back the same, tricky run id included") {
    const std::string dir = prom_output("pushed");
    const Gateway gateway(scratch_dir("pushgateway_synthetic") + "/gateway.log");
    const SyntheticRun run;
    const std::vector<ll_event> events = with_run_id(run.events(), kTrickyRunId);
    {
        SinkHost host;
        host.add("prometheus:push=" + gateway.url() + ",job=linlearn-test,path=" + dir + "/pushed.prom");
        for (size_t i = 0; i < events.size(); ++i) {
            CHECK(host.dispatch(events[i]).empty());
            if (events[i].kind == LL_EVENT_EPOCH_END)  // pushed at once, each epoch
                check_samples(gateway.group("linlearn-test", kTrickyRunId),
                              expected_samples(record_all({events.begin(), events.begin() + i + 1}), false));
        }
    }
    const Samples wanted = expected_samples(record_all(events), false);
    check_samples(gateway.group("linlearn-test", kTrickyRunId), wanted);
    check_samples(parse_exposition(read_file(dir + "/pushed.prom")), wanted);
}

TEST_CASE("prometheus: a push the Pushgateway refuses, or that gets no answer, fails with a message") {
    const Gateway gateway(scratch_dir("pushgateway_refuses") + "/gateway.log");
    // Another group has linlearn_run_epoch as a counter: the gateway refuses our gauge (400).
    const Command pushed = python_http("PUT", gateway.url() + "/metrics/job/other/run_id/x",
                                       "# TYPE linlearn_run_epoch counter\nlinlearn_run_epoch 3\n");
    REQUIRE_MESSAGE(pushed.status == 0, pushed.output);
    const SyntheticRun run;
    SinkHost host;
    host.add("prometheus:push=" + gateway.url() + ",job=linlearn-refused,on_error=fail");
    CHECK(host.dispatch(run.events()[0]).empty());  // run_start: no linlearn_run_epoch yet
    try {
        host.dispatch(run.events()[1]);
        FAIL("the push was accepted");
    } catch (const Error& e) {
        const std::string message = e.what();
        INFO(message);
        CHECK(message.find("sink 'prometheus': the Pushgateway at " + gateway.url() +
                           " refused the push to /metrics/job/linlearn-refused/run_id/sink-check-run: HTTP 400: ") == 0);
        // The gateway's own words; which conflicting metric it names first varies.
        CHECK(message.find("inconsistent with existing metrics") != std::string::npos);
    }

    // A server that takes the connection and never answers: bounded by timeout_s.
    const int silent = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    REQUIRE(::bind(silent, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(::listen(silent, 4) == 0);
    REQUIRE(::getsockname(silent, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    SinkHost waiting;
    waiting.add("prometheus:push=http://127.0.0.1:" + std::to_string(ntohs(a.sin_port)) + ",timeout_s=0.3,on_error=fail");
    const auto start = Clock::now();
    try {
        waiting.dispatch(run.events()[0]);
        FAIL("no timeout");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("timed out waiting for the answer") != std::string::npos);
    }
    CHECK(Clock::now() - start < std::chrono::seconds(3));
    ::close(silent);
}

TEST_CASE("prometheus: bad options, and a gateway that is not there, are refused at create") {
    const std::string unknown = create_error("prometheus:path=/tmp/x.prom,pushh=http://127.0.0.1:9");
    CHECK(unknown.find("sink 'prometheus': unknown option 'pushh' (known: path, push, job, per_model, timeout_s)") == 0);
    CHECK(create_error("prometheus").find("give path= (a .prom file) and/or push= (a Pushgateway)") != std::string::npos);
    CHECK(create_error("prometheus:push=https://gw:9091").find("only http:// is supported") != std::string::npos);
    CHECK(create_error("prometheus:push=http://:9091").find("no host") != std::string::npos);
    CHECK(create_error("prometheus:push=http://gw:99999").find("port must be a number from 1 to 65535") !=
          std::string::npos);
    CHECK(create_error("prometheus:push=http://gw:9091?x=1").find("no query") != std::string::npos);
    CHECK(create_error("prometheus:path=/tmp/x.prom,job=j").find("job= is for push=") != std::string::npos);
    CHECK(create_error("prometheus:push=http://127.0.0.1:9,timeout_s=soon").find("timeout_s must be a number") !=
          std::string::npos);
    CHECK(create_error("prometheus:push=http://127.0.0.1:9,job=").find("job must not be empty") != std::string::npos);
    const int port = free_port();
    CHECK(create_error("prometheus:push=http://127.0.0.1:" + std::to_string(port))
              .find("cannot connect to 127.0.0.1:" + std::to_string(port) + ": Connection refused") != std::string::npos);
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

TEST_CASE("prometheus: a real training run through the C ABI, pushed and written, per model") {
    const std::string dir = prom_output("training");
    const Gateway gateway(scratch_dir("pushgateway_training") + "/gateway.log");
    std::vector<Recorded> events;
    ll_trainer* t = nullptr;
    REQUIRE(ll_trainer_create(&t) == LL_OK);
    for (const auto& [k, v] : {std::pair<const char*, const char*>{"predictor_type", "regressor"},
                               {"epochs", "4"}, {"num_models", "3"}})
        REQUIRE(ll_trainer_set(t, k, v) == LL_OK);
    REQUIRE(ll_trainer_set_callback(t, record_event, &events) == LL_OK);
    const std::string spec = "prometheus:path=" + dir + "/training.prom,push=" + gateway.url() + ",per_model=true";
    REQUIRE_MESSAGE(ll_trainer_add_sink(t, spec.c_str()) == LL_OK, ll_last_error());
    ll_dataset* train = load("diabetes.train.csv");
    ll_dataset* validation = load("diabetes.validation.csv");
    ll_dataset* test = load("diabetes.test.csv");
    ll_model* model = nullptr;
    const int status = ll_trainer_fit(t, train, validation, test, &model);
    CHECK_MESSAGE(status == LL_OK, ll_last_error());
    ll_model_free(model);
    ll_dataset_free(test);
    ll_dataset_free(validation);
    ll_dataset_free(train);
    ll_trainer_free(t);

    REQUIRE(events.size() >= 6);
    for (const Recorded& ev : events) CHECK(ev.message.find("sink 'prometheus'") == std::string::npos);
    const Samples wanted = expected_samples(events, true);
    CHECK(wanted.count(sample_key("linlearn_rmse", {{"run_id", events[0].run_id}, {"phase", "test"}, {"model", "final"}})) == 1);
    check_samples(gateway.group("linlearn", events[0].run_id), wanted);
    check_samples(parse_exposition(read_file(dir + "/training.prom")), wanted);
}
