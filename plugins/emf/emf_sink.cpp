// The emf sink: CloudWatch Embedded Metric Format, one JSON document per line, on stdout
// (what Lambda and the CloudWatch agent's stdout capture read) or appended to a file the
// CloudWatch agent tails.
//   emf[:path=FILE][,namespace=linlearn][,dimensions=run_id+model+phase+host][,host=NAME]
//      [,per_model=false][,append=false]
// Each epoch_end and run_end becomes documents (emf_layout.hpp), and so does each "alert"
// diagnostic (an alert or stop rule fired: metric alerts = 1); other kinds carry no metric.
#include <cstdio>
#include <memory>

#include <unistd.h>

#include "emf_layout.hpp"
#include "output_file.hpp"
#include "sink_plugin.hpp"

namespace linlearn::sinks {
namespace {

// Namespaces as CloudWatch's own EMF library accepts them: 1 to 255 of [a-zA-Z0-9._#:/-].
std::string checked_namespace(const std::string& ns) {
    bool ok = !ns.empty() && ns.size() <= 255;
    for (char c : ns)
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string("._#:/-").find(c) != std::string::npos);
    if (!ok)
        throw std::invalid_argument("namespace must be 1 to 255 of the characters a-z A-Z 0-9 . _ # : / -, not '" +
                                    ns + "'");
    return ns;
}

std::string this_host() {
    char name[256] = "";
    if (::gethostname(name, sizeof name - 1) != 0 || !name[0]) return "unknown";
    return name;
}

// Lines to stdout, or to a file; each line handed to the OS whole, as soon as it is written.
class LineOutput {
public:
    LineOutput(const std::string& path, bool append) {
        if (!path.empty())
            file_ = std::make_unique<OutputFile>(path, append ? OutputFile::Mode::append : OutputFile::Mode::truncate);
    }
    void write(const std::string& line) {
        if (file_) return file_->write(line);
        // One fwrite per line: stdio locks the stream per call, so no other writer splits it.
        if (std::fwrite(line.data(), 1, line.size(), stdout) != line.size() || std::fflush(stdout) != 0)
            throw std::runtime_error("cannot write to the standard output");
    }
    void flush() {
        if (file_) file_->flush();
        else std::fflush(stdout);
    }

private:
    std::unique_ptr<OutputFile> file_;
};

class EmfSink {
public:
    static constexpr const char* name = "emf";
    static constexpr const char* description =
        "CloudWatch Embedded Metric Format: one JSON document per line, on stdout or a file (path=)";
    static constexpr const char* keys[] = {"path", "namespace", "dimensions", "host", "per_model", "append"};

    EmfSink(const Options& options, const ll_sink_host&)
        : namespace_(checked_namespace(options.get("namespace", "linlearn"))),
          layout_(make_layout(options)),
          out_(options.get("path"), options.flag("append", false)) {}

    void on_event(const ll_event& ev) {
        for (const EmfGroup& group : emf_groups(ev, layout_))
            for (const std::string& line : emf_lines(group, namespace_, ev.timestamp_ms)) out_.write(line);
    }

    void flush() { out_.flush(); }

private:
    static EmfLayout make_layout(const Options& options) {
        EmfLayout layout;
        parse_dimensions(options.get("dimensions", "run_id+model+phase+host"), layout);
        layout.per_model = options.flag("per_model", false);  // every model x metric is a billed metric
        layout.host_name = options.get("host", this_host());
        if (emf_dimension_value(layout.host_name) != layout.host_name)
            throw std::invalid_argument("host must be printable ASCII, not '" + layout.host_name + "'");
        return layout;
    }

    std::string namespace_;
    EmfLayout layout_;
    LineOutput out_;  // last: opened once every option is known to be good
};

}  // namespace
}  // namespace linlearn::sinks

extern "C" LL_SINK_EXPORT const ll_sink_plugin* ll_sink_entry(uint32_t, uint32_t) {
    return linlearn::sinks::plugin_table<linlearn::sinks::EmfSink>();
}
