// Files the built-in sinks write: line by line, each line handed to the OS before the
// write returns (a crash leaves every finished line complete), or all at once atomically.
#pragma once
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <system_error>

#include <unistd.h>

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

// Readers see the old content or the new, never a part: a temporary file in the same
// folder, flushed to disk, then renamed over path.
inline void write_file_atomically(const std::string& path, const std::string& bytes) {
    static std::atomic<unsigned> counter{0};
    make_parent_folders(path);
    const std::string temp = path + ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    std::FILE* file = std::fopen(temp.c_str(), "wbx");
    if (!file) io_error("cannot create", temp, errno);
    const bool written = std::fwrite(bytes.data(), 1, bytes.size(), file) == bytes.size() &&
                         std::fflush(file) == 0 && ::fsync(::fileno(file)) == 0;
    const int err = errno;
    if (std::fclose(file) != 0 || !written) {
        std::remove(temp.c_str());
        io_error("cannot write", temp, written ? errno : err);
    }
    if (std::rename(temp.c_str(), path.c_str()) != 0) {
        const int rename_err = errno;
        std::remove(temp.c_str());
        io_error("cannot rename " + temp + " to", path, rename_err);
    }
}

}  // namespace linlearn::sinks
