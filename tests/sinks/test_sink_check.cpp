// sink-check on the built-in sinks (all pass) and on broken fixtures (each fails, saying why).
#include <doctest/doctest.h>

#include <sstream>

#include "linlearn/sink.h"
#include "sink_check.hpp"

using linlearn::cli::sink_check;

namespace {

struct Checked {
    int status;
    std::string report;
};

Checked check(const std::string& path) {
    std::ostringstream out;
    const int status = sink_check(path, out);
    return {status, out.str()};
}

std::string fixture(const std::string& kind) { return std::string(SINK_FIXTURE_DIR) + "/libfixture_" + kind + ".so"; }

bool has(const Checked& c, const std::string& line) { return c.report.find(line) != std::string::npos; }

}  // namespace

TEST_CASE("the built-in sinks pass every check") {
    for (const char* name : {"json", "csv", "stdout"}) {
        const Checked c = check(std::string(SINK_PLUGIN_DIR) + "/liblinlearn_sink_" + name + ".so");
        INFO(c.report);
        CHECK(c.status == 0);
        CHECK(c.report.find("  FAIL  ") == std::string::npos);
        CHECK(has(c, "  PASS  on_event(run_end)\n"));
        CHECK(has(c, "  PASS  on_event(NULL) fails (returned 1)\n"));
        CHECK(has(c, "\nresult: PASS\n"));
    }
}

TEST_CASE("a plain C plugin that follows the rules passes") {
    const Checked c = check(fixture("logs"));
    INFO(c.report);
    CHECK(c.status == 0);
}

TEST_CASE("each broken plugin fails, saying why") {
    const std::string host_abi = std::to_string(LL_SINK_ABI_MAJOR) + "." + std::to_string(LL_SINK_ABI_MINOR);
    const std::string next_major_abi = std::to_string(LL_SINK_ABI_MAJOR + 1) + "." + std::to_string(LL_SINK_ABI_MINOR);
    struct Case {
        std::string path, line;
    };
    const Case cases[] = {
        {std::string(SINK_FIXTURE_DIR) + "/not_a_plugin.so", "  FAIL  loads as a shared library: "},
        {fixture("no_entry"), "  FAIL  exports ll_sink_entry\n"},
        {fixture("null_table"), "  FAIL  ll_sink_entry(" + host_abi + ") returns a table\n"},
        {fixture("wrong_major"), "  FAIL  sink ABI " + next_major_abi + ", host " + host_abi + "\n"},
        {fixture("small_table"), "  FAIL  table size 16 bytes (ABI 1.0 needs 80)\n"},
        {fixture("create_fails"), "  FAIL  create: \"fixture refuses to be created: no licence for sink-check\"\n"},
        {fixture("throws"), "  FAIL  on_event(epoch_end 0) let an exception escape: thrown from on_event\n"},
        // Signal 11, or under a sanitizer the exit status it gives after its report.
        {fixture("crashes"), " after the last line above\n"},
    };
    for (const Case& c : cases) {
        const Checked checked = check(c.path);
        INFO(checked.report);
        CHECK(checked.status == 1);
        CHECK(has(checked, c.line));
        CHECK(has(checked, "\nresult: FAIL ("));
    }
}

TEST_CASE("a relative path is made absolute: sink-check is a command-line tool") {
    const Checked c = check("no/such/plugin.so");
    CHECK(c.status == 1);
    CHECK(c.report.rfind("sink-check /", 0) == 0);
}
