// One TensorBoard event file in a log folder. TensorBoard treats every folder under its
// --logdir that holds a file whose name contains "tfevents" as a run, reads the files of
// a run in name order, and assumes only the newest one grows. The name is TensorFlow's:
//   events.out.tfevents.<unix seconds, 10 digits>.<host>
// (the zero-padded seconds keep name order chronological); should that name be taken (two
// runs in the same second), ".1", ".2"... follow it, which still sorts after it.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>

#include "tf_event.hpp"

namespace linlearn::sinks {

class EventFile {
public:
    // Creates the folder if needed and a new file in it, and writes the file_version
    // record. Throws std::runtime_error naming the file.
    EventFile(const std::string& logdir, const std::string& host);
    ~EventFile();
    EventFile(const EventFile&) = delete;
    EventFile& operator=(const EventFile&) = delete;

    // Appends one Event record and hands it to the OS, so TensorBoard sees it at once.
    void write_event(const std::string& event);
    void flush();
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::FILE* file_ = nullptr;
};

// The wall clock in seconds since the Unix epoch, with its fraction.
double wall_time_now();

}  // namespace linlearn::sinks
