// libFuzzer target: the sink spec parser (parse_sink_spec in capi/src/sink_host.cpp),
// "NAME[:key=value,...]" with '\' escapes in values.
// Checks, beyond "no crash, no leak, no UB, only linlearn::Error thrown":
//  - a refused spec is ErrorCode::invalid_argument;
//  - an accepted one has a name, distinct non-empty keys, and written back out (values
//    escaped) parses to the same spec.
#include <string>

#include "error.hpp"
#include "sink_host.hpp"

using namespace linlearn;
using linlearn::capi::parse_sink_spec;
using linlearn::capi::SinkSpec;

namespace {

void require(bool ok) {
    if (!ok) __builtin_trap();
}

std::string escaped(const std::string& v) {
    std::string out;
    for (char c : v) {
        if (c == '\\' || c == ',') out += '\\';
        out += c;
    }
    return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    SinkSpec spec;
    try {
        spec = parse_sink_spec(text);
    } catch (const Error& e) {
        require(e.code() == ErrorCode::invalid_argument);
        return 0;
    }
    require(!spec.name.empty() && spec.name.find(':') == std::string::npos);
    std::string back = spec.name;
    for (size_t i = 0; i < spec.options.size(); ++i) {
        const auto& [key, value] = spec.options[i];
        require(!key.empty() && key.find_first_of("=,:\\") == std::string::npos);
        for (size_t j = 0; j < i; ++j) require(spec.options[j].first != key);
        back += (i ? "," : ":") + key + "=" + escaped(value);
    }
    const SinkSpec again = parse_sink_spec(back);
    require(again.name == spec.name && again.options == spec.options);
    return 0;
}
