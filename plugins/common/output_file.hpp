// Files the built-in sinks write: line by line, each line handed to the OS before the
// write returns (a crash leaves every finished line complete), or all at once atomically.
// A line file is opened like any file: through a symbolic link, and into a device or a
// FIFO as well (opening a FIFO waits for its reader).
#pragma once
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>

#include <unistd.h>

#include "atomic_write.hpp"

namespace linlearn::sinks {

[[noreturn]] inline void io_error(const std::string& what, const std::string& path, int err) {
    throw std::runtime_error(what + " " + path + ": " + std::strerror(err));
}

// Creates the missing folders above path, so that out/metrics.jsonl just works.
inline void make_parent_folders(const std::string& path) {
    const std::filesystem::path parent = std::filesystem::path(path).parent_path();
    std::error_code ec;
    if (!parent.empty()) std::filesystem::create_directories(parent, ec);
    if (ec) io_error("cannot create the folder of", path, ec.value());
}

class OutputFile {
public:
    enum class Mode { truncate, append };

    OutputFile(const std::string& path, Mode mode) : path_(path) {
        make_parent_folders(path);
        file_ = std::fopen(path.c_str(), mode == Mode::append ? "ab" : "wb");
        if (!file_) io_error("cannot open", path, errno);
        struct stat st;
        pipe_like_ = ::fstat(::fileno(file_), &st) == 0 && (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode));
    }
    ~OutputFile() { std::fclose(file_); }
    OutputFile(const OutputFile&) = delete;
    OutputFile& operator=(const OutputFile&) = delete;

    // Writes text (whole lines) with as few write(2) calls as the kernel allows, so that a
    // crash leaves whole lines: stdio would split a long line at its buffer size. If a
    // write fails part-way (disk full, file-size limit), the file is cut back to where the
    // text began, so no partial line stays behind.
    void write(const std::string& text) {
        const int fd = ::fileno(file_);
        const off_t start = ::lseek(fd, 0, SEEK_END);  // -1 for a pipe or terminal
        // A FIFO whose reader went away: EPIPE, not a SIGPIPE that ends the host process.
        std::optional<atomic_write::detail::HoldSigpipe> hold;
        if (pipe_like_) hold.emplace();
        for (size_t done = 0; done < text.size();) {
            const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
            if (n > 0) {
                done += static_cast<size_t>(n);
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            const int err = n < 0 ? errno : EIO;
            if (start >= 0 && done > 0 && ::ftruncate(fd, start) != 0) {
                // Nothing more can be done: the error below reports the write.
            }
            io_error("cannot write to", path_, err);
        }
    }
    void flush() {
        if (std::fflush(file_) != 0) io_error("cannot write to", path_, errno);
    }
    const std::string& path() const { return path_; }

private:
    std::string path_;
    std::FILE* file_ = nullptr;
    bool pipe_like_ = false;  // a FIFO or socket: writes may raise SIGPIPE
};

// The first line of a file without its line end; "" if the file is missing or empty.
inline std::string first_line(const std::string& path) {
    std::FILE* file = std::fopen(path.c_str(), "rb");
    if (!file) return "";
    std::string line;
    for (int c; (c = std::fgetc(file)) != EOF && c != '\n';) line += static_cast<char>(c);
    std::fclose(file);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

// Readers see the old content or the new, never a part; a killed process leaves no
// temporary file; a symbolic link is followed and kept; a device or FIFO is written in
// place (atomic_write.hpp).
inline void write_file_atomically(const std::string& path, const std::string& bytes) {
    make_parent_folders(path);
    if (const auto failed = atomic_write::write_file(path, bytes)) io_error(failed->step, path, failed->err);
}

}  // namespace linlearn::sinks
