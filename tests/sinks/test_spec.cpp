// The sink spec grammar: NAME[:key=value[,key=value...]], '\' escaping in values.
#include <doctest/doctest.h>

#include "error.hpp"
#include "sink_host.hpp"

using linlearn::Error;
using linlearn::ErrorCode;
using linlearn::capi::parse_sink_spec;
using Options = std::vector<std::pair<std::string, std::string>>;

namespace {
// The message of the error a bad spec gives; fails the test if there is none.
std::string spec_error(const std::string& spec) {
    try {
        parse_sink_spec(spec);
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::invalid_argument);
        return e.what();
    }
    FAIL("no error for '" << spec << "'");
    return "";
}
}  // namespace

TEST_CASE("a bare name has no options") {
    const auto spec = parse_sink_spec("stdout");
    CHECK(spec.name == "stdout");
    CHECK(spec.options.empty());
}

TEST_CASE("options keep their order and values may hold '=', ':' and escaped ','") {
    const auto spec = parse_sink_spec("json:path=out/m.jsonl,metrics=a=b:c,note=x\\,y\\\\z,empty=");
    CHECK(spec.name == "json");
    CHECK(spec.options == Options{{"path", "out/m.jsonl"}, {"metrics", "a=b:c"}, {"note", "x,y\\z"}, {"empty", ""}});
}

TEST_CASE("an absolute path is a name") {
    const auto spec = parse_sink_spec("/opt/sinks/libmine.so:level=2");
    CHECK(spec.name == "/opt/sinks/libmine.so");
    CHECK(spec.options == Options{{"level", "2"}});
}

TEST_CASE("bad specs are refused with the column of the mistake") {
    CHECK(spec_error("") == "sink spec '', column 1: missing the sink name (json, csv, stdout, a plugin name or an absolute path)");
    CHECK(spec_error(":path=x").find("column 1: missing the sink name") != std::string::npos);
    CHECK(spec_error("json:") == "sink spec 'json:', column 6: expected key=value");
    CHECK(spec_error("json:path") == "sink spec 'json:path', column 10: expected '=' after 'path'");
    CHECK(spec_error("json:path=a,") == "sink spec 'json:path=a,', column 13: expected key=value");
    CHECK(spec_error("json:a=1,,b=2") == "sink spec 'json:a=1,,b=2', column 10: expected key=value");
    CHECK(spec_error("json:=1") == "sink spec 'json:=1', column 6: expected key=value");
    CHECK(spec_error("json:pa th=1").find("column 6: 'pa th' is not a key") != std::string::npos);
    CHECK(spec_error("json:1x=1").find("column 6: '1x' is not a key") != std::string::npos);
    CHECK(spec_error("json:a=1,a=2") == "sink spec 'json:a=1,a=2', column 10: the key 'a' is given twice");
    CHECK(spec_error("json:a=x\\") == "sink spec 'json:a=x\\', column 9: '\\' at the end escapes nothing");
}
