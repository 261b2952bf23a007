// The parallel whole-file readers (read_csv, read_libsvm over a mapped file) against the
// sequential ones (CsvReader / LibsvmReader through LineSource): the same values in the same
// order, and the same first error, whatever the thread count and wherever the ranges are cut.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "csv_reader.hpp"
#include "data_file.hpp"
#include "error.hpp"
#include "libsvm_reader.hpp"

using namespace linlearn;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path dir;
    TempDir() {
        static std::atomic<int> counter{0};
        std::random_device rd;
        dir = fs::temp_directory_path() /
              ("linlearn-parallel-" + std::to_string(rd()) + "-" + std::to_string(counter++));
        fs::create_directories(dir);
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(dir, ec);
    }
    std::string write(const std::string& name, const std::string& text) const {
        const fs::path p = dir / name;
        std::ofstream(p, std::ios::binary) << text;
        return p.string();
    }
};

const int thread_counts[] = {1, 2, 3, 8};
// 1 byte: a range per line; small odd sizes cut inside numbers, CRLF pairs and the BOM; 0 is
// the default (1 MiB: one range for these files).
const size_t range_sizes[] = {1, 2, 3, 5, 7, 13, 64, 1000, 0};

// What a read gave: the arrays, or the error's code and message.
struct Outcome {
    bool ok = false;
    int code = -1;
    std::string error;
    bool sparse = false;
    int64_t rows = 0, cols = 0;
    std::vector<float> x, y, values;
    std::vector<int64_t> indptr;
    std::vector<int32_t> indices;
    bool labelled = false;

    bool operator==(const Outcome& o) const {
        // Bitwise equal floats: the same parse, not merely close values.
        auto same = [](const std::vector<float>& a, const std::vector<float>& b) {
            return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
        };
        return ok == o.ok && code == o.code && error == o.error && sparse == o.sparse && rows == o.rows &&
               cols == o.cols && same(x, o.x) && same(y, o.y) && same(values, o.values) &&
               indptr == o.indptr && indices == o.indices && labelled == o.labelled;
    }
};

template <class F>
Outcome outcome(F&& read) {
    Outcome o;
    try {
        const Dataset d = read();
        o.ok = true;
        o.sparse = d.sparse();
        o.rows = d.rows();
        o.cols = d.cols();
        o.labelled = d.labels() != nullptr;
        if (o.labelled) o.y.assign(d.labels(), d.labels() + d.rows());
        if (d.sparse()) {
            const CsrView& v = d.csr();
            o.indptr.assign(v.indptr, v.indptr + v.rows + 1);
            o.indices.assign(v.indices, v.indices + v.nnz());
            o.values.assign(v.values, v.values + v.nnz());
        } else {
            const DenseView& v = d.dense();
            for (int64_t i = 0; i < v.rows; ++i) o.x.insert(o.x.end(), v.row(i), v.row(i) + v.cols);
        }
    } catch (const Error& e) {
        o.code = static_cast<int>(e.code());
        o.error = e.what();
    }
    return o;
}

// Every thread count and range size gives the sequential reader's outcome; returns it.
Outcome same_csv(const std::string& path, CsvOptions opts) {
    const Outcome want = outcome([&] { return detail::read_csv_sequential(path, opts); });
    for (int t : thread_counts)
        for (size_t bytes : range_sizes) {
            CAPTURE(t);
            CAPTURE(bytes);
            opts.num_threads = t;
            const Outcome got = outcome([&] { return detail::read_csv_parallel(path, opts, bytes); });
            CHECK(got.error == want.error);
            CHECK(got == want);
        }
    opts.num_threads = 0;
    CHECK(outcome([&] { return read_csv(path, opts); }) == want);
    return want;
}

Outcome same_libsvm(const std::string& path, LibsvmOptions opts) {
    const Outcome want = outcome([&] { return detail::read_libsvm_sequential(path, opts); });
    for (int t : thread_counts)
        for (size_t bytes : range_sizes) {
            CAPTURE(t);
            CAPTURE(bytes);
            opts.num_threads = t;
            const Outcome got = outcome([&] { return detail::read_libsvm_parallel(path, opts, bytes); });
            CHECK(got.error == want.error);
            CHECK(got == want);
        }
    opts.num_threads = 0;
    CHECK(outcome([&] { return read_libsvm(path, opts); }) == want);
    return want;
}

void expect(const std::string& message, const std::string& part) {
    CHECK_MESSAGE(message.find(part) != std::string::npos, message);
}

std::string number(std::mt19937& rng) {
    std::uniform_real_distribution<double> u(-1000, 1000);
    char buf[64];
    switch (rng() % 6) {
        case 0: std::snprintf(buf, sizeof buf, "%.7g", u(rng)); break;
        case 1: std::snprintf(buf, sizeof buf, "%d", static_cast<int>(u(rng))); break;
        case 2: std::snprintf(buf, sizeof buf, "%.3e", u(rng) * 1e-5); break;
        case 3: std::snprintf(buf, sizeof buf, "%.9f", u(rng) / 7); break;
        case 4: std::snprintf(buf, sizeof buf, "+%.2f", std::abs(u(rng))); break;
        default: std::snprintf(buf, sizeof buf, "%.17g", u(rng) / 3); break;
    }
    return buf;
}

struct CsvShape {
    int cols = 5;
    int rows = 60;
    char delimiter = ',';
    bool bom = false, header = false, crlf = false, mixed_ends = false, final_newline = true;
    bool blanks = false, decorate = false;  // blank lines; spaces and quotes around fields
};

std::string make_csv(const CsvShape& s, unsigned seed) {
    std::mt19937 rng(seed);
    std::string text = s.bom ? "\xEF\xBB\xBF" : "";
    auto end_line = [&] {
        const bool crlf = s.mixed_ends ? rng() % 2 : s.crlf;
        text += crlf ? "\r\n" : "\n";
    };
    auto blank = [&] {
        static const char* const kinds[] = {"", " ", "   "};
        text += kinds[rng() % 3];
        end_line();
    };
    if (s.blanks) blank();
    if (s.header) {
        for (int j = 0; j < s.cols; ++j) text += (j ? std::string(1, s.delimiter) : "") + "c" + std::to_string(j);
        end_line();
    }
    for (int i = 0; i < s.rows; ++i) {
        if (s.blanks && rng() % 4 == 0) blank();
        for (int j = 0; j < s.cols; ++j) {
            if (j) text += s.delimiter;
            std::string v = number(rng);
            if (s.decorate && rng() % 5 == 0) v = "\"" + v + "\"";
            if (s.decorate && rng() % 5 == 0) v = " " + v + "  ";
            text += v;
        }
        if (i + 1 < s.rows || s.final_newline) end_line();
    }
    if (s.blanks && s.final_newline) blank();
    return text;
}

struct SvmShape {
    int rows = 60;
    int features = 40;
    bool bom = false, crlf = false, final_newline = true, comments = false, blanks = false, tabs = false;
};

std::string make_libsvm(const SvmShape& s, unsigned seed) {
    std::mt19937 rng(seed);
    std::string text = s.bom ? "\xEF\xBB\xBF" : "";
    const std::string eol = s.crlf ? "\r\n" : "\n";
    const char* const labels[] = {"+1", "-1", "0", "1", "0.5", "-2.25e-1", "3"};
    for (int i = 0; i < s.rows; ++i) {
        if (s.comments && rng() % 6 == 0) text += "# a comment with a:colon" + eol;
        if (s.blanks && rng() % 6 == 0) text += (rng() % 2 ? "  " : "") + eol;
        text += labels[rng() % 7];
        for (int f = 1; f <= s.features; ++f)
            if (rng() % 4 == 0) text += (s.tabs && rng() % 2 ? "\t" : " ") + std::to_string(f) + ":" + number(rng);
        if (s.comments && rng() % 5 == 0) text += " # trailing 1:2 3:4";
        if (i + 1 < s.rows || s.final_newline) text += eol;
    }
    return text;
}

}  // namespace

TEST_CASE("parallel_ranges: the first failing range's error, even when a later one fails first") {
    for (int threads : {1, 2, 4, 8}) {
        CAPTURE(threads);
        std::atomic<int> ran{0};
        std::atomic<bool> later_failed{false};
        std::string message;
        try {
            detail::parallel_ranges(40, threads, [&](int64_t r) {
                ++ran;
                if (r == 30) {
                    later_failed = true;
                    throw std::runtime_error("range 30");
                }
                if (r == 3) {
                    // Wait (a bounded time) until the later range has failed.
                    for (int i = 0; i < 200 && threads > 1 && !later_failed; ++i)
                        std::this_thread::sleep_for(std::chrono::milliseconds(1));
                    throw std::runtime_error("range 3");
                }
                if (r == 35) throw std::runtime_error("range 35");
            });
        } catch (const std::runtime_error& e) {
            message = e.what();
        }
        CHECK(message == "range 3");
        CHECK(ran >= 4);
    }
    int calls = 0;
    detail::parallel_ranges(0, 4, [&](int64_t) { ++calls; });
    CHECK(calls == 0);
    std::vector<int> hits(100, 0);
    detail::parallel_ranges(100, 3, [&](int64_t r) { ++hits[static_cast<size_t>(r)]; });
    CHECK(hits == std::vector<int>(100, 1));
}

TEST_CASE("RangeFile::split: ranges tile the file and end after a newline") {
    TempDir t;
    const std::string texts[] = {"a", "\n", "ab\ncd\r\n\n\nef", "one line, no newline", "x\ny\n",
                                 std::string(10000, 'z') + "\n" + std::string(5000, 'w')};
    int k = 0;
    for (const std::string& text : texts) {
        const detail::RangeFile file(t.write("s" + std::to_string(k++) + ".txt", text));
        REQUIRE(file.opened());
        for (uint64_t from : {uint64_t(0), uint64_t(1)})
            for (size_t bytes : {size_t(1), size_t(2), size_t(3), size_t(4), size_t(100), size_t(4097)}) {
                CAPTURE(text.size());
                CAPTURE(from);
                CAPTURE(bytes);
                const auto ranges = file.split(from, bytes);
                uint64_t p = from;
                for (const auto& r : ranges) {
                    CHECK(r.begin == p);
                    CHECK(r.end > r.begin);
                    if (r.end != text.size()) CHECK(text[r.end - 1] == '\n');
                    // No '\n' before the nominal end's last byte is skipped over: a range is one
                    // line longer than `bytes` at most.
                    const size_t nl = text.find('\n', r.begin);
                    if (nl != std::string::npos && nl + 1 < r.end) CHECK(nl - r.begin + 1 < bytes);
                    p = r.end;
                }
                CHECK(p == std::max<uint64_t>(from, text.size()));
                CHECK(ranges.empty() == (from >= text.size()));
            }
    }
}

TEST_CASE("parallel CSV: the sequential reader's values and order") {
    TempDir t;
    unsigned seed = 1;
    auto check = [&](const CsvShape& s, CsvOptions opts = {}) {
        const std::string path = t.write("g" + std::to_string(seed) + ".csv", make_csv(s, seed));
        ++seed;
        const Outcome o = same_csv(path, opts);
        CHECK_MESSAGE(o.ok, o.error);
        return o;
    };
    CsvShape plain;
    CHECK(check(plain).rows == 60);
    CsvShape crlf = plain;
    crlf.crlf = true;
    check(crlf);
    CsvShape mixed = plain;
    mixed.mixed_ends = true;
    mixed.final_newline = false;
    check(mixed);
    CsvShape bom = crlf;
    bom.bom = true;
    bom.blanks = true;
    check(bom);
    CsvShape header = mixed;
    header.header = true;
    header.bom = true;
    header.blanks = true;
    CsvOptions with_header;
    with_header.header = true;
    CHECK(check(header, with_header).rows == 60);
    CsvShape decorated = plain;
    decorated.decorate = true;
    decorated.blanks = true;
    decorated.final_newline = false;
    check(decorated);
    CsvShape tabs = decorated;
    tabs.delimiter = '\t';
    CsvOptions tab;
    tab.delimiter = '\t';
    check(tabs, tab);
    CsvOptions last;
    last.label_column = 4;
    check(plain, last);
    CsvOptions none;
    none.label_column = -1;
    const Outcome u = check(bom, none);
    CHECK(u.cols == 5);
    CHECK_FALSE(u.labelled);
    CsvShape one_col = plain;  // one feature column, unlabelled: the shortest rows
    one_col.cols = 1;
    one_col.blanks = true;
    check(one_col, none);
    CsvShape wide = mixed;  // lines far longer than the ranges
    wide.cols = 3000;
    wide.rows = 4;
    CHECK(check(wide).cols == 2999);
    CsvShape single = plain;
    single.rows = 1;
    single.final_newline = false;
    check(single);
}

TEST_CASE("parallel CSV: small files and edge cases") {
    TempDir t;
    const char* const texts[] = {
        "1,2\n", "1,2", "1,2\r\n", "1,2\r", ("\xEF\xBB\xBF" "1,2"), "\n\n1,2\n\n", "1,2\n3,4\n\n\n",
        "1,2\r\n\r\n3,4", "1,2\n\r\n 3 , 4 \n",
    };
    int i = 0;
    for (const char* text : texts) {
        CAPTURE(text);
        const Outcome o = same_csv(t.write("e" + std::to_string(i++) + ".csv", text), {});
        CHECK_MESSAGE(o.ok, o.error);
    }
}

TEST_CASE("parallel CSV: the first error in the file, named by line and column") {
    TempDir t;
    const std::string good = make_csv(CsvShape{}, 7);
    int i = 0;
    auto bad = [&](const std::string& text, CsvOptions opts = {}) {
        const Outcome o = same_csv(t.write("bad" + std::to_string(i++) + ".csv", text), opts);
        CHECK_FALSE(o.ok);
        return o.error;
    };
    // Lines of `good` with a bad line spliced in after `after` of them.
    auto splice = [&](int after, const std::string& line) {
        size_t at = 0;
        for (int k = 0; k < after; ++k) at = good.find('\n', at) + 1;
        return good.substr(0, at) + line + "\n" + good.substr(at);
    };
    expect(bad(splice(10, "1,2,x,4,5")), ":11:5: expected a number, found 'x'");
    expect(bad(splice(10, "1,2,3,4")), ":11:8: expected 5 columns");
    expect(bad(splice(10, "1,2,3,4,5,6")), ":11:11: expected 5 columns");
    expect(bad(splice(10, "x")), ":11:1: expected a number, found 'x'");  // a short line
    expect(bad(splice(10, "1")), ":11:2: expected 5 columns (as in the first row), found 1");
    expect(bad(splice(10, ",,,,")), ":11:1: expected a number, found an empty field");
    expect(bad(splice(59, "1,2,3,nan,5")), ":60:7:");
    expect(bad(good + "1,2,3,4,oops"), ":61:9: expected a number, found 'oops'");
    expect(bad(good + "\r\n1,2\r\n"), ":62:4: expected 5 columns");
    // Two errors: the earlier one is reported, whichever range fails first.
    std::string two = splice(50, "1,2,3,4,late");
    size_t at = 0;
    for (int k = 0; k < 3; ++k) at = two.find('\n', at) + 1;
    two.insert(at, "1,2,early,4,5\n");
    expect(bad(two), ":4:5: expected a number, found 'early'");
    // An error on every line after the first: still the first one.
    std::string all_bad = "1,2,3\n";
    for (int k = 0; k < 200; ++k) all_bad += "1,2,e" + std::to_string(k) + "\n";
    expect(bad(all_bad), ":2:5: expected a number, found 'e0'");
    // Errors of the first row and of no row at all, in the serial part.
    CsvOptions far;
    far.label_column = 9;
    const Outcome f = same_csv(t.write("far.csv", good), far);
    CHECK(f.code == static_cast<int>(ErrorCode::invalid_argument));
    expect(bad("\n\n1\n2\n"), ":3:1: expected at least 2 columns");
    expect(bad(""), ":1:1: no data rows");
    expect(bad("\xEF\xBB\xBF"), ":2:1: no data rows");
    expect(bad("\n \r\n\t\n"), ":4:1: no data rows");
    CsvOptions header;
    header.header = true;
    expect(bad("\xEF\xBB\xBF" "a,b\r\n\r\n", header), ":3:1: no data rows");
}

TEST_CASE("parallel libsvm: the sequential reader's values and order") {
    TempDir t;
    unsigned seed = 100;
    auto check = [&](const SvmShape& s, LibsvmOptions opts = {}) {
        const std::string path = t.write("g" + std::to_string(seed) + ".libsvm", make_libsvm(s, seed));
        ++seed;
        const Outcome o = same_libsvm(path, opts);
        CHECK_MESSAGE(o.ok, o.error);
        return o;
    };
    SvmShape plain;
    CHECK(check(plain).rows == 60);
    SvmShape crlf = plain;
    crlf.crlf = true;
    crlf.final_newline = false;
    check(crlf);
    SvmShape all = crlf;
    all.bom = true;
    all.comments = true;
    all.blanks = true;
    all.tabs = true;
    check(all);
    LibsvmOptions dim;
    dim.feature_dim = 40;
    CHECK(check(all, dim).cols == 40);
    SvmShape wide = plain;  // long lines
    wide.features = 20000;
    wide.rows = 5;
    check(wide);
    SvmShape sparse = all;
    sparse.features = 2;  // many rows without features
    check(sparse);
    const char* const texts[] = {"1", "1 1:2", "-1\r\n", ("\xEF\xBB\xBF" "1 3:4"), "# c\n\n1 2:3 # 4:5\n",
                                 "1 1:1\n\n\n", "+1 2:1e-3\r\n-1\r\n# 1:2\r\n"};
    int i = 0;
    for (const char* text : texts) {
        CAPTURE(text);
        const Outcome o = same_libsvm(t.write("e" + std::to_string(i++) + ".libsvm", text), {});
        CHECK_MESSAGE(o.ok, o.error);
    }
}

TEST_CASE("parallel libsvm: the first error in the file, named by line and column") {
    TempDir t;
    SvmShape s;
    s.comments = true;
    const std::string good = make_libsvm(s, 5);
    int i = 0;
    auto bad = [&](const std::string& text, LibsvmOptions opts = {}) {
        const Outcome o = same_libsvm(t.write("bad" + std::to_string(i++) + ".libsvm", text), opts);
        CHECK_FALSE(o.ok);
        return o.error;
    };
    auto splice = [&](int after, const std::string& line) {
        size_t at = 0;
        for (int k = 0; k < after; ++k) at = good.find('\n', at) + 1;
        return good.substr(0, at) + line + "\n" + good.substr(at);
    };
    expect(bad(splice(20, "1 2:1 1:2")), ":21:7: expected increasing feature indices");
    expect(bad(splice(20, "1 2:x")), ":21:5: expected a number after '2:'");
    expect(bad(splice(20, "1 qid:1 2:3")), ":21:3: qid:");
    expect(bad(splice(20, "1:2 3:4")), ":21:1: expected a label before the features");
    expect(bad(splice(20, "1 3:1:2")), ":21:5: expected a number after '3:', found '1:2'");
    expect(bad(good + "1 0:1"), ": feature index 0");
    LibsvmOptions dim;
    dim.feature_dim = 40;
    expect(bad(splice(3, "1 41:1"), dim), ":4:3: feature index 41 exceeds feature_dim 40");
    // Two errors: the earlier one.
    std::string two = splice(70, "1 5:late");
    size_t at = 0;
    for (int k = 0; k < 2; ++k) at = two.find('\n', at) + 1;
    two.insert(at, "early 1:1\n");
    expect(bad(two), ":3:1: expected a label (a number), found 'early'");
    std::string all_bad = "1 1:1\n";
    for (int k = 0; k < 200; ++k) all_bad += "1 2:1 2:" + std::to_string(k) + "\n";
    expect(bad(all_bad), ":2:7: duplicate feature index 2");
    expect(bad(""), ":1:1: no data rows");
    expect(bad("\xEF\xBB\xBF"), ":2:1: no data rows");
    expect(bad("# only\r\n  \n# 1:2"), ":4:1: no data rows");
}

TEST_CASE("parallel readers: files of several default ranges") {
    TempDir t;
    CsvShape s;
    s.cols = 30;
    s.rows = 12000;  // about 3 MB: three default ranges
    s.blanks = true;
    s.mixed_ends = true;
    const std::string csv = t.write("big.csv", make_csv(s, 42));
    REQUIRE(fs::file_size(csv) > 2 * detail::default_range_bytes);
    const Outcome want = outcome([&] { return detail::read_csv_sequential(csv, {}); });
    REQUIRE(want.ok);
    CHECK(want.rows == 12000);
    for (int threads : {1, 2, 3, 8}) {
        CsvOptions opts;
        opts.num_threads = threads;
        CHECK(outcome([&] { return read_csv(csv, opts); }) == want);
    }
    SvmShape v;
    v.rows = 30000;
    v.features = 100;
    v.comments = true;
    const std::string svm = t.write("big.libsvm", make_libsvm(v, 43));
    REQUIRE(fs::file_size(svm) > 2 * detail::default_range_bytes);
    const Outcome want_svm = outcome([&] { return detail::read_libsvm_sequential(svm, {}); });
    REQUIRE(want_svm.ok);
    for (int threads : {1, 2, 3, 8}) {
        LibsvmOptions opts;
        opts.num_threads = threads;
        CHECK(outcome([&] { return read_libsvm(svm, opts); }) == want_svm);
    }
}

TEST_CASE("parallel readers: a named pipe is read sequentially") {
    TempDir t;
    const std::string csv_text = make_csv(CsvShape{}, 9), svm_text = make_libsvm(SvmShape{}, 9);
    const std::string regular_csv = t.write("p.csv", csv_text), regular_svm = t.write("p.libsvm", svm_text);
    const std::string fifo = (t.dir / "fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    auto through_pipe = [&](const std::string& text, auto&& read) {
        std::thread writer([&] { std::ofstream(fifo, std::ios::binary) << text; });
        Outcome o = outcome(read);
        writer.join();
        return o;
    };
    const Outcome csv = through_pipe(csv_text, [&] { return read_csv(fifo); });
    CHECK(csv.ok);
    CHECK(csv == outcome([&] { return read_csv(regular_csv); }));
    const Outcome svm = through_pipe(svm_text, [&] { return read_libsvm(fifo); });
    CHECK(svm.ok);
    CHECK(svm == outcome([&] { return read_libsvm(regular_svm); }));
}

TEST_CASE("RangeFile: regular files only; a file that changes while read is an error, not a signal") {
    TempDir t;
    std::string text(3 << 16, 'a');
    for (size_t k = 0; k < text.size(); k += 97) text[k] = '\n';
    const std::string path = t.write("m.txt", text);
    std::vector<char> buf;
    {
        const detail::RangeFile file(path);
        REQUIRE(file.opened());
        CHECK(file.size() == text.size());
        CHECK(file.read({0, file.size()}, buf) == text);
        CHECK(file.read({5, 105}, buf) == text.substr(5, 100));
        file.check_unchanged();
        // Another process truncates the file half-way through the read (a memory map would
        // raise SIGBUS here): the rest of it is an io error naming the file.
        std::filesystem::resize_file(path, text.size() / 2);
        CHECK(file.read({0, 100}, buf) == text.substr(0, 100));
        try {
            file.read({text.size() / 2 - 10, text.size() / 2 + 10}, buf);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(e.code() == ErrorCode::io);
            CHECK(std::string(e.what()) == path + ": the file changed while it was being read");
        }
        CHECK_THROWS_WITH(file.check_unchanged(), (path + ": the file changed while it was being read").c_str());
        CHECK_THROWS_WITH(file.split(0, 1000), (path + ": the file changed while it was being read").c_str());
    }
    {
        // The same size, other text: the modification time tells.
        const std::string again = t.write("n.txt", text);
        const detail::RangeFile file(again);
        REQUIRE(file.opened());
        struct timespec times[2] = {{0, UTIME_OMIT}, {12345, 678}};
        REQUIRE(::utimensat(AT_FDCWD, again.c_str(), times, 0) == 0);
        CHECK_THROWS_WITH(file.check_unchanged(), (again + ": the file changed while it was being read").c_str());
    }
    CHECK_FALSE(detail::RangeFile(t.write("empty.txt", "")).opened());
    CHECK_FALSE(detail::RangeFile(t.dir.string()).opened());
    CHECK_FALSE(detail::RangeFile((t.dir / "missing").string()).opened());
}

TEST_CASE("parallel readers: a file truncated between the passes is an io error") {
    // The count pass sees the whole file; the truncation comes before the parse pass. With
    // 64-byte ranges there are many ranges, so the parse pass reads past the new end.
    TempDir t;
    std::string csv, svm;
    for (int i = 0; i < 400; ++i) {
        csv += std::to_string(i % 2) + ",1.5,2.5\n";
        svm += std::to_string(i % 2) + " 1:1.5 3:2.5\n";
    }
    for (int format = 0; format < 2; ++format) {
        const std::string path = t.write(format ? "tr.libsvm" : "tr.csv", format ? svm : csv);
        const detail::RangeFile probe(path);
        REQUIRE(probe.opened());
        // Truncate from another thread while the readers run, many times: whichever pass it
        // lands in, the outcome is the data before or after the cut, or an io error.
        for (int trial = 0; trial < 20; ++trial) {
            std::filesystem::resize_file(path, 0);
            { std::ofstream(path, std::ios::binary) << (format ? svm : csv); }
            // At a line end: cut before the open, the file is 133 whole rows.
            const size_t line = format ? 14 : 10;
            std::thread cutter([&] { std::filesystem::resize_file(path, 133 * line); });
            try {
                const Dataset d = format ? detail::read_libsvm_parallel(path, LibsvmOptions{}, 64)
                                         : detail::read_csv_parallel(path, CsvOptions{}, 64);
                // Read wholly before the cut, or opened after it.
                CHECK_MESSAGE((d.rows() == 400 || d.rows() == 133), d.rows());
            } catch (const Error& e) {
                // Cut while read: the file's fault, never a parse error of a mixed text.
                CHECK_MESSAGE(e.code() == ErrorCode::io, e.what());
            }
            cutter.join();
        }
    }
}

TEST_CASE("parallel readers: random text gives the sequential outcome, value or error") {
    TempDir t;
    std::mt19937 rng(2024);
    // Digits, signs and separators of both formats, line ends, quotes, comments and the BOM's bytes.
    const std::string alphabet = "0123456789000111.,,,,-+e \t\r\n\n\n\"#::x\xEF\xBB\xBF";
    int ok = 0;
    for (int i = 0; i < 400; ++i) {
        std::string text;
        const size_t length = rng() % 120;
        if (rng() % 8 == 0) text = "\xEF\xBB\xBF";
        const unsigned mode = rng() % 3;  // random bytes; well-formed lines; a few bytes changed
        if (mode > 0)
            for (size_t k = 0; k < length / 6; ++k)
                text += std::to_string(rng() % 3) + (i % 2 ? ",5,6" : " 1:2 3:4") + (rng() % 3 ? "\n" : "\r\n");
        const size_t changes = mode == 0 ? length : mode == 1 ? 0 : rng() % 3;
        for (size_t k = 0; k < changes; ++k)
            text.insert(rng() % (text.size() + 1), 1, alphabet[rng() % alphabet.size()]);
        CAPTURE(text);
        const std::string path = t.write("r" + std::to_string(i) + (i % 2 ? ".csv" : ".libsvm"), text);
        for (int threads : {1, 3}) {
            for (size_t bytes : {size_t(1), size_t(2), size_t(5), size_t(0)}) {
                CsvOptions c;
                c.header = rng() % 4 == 0;
                c.delimiter = rng() % 4 == 0 ? '\t' : ',';
                c.label_column = static_cast<int>(rng() % 4) - 1;
                const Outcome want = outcome([&] { return detail::read_csv_sequential(path, c); });
                c.num_threads = threads;
                const Outcome got = outcome([&] { return detail::read_csv_parallel(path, c, bytes); });
                CHECK(got.error == want.error);
                CHECK(got == want);
                ok += want.ok;
                LibsvmOptions l;
                l.feature_dim = rng() % 3 == 0 ? static_cast<int64_t>(rng() % 5) : 0;
                const Outcome want_l = outcome([&] { return detail::read_libsvm_sequential(path, l); });
                l.num_threads = threads;
                const Outcome got_l = outcome([&] { return detail::read_libsvm_parallel(path, l, bytes); });
                CHECK(got_l.error == want_l.error);
                CHECK(got_l == want_l);
                ok += want_l.ok;
            }
        }
    }
    CHECK(ok > 800);  // not only errors
}
