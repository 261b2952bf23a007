// Writing a file so that readers see either the old content or the new, never a part:
// a temporary file in the same folder, flushed to disk, then renamed over the target.
#pragma once
#include <string>

namespace linlearn {
// Throws Error(io) naming the path and the system's reason; the target is untouched then.
void write_file_atomically(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
}  // namespace linlearn
