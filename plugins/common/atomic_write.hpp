// Writing an artifact (a model, a metrics file, an exposition) so that readers see either
// the old content or the new one, never a part, and a process killed mid-write leaves no
// temporary file behind. Header-only, POSIX and the standard library only: liblinlearn
// (lib/atomic_file.cpp), the built-in sinks (output_file.hpp) and the command line all
// write through this one function.
//
// What write_file(path, bytes) does, by what path names:
//  - a regular file or nothing: the bytes go to a temporary file in the same folder, are
//    flushed to disk (fsync), and the temporary file is renamed over path. The temporary
//    file is unnamed (Linux O_TMPFILE) while it is written, so a killed process leaves
//    nothing. Once complete it is linked (linkat) under path itself if there was no file
//    yet; otherwise under <name>.tmp.<pid>.<n>, renamed over path at once: a kill between
//    those two system calls leaves that name, a whole copy of the new content (linkat
//    cannot replace an existing name, and Linux has no call that can). A file system
//    without O_TMPFILE gets a named temporary file from the start, which a process killed
//    while writing it leaves behind.
//    An existing file keeps its permission bits (not its owner); a new one gets 0666
//    less the umask, as open(2) would give it.
//  - a symbolic link (to a regular file, or dangling): the same, beside the file the link
//    finally points to; the link stays and shows the new content.
//  - anything else that is not a folder (a character or block device, a FIFO, a socket,
//    /dev/stdout): the bytes are written straight into it, opened with O_TRUNC. Atomicity
//    does not apply; readers of a FIFO see the bytes as they come. Opening a FIFO
//    waits for a reader, as open(2) does. SIGPIPE is held back while writing, so a reader
//    that went away is the error EPIPE, not the end of the host process.
// On failure the old content is untouched (except when writing straight into a device or
// FIFO), no temporary file stays, and the result names the step and errno.
#pragma once
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

namespace linlearn::atomic_write {

// Why a write failed: what could not be done (for a message "<step> '<path>': <reason>")
// and errno.
struct Failure {
    const char* step;
    int err;
};

// How a successful write was made (for tests and diagnostics).
enum class Method { unnamed_temp, named_temp, in_place };

struct Options {
    bool unnamed_temp = true;  // false: always a named temporary file (tests of the fallback)
    Method* used = nullptr;    // set on success
};

namespace detail {

// Blocks SIGPIPE in the calling thread for its lifetime; a SIGPIPE raised meanwhile by
// this thread's writes is discarded (the write has already failed with EPIPE). A SIGPIPE
// that was pending before is left pending.
class HoldSigpipe {
public:
    HoldSigpipe() {
        sigset_t pipe_only;
        sigemptyset(&pipe_only);
        sigaddset(&pipe_only, SIGPIPE);
        active_ = ::pthread_sigmask(SIG_BLOCK, &pipe_only, &saved_) == 0;
        sigset_t pending;
        if (active_ && ::sigpending(&pending) == 0) pending_before_ = sigismember(&pending, SIGPIPE) == 1;
    }
    ~HoldSigpipe() {
        if (!active_) return;
        const int saved_errno = errno;
        sigset_t pending;
        if (!pending_before_ && ::sigpending(&pending) == 0 && sigismember(&pending, SIGPIPE) == 1) {
            sigset_t pipe_only;
            sigemptyset(&pipe_only);
            sigaddset(&pipe_only, SIGPIPE);
            const timespec no_wait{0, 0};
            while (::sigtimedwait(&pipe_only, nullptr, &no_wait) < 0 && errno == EINTR) {
            }
        }
        ::pthread_sigmask(SIG_SETMASK, &saved_, nullptr);
        errno = saved_errno;
    }
    HoldSigpipe(const HoldSigpipe&) = delete;
    HoldSigpipe& operator=(const HoldSigpipe&) = delete;

private:
    sigset_t saved_{};
    bool active_ = false;
    bool pending_before_ = false;
};

// Writes every byte; 0 or errno.
inline int write_all(int fd, std::string_view bytes) {
    for (size_t done = 0; done < bytes.size();) {
        const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
        if (n > 0) {
            done += static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            return n < 0 ? errno : EIO;
        }
    }
    return 0;
}

inline std::string folder_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

inline std::string name_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Follows path while it names a symbolic link; the last name reached (which may not
// exist: a dangling link names the file to create). 0 or errno (ELOOP after 40 links).
inline int follow_links(const std::string& path, std::string& out) {
    out = path;
    for (int links = 0;; ++links) {
        struct stat st;
        if (::lstat(out.c_str(), &st) != 0) return errno == ENOENT ? 0 : errno;
        if (!S_ISLNK(st.st_mode)) return 0;
        if (links == 40) return ELOOP;
        // st_size is the link's length, except for /proc's links, which say 0 or 64.
        std::string target(static_cast<size_t>(st.st_size) + 256, '\0');
        for (;;) {
            const ssize_t n = ::readlink(out.c_str(), target.data(), target.size());
            if (n < 0) return errno;
            if (static_cast<size_t>(n) < target.size()) {
                target.resize(static_cast<size_t>(n));
                break;
            }
            if (target.size() > 65536) return ENAMETOOLONG;
            target.resize(target.size() * 2);
        }
        if (target.empty()) return ENOENT;
        out = target.front() == '/' ? target : folder_of(out) + "/" + target;
    }
}

// A name for the temporary file beside target: <name>.tmp.<pid>.<n>, within NAME_MAX.
inline std::string temp_name(const std::string& folder, const std::string& name) {
    static std::atomic<unsigned long> counter{0};
    const std::string suffix = ".tmp." + std::to_string(::getpid()) + "." + std::to_string(counter++);
    return folder + "/" + name.substr(0, 255 - suffix.size()) + suffix;
}

// Writes bytes into what path names (a device, a FIFO, ...): no temporary file.
inline std::optional<Failure> write_in_place(const std::string& path, std::string_view bytes, bool regular) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return Failure{"cannot open", errno};
    int err = 0;
    {
        HoldSigpipe hold;
        err = write_all(fd, bytes);
    }
    if (err == 0 && regular && ::fsync(fd) != 0) err = errno;
    if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
    if (err != 0) return Failure{"cannot write", err};
    return std::nullopt;
}

// Content, permissions and fsync of a temporary file; 0 or errno. keep_mode: the file
// being replaced (its permission bits are copied), or null when there is none.
inline int fill(int fd, std::string_view bytes, const struct stat* keep_mode) {
    if (const int err = write_all(fd, bytes)) return err;
    if (keep_mode && ::fchmod(fd, keep_mode->st_mode & 0777) != 0) return errno;
    if (::fsync(fd) != 0) return errno;
    return 0;
}

// The O_TMPFILE way. Returns true when it decided the outcome (written, or a failure in
// *failure); false when this file system or kernel cannot do it (then nothing was made).
inline bool write_unnamed(const std::string& folder, const std::string& name, const std::string& target,
                          std::string_view bytes, const struct stat* keep_mode, std::optional<Failure>* failure) {
#ifdef O_TMPFILE
    auto link_as = [](int fd, const std::string& proc, const std::string& as) {
        if (::linkat(AT_FDCWD, proc.c_str(), AT_FDCWD, as.c_str(), AT_SYMLINK_FOLLOW) == 0) return 0;
        if (errno != ENOENT && errno != EPERM && errno != EACCES) return errno;
        return ::linkat(fd, "", AT_FDCWD, as.c_str(), AT_EMPTY_PATH) == 0 ? 0 : errno;
    };
    const int fd = ::open(folder.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0666);
    if (fd < 0) {
        if (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL || errno == ENOSYS) return false;
        *failure = Failure{"cannot create a temporary file beside", errno};
        return true;
    }
    if (const int err = fill(fd, bytes, keep_mode)) {
        ::close(fd);
        *failure = Failure{"cannot write", err};
        return true;
    }
    // Give the complete file a name: through /proc (any user), else AT_EMPTY_PATH (needs
    // CAP_DAC_READ_SEARCH before Linux 6.10). Without either, the named way below. A new
    // file gets its own name at once (linkat refuses to replace: EEXIST if another writer
    // was first); one that replaces another goes through a temporary name and a rename.
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    if (!keep_mode) {
        const int err = link_as(fd, proc, target);
        if (err == 0) {
            ::close(fd);
            return true;
        }
        if (err != EEXIST) {
            ::close(fd);
            if (err == ENOENT || err == EPERM || err == EACCES || err == EINVAL) return false;
            *failure = Failure{"cannot create", err};
            return true;
        }
    }
    std::string temp;
    int err = EEXIST;
    for (int attempt = 0; attempt < 100 && err == EEXIST; ++attempt) {
        temp = temp_name(folder, name);
        err = link_as(fd, proc, temp);
    }
    ::close(fd);  // after fsync, close reports nothing new
    if (err == ENOENT || err == EPERM || err == EACCES || err == EINVAL) return false;
    if (err != 0) {
        *failure = Failure{"cannot create a temporary file beside", err};
        return true;
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        *failure = Failure{"cannot replace", errno};
        ::unlink(temp.c_str());
    }
    return true;
#else
    (void)folder, (void)name, (void)target, (void)bytes, (void)keep_mode, (void)failure;
    return false;
#endif
}

inline std::optional<Failure> write_named(const std::string& folder, const std::string& name, const std::string& target,
                                          std::string_view bytes, const struct stat* keep_mode) {
    std::string temp;
    int fd = -1;
    for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
        temp = temp_name(folder, name);
        fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd < 0 && errno != EEXIST) return Failure{"cannot create a temporary file beside", errno};
    }
    if (fd < 0) return Failure{"cannot create a temporary file beside", EEXIST};
    int err = fill(fd, bytes, keep_mode);
    if (::close(fd) != 0 && err == 0 && errno != EINTR) err = errno;
    if (err != 0) {
        ::unlink(temp.c_str());
        return Failure{"cannot write", err};
    }
    if (::rename(temp.c_str(), target.c_str()) != 0) {
        err = errno;
        ::unlink(temp.c_str());
        return Failure{"cannot replace", err};
    }
    return std::nullopt;
}

}  // namespace detail

// Writes bytes to path as described at the top of this file. std::nullopt on success.
inline std::optional<Failure> write_file(const std::string& path, std::string_view bytes, const Options& options = {}) {
    auto done = [&](Method m) -> std::optional<Failure> {
        if (options.used) *options.used = m;
        return std::nullopt;
    };
    if (path.empty()) return Failure{"cannot write", ENOENT};
    struct stat st;
    const bool exists = ::stat(path.c_str(), &st) == 0;
    if (!exists && errno != ENOENT) return Failure{"cannot write", errno};
    if (exists && S_ISDIR(st.st_mode)) return Failure{"cannot write", EISDIR};
    if (exists && !S_ISREG(st.st_mode)) {
        if (auto failed = detail::write_in_place(path, bytes, false)) return failed;
        return done(Method::in_place);
    }
    std::string target;
    const int follow_err = detail::follow_links(path, target);
    if (follow_err != 0 && !exists) return Failure{"cannot write", follow_err};
    if (exists && (follow_err != 0 || target != path)) {
        // The links must lead by name to a regular file; they do not for a link that only
        // the kernel can follow (/proc/self/fd/N to a deleted file). Then the bytes go
        // through path itself, without atomicity. (Not a comparison of inodes: another
        // writer may have replaced the file meanwhile, which is no reason to give up.)
        struct stat reached;
        if (follow_err != 0 || ::stat(target.c_str(), &reached) != 0 || !S_ISREG(reached.st_mode)) {
            if (auto failed = detail::write_in_place(path, bytes, true)) return failed;
            return done(Method::in_place);
        }
    }
    const std::string folder = detail::folder_of(target), name = detail::name_of(target);
    if (name.empty() || name == "." || name == "..") return Failure{"cannot write", EISDIR};
    const struct stat* keep_mode = exists ? &st : nullptr;
    if (options.unnamed_temp) {
        std::optional<Failure> failure;
        if (detail::write_unnamed(folder, name, target, bytes, keep_mode, &failure)) {
            if (failure) return failure;
            return done(Method::unnamed_temp);
        }
    }
    if (auto failed = detail::write_named(folder, name, target, bytes, keep_mode)) return failed;
    return done(Method::named_temp);
}

}  // namespace linlearn::atomic_write
