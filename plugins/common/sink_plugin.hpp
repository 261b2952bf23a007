// Writing a sink plugin as a C++ class. The built-in sinks use this; it depends on
// sink.h only, and is compiled into each plugin (never exported from it).
//
// A sink class Impl provides:
//   static constexpr const char* name, *description;
//   static constexpr const char* keys[];  // the options it accepts
//   Impl(const Options&, const ll_sink_host&);  // throws std::exception to refuse
//   void on_event(const ll_event&);             // throws std::exception to fail
//   void flush();
// and plugin_table<Impl>() is the ll_sink_plugin table of it: exceptions become a non-zero
// status plus last_error, so none ever reaches the host.
#pragma once
#include <algorithm>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "linlearn/sink.h"

namespace linlearn::sinks {

// The key=value options of a sink, checked against the keys it knows.
class Options {
public:
    template <size_t N>
    Options(const ll_sink_config& config, const char* const (&known)[N]) {
        for (uint32_t i = 0; i < config.count; ++i) {
            const std::string key = config.keys[i] ? config.keys[i] : "";
            if (!is_known(key, known)) throw std::invalid_argument(unknown_key(key, known));
            pairs_.emplace_back(key, config.values[i] ? config.values[i] : "");
        }
    }

    bool has(const std::string& key) const { return find(key) != nullptr; }

    std::string get(const std::string& key, const std::string& fallback = "") const {
        const std::string* value = find(key);
        return value ? *value : fallback;
    }

    std::string required(const std::string& key, const char* example) const {
        const std::string* value = find(key);
        if (!value || value->empty())
            throw std::invalid_argument(key + "= is required, e.g. " + example);
        return *value;
    }

    bool flag(const std::string& key, bool fallback) const {
        const std::string* value = find(key);
        if (!value) return fallback;
        if (*value == "true" || *value == "1" || *value == "yes") return true;
        if (*value == "false" || *value == "0" || *value == "no") return false;
        throw std::invalid_argument(key + " must be true or false, not '" + *value + "'");
    }

    std::string choice(const std::string& key, std::initializer_list<const char*> allowed) const {
        const std::string value = get(key, *allowed.begin());
        if (is_known(value, allowed)) return value;
        throw std::invalid_argument(key + " must be one of " + join(allowed) + ", not '" + value + "'");
    }

private:
    const std::string* find(const std::string& key) const {
        for (const auto& pair : pairs_)
            if (pair.first == key) return &pair.second;
        return nullptr;
    }
    template <class Words>
    static bool is_known(const std::string& word, const Words& words) {
        for (const char* w : words)
            if (word == w) return true;
        return false;
    }
    template <class Words>
    static std::string join(const Words& words) {
        std::string out;
        for (const char* w : words) out += (out.empty() ? "" : ", ") + std::string(w);
        return out;
    }
    template <class Words>
    static std::string unknown_key(const std::string& key, const Words& known) {
        return "unknown option '" + key + "' (known: " + join(known) + ")";
    }

    std::vector<std::pair<std::string, std::string>> pairs_;
};

template <class Impl>
struct Adapter {
    struct Instance {
        std::unique_ptr<Impl> impl;
        std::string error;
    };

    // Runs body; a throw becomes status 1 and the message of last_error.
    template <class Body>
    static int run(void* instance, const char* what, Body body) noexcept {
        auto* self = static_cast<Instance*>(instance);
        if (!self) return 1;
        try {
            body(*self->impl);
            return 0;
        } catch (const std::exception& e) {
            set_error(*self, e.what());
        } catch (...) {
            set_error(*self, std::string(what) + " failed");
        }
        return 1;
    }
    static void set_error(Instance& self, const std::string& message) noexcept {
        try {
            self.error = message;
        } catch (...) {
            self.error.clear();  // out of memory: last_error says nothing rather than crash
        }
    }

    static int create(const ll_sink_config* config, const ll_sink_host* host, void** out,
                      char* error, size_t error_size) noexcept {
        try {
            if (!config || !host || !out) throw std::invalid_argument("create: NULL argument");
            auto self = std::make_unique<Instance>();
            self->impl = std::make_unique<Impl>(Options(*config, Impl::keys), *host);
            *out = self.release();
            return 0;
        } catch (const std::exception& e) {
            copy_message(e.what(), error, error_size);
        } catch (...) {
            copy_message("create failed", error, error_size);
        }
        return 1;
    }
    static void copy_message(const char* message, char* error, size_t error_size) noexcept {
        if (!error || error_size == 0) return;
        const size_t n = std::min(std::strlen(message), error_size - 1);
        std::memcpy(error, message, n);
        error[n] = '\0';
    }

    static int on_event(void* instance, const ll_event* event) noexcept {
        return run(instance, "on_event", [event](Impl& impl) {
            if (!event) throw std::invalid_argument("on_event: NULL event");
            impl.on_event(*event);
        });
    }
    static int flush(void* instance) noexcept {
        return run(instance, "flush", [](Impl& impl) { impl.flush(); });
    }
    static void destroy(void* instance) noexcept {
        try {
            delete static_cast<Instance*>(instance);
        } catch (...) {
        }
    }
    static const char* last_error(void* instance) noexcept {
        const auto* self = static_cast<const Instance*>(instance);
        return self && !self->error.empty() ? self->error.c_str() : nullptr;
    }
};

// The static table of a sink class, for its ll_sink_entry to return.
template <class Impl>
const ll_sink_plugin* plugin_table() {
    static const ll_sink_plugin table = {
        sizeof(ll_sink_plugin), LL_SINK_ABI_MAJOR, LL_SINK_ABI_MINOR,
        Impl::name, Impl::description, LINLEARN_SINK_VERSION,
        &Adapter<Impl>::create, &Adapter<Impl>::on_event, &Adapter<Impl>::flush,
        &Adapter<Impl>::destroy, &Adapter<Impl>::last_error,
    };
    return &table;
}

}  // namespace linlearn::sinks
