#include "atomic_file.hpp"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "../plugins/common/atomic_write.hpp"  // header-only, shared with the sinks and the CLI
#include "error.hpp"

namespace linlearn {

namespace {
[[noreturn]] void io_fail(const std::string& what, const std::string& path, int err) {
    fail(ErrorCode::io, what + " '" + path + "': " + std::strerror(err));
}
}  // namespace

void write_file_atomically(const std::string& path, const std::string& bytes) {
    if (const auto failed = atomic_write::write_file(path, bytes)) io_fail(failed->step, path, failed->err);
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
