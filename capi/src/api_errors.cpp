#include <cstring>

#include "api_guard.hpp"

namespace linlearn::capi {

namespace {
thread_local std::string t_message;
thread_local int t_code = LL_OK;
}  // namespace

int set_last_error(int code, const std::string& message) noexcept {
    try {
        t_message = message;
    } catch (...) {
        t_message.clear();  // out of memory: the code still tells
    }
    t_code = code;
    return code;
}

void clear_last_error() noexcept {
    t_message.clear();
    t_code = LL_OK;
}

int status_of(ErrorCode code) noexcept {
    switch (code) {
    case ErrorCode::invalid_argument: return LL_E_INVALID_ARG;
    case ErrorCode::io: return LL_E_IO;
    case ErrorCode::parse: return LL_E_PARSE;
    case ErrorCode::model_format: return LL_E_MODEL_FORMAT;
    case ErrorCode::plugin: return LL_E_PLUGIN;
    case ErrorCode::callback: return LL_E_CALLBACK;
    case ErrorCode::cancelled: return LL_E_CANCELLED;
    case ErrorCode::state: return LL_E_STATE;
    case ErrorCode::buffer_too_small: return LL_E_BUFFER_TOO_SMALL;
    case ErrorCode::internal: return LL_E_INTERNAL;
    }
    return LL_E_INTERNAL;
}

void copy_out(const std::string& text, char* buf, size_t buf_size, size_t* needed) {
    if (needed) *needed = text.size() + 1;
    if (!buf || buf_size < text.size() + 1)
        throw Error(ErrorCode::buffer_too_small, "buffer too small: " + std::to_string(text.size() + 1) +
                                                     " bytes needed, " + std::to_string(buf_size) + " given");
    std::memcpy(buf, text.c_str(), text.size() + 1);
}

}  // namespace linlearn::capi

using namespace linlearn::capi;

extern "C" {

LL_API const char* ll_last_error(void) { return t_message.c_str(); }
LL_API int ll_last_error_code(void) { return t_code; }

LL_API const char* ll_version_string(void) { return LINLEARN_VERSION_STRING; }

LL_API void ll_version(int* major, int* minor, int* patch) {
    if (major) *major = LL_VERSION_MAJOR;
    if (minor) *minor = LL_VERSION_MINOR;
    if (patch) *patch = LL_VERSION_PATCH;
}

LL_API int ll_abi_version(void) { return LL_ABI_VERSION; }

}  // extern "C"
