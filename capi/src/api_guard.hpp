// The boundary: every ll_* entry point runs its body through guarded(), which maps
// whatever the C++ side throws to a status code and the thread-local last error.
#pragma once
#include <string>

#include "error.hpp"
#include "linlearn/linlearn.h"

namespace linlearn::capi {

int set_last_error(int code, const std::string& message) noexcept;
void clear_last_error() noexcept;
int status_of(ErrorCode code) noexcept;

// Throws Error(invalid_argument) "argument 'name' is NULL" when p is null.
template <class T> T* require(T* p, const char* name) {
    if (!p) fail(ErrorCode::invalid_argument, std::string("argument '") + name + "' is NULL");
    return p;
}

template <class F> int guarded(const char* function, F&& body) noexcept {
    try {
        body();
        return LL_OK;
    } catch (const Error& e) {
        return set_last_error(status_of(e.code()), std::string(function) + ": " + e.what());
    } catch (const std::bad_alloc&) {
        return set_last_error(LL_E_NOMEM, std::string(function) + ": out of memory");
    } catch (const std::exception& e) {
        return set_last_error(LL_E_INTERNAL, std::string(function) + ": internal error: " + e.what());
    } catch (...) {
        return set_last_error(LL_E_INTERNAL, std::string(function) + ": unknown internal error");
    }
}

// Copies text (with its NUL) into a caller buffer, or reports the size needed.
void copy_out(const std::string& text, char* buf, size_t buf_size, size_t* needed);

}  // namespace linlearn::capi
