// The sink host: loads metric sink plugins (sink.h) and hands them every event.
//
// A sink is named by a spec, one syntax for the C ABI, the command line and the bindings:
//   NAME[:key=value[,key=value...]]
// NAME is a short name (json, csv, stdout, or any installed plugin: letters, digits, '_'
// and '-') or an absolute path to a plugin file. In a value, '\' escapes the next
// character ("\," for a comma, "\\" for a backslash). The key on_error=warn|fail is the
// host's own and is not passed to the plugin.
//
// A short name NAME means the file liblinlearn_sink_NAME.so, looked up in each absolute
// folder of LINLEARN_PLUGIN_PATH (':'-separated), then in <dir of liblinlearn>/linlearn/plugins.
// Nothing is ever resolved against the current directory: a relative path is refused.
//
// Only linlearn::Error ever leaves this interface; nothing a plugin throws gets through.
#pragma once
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "linlearn/event.h"

namespace linlearn::capi {

struct SinkSpec {
    std::string name;
    std::vector<std::pair<std::string, std::string>> options;
};

// Parses "NAME[:k=v,...]". Throws Error(invalid_argument) giving the column (1-based).
SinkSpec parse_sink_spec(const std::string& spec);

class SinkHost {
public:
    SinkHost();
    ~SinkHost();  // destroys every sink, then unloads its library
    SinkHost(const SinkHost&) = delete;
    SinkHost& operator=(const SinkHost&) = delete;

    // Parses the spec, resolves and loads the plugin, checks versions and creates the
    // sink now. Throws Error(plugin, msg), or Error(invalid_argument, msg) for a bad spec.
    void add(const std::string& spec);

    // Sends the event to every enabled sink, in the order they were added. A sink whose
    // on_event fails is disabled; with on_error=warn its message "sink 'NAME': MESSAGE"
    // is returned (once), with on_error=fail this throws Error(plugin, that message) once
    // every other sink has had the event. Also returns what sinks logged at WARN/ERROR.
    std::vector<std::string> dispatch(const ll_event& ev);
    // Flushes every enabled sink, with the same error policy and return value.
    std::vector<std::string> flush();

    bool empty() const;
    // Wall time spent inside plugin calls (create, on_event, flush) so far.
    double seconds_in_sinks() const;

private:
    struct Sink;  // one loaded, created sink (sink_host.cpp)
    template <class Call>
    std::vector<std::string> for_each_enabled(const char* what, Call call);
    std::vector<std::string> take_logged();

    // Declared before sinks_: sinks may log until they are destroyed.
    struct Log {
        std::mutex mutex;
        std::vector<std::string> lines;
    } log_;
    std::vector<std::unique_ptr<Sink>> sinks_;
    double seconds_ = 0;
};

}  // namespace linlearn::capi
