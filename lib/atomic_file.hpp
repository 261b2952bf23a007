// Writing a file so that readers see either the old content or the new, never a part:
// an unnamed temporary file (O_TMPFILE; a named one where the file system has none) in
// the folder of the file, flushed to disk, then put in its place by a rename. A symbolic
// link is followed (it stays, and shows the new content); a device or FIFO is written in
// place. The details: plugins/common/atomic_write.hpp, shared with the sinks and the CLI.
#pragma once
#include <string>

namespace linlearn {
// Throws Error(io) naming the path, the step and the system's reason; the target is
// untouched then (a device or FIFO excepted) and no temporary file is left.
void write_file_atomically(const std::string& path, const std::string& bytes);
std::string read_file(const std::string& path);
}  // namespace linlearn
