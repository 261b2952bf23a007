// The stdout sink: a readable progress table (format=table, the default), SageMaker's
// log lines (format=sagemaker) or JSON Lines (format=jsonl), on stdout or stderr.
//   stdout[:format=table|sagemaker|jsonl][,stream=stderr][,host=algo-1][,per_model=false]
#include <cstdio>

#include "../json/run_start_extras.hpp"
#include "event_json.hpp"
#include "formats.hpp"
#include "sink_plugin.hpp"

namespace linlearn::sinks {
namespace {

class JsonlFormat : public Format {
public:
    explicit JsonlFormat(bool per_model) : per_model_(per_model) {}
    std::string render(const ll_event& ev) override {
        Json line = event_json(ev, per_model_);
        add_run_start_extras(line, ev);
        return json_line(line);
    }

private:
    bool per_model_;
};

// host= ends up inside "host=\S+" of SageMaker's regexes and inside JSON strings.
std::string checked_host(const std::string& host) {
    if (host.empty() || host.find_first_of(" \t\r\n\"\\,") != std::string::npos)
        throw std::invalid_argument("host must be a word without spaces, commas, quotes or "
                                    "backslashes, not '" + host + "'");
    return host;
}

class StdoutSink {
public:
    static constexpr const char* name = "stdout";
    static constexpr const char* description =
        "progress table, SageMaker log lines (format=sagemaker) or JSON Lines (format=jsonl)";
    static constexpr const char* keys[] = {"format", "stream", "host", "per_model"};

    StdoutSink(const Options& options, const ll_sink_host&)
        : stream_(options.choice("stream", {"stdout", "stderr"}) == "stderr" ? stderr : stdout),
          format_(make_format(options)) {}

    void on_event(const ll_event& ev) {
        const std::string out = format_->render(ev);
        if (out.empty()) return;
        if (std::fwrite(out.data(), 1, out.size(), stream_) != out.size() || std::fflush(stream_) != 0)
            throw std::runtime_error("cannot write to the standard output");
    }

    void flush() { std::fflush(stream_); }

private:
    static std::unique_ptr<Format> make_format(const Options& options) {
        const std::string format = options.choice("format", {"table", "sagemaker", "jsonl"});
        const std::string host = checked_host(options.get("host", "algo-1"));
        const bool per_model = options.flag("per_model", true);
        if (format == "sagemaker") return sagemaker_format(host);
        if (format == "jsonl") return jsonl_format(per_model);
        return table_format();
    }

    std::FILE* stream_;
    std::unique_ptr<Format> format_;
};

}  // namespace

std::unique_ptr<Format> jsonl_format(bool per_model) { return std::make_unique<JsonlFormat>(per_model); }

}  // namespace linlearn::sinks

extern "C" LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t, uint32_t) {
    return linlearn::sinks::plugin_table<linlearn::sinks::StdoutSink>();
}
