// plugins/common/atomic_write.hpp, the one writer of every artifact (model files through
// liblinlearn, the sinks' metrics= and path= files, the command line's outputs):
//  - a regular file is replaced whole (a new inode), keeps its permission bits, and no
//    temporary file is left, through O_TMPFILE and through the named fallback;
//  - a symbolic link (relative, chained, dangling) stays a link and its file gets the
//    content; a device or FIFO is written in place and stays what it was;
//  - failures (missing folder, a file as folder, a folder as file, a link loop, a
//    file-size limit, a full file system, a FIFO without reader) name the step and errno,
//    keep the old content and leave nothing behind; SIGPIPE does not end the process;
//  - writers in many threads to one file: readers only ever see a whole content.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../../plugins/common/atomic_write.hpp"
#include "file_size_limit.hpp"

namespace fs = std::filesystem;
using linlearn::atomic_write::Failure;
using linlearn::atomic_write::Method;
using linlearn::atomic_write::Options;
using linlearn::atomic_write::write_file;
using rel::FileSizeLimit;

namespace {

struct Folder {
    fs::path dir;
    Folder() {
        std::random_device rd;
        dir = fs::temp_directory_path() / ("linlearn-aw-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        fs::create_directories(dir);
    }
    ~Folder() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    Folder(const Folder&) = delete;
    Folder& operator=(const Folder&) = delete;
    std::string path(const std::string& name) const { return (dir / name).string(); }
    // Every name in the folder and below it (links not followed), sorted, comma-separated.
    std::string names() const {
        std::set<std::string> found;
        list(dir, "", found);
        std::string out;
        for (const std::string& n : found) out += (out.empty() ? "" : ",") + n;
        return out;
    }
    static void list(const fs::path& d, const std::string& prefix, std::set<std::string>& found) {
        for (const auto& e : fs::directory_iterator(d)) {
            const std::string name = prefix + e.path().filename().string();
            found.insert(name);
            if (fs::is_directory(fs::symlink_status(e.path()))) list(e.path(), name + "/", found);
        }
    }
};

std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

void put(const std::string& path, const std::string& bytes) { std::ofstream(path, std::ios::binary) << bytes; }

struct stat lstat_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st;
}

bool o_tmpfile_works(const std::string& dir) {
#ifdef O_TMPFILE
    const int fd = ::open(dir.c_str(), O_TMPFILE | O_WRONLY, 0600);
    if (fd < 0) return false;
    ::close(fd);
    return true;
#else
    return false;
#endif
}

std::string describe(const std::optional<Failure>& f) {
    return f ? std::string(f->step) + ": " + std::strerror(f->err) : "ok";
}

// Writes and requires success; returns the method used.
Method write_ok(const std::string& path, const std::string& bytes, bool unnamed = true) {
    Method used{};
    Options options;
    options.unnamed_temp = unnamed;
    options.used = &used;
    const auto failed = write_file(path, bytes, options);
    INFO(path, " -> ", describe(failed));
    REQUIRE(!failed);
    return used;
}

}  // namespace

TEST_CASE("a regular file is replaced whole, keeps its permission bits, and leaves nothing beside it") {
    Folder f;
    const std::string path = f.path("model.llmodel");
    const mode_t old_umask = ::umask(022);
    for (const bool unnamed : {true, false}) {
        CAPTURE(unnamed);
        std::error_code ec;
        fs::remove(path, ec);
        const Method first = write_ok(path, "first", unnamed);
        CHECK(read(path) == "first");
        CHECK((lstat_of(path).st_mode & 0777) == 0644);  // 0666 less the umask, as open(2) gives
        if (!unnamed) CHECK(first == Method::named_temp);
        else if (o_tmpfile_works(f.dir.string())) CHECK(first == Method::unnamed_temp);

        REQUIRE(::chmod(path.c_str(), 0600) == 0);
        const ino_t before = lstat_of(path).st_ino;
        write_ok(path, "second, longer", unnamed);
        CHECK(read(path) == "second, longer");
        CHECK(lstat_of(path).st_ino != before);  // a new file was put in place, not rewritten
        CHECK((lstat_of(path).st_mode & 0777) == 0600);
        write_ok(path, "", unnamed);
        CHECK(read(path).empty());
        CHECK(f.names() == "model.llmodel");
    }
    ::umask(old_umask);
}

TEST_CASE("a name near NAME_MAX still gets a temporary name that fits") {
    Folder f;
    const std::string path = f.path(std::string(250, 'm'));
    for (const bool unnamed : {true, false}) {
        write_ok(path, unnamed ? "u" : "n", unnamed);
        CHECK(read(path) == (unnamed ? "u" : "n"));
    }
    CHECK(f.names() == std::string(250, 'm'));
}

TEST_CASE("a symbolic link stays a link and the file it points to gets the content") {
    Folder f;
    fs::create_directories(f.dir / "real");
    put(f.path("real/model.llmodel"), "old");
    REQUIRE(::symlink("real/model.llmodel", f.path("link").c_str()) == 0);  // relative
    REQUIRE(::symlink(f.path("link").c_str(), f.path("link-to-link").c_str()) == 0);  // absolute, chained
    for (const bool unnamed : {true, false}) {
        CAPTURE(unnamed);
        write_ok(f.path("link"), unnamed ? "through the link (u)" : "through the link (n)", unnamed);
        CHECK(S_ISLNK(lstat_of(f.path("link")).st_mode));
        CHECK(read(f.path("real/model.llmodel")) == (unnamed ? "through the link (u)" : "through the link (n)"));
        write_ok(f.path("link-to-link"), "two links", unnamed);
        CHECK(S_ISLNK(lstat_of(f.path("link-to-link")).st_mode));
        CHECK(S_ISLNK(lstat_of(f.path("link")).st_mode));
        CHECK(read(f.path("real/model.llmodel")) == "two links");
    }
    CHECK(f.names() == "link,link-to-link,real,real/model.llmodel");
}

TEST_CASE("a dangling link: the file it names is created, the link stays") {
    Folder f;
    fs::create_directories(f.dir / "out");
    REQUIRE(::symlink("out/metrics.json", f.path("metrics.json").c_str()) == 0);
    write_ok(f.path("metrics.json"), "{}\n");
    CHECK(S_ISLNK(lstat_of(f.path("metrics.json")).st_mode));
    CHECK(read(f.path("out/metrics.json")) == "{}\n");
    // One that points into a missing folder fails like a missing folder.
    REQUIRE(::symlink("missing/x", f.path("nowhere").c_str()) == 0);
    const auto failed = write_file(f.path("nowhere"), "x");
    REQUIRE(failed);
    CHECK(failed->err == ENOENT);
    CHECK(S_ISLNK(lstat_of(f.path("nowhere")).st_mode));
}

TEST_CASE("a device is written in place and stays a device") {
    Folder f;
    // Through links to /dev/null and /dev/full: were they replaced, only the links in our
    // folder would go, never the nodes in /dev.
    REQUIRE(::symlink("/dev/null", f.path("null").c_str()) == 0);
    REQUIRE(::symlink("/dev/full", f.path("full").c_str()) == 0);
    for (const bool unnamed : {true, false}) {
        CHECK(write_ok(f.path("null"), "bytes", unnamed) == Method::in_place);
        CHECK(S_ISLNK(lstat_of(f.path("null")).st_mode));
        Options options;
        options.unnamed_temp = unnamed;
        const auto failed = write_file(f.path("full"), "bytes", options);
        REQUIRE(failed);
        CHECK(std::string(failed->step) == "cannot write");
        CHECK(failed->err == ENOSPC);
    }
    // A node of our own (root only): it stays a character device.
    if (::mknod(f.path("dev-null").c_str(), S_IFCHR | 0666, makedev(1, 3)) == 0) {
        CHECK(write_ok(f.path("dev-null"), "bytes") == Method::in_place);
        CHECK(S_ISCHR(lstat_of(f.path("dev-null")).st_mode));
    } else {
        MESSAGE("mknod needs CAP_MKNOD: the device node of our own is not tested here");
    }
    CHECK((f.names() == "dev-null,full,null" || f.names() == "full,null"));
}

TEST_CASE("a FIFO is written in place: its reader gets the bytes, and it stays a FIFO") {
    Folder f;
    const std::string fifo = f.path("events.fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    REQUIRE(::symlink("events.fifo", f.path("fifo-link").c_str()) == 0);
    const std::string bytes(300000, 'x');  // more than a pipe holds: the writer waits for the reader
    for (const std::string& path : {fifo, f.path("fifo-link")}) {
        CAPTURE(path);
        std::string got;
        std::thread reader([&] { got = read(fifo); });
        const Method used = write_ok(path, bytes);
        reader.join();
        CHECK(used == Method::in_place);
        CHECK(got == bytes);
        CHECK(S_ISFIFO(lstat_of(fifo).st_mode));
        CHECK(S_ISLNK(lstat_of(f.path("fifo-link")).st_mode));
    }
    CHECK(f.names() == "events.fifo,fifo-link");
}

TEST_CASE("a FIFO whose reader goes away: EPIPE, and no SIGPIPE ends the process") {
    Folder f;
    const std::string fifo = f.path("gone.fifo");
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::thread reader([&] {
        const int fd = ::open(fifo.c_str(), O_RDONLY);
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the writer fills the pipe and waits
        ::close(fd);
    });
    const auto failed = write_file(fifo, std::string(1 << 20, 'x'));  // SIGPIPE is SIG_DFL here: it would kill
    reader.join();
    REQUIRE(failed);
    CHECK(std::string(failed->step) == "cannot write");
    CHECK(failed->err == EPIPE);
    sigset_t pending;
    REQUIRE(::sigpending(&pending) == 0);
    CHECK(sigismember(&pending, SIGPIPE) == 0);  // consumed, not left pending for later
}

TEST_CASE("failures name the step and errno, keep the old content and leave nothing") {
    Folder f;
    put(f.path("plain"), "x");
    fs::create_directories(f.dir / "folder");
    REQUIRE(::symlink("loop-b", f.path("loop-a").c_str()) == 0);
    REQUIRE(::symlink("loop-a", f.path("loop-b").c_str()) == 0);
    const struct {
        std::string path;
        int err;
    } cases[] = {{f.path("missing/model.llmodel"), ENOENT},
                 {f.path("plain/model.llmodel"), ENOTDIR},
                 {f.path("folder"), EISDIR},
                 {f.path("loop-a"), ELOOP},
                 {"", ENOENT}};
    for (const auto& c : cases) {
        for (const bool unnamed : {true, false}) {
            CAPTURE(c.path);
            CAPTURE(unnamed);
            Options options;
            options.unnamed_temp = unnamed;
            const auto failed = write_file(c.path, "data", options);
            REQUIRE(failed);
            CHECK(failed->err == c.err);
        }
    }
    CHECK(read(f.path("plain")) == "x");
    CHECK(f.names() == "folder,loop-a,loop-b,plain");
}

TEST_CASE("a file-size limit (as a full disk): the old content stays, no temporary file") {
    Folder f;
    const std::string path = f.path("metrics.json");
    put(path, "previous");
    for (const bool unnamed : {true, false}) {
        CAPTURE(unnamed);
        Options options;
        options.unnamed_temp = unnamed;
        std::optional<Failure> failed;
        {
            FileSizeLimit limit(1000);
            failed = write_file(path, std::string(5000, 'n'), options);
        }
        REQUIRE(failed);
        CHECK(std::string(failed->step) == "cannot write");
        CHECK(failed->err == EFBIG);
        CHECK(read(path) == "previous");
        CHECK(f.names() == "metrics.json");
    }
}

TEST_CASE("a full file system: ENOSPC, the old content stays, no temporary file") {
    Folder f;
    const std::string mnt = f.path("tmpfs");
    fs::create_directories(mnt);
    if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=256k") != 0) {
        MESSAGE("cannot mount a tmpfs here (", std::strerror(errno), "): not tested; the file-size limit covers it");
        return;
    }
    struct Unmount {
        std::string dir;
        ~Unmount() { ::umount(dir.c_str()); }
    } unmount{mnt};
    const std::string path = mnt + "/model.llmodel";
    write_ok(path, "previous");
    {
        std::ofstream filler(mnt + "/filler", std::ios::binary);
        const std::string block(4096, '\0');
        while (filler.write(block.data(), static_cast<std::streamsize>(block.size())) && filler.flush()) {
        }
    }
    for (const bool unnamed : {true, false}) {
        CAPTURE(unnamed);
        Options options;
        options.unnamed_temp = unnamed;
        const auto failed = write_file(path, std::string(64 * 1024, 'n'), options);
        REQUIRE(failed);
        CHECK(failed->err == ENOSPC);
        CHECK(read(path) == "previous");
        std::set<std::string> names;
        for (const auto& e : fs::directory_iterator(mnt)) names.insert(e.path().filename().string());
        CHECK(names == std::set<std::string>{"filler", "model.llmodel"});
    }
}

TEST_CASE("writers in many threads to one file: readers only ever see a whole content") {
    Folder f;
    const std::string path = f.path("shared.json");
    auto content = [](int writer, int round) {
        return std::string(static_cast<size_t>(1000 + 37 * writer + round), static_cast<char>('a' + writer));
    };
    write_ok(path, content(0, 0));
    constexpr int kWriters = 6, kRounds = 40;
    std::atomic<bool> done{false};
    std::atomic<int> failures{0}, torn{0}, reads{0};
    std::thread reader([&] {
        while (!done) {
            const std::string got = read(path);
            ++reads;
            const int writer = got.empty() ? -1 : got[0] - 'a';
            if (writer < 0 || writer >= kWriters || got.find_first_not_of(got[0]) != std::string::npos ||
                got.size() < 1000 + 37 * static_cast<size_t>(writer))
                ++torn;
        }
    });
    std::vector<std::thread> writers;
    for (int w = 0; w < kWriters; ++w)
        writers.emplace_back([&, w] {
            for (int r = 0; r < kRounds; ++r) {
                Options options;
                options.unnamed_temp = (w + r) % 2 == 0;  // both ways at once
                failures += write_file(path, content(w, r), options).has_value();
            }
        });
    for (auto& t : writers) t.join();
    done = true;
    reader.join();
    CHECK(failures == 0);
    CHECK(torn == 0);
    CHECK(reads > 0);
    CHECK(f.names() == "shared.json");
}

TEST_CASE("writers racing to create one new file: one wins whole, the others replace it, no failure") {
    Folder f;
    const std::string path = f.path("new.json");
    constexpr int kWriters = 6, kRounds = 20;
    for (int round = 0; round < kRounds; ++round) {
        std::error_code ec;
        fs::remove(path, ec);
        std::atomic<int> ready{0}, failures{0};
        std::vector<std::thread> writers;
        for (int w = 0; w < kWriters; ++w)
            writers.emplace_back([&, w] {
                ++ready;
                while (ready < kWriters) std::this_thread::yield();  // all start together
                failures += write_file(path, std::string(static_cast<size_t>(100 + w), static_cast<char>('a' + w)))
                                .has_value();
            });
        for (auto& t : writers) t.join();
        CHECK(failures == 0);
        const std::string got = read(path);
        REQUIRE(!got.empty());
        CHECK(got.size() == static_cast<size_t>(100 + (got[0] - 'a')));
        CHECK(got.find_first_not_of(got[0]) == std::string::npos);
        CHECK(f.names() == "new.json");
    }
}
