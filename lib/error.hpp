// Error types of the core. The C ABI maps each ErrorCode to one LL_E_* status.
#pragma once
#include <stdexcept>
#include <string>

namespace linlearn {

enum class ErrorCode {
    invalid_argument,  // a bad value or key from the caller
    io,                // a file could not be opened, read or written
    parse,             // malformed data text (file, line, column in the message)
    model_format,      // a model file that is truncated, corrupted or of another version
    plugin,            // a sink plugin could not be loaded or failed
    callback,          // a user callback asked to stop or failed
    cancelled,         // training was cancelled
    state,             // a call made in the wrong order
    buffer_too_small,  // a caller's buffer cannot hold the result
    internal,
};

class Error : public std::runtime_error {
public:
    Error(ErrorCode code, const std::string& what) : std::runtime_error(what), code_(code) {}
    ErrorCode code() const noexcept { return code_; }

private:
    ErrorCode code_;
};

// "file:line:col: message" — the position of a parse error, 1-based.
inline Error parse_error(const std::string& file, long long line, long long col,
                         const std::string& message) {
    return Error(ErrorCode::parse, file + ":" + std::to_string(line) + ":" +
                                       std::to_string(col) + ": " + message);
}

[[noreturn]] inline void fail(ErrorCode code, const std::string& what) { throw Error(code, what); }

}  // namespace linlearn
