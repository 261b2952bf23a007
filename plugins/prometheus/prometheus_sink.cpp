// The prometheus sink: the run's gauges (run_gauges.hpp) in the text exposition format,
// after run_start, each epoch and run_end,
// - written whole and atomically to a file (path=) for node_exporter's textfile collector
//   (--collector.textfile.directory; it reads files ending in .prom), and/or
// - pushed (PUT) to a Pushgateway (push=http://HOST:PORT) into the group
//   /metrics/job/<job>/run_id/<run id>.
//   prometheus:path=FILE.prom|push=URL[,job=linlearn][,per_model=false][,timeout_s=5]
#include <algorithm>
#include <charconv>
#include <memory>
#include <optional>

#include "output_file.hpp"
#include "pushgateway.hpp"
#include "run_gauges.hpp"
#include "sink_plugin.hpp"

namespace linlearn::sinks {
namespace {

int timeout_ms(const Options& options) {
    const std::string text = options.get("timeout_s", "5");
    double seconds = 0;
    const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || end != text.data() + text.size() || !(seconds > 0 && seconds <= 3600))
        throw std::invalid_argument("timeout_s must be a number of seconds above 0 and at most 3600, not '" + text + "'");
    return std::max(1, static_cast<int>(seconds * 1000));
}

std::optional<Pushgateway> make_pushgateway(const Options& options) {
    const std::string job = options.get("job", "linlearn");
    if (job.empty()) throw std::invalid_argument("job must not be empty (it is the Pushgateway's job label)");
    if (!options.has("push")) {
        for (const char* key : {"job", "timeout_s"})
            if (options.has(key))
                throw std::invalid_argument(std::string(key) + "= is for push=; give push=http://HOST:PORT too");
        return std::nullopt;
    }
    Pushgateway gateway(parse_http_url(options.get("push")), job, timeout_ms(options));
    gateway.check_reachable();  // a gateway that is not there stops the run before training
    return gateway;
}

class PrometheusSink {
public:
    static constexpr const char* name = "prometheus";
    static constexpr const char* description =
        "Prometheus text format: a .prom file for node_exporter (path=) and/or a Pushgateway push (push=)";
    static constexpr const char* keys[] = {"path", "push", "job", "per_model", "timeout_s"};

    PrometheusSink(const Options& options, const ll_sink_host& host)
        : path_(options.get("path")),
          gauges_(options.flag("per_model", false)),  // a series per model: 32 times the samples
          gateway_(make_pushgateway(options)) {
        if (path_.empty() && !gateway_)
            throw std::invalid_argument(
                "give path= (a .prom file) and/or push= (a Pushgateway), e.g. prometheus:path=metrics/linlearn.prom");
        if (!path_.empty()) {
            write_file_atomically(path_, "");  // an empty exposition is valid; this fails now if it cannot be written
            if (path_.size() < 5 || path_.compare(path_.size() - 5, 5, ".prom") != 0)
                log(host, "path " + path_ + " does not end in .prom: node_exporter's textfile collector will not read it");
        }
    }

    void on_event(const ll_event& ev) {
        if (!gauges_.update(ev)) return;
        const std::string text = gauges_.exposition();
        if (!path_.empty()) write_file_atomically(path_, text);
        if (gateway_) gateway_->push(gauges_.run_id(), text);
    }

    void flush() {}  // every change is already in the file and the gateway

private:
    static void log(const ll_sink_host& host, const std::string& message) {
        if (LL_HAS_FIELD(&host, ll_sink_host, log) && host.log) host.log(host.host_data, LL_SINK_LOG_WARN, message.c_str());
    }

    std::string path_;
    RunGauges gauges_;
    std::optional<Pushgateway> gateway_;
};

}  // namespace
}  // namespace linlearn::sinks

extern "C" LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t, uint32_t) {
    return linlearn::sinks::plugin_table<linlearn::sinks::PrometheusSink>();
}
