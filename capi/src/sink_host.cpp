// Loader and dispatcher of metric sink plugins: the only place liblinlearn uses Boost.DLL.
// Every call into a plugin goes through invoke(): timed, and guarded so that nothing a
// plugin throws reaches the host.
#include "sink_host.hpp"

#include <boost/dll/runtime_symbol_info.hpp>
#include <boost/dll/shared_library.hpp>

#include <cctype>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <system_error>

#include "error.hpp"
#include "linlearn/sink.h"

#ifndef LINLEARN_PLUGIN_RELDIR
#error "LINLEARN_PLUGIN_RELDIR must name the plugin folder relative to the library's folder"
#endif

namespace linlearn::capi {
namespace fs = std::filesystem;

namespace {

// The file of a short name: liblinlearn_sink_NAME.so (documented in sink.h).
#if defined(_WIN32)
constexpr char kFilePrefix[] = "linlearn_sink_";
constexpr char kFileSuffix[] = ".dll";
#else
constexpr char kFilePrefix[] = "liblinlearn_sink_";
constexpr char kFileSuffix[] = ".so";
#endif

// ABI 1.0's table ends with last_error; a later minor may only append to it.
constexpr size_t kMinTableSize = offsetof(ll_sink_plugin, last_error) + sizeof(void*);
constexpr size_t kVersionFieldsSize = offsetof(ll_sink_plugin, abi_minor) + sizeof(uint32_t);
constexpr size_t kCreateErrorSize = 1024;

enum class OnError { warn, fail };

std::string version_text(uint32_t major, uint32_t minor) {
    return std::to_string(major) + "." + std::to_string(minor);
}

// out = a + b, or nothing when out of memory: a handler must not throw.
void assign(std::string& out, const char* a, const char* b = "") noexcept {
    try {
        out = std::string(a) + b;
    } catch (...) {
    }
}

// Runs a call into a plugin. Returns false, with what happened, if it threw.
template <class F>
bool guarded(F&& call, std::string& thrown) noexcept {
    try {
        call();
        return true;
    } catch (const std::exception& e) {  // copied here, while the plugin that made it is loaded
        assign(thrown, "threw an exception: ", e.what());
    } catch (...) {
        assign(thrown, "threw an exception");
    }
    return false;
}

// Adds the time spent in its scope to a total.
class Stopwatch {
public:
    explicit Stopwatch(double& total) : total_(total) {}
    ~Stopwatch() {
        total_ += std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    }

private:
    double& total_;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
};

// ---- Spec -------------------------------------------------------------------------

[[noreturn]] void spec_error(const std::string& spec, size_t pos, const std::string& what) {
    fail(ErrorCode::invalid_argument,
         "sink spec '" + spec + "', column " + std::to_string(pos + 1) + ": " + what);
}

bool valid_key(const std::string& key) {
    if (key.empty() || std::isdigit(static_cast<unsigned char>(key[0]))) return false;
    for (char c : key)
        if (!std::isalnum(static_cast<unsigned char>(c)) && !std::strchr("_.-", c)) return false;
    return true;
}

OnError take_on_error(SinkSpec& spec) {
    for (auto it = spec.options.begin(); it != spec.options.end(); ++it) {
        if (it->first != "on_error") continue;
        const std::string value = it->second;
        spec.options.erase(it);
        if (value == "warn") return OnError::warn;
        if (value == "fail") return OnError::fail;
        fail(ErrorCode::invalid_argument,
             "sink '" + spec.name + "': on_error must be warn or fail, not '" + value + "'");
    }
    return OnError::warn;
}

// ---- Lookup -------------------------------------------------------------------------

bool is_short_name(const std::string& name) {
    for (char c : name)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-') return false;
    return !name.empty();
}

struct Folder {
    fs::path path;
    const char* origin;
};

// The folders searched for short names, in order, and the ignored relative entries.
std::vector<Folder> plugin_folders(std::string& ignored) {
    std::vector<Folder> folders;
    if (const char* env = std::getenv("LINLEARN_PLUGIN_PATH")) {
        std::string list = env;
        for (size_t start = 0; start <= list.size();) {
            size_t end = list.find(':', start);
            if (end == std::string::npos) end = list.size();
            const fs::path folder = list.substr(start, end - start);
            if (folder.is_absolute())
                folders.push_back({folder, "LINLEARN_PLUGIN_PATH"});
            else if (!folder.empty())
                ignored += "; ignored the relative folder '" + folder.string() +
                           "' of LINLEARN_PLUGIN_PATH";
            start = end + 1;
        }
    }
    // this_line_location() is the module compiling this file: liblinlearn.so itself.
    std::error_code ec;
    const fs::path self = boost::dll::this_line_location(ec);
    if (!ec) folders.push_back({self.parent_path() / LINLEARN_PLUGIN_RELDIR, "beside liblinlearn"});
    return folders;
}

fs::path resolve_plugin(const std::string& name) {
    if (name.find('/') != std::string::npos) {
        const fs::path path = name;
        if (!path.is_absolute())
            fail(ErrorCode::invalid_argument,
                 "sink '" + name + "': relative plugin paths are refused, because nothing is "
                 "resolved against the current directory; give an absolute path");
        return path.lexically_normal();
    }
    if (!is_short_name(name))
        fail(ErrorCode::invalid_argument,
             "sink '" + name + "': neither a sink name (letters, digits, '_' and '-', e.g. json) "
             "nor an absolute path to a plugin file");

    const std::string file = kFilePrefix + name + kFileSuffix;
    std::string searched, ignored;
    for (const Folder& folder : plugin_folders(ignored)) {
        const fs::path candidate = folder.path / file;
        std::error_code ec;
        if (fs::exists(candidate, ec)) return candidate;
        searched += (searched.empty() ? "" : ", ") + folder.path.string() + " (" + folder.origin + ")";
    }
    fail(ErrorCode::plugin, "sink '" + name + "': no " + file + " in " + searched + ignored +
                                "; add its folder to LINLEARN_PLUGIN_PATH or give its absolute path");
}

// ---- Loading ------------------------------------------------------------------------

[[noreturn]] void refuse(const std::string& name, const fs::path& path, const std::string& reason,
                         const std::string& plugin_abi = "unknown") {
    fail(ErrorCode::plugin, "sink '" + name + "': cannot load " + path.string() + ": " + reason +
                                " (host sink ABI " +
                                version_text(LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR) +
                                ", plugin sink ABI " + plugin_abi + ")");
}

// Boost.DLL's what() wraps dlerror(): "... (dlerror system message: TEXT): Bad file descriptor".
std::string dlerror_text(const std::system_error& e) {
    const std::string what = e.what(), mark = "dlerror system message: ";
    const size_t begin = what.find(mark), end = what.rfind("): ");
    if (begin == std::string::npos || end == std::string::npos || end < begin) return what;
    return what.substr(begin + mark.size(), end - begin - mark.size());
}

boost::dll::shared_library open_library(const std::string& name, const fs::path& path) {
    std::error_code ec;
    const fs::file_status status = fs::status(path, ec);
    if (!fs::exists(status)) refuse(name, path, "no such file");
    if (!fs::is_regular_file(status)) refuse(name, path, "not a regular file");
    namespace mode = boost::dll::load_mode;
    try {  // now: unresolved symbols fail here, not in the middle of a run
        return boost::dll::shared_library(path, mode::rtld_now | mode::rtld_local);
    } catch (const std::system_error& e) {
        refuse(name, path, "not a loadable shared library (" + dlerror_text(e) + ")");
    }
}

const ll_sink_plugin* handshake(const std::string& name, const fs::path& path,
                                const boost::dll::shared_library& library) {
    if (!library.has(LL_SINK_ENTRY_SYMBOL))
        refuse(name, path, "no entry point " LL_SINK_ENTRY_SYMBOL " (not a linlearn sink plugin?)");
    auto& entry = library.get<const ll_sink_plugin*(uint32_t, uint32_t)>(LL_SINK_ENTRY_SYMBOL);
    const ll_sink_plugin* table = nullptr;
    std::string thrown;
    if (!guarded([&] { table = entry(LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR); }, thrown))
        refuse(name, path, LL_SINK_ENTRY_SYMBOL " " + thrown);
    if (!table) refuse(name, path, LL_SINK_ENTRY_SYMBOL " returned NULL: the plugin refuses this host");
    if (table->struct_size < kVersionFieldsSize)
        refuse(name, path, "plugin table too small (" + std::to_string(table->struct_size) + " bytes)");

    const std::string abi = version_text(table->abi_major, table->abi_minor);
    if (table->abi_major != LL_SINK_ABI_MAJOR) refuse(name, path, "sink ABI major mismatch", abi);
    if (table->struct_size < kMinTableSize)
        refuse(name, path,
               "plugin table too small (" + std::to_string(table->struct_size) +
                   " bytes; sink ABI 1.0 needs " + std::to_string(kMinTableSize) + ")",
               abi);
    if (!table->create || !table->on_event || !table->destroy)
        refuse(name, path, "plugin table lacks create, on_event or destroy", abi);
    return table;
}

bool debug_log_enabled() {
    const char* env = std::getenv("LINLEARN_SINK_LOG");
    return env && std::strcmp(env, "1") == 0;
}

}  // namespace

SinkSpec parse_sink_spec(const std::string& spec) {
    SinkSpec out;
    const size_t colon = spec.find(':');
    out.name = spec.substr(0, colon);
    if (out.name.empty())
        spec_error(spec, 0, "missing the sink name (json, csv, stdout, a plugin name or an absolute path)");
    if (colon == std::string::npos) return out;

    for (size_t i = colon + 1;; ++i) {  // at each key; ++i skips the ','
        const size_t key_start = i;
        while (i < spec.size() && spec[i] != '=' && spec[i] != ',') ++i;
        const std::string key = spec.substr(key_start, i - key_start);
        if (key.empty()) spec_error(spec, key_start, "expected key=value");
        if (!valid_key(key))
            spec_error(spec, key_start, "'" + key + "' is not a key (letters, digits, '_', '.', '-')");
        if (i == spec.size() || spec[i] != '=') spec_error(spec, i, "expected '=' after '" + key + "'");
        for (const auto& option : out.options)
            if (option.first == key) spec_error(spec, key_start, "the key '" + key + "' is given twice");

        std::string value;
        for (++i; i < spec.size() && spec[i] != ','; ++i) {
            if (spec[i] == '\\' && ++i == spec.size())
                spec_error(spec, i - 1, "'\\' at the end escapes nothing");
            value += spec[i];
        }
        out.options.emplace_back(key, std::move(value));
        if (i == spec.size()) return out;
    }
}

// ---- SinkHost -----------------------------------------------------------------------

struct SinkHost::Sink {
    std::string name;  // the spec's NAME, for messages
    OnError on_error = OnError::warn;
    boost::dll::shared_library library;  // loaded as long as this sink lives
    std::string plugin_path;
    const ll_sink_plugin* table = nullptr;
    ll_sink_host services{};  // given to create: must live as long as the instance
    Log* log = nullptr;
    void* instance = nullptr;
    bool created = false;
    bool enabled = true;

    ~Sink() {
        std::string ignored;  // destroy cannot fail; a throw is swallowed here
        if (created) guarded([&] { table->destroy(instance); }, ignored);
    }

    // ll_sink_host.log: [any-thread], must not throw into the plugin.
    static void log_from_plugin(void* host_data, int level, const char* message) noexcept {
        auto* sink = static_cast<Sink*>(host_data);
        if (!sink || !message) return;
        try {
            if (level >= LL_SINK_LOG_WARN) {
                std::lock_guard<std::mutex> lock(sink->log->mutex);
                sink->log->lines.push_back("sink '" + sink->name + "': " + message);
            } else if (debug_log_enabled()) {
                std::fprintf(stderr, "linlearn: sink '%s': %s\n", sink->name.c_str(), message);
            }
        } catch (...) {
        }
    }

    // Calls the plugin's create; throws Error(plugin) with its message if it refuses.
    void create(const std::vector<std::pair<std::string, std::string>>& options) {
        std::vector<const char*> keys, values;
        for (const auto& [key, value] : options) {
            keys.push_back(key.c_str());
            values.push_back(value.c_str());
        }
        ll_sink_config config{};
        config.struct_size = sizeof config;
        config.count = static_cast<uint32_t>(keys.size());
        config.keys = keys.empty() ? nullptr : keys.data();
        config.values = values.empty() ? nullptr : values.data();
        config.name = name.c_str();
        config.plugin_path = plugin_path.c_str();

        char error[kCreateErrorSize] = "";
        int status = 0;
        std::string thrown;
        if (!guarded([&] { status = table->create(&config, &services, &instance, error, sizeof error); }, thrown))
            fail(ErrorCode::plugin, "sink '" + name + "': create " + thrown);
        error[sizeof error - 1] = '\0';  // in case the plugin forgot the terminator
        if (status != 0)
            fail(ErrorCode::plugin, "sink '" + name + "': " +
                                        (error[0] ? std::string(error)
                                                  : "create failed with status " + std::to_string(status) +
                                                        " and no message"));
        created = true;
    }

    // Why the last call failed, in the plugin's words if it has any.
    std::string failure(int status) const {
        const char* message = nullptr;
        std::string thrown;
        if (table->last_error) guarded([&] { message = table->last_error(instance); }, thrown);
        if (message && *message) return message;
        return "failed with status " + std::to_string(status) + " and no message";
    }
};

SinkHost::SinkHost() = default;

SinkHost::~SinkHost() {
    // Latest first, each destroyed before its library is unloaded (~Sink).
    while (!sinks_.empty()) sinks_.pop_back();
}

void SinkHost::add(const std::string& spec_text) {
    SinkSpec spec = parse_sink_spec(spec_text);
    auto sink = std::make_unique<Sink>();
    sink->name = spec.name;
    sink->on_error = take_on_error(spec);
    const fs::path path = resolve_plugin(spec.name);
    sink->library = open_library(spec.name, path);
    sink->table = handshake(spec.name, path, sink->library);
    sink->plugin_path = path.string();
    sink->log = &log_;
    sink->services = {sizeof(ll_sink_host), LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR, "linlearn",
                      LINLEARN_VERSION_STRING, sink.get(), &Sink::log_from_plugin};
    Stopwatch watch(seconds_);
    sink->create(spec.options);
    sinks_.push_back(std::move(sink));
}

// Calls call(sink) -> status on every enabled sink and applies the error policy.
template <class Call>
std::vector<std::string> SinkHost::for_each_enabled(const char* what, Call call) {
    std::vector<std::string> failures;
    std::string fatal;
    for (auto& sink : sinks_) {
        if (!sink->enabled) continue;
        int status = 0;
        std::string thrown;
        bool returned;
        {
            Stopwatch watch(seconds_);
            returned = guarded([&] { status = call(*sink); }, thrown);
        }
        if (returned && status == 0) continue;
        sink->enabled = false;  // reported once, then never called again but for destroy
        const std::string message =
            "sink '" + sink->name + "': " + (returned ? sink->failure(status) : what + (" " + thrown));
        if (sink->on_error == OnError::fail && fatal.empty())
            fatal = message;
        else
            failures.push_back(message);
    }
    if (!fatal.empty()) fail(ErrorCode::plugin, fatal);
    std::vector<std::string> reports = take_logged();
    reports.insert(reports.end(), failures.begin(), failures.end());
    return reports;
}

std::vector<std::string> SinkHost::dispatch(const ll_event& ev) {
    return for_each_enabled("on_event", [&](Sink& sink) {
        return sink.table->on_event(sink.instance, &ev);
    });
}

std::vector<std::string> SinkHost::flush() {
    return for_each_enabled("flush", [](Sink& sink) {
        return sink.table->flush ? sink.table->flush(sink.instance) : 0;
    });
}

std::vector<std::string> SinkHost::take_logged() {
    std::vector<std::string> lines;
    std::lock_guard<std::mutex> lock(log_.mutex);
    lines.swap(log_.lines);
    return lines;
}

bool SinkHost::empty() const { return sinks_.empty(); }

double SinkHost::seconds_in_sinks() const { return seconds_; }

}  // namespace linlearn::capi
