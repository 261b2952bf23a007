#include "event_file.hpp"

#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <stdexcept>

#include "output_file.hpp"

namespace linlearn::sinks {

double wall_time_now() {
    const auto since_epoch = std::chrono::system_clock::now().time_since_epoch();
    return std::chrono::duration<double>(since_epoch).count();
}

EventFile::EventFile(const std::string& logdir, const std::string& host) {
    const double now = wall_time_now();
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%010" PRId64, static_cast<int64_t>(now));
    const std::string base = logdir + "/events.out.tfevents." + seconds + "." + host;
    make_parent_folders(base);
    for (int n = 0; !file_ && n < 1000; ++n) {
        path_ = n == 0 ? base : base + "." + std::to_string(n);
        file_ = std::fopen(path_.c_str(), "wbx");  // x: never append to another writer's file
        if (!file_ && errno != EEXIST) io_error("cannot create", path_, errno);
    }
    if (!file_) io_error("cannot create", base + ".N", EEXIST);
    try {
        write_event(tf_version_event(now));
    } catch (...) {
        std::fclose(file_);  // the destructor does not run for a constructor that throws
        throw;
    }
}

EventFile::~EventFile() { std::fclose(file_); }

void EventFile::write_event(const std::string& event) {
    const std::string record = tf_record(event);
    if (std::fwrite(record.data(), 1, record.size(), file_) != record.size() || std::fflush(file_) != 0)
        io_error("cannot write to", path_, errno);
}

void EventFile::flush() {
    if (std::fflush(file_) != 0) io_error("cannot write to", path_, errno);
}

}  // namespace linlearn::sinks
