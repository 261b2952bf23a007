// SinkHost: lookup, refusals, the error policy and library lifetime, with plugin fixtures.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>

#include <dlfcn.h>
#include <unistd.h>

#include "error.hpp"
#include "helpers.hpp"
#include "linlearn/sink.h"
#include "sink_check.hpp"
#include "sink_host.hpp"

using linlearn::Error;
using linlearn::ErrorCode;
using linlearn::capi::SinkHost;
using linlearn::cli::SyntheticRun;
using namespace sink_tests;

namespace {

std::string fixture(const std::string& kind) { return std::string(SINK_FIXTURE_DIR) + "/libfixture_" + kind + ".so"; }

// The error add(spec) gives; fails the test if it gives none.
Error add_error(const std::string& spec) {
    SinkHost host;
    try {
        host.add(spec);
    } catch (const Error& e) {
        return e;
    }
    FAIL("no error for '" << spec << "'");
    return Error(ErrorCode::internal, "");
}

// The host's sink ABI, "MAJOR.MINOR", and the one the wrong_major fixture claims (the next major).
const std::string kHostAbi = std::to_string(LL_SINK_ABI_MAJOR) + "." + std::to_string(LL_SINK_ABI_MINOR);
const std::string kNextMajorAbi = std::to_string(LL_SINK_ABI_MAJOR + 1) + "." + std::to_string(LL_SINK_ABI_MINOR);

std::string refusal(const std::string& path, const std::string& reason, const std::string& plugin_abi) {
    return "sink '" + path + "': cannot load " + path + ": " + reason + " (host sink ABI " + kHostAbi +
           ", plugin sink ABI " + plugin_abi + ")";
}

bool is_loaded(const std::string& path) {
    void* handle = ::dlopen(path.c_str(), RTLD_LAZY | RTLD_NOLOAD);
    if (handle) ::dlclose(handle);
    return handle != nullptr;
}

const ll_event& epoch_event(const SyntheticRun& run, int epoch) {
    for (const ll_event& ev : run.events())
        if (ev.kind == LL_EVENT_EPOCH_END && ev.epoch == epoch) return ev;
    FAIL("no epoch " << epoch);
    return run.events().front();
}

}  // namespace

TEST_CASE("short names find the built-in sinks in the plugin folder beside the library") {
    const EnvVar no_path("LINLEARN_PLUGIN_PATH", nullptr);
    const std::string dir = scratch_dir("lookup");
    SinkHost host;
    CHECK(host.empty());
    host.add("stdout:format=jsonl");
    host.add("json:path=" + dir + "/events.jsonl");
    host.add("csv:path=" + dir + "/epochs.csv");
    CHECK_FALSE(host.empty());
}

TEST_CASE("an unknown name names every folder searched") {
    const EnvVar path("LINLEARN_PLUGIN_PATH", "/nonexistent/a::relative/b");
    const Error e = add_error("nosuch");
    CHECK(e.code() == ErrorCode::plugin);
    const std::string message = e.what();
    CHECK(message.find("sink 'nosuch': no liblinlearn_sink_nosuch.so in /nonexistent/a (LINLEARN_PLUGIN_PATH), ") == 0);
    CHECK(message.find("linlearn/plugins (beside liblinlearn)") != std::string::npos);
    CHECK(message.find("ignored the relative folder 'relative/b' of LINLEARN_PLUGIN_PATH") != std::string::npos);
}

TEST_CASE("LINLEARN_PLUGIN_PATH comes before the plugin folder") {
    const std::string dir = scratch_dir("plugin_path");
    std::filesystem::create_symlink(fixture("logs"), dir + "/liblinlearn_sink_json.so");
    const EnvVar path("LINLEARN_PLUGIN_PATH", ("/nonexistent:" + dir).c_str());
    SinkHost host;
    host.add("json");  // the real json sink would refuse: it needs path=
    const SyntheticRun run;
    CHECK(host.dispatch(run.events().front()) == std::vector<std::string>{"sink 'json': fixture warns at run_start"});
}

TEST_CASE("relative paths are refused, even when the file is in the current directory") {
    const auto cwd = std::filesystem::current_path();
    std::filesystem::current_path(SINK_FIXTURE_DIR);
    for (const std::string spec : {"./libfixture_logs.so", "fixtures/../libfixture_logs.so"}) {
        const Error e = add_error(spec);
        CHECK(e.code() == ErrorCode::invalid_argument);
        CHECK(std::string(e.what()) == "sink '" + spec + "': relative plugin paths are refused, because nothing is "
                                       "resolved against the current directory; give an absolute path");
    }
    const Error bare = add_error("libfixture_logs.so");
    CHECK(bare.code() == ErrorCode::invalid_argument);
    CHECK(std::string(bare.what()).find("neither a sink name") != std::string::npos);
    std::filesystem::current_path(cwd);
}

TEST_CASE("a plugin that cannot be used is refused with its path and both versions") {
    const std::string dir = SINK_FIXTURE_DIR;
    struct Case {
        std::string path, reason, plugin_abi;
    };
    const Case cases[] = {
        {dir + "/libmissing.so", "no such file", "unknown"},
        {dir, "not a regular file", "unknown"},
        {fixture("no_entry"), "no entry point ll_sink_entry (not a linlearn sink plugin?)", "unknown"},
        {fixture("null_table"), "ll_sink_entry returned NULL: the plugin refuses this host", "unknown"},
        {fixture("wrong_major"), "sink ABI major mismatch", kNextMajorAbi},
        {fixture("small_table"), "plugin table too small (16 bytes; sink ABI 1.0 needs 80)", kHostAbi},
    };
    for (const Case& c : cases) {
        const Error e = add_error(c.path);
        CHECK(e.code() == ErrorCode::plugin);
        CHECK(std::string(e.what()) == refusal(c.path, c.reason, c.plugin_abi));
    }
    const std::string text_file = dir + "/not_a_plugin.so";
    const std::string message = add_error(text_file).what();
    const std::string begin = "sink '" + text_file + "': cannot load " + text_file + ": not a loadable shared library (";
    const std::string end = ") (host sink ABI " + kHostAbi + ", plugin sink ABI unknown)";
    CHECK(message.substr(0, begin.size()) == begin);
    CHECK(message.substr(message.size() - end.size()) == end);
    CHECK(message.find("invalid ELF header") != std::string::npos);  // dlerror's reason
}

TEST_CASE("a sink that cannot be created is refused with its own message") {
    const std::string path = fixture("create_fails");
    const Error e = add_error(path);
    CHECK(e.code() == ErrorCode::plugin);
    CHECK(std::string(e.what()) == "sink '" + path + "': fixture refuses to be created: no licence for " + path);
    CHECK(std::string(add_error(fixture("logs") + ":colour=red").what()).find("unknown option 'colour'") != std::string::npos);
    CHECK(std::string(add_error("json:per_model=maybe,path=/tmp/x").what()) ==
          "sink 'json': per_model must be true or false, not 'maybe'");
    CHECK(std::string(add_error("json").what()) == "sink 'json': path= is required, e.g. json:path=out/events.jsonl");
}

TEST_CASE("on_error is the host's: checked, and never passed to the plugin") {
    SinkHost host;
    host.add(fixture("event_fails") + ":on_error=fail");  // the fixture refuses unknown keys
    const Error e = add_error(fixture("event_fails") + ":on_error=maybe");
    CHECK(e.code() == ErrorCode::invalid_argument);
    CHECK(std::string(e.what()) == "sink '" + fixture("event_fails") + "': on_error must be warn or fail, not 'maybe'");
}

TEST_CASE("on_error=warn: a failing sink is reported once, disabled, and the others go on") {
    const std::string dir = scratch_dir("warn");
    const std::string failing = fixture("event_fails");
    SinkHost host;
    host.add(failing + ":fail_at_epoch=1");
    host.add("json:path=" + dir + "/events.jsonl");
    const SyntheticRun run;
    std::vector<std::string> reports;
    for (const ll_event& ev : run.events()) {
        const auto got = host.dispatch(ev);
        if (ev.kind == LL_EVENT_EPOCH_END && ev.epoch == 1)
            CHECK(got == std::vector<std::string>{"sink '" + failing + "': fixture: the disk is full"});
        else
            CHECK(got.empty());
    }
    CHECK(host.flush().empty());
    check_json_lines(read_file(dir + "/events.jsonl"), record_all(run.events()), true);
}

TEST_CASE("on_error=fail: the failure throws once every sink has the event") {
    const std::string dir = scratch_dir("fail");
    const std::string failing = fixture("event_fails");
    SinkHost host;
    host.add(failing + ":fail_at_epoch=0,on_error=fail");
    host.add("json:path=" + dir + "/events.jsonl");
    const SyntheticRun run;
    host.dispatch(run.events()[0]);
    try {
        host.dispatch(epoch_event(run, 0));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::plugin);
        CHECK(std::string(e.what()) == "sink '" + failing + "': fixture: the disk is full");
    }
    CHECK(host.dispatch(run.events().back()).empty());  // disabled: run_end reaches the others only
    const std::string lines = read_file(dir + "/events.jsonl");
    CHECK(std::count(lines.begin(), lines.end(), '\n') == 3);
}

TEST_CASE("nothing a plugin throws gets through the host") {
    const std::string path = fixture("throws");
    const Error e = add_error(path + ":throw_in_create=1");
    CHECK(e.code() == ErrorCode::plugin);
    CHECK(std::string(e.what()) == "sink '" + path + "': create threw an exception: thrown from create");

    const SyntheticRun run;
    SinkHost host;
    host.add(path);
    CHECK(host.dispatch(run.events()[0]).empty());
    CHECK(host.dispatch(epoch_event(run, 0)) ==
          std::vector<std::string>{"sink '" + path + "': on_event threw an exception: thrown from on_event"});

    SinkHost flushing;
    flushing.add(path + ":on_error=fail");
    try {
        flushing.flush();
        FAIL("no error");
    } catch (const Error& e2) {
        CHECK(std::string(e2.what()) == "sink '" + path + "': flush threw an exception");
    }
}

TEST_CASE("a library stays loaded while a sink from it lives") {
    const std::string path = fixture("event_fails");
    CHECK_FALSE(is_loaded(path));
    auto first = std::make_unique<SinkHost>();
    auto second = std::make_unique<SinkHost>();
    first->add(path);
    second->add(path);
    first.reset();
    CHECK(is_loaded(path));
    second->dispatch(SyntheticRun().events()[0]);  // its code is still there to call
    second.reset();
    CHECK_FALSE(is_loaded(path));
}

TEST_CASE("time inside plugins is counted") {
    SinkHost host;
    const double before = host.seconds_in_sinks();
    host.add(fixture("event_fails"));
    const SyntheticRun run;
    for (const ll_event& ev : run.events()) host.dispatch(ev);
    CHECK(host.seconds_in_sinks() > before);
}
