// Write errors while saving artifacts: reported with LL_E_IO (or LL_E_PLUGIN for a sink
// set to on_error=fail), the previous file left in place, no temporary file left behind,
// and the run's last event a run_end with status failed.
//
// The tests run as root in CI, where a read-only folder does not stop a write. Instead:
//  - RLIMIT_FSIZE (soft limit lowered, SIGXFSZ ignored): a write past it fails with
//    EFBIG, as a full disk fails with ENOSPC; works for any user.
//  - a path whose parent is a regular file: ENOTDIR.
//  - /dev/full for a sink's line file: every write fails with ENOSPC. Never as a
//    model_path or metrics= path, although a device there is written in place (tested
//    below through links and nodes of our own): a regression would replace /dev/full.
// And the paths that are not regular files: symbolic links (kept, their files replaced),
// devices and FIFOs (written in place).
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <thread>

#include "capi_util.hpp"
#include "file_size_limit.hpp"

using namespace rel;

namespace {

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

namespace {

bool is_link(const std::string& path) { return std::filesystem::is_symlink(std::filesystem::symlink_status(path)); }

// Reads a FIFO to its end on another thread (the writer's open waits for it).
struct FifoReader {
    std::string bytes;
    std::thread thread;
    explicit FifoReader(const std::string& path) : thread([this, path] { bytes = read_bytes(path); }) {}
    std::string get() {
        thread.join();
        return bytes;
    }
};

}  // namespace

TEST_CASE("artifacts through symbolic links: the links stay, the files they point to get the content") {
    const Table data = synthetic(200, 10, 2, 35);
    const Dataset ds = data.dataset();
    TempDir dir;
    std::filesystem::create_directories(dir.dir / "real");
    const char* names[] = {"model.llmodel", "metrics.json", "events.jsonl", "epochs.csv"};
    for (const char* name : names)  // relative links, dangling until the first run
        std::filesystem::create_symlink(std::filesystem::path("real") / name, dir.dir / name);
    for (uint32_t seed : {8u, 9u}) {  // the second run replaces what the first wrote
        CAPTURE(seed);
        Trainer t = small_trainer(seed);
        REL_OK(ll_trainer_set_option(t.get(), "model_path", dir.path("model.llmodel").c_str()));
        REL_OK(ll_trainer_add_sink(
            t.get(), ("json:path=" + dir.path("events.jsonl") + ",metrics=" + dir.path("metrics.json")).c_str()));
        REL_OK(ll_trainer_add_sink(t.get(), ("csv:path=" + dir.path("epochs.csv")).c_str()));
        const Model m = fit(t.get(), ds.get());
        for (const char* name : names) {
            CAPTURE(name);
            CHECK(is_link(dir.path(name)));
            CHECK(!read_bytes(dir.path(std::string("real/") + name)).empty());
        }
        CHECK(nlohmann::json::parse(read_bytes(dir.path("real/metrics.json")))["status"] == "completed");
        const std::string events = read_bytes(dir.path("real/events.jsonl"));
        CHECK(events.back() == '\n');
        CHECK(events.find("\"event\":\"run_end\"") != std::string::npos);
        ll_model* loaded = nullptr;
        REL_OK(ll_model_load(dir.path("model.llmodel").c_str(), &loaded));  // through the link
        ll_model_free(loaded);
        // ll_model_save through the link as well, here through a link to the link.
        std::error_code ec;
        std::filesystem::remove(dir.dir / "again", ec);
        std::filesystem::create_symlink(dir.dir / "model.llmodel", dir.dir / "again");
        REL_OK(ll_model_save(m.get(), dir.path("again").c_str()));
        CHECK(is_link(dir.path("again")));
        CHECK(is_link(dir.path("model.llmodel")));
    }
    CHECK(dir.names().size() == 6);  // the five links and real/: no temporary file
    std::vector<std::string> real;
    for (const auto& e : std::filesystem::directory_iterator(dir.dir / "real")) real.push_back(e.path().filename());
    CHECK(real.size() == 4);
}

TEST_CASE("artifacts to a device or a FIFO are written through it, and it stays what it was") {
    const Table data = synthetic(150, 6, 2, 36);
    const Dataset ds = data.dataset();
    Trainer t = small_trainer(10);
    const Model m = fit(t.get(), ds.get());
    TempDir dir;
    REL_OK(ll_model_save(m.get(), dir.path("plain.llmodel").c_str()));
    const std::string model_bytes = read_bytes(dir.path("plain.llmodel"));

    SUBCASE("a link to /dev/null, and a node of our own (never a node in /dev itself)") {
        std::filesystem::create_symlink("/dev/null", dir.dir / "null");
        REL_OK(ll_model_save(m.get(), dir.path("null").c_str()));
        CHECK(is_link(dir.path("null")));
        CHECK(std::filesystem::is_character_file("/dev/null"));
        if (::mknod(dir.path("node").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
            REL_OK(ll_model_save(m.get(), dir.path("node").c_str()));
            CHECK(std::filesystem::is_character_file(std::filesystem::symlink_status(dir.path("node"))));
        } else {
            MESSAGE("mknod needs CAP_MKNOD: the node of our own is not tested");
        }
    }
    SUBCASE("a FIFO gets the model's bytes") {
        REQUIRE(::mkfifo(dir.path("model.fifo").c_str(), 0600) == 0);
        FifoReader reader(dir.path("model.fifo"));
        REL_OK(ll_model_save(m.get(), dir.path("model.fifo").c_str()));
        CHECK(reader.get() == model_bytes);
        CHECK(std::filesystem::is_fifo(dir.path("model.fifo")));
    }
    SUBCASE("a fit whose model_path, events and metrics files are FIFOs") {
        for (const char* name : {"model.fifo", "events.fifo", "metrics.fifo"})
            REQUIRE(::mkfifo(dir.path(name).c_str(), 0600) == 0);
        FifoReader model(dir.path("model.fifo")), events(dir.path("events.fifo")), metrics(dir.path("metrics.fifo"));
        Trainer t2 = small_trainer(10);
        REL_OK(ll_trainer_set_option(t2.get(), "model_path", dir.path("model.fifo").c_str()));
        REL_OK(ll_trainer_add_sink(
            t2.get(), ("json:path=" + dir.path("events.fifo") + ",metrics=" + dir.path("metrics.fifo")).c_str()));
        const Model m2 = fit(t2.get(), ds.get());
        t2.reset();  // the sinks close their files with the trainer: the readers see the end
        CHECK(model.get() == model_bytes);  // the same seed: the same model
        const std::string lines = events.get();
        CHECK(lines.find("\"event\":\"run_end\"") != std::string::npos);
        CHECK(lines.back() == '\n');
        CHECK(nlohmann::json::parse(metrics.get())["status"] == "completed");
        for (const char* name : {"model.fifo", "events.fifo", "metrics.fifo"}) CHECK(std::filesystem::is_fifo(dir.path(name)));
    }
    std::vector<std::string> left;
    for (const std::string& n : dir.names())
        if (n.find(".tmp") != std::string::npos) left.push_back(n);
    CHECK(left.empty());
}
