#include "atomic_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "error.hpp"

namespace linlearn {

namespace {
[[noreturn]] void io_fail(const std::string& what, const std::string& path, int err) {
    fail(ErrorCode::io, what + " '" + path + "': " + std::strerror(err));
}
}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
    std::vector<char> tmpl(path.begin(), path.end());
    const char suffix[] = ".tmp.XXXXXX";
    tmpl.insert(tmpl.end(), suffix, suffix + sizeof(suffix));  // with the NUL
    const int fd = ::mkstemp(tmpl.data());
    if (fd < 0) io_fail("cannot create a temporary file beside", path, errno);
    const std::string tmp(tmpl.data());
    auto abandon = [&](const char* what) {
        const int err = errno;
        ::close(fd);
        ::unlink(tmp.c_str());
        io_fail(what, path, err);
    };
    for (size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n < 0) {
            if (errno == EINTR) continue;
            abandon("cannot write");
        }
        done += static_cast<size_t>(n);
    }
    if (::fchmod(fd, 0644) != 0 || ::fsync(fd) != 0) abandon("cannot flush");
    if (::close(fd) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        io_fail("cannot close", path, err);
    }
    if (std::rename(tmp.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(tmp.c_str());
        io_fail("cannot replace", path, err);
    }
}

std::string read_file(const std::string& path) {
    std::error_code ec;
    if (std::filesystem::is_directory(path, ec)) io_fail("cannot read", path, EISDIR);
    std::ifstream in(path, std::ios::binary);
    if (!in) io_fail("cannot open", path, errno);
    std::ostringstream s;
    s << in.rdbuf();
    if (in.bad()) io_fail("cannot read", path, errno);
    return s.str();
}

}  // namespace linlearn
