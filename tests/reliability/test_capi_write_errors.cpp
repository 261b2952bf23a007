// Write errors while saving artifacts: reported with LL_E_IO (or LL_E_PLUGIN for a sink
// set to on_error=fail), the previous file left in place, no temporary file left behind,
// and the run's last event a run_end with status failed.
//
// The tests run as root in CI, where a read-only folder does not stop a write. Instead:
//  - RLIMIT_FSIZE (soft limit lowered, SIGXFSZ ignored): a write past it fails with
//    EFBIG, as a full disk fails with ENOSPC; works for any user.
//  - a path whose parent is a regular file: ENOTDIR.
//  - /dev/full for a sink's line file: every write fails with ENOSPC. (Never as a
//    model_path or metrics= path: those are replaced by a rename, which would replace
//    the device node.)
#include <sys/resource.h>

#include <csignal>
#include <cstring>
#include <filesystem>

#include "capi_util.hpp"

using namespace rel;

namespace {

// Lowers the soft file-size limit for its lifetime and ignores SIGXFSZ, so that a write
// past the limit fails with EFBIG instead of killing the process.
class FileSizeLimit {
public:
    explicit FileSizeLimit(rlim_t bytes) {
        REQUIRE(::getrlimit(RLIMIT_FSIZE, &saved_) == 0);
        rlimit lowered = saved_;
        lowered.rlim_cur = bytes;
        REQUIRE(::setrlimit(RLIMIT_FSIZE, &lowered) == 0);
        previous_handler_ = std::signal(SIGXFSZ, SIG_IGN);
    }
    ~FileSizeLimit() {
        ::setrlimit(RLIMIT_FSIZE, &saved_);
        std::signal(SIGXFSZ, previous_handler_);
    }
    FileSizeLimit(const FileSizeLimit&) = delete;
    FileSizeLimit& operator=(const FileSizeLimit&) = delete;

private:
    rlimit saved_{};
    void (*previous_handler_)(int) = SIG_DFL;
};

struct RunEnd {
    int run_ends = 0;
    uint32_t status = 0;
    std::string message;
    std::vector<std::string> sink_failures;  // diagnostic sink_failed messages
};

int record(const ll_event* e, void* user) {
    auto* r = static_cast<RunEnd*>(user);
    if (e->kind == LL_EVENT_RUN_END) {
        ++r->run_ends;
        r->status = e->status;
        r->message = e->message ? e->message : "";
    }
    if (e->kind == LL_EVENT_DIAGNOSTIC && e->diagnostic_code && std::strcmp(e->diagnostic_code, "sink_failed") == 0)
        r->sink_failures.emplace_back(e->message ? e->message : "");
    return 0;
}

Trainer small_trainer(uint32_t seed) {
    return trainer({{"predictor_type", "binary_classifier"}, {"epochs", "2"}, {"num_models", "2"},
                    {"seed", std::to_string(seed).c_str()}});
}

}  // namespace

TEST_CASE("a file-size limit (as a full disk) while saving a model keeps the previous model") {
    const Table data = synthetic(200, 40, 2, 31);
    const Dataset ds = data.dataset();
    Trainer first = small_trainer(1), second = small_trainer(2);
    const Model m1 = fit(first.get(), ds.get()), m2 = fit(second.get(), ds.get());
    TempDir dir;
    const std::string path = dir.path("model.llmodel");
    REL_OK(ll_model_save(m1.get(), path.c_str()));
    const std::string before = read_bytes(path);
    REQUIRE(before.size() > 600);

    SUBCASE("ll_model_save") {
        int status = 0;
        std::string message;
        {
            FileSizeLimit limit(512);
            status = ll_model_save(m2.get(), path.c_str());
            message = ll_last_error();
        }
        CHECK(status == LL_E_IO);
        CHECK(message.find("ll_model_save: cannot write '" + path + "': File too large") != std::string::npos);
    }
    SUBCASE("ll_trainer_fit with model_path: the run ends failed, with the reason") {
        REL_OK(ll_trainer_set_option(second.get(), "model_path", path.c_str()));
        RunEnd end;
        REL_OK(ll_trainer_set_callback(second.get(), record, &end));
        ll_model* m = nullptr;
        int status = 0;
        std::string message;
        {
            FileSizeLimit limit(512);
            status = ll_trainer_fit(second.get(), ds.get(), nullptr, nullptr, &m);
            message = ll_last_error();
        }
        CHECK(status == LL_E_IO);
        CHECK(m == nullptr);
        CHECK(message.find("cannot write '" + path + "': File too large") != std::string::npos);
        CHECK(end.run_ends == 1);
        CHECK(end.status == LL_STATUS_FAILED);
        CHECK(end.message.find("File too large") != std::string::npos);
    }
    CHECK(read_bytes(path) == before);  // the previous model, whole
    CHECK(dir.names() == std::vector<std::string>{"model.llmodel"});  // no temporary file left
    ll_model* loaded = nullptr;
    REL_OK(ll_model_load(path.c_str(), &loaded));
    ll_model_free(loaded);
}

TEST_CASE("a model path under a regular file, or in a missing folder, is an I/O error naming it") {
    const Table data = synthetic(100, 5, 2, 32);
    const Dataset ds = data.dataset();
    Trainer t = small_trainer(3);
    TempDir dir;
    const std::string file = dir.write("plain-file", "x");
    for (const std::string& path : {file + "/model.llmodel", dir.path("missing/model.llmodel")}) {
        CAPTURE(path);
        REL_OK(ll_trainer_set_option(t.get(), "model_path", path.c_str()));
        RunEnd end;
        REL_OK(ll_trainer_set_callback(t.get(), record, &end));
        ll_model* m = nullptr;
        REL_ERROR(ll_trainer_fit(t.get(), ds.get(), nullptr, nullptr, &m), LL_E_IO, path.c_str());
        CHECK(m == nullptr);
        CHECK(end.status == LL_STATUS_FAILED);
        CHECK(end.run_ends == 1);
    }
    CHECK(read_bytes(file) == "x");
    CHECK(dir.names() == std::vector<std::string>{"plain-file"});
}

TEST_CASE("a sink whose file is full: on_error=warn reports it and trains on, on_error=fail stops the run") {
    REQUIRE(std::filesystem::exists("/dev/full"));
    const Table data = synthetic(120, 5, 2, 33);
    const Dataset ds = data.dataset();
    TempDir dir;
    const std::string model_path = dir.path("model.llmodel");

    SUBCASE("warn (the default)") {
        Trainer t = small_trainer(4);
        REL_OK(ll_trainer_add_sink(t.get(), "json:path=/dev/full"));
        REL_OK(ll_trainer_set_option(t.get(), "model_path", model_path.c_str()));
        RunEnd end;
        REL_OK(ll_trainer_set_callback(t.get(), record, &end));
        const Model m = fit(t.get(), ds.get());
        REQUIRE(end.sink_failures.size() == 1);  // reported once, then the sink is off
        CHECK(end.sink_failures[0].find("sink 'json'") != std::string::npos);
        CHECK(end.sink_failures[0].find("No space left on device") != std::string::npos);
        CHECK(end.status != LL_STATUS_FAILED);
        ll_model* loaded = nullptr;
        REL_OK(ll_model_load(model_path.c_str(), &loaded));
        ll_model_free(loaded);
    }
    SUBCASE("fail") {
        Trainer t = small_trainer(5);
        REL_OK(ll_trainer_add_sink(t.get(), "json:path=/dev/full,on_error=fail"));
        REL_OK(ll_trainer_set_option(t.get(), "model_path", model_path.c_str()));
        RunEnd end;
        REL_OK(ll_trainer_set_callback(t.get(), record, &end));
        ll_model* m = nullptr;
        REL_ERROR(ll_trainer_fit(t.get(), ds.get(), nullptr, nullptr, &m), LL_E_PLUGIN, "sink 'json'",
                  "No space left on device");
        CHECK(m == nullptr);
        CHECK(end.run_ends == 1);
        CHECK(end.status == LL_STATUS_FAILED);
        CHECK(!std::filesystem::exists(model_path));  // the run stopped before a model was made
    }
}

TEST_CASE("a sink's final metrics file that cannot be written leaves the previous one") {
    const Table data = synthetic(120, 5, 2, 34);
    const Dataset ds = data.dataset();
    TempDir dir;
    const std::string metrics = dir.path("metrics.json");
    const std::string previous = "{\"previous\": true}\n";
    dir.write("metrics.json", previous);
    Trainer t = small_trainer(6);
    // The event lines go to /dev/null (no size limit applies to a device); only the
    // metrics file, written atomically at run_end, meets the limit.
    REL_OK(ll_trainer_add_sink(t.get(), ("json:path=/dev/null,metrics=" + metrics).c_str()));
    RunEnd end;
    REL_OK(ll_trainer_set_callback(t.get(), record, &end));
    {
        FileSizeLimit limit(200);
        ll_model* m = nullptr;
        const int status = ll_trainer_fit(t.get(), ds.get(), nullptr, nullptr, &m);
        ll_model_free(m);
        CHECK(status == LL_OK);  // on_error=warn: the run itself succeeds
    }
    CHECK(end.status != LL_STATUS_FAILED);
    REQUIRE(end.sink_failures.size() == 1);
    CHECK(end.sink_failures[0].find("metrics.json") != std::string::npos);
    CHECK(end.sink_failures[0].find("File too large") != std::string::npos);
    CHECK(read_bytes(metrics) == previous);
    CHECK(dir.names() == std::vector<std::string>{"metrics.json"});  // no temporary file left
    // And without the limit the same sink does write it: the failure above was the limit's.
    Trainer t2 = small_trainer(7);
    REL_OK(ll_trainer_add_sink(t2.get(), ("json:path=/dev/null,metrics=" + metrics).c_str()));
    const Model m2 = fit(t2.get(), ds.get());
    CHECK(read_bytes(metrics).find("\"status\"") != std::string::npos);
}
