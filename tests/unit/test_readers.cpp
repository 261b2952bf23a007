// Data readers: CSV, libsvm, format dispatch and the option string.
#include <doctest/doctest.h>

#include <atomic>
#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "csv_reader.hpp"
#include "data_file.hpp"
#include "error.hpp"
#include "libsvm_reader.hpp"

using namespace linlearn;
namespace fs = std::filesystem;

namespace {

// A fresh directory under the system temp dir, removed with its files at scope exit.
struct TempDir {
    fs::path dir;
    TempDir() {
        static std::atomic<int> counter{0};
        std::random_device rd;
        dir = fs::temp_directory_path() /
              ("linlearn-readers-" + std::to_string(rd()) + "-" + std::to_string(counter++));
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

std::vector<float> dense_values(const Dataset& d) {
    const DenseView& v = d.dense();
    std::vector<float> out;
    for (int64_t i = 0; i < v.rows; ++i) out.insert(out.end(), v.row(i), v.row(i) + v.cols);
    return out;
}

std::vector<float> label_values(const Dataset& d) {
    return d.labels() ? std::vector<float>(d.labels(), d.labels() + d.rows()) : std::vector<float>{};
}

// Row i of a CSR dataset, written out densely.
std::vector<float> csr_row(const Dataset& d, int64_t i) {
    const CsrView& v = d.csr();
    std::vector<float> row(static_cast<size_t>(v.cols), 0.0f);
    for (int64_t k = v.indptr[i]; k < v.indptr[i + 1]; ++k) row[v.indices[k]] = v.values[k];
    return row;
}

// The message of the Error that f throws, after checking its code.
template <class F>
std::string error_of(F&& f, ErrorCode code) {
    try {
        f();
    } catch (const Error& e) {
        CHECK(static_cast<int>(e.code()) == static_cast<int>(code));
        return e.what();
    }
    FAIL("no linlearn::Error thrown");
    return {};
}

bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

std::string csv_error(const std::string& text, CsvOptions opts = {}) {
    TempDir t;
    const std::string path = t.write("bad.csv", text);
    return error_of([&] { read_csv(path, opts); }, ErrorCode::parse);
}

std::string libsvm_error(const std::string& text, LibsvmOptions opts = {}) {
    TempDir t;
    const std::string path = t.write("bad.libsvm", text);
    return error_of([&] { read_libsvm(path, opts); }, ErrorCode::parse);
}

const std::string data_dir = LINLEARN_DATA_DIR;

}  // namespace

TEST_CASE("LineSource: lines across chunk boundaries, long lines, CRLF, BOM, no final newline") {
    TempDir t;
    const std::string long_line(1000, 'x');
    const std::string path =
        t.write("lines.txt", "\xEF\xBB\xBF" "ab\r\n\ncd\n" + long_line + "\r\nlast");
    for (size_t chunk : {size_t(1), size_t(3), size_t(7), size_t(64), detail::LineSource::default_chunk}) {
        CAPTURE(chunk);
        detail::LineSource src(path, chunk);
        std::vector<std::string> lines;
        std::string_view line;
        while (src.next(line)) lines.emplace_back(line);
        CHECK(lines == std::vector<std::string>{"ab", "", "cd", long_line, "last"});
        CHECK(src.line_number() == 5);
    }
}

TEST_CASE("CSV: values, shape and labels, label in the first column by default") {
    TempDir t;
    const auto d = read_csv(t.write("a.csv", "1,2.5,-3\n0,4e-2,1e3\n"));
    CHECK_FALSE(d.sparse());
    CHECK(d.rows() == 2);
    CHECK(d.cols() == 2);
    CHECK(dense_values(d) == std::vector<float>{2.5f, -3.0f, 0.04f, 1000.0f});
    CHECK(label_values(d) == std::vector<float>{1, 0});
    CHECK(d.weights() == nullptr);
}

TEST_CASE("CSV: header, tab, CRLF, BOM, quotes, spaces, blank lines, '+' sign") {
    TempDir t;
    const std::vector<float> x{2, 3, 5, 6}, y{1, 4};
    CsvOptions header;
    header.header = true;
    CHECK(dense_values(read_csv(t.write("h.csv", "y,a,b\n1,2,3\n4,5,6\n"), header)) == x);
    CsvOptions tab;
    tab.delimiter = '\t';
    const auto d = read_csv(t.write("t.tsv", "1\t2\t3\n4\t5\t6"), tab);  // no final newline
    CHECK(dense_values(d) == x);
    CHECK(label_values(d) == y);
    CHECK(dense_values(read_csv(t.write("crlf.csv", "1,2,3\r\n4,5,6\r\n"))) == x);
    CHECK(dense_values(read_csv(t.write("bom.csv", "\xEF\xBB\xBF" "1,2,3\n4,5,6\n"))) == x);
    CHECK(dense_values(read_csv(t.write("bomh.csv", "\xEF\xBB\xBF" "y,a,b\n1,2,3\n4,5,6\n"), header)) == x);
    CHECK(dense_values(read_csv(t.write("q.csv", "\"1\",\"2\",3\n4, \" 5 \" ,\"6\"\n"))) == x);
    CHECK(dense_values(read_csv(t.write("sp.csv", "  1 , 2,3  \n4 ,5 , 6\n"))) == x);
    CHECK(dense_values(read_csv(t.write("blank.csv", "\n1,2,3\n\n   \n4,5,6\n\n"))) == x);
    CHECK(dense_values(read_csv(t.write("blankh.csv", "\ny,a,b\n\n1,2,3\n4,5,6\n"), header)) == x);
    CHECK(label_values(read_csv(t.write("plus.csv", "+1,2,3\n-4,5,6\n"))) == std::vector<float>{1, -4});
}

TEST_CASE("CSV: label_column elsewhere, and -1 for unlabelled input") {
    TempDir t;
    const std::string path = t.write("l.csv", "1,2,3\n4,5,6\n");
    CsvOptions last;
    last.label_column = 2;
    const auto d = read_csv(path, last);
    CHECK(dense_values(d) == std::vector<float>{1, 2, 4, 5});
    CHECK(label_values(d) == std::vector<float>{3, 6});
    CsvOptions none;
    none.label_column = -1;
    const auto u = read_csv(path, none);
    CHECK(u.cols() == 3);
    CHECK(u.labels() == nullptr);
    CHECK(dense_values(u) == std::vector<float>{1, 2, 3, 4, 5, 6});
    const auto one = read_csv(t.write("one.csv", "7\n8\n"), none);  // a single feature column
    CHECK(dense_values(one) == std::vector<float>{7, 8});
}

TEST_CASE("CSV: batches from next() hold the rows of read_csv in order") {
    TempDir t;
    std::string text = "id,a,b\n";
    for (int i = 0; i < 23; ++i)
        text += std::to_string(i % 2) + "," + std::to_string(i) + ".5," + std::to_string(-i) + "\n\n";
    CsvOptions opts;
    opts.header = true;
    const std::string path = t.write("b.csv", text);
    const auto all = read_csv(path, opts);
    REQUIRE(all.rows() == 23);
    CsvReader reader(path, opts);
    CHECK(reader.cols() == 0);  // unknown before the first row
    std::vector<float> x, y;
    std::vector<int64_t> sizes;
    Dataset batch;
    while (reader.next(5, batch)) {
        sizes.push_back(batch.rows());
        CHECK(batch.cols() == 2);
        const auto bx = dense_values(batch), by = label_values(batch);
        x.insert(x.end(), bx.begin(), bx.end());
        y.insert(y.end(), by.begin(), by.end());
    }
    CHECK(sizes == std::vector<int64_t>{5, 5, 5, 5, 3});
    CHECK(reader.cols() == 2);
    CHECK(reader.rows_read() == 23);
    CHECK(batch.rows() == 0);
    CHECK_FALSE(reader.next(5, batch));  // stays at the end
    CHECK(x == dense_values(all));
    CHECK(y == label_values(all));
}

TEST_CASE("CSV: a very long line (100k columns)") {
    TempDir t;
    std::string row = "1";
    for (int i = 0; i < 100000; ++i) row += "," + std::to_string(i % 97) + ".25";
    const auto d = read_csv(t.write("wide.csv", row + "\n" + row + "\n"));
    CHECK(d.rows() == 2);
    CHECK(d.cols() == 100000);
    CHECK(d.dense().row(1)[99999] == doctest::Approx(99999 % 97 + 0.25));
}

TEST_CASE("CSV errors: position, expected and found") {
    SUBCASE("non-numeric field") {
        const auto m = csv_error("1,2,3\n4,abc,6\n");
        CHECK(has(m, "bad.csv:2:3: "));
        CHECK(has(m, "expected a number, found 'abc'"));
    }
    SUBCASE("column count differs from the first row") {
        auto m = csv_error("1,2,3\n4,5\n");
        CHECK(has(m, "bad.csv:2:4: "));
        CHECK(has(m, "expected 3 columns"));
        CHECK(has(m, "found 2"));
        m = csv_error("1,2,3\n4,5,6\n7,8,9,10,11\n");
        CHECK(has(m, "bad.csv:3:7: expected 3 columns"));
        CHECK(has(m, "found 5"));
    }
    SUBCASE("a line of delimiters only, and an empty field") {
        CHECK(has(csv_error("1,2,3\n,,\n"), "bad.csv:2:1: expected a number, found an empty field"));
        CHECK(has(csv_error("1,,3\n"), "bad.csv:1:3: expected a number, found an empty field"));
    }
    SUBCASE("NaN and infinity are refused, as is overflow") {
        auto m = csv_error("1,nan,3\n");
        CHECK(has(m, "bad.csv:1:3: expected a number, found 'nan'"));
        CHECK(has(m, "must be finite"));
        CHECK(has(csv_error("1,2,-inf\n"), "bad.csv:1:5: expected a number, found '-inf'"));
        CHECK(has(csv_error("1,2,1e39\n"), "float32 range"));
    }
    SUBCASE("unterminated quote, and text after a number") {
        CHECK(has(csv_error("1,\"2,3\n"), "bad.csv:1:3: expected a closing '\"', found '\"2'"));
        CHECK(has(csv_error("1,2x,3\n"), "bad.csv:1:3: expected a number, found '2x'"));
    }
    SUBCASE("CRLF and BOM keep columns right") {
        CHECK(has(csv_error("\xEF\xBB\xBF" "1,x\r\n"), "bad.csv:1:3: expected a number, found 'x'"));
    }
    SUBCASE("no data rows: empty file, header only, blank lines only") {
        CHECK(has(csv_error(""), "bad.csv:1:1: no data rows"));
        CsvOptions header;
        header.header = true;
        CHECK(has(csv_error("y,a,b\n", header), "bad.csv:2:1: no data rows"));
        CHECK(has(csv_error("\n \n"), "no data rows"));
    }
    SUBCASE("only a label column") {
        CHECK(has(csv_error("1\n2\n"), "bad.csv:1:1: expected at least 2 columns"));
    }
    SUBCASE("tab-delimited file read as comma-delimited") {
        const auto m = csv_error("1\t2\n");
        CHECK(has(m, "bad.csv:1:1: expected a number, found '1\t2'"));
    }
}

TEST_CASE("CSV errors: missing file, bad options") {
    TempDir t;
    const std::string missing = (t.dir / "nope.csv").string();
    const auto m = error_of([&] { read_csv(missing); }, ErrorCode::io);
    CHECK(has(m, missing));
    CHECK(has(m, "No such file or directory"));
    CHECK(has(error_of([&] { read_csv(t.dir.string()); }, ErrorCode::io), "Is a directory"));
    const std::string path = t.write("ok.csv", "1,2\n");
    CsvOptions semi;
    semi.delimiter = ';';
    CHECK(has(error_of([&] { read_csv(path, semi); }, ErrorCode::invalid_argument), "delimiter"));
    CsvOptions far;
    far.label_column = 5;
    CHECK(has(error_of([&] { read_csv(path, far); }, ErrorCode::invalid_argument),
              "ok.csv:1:1: label_column 5 is beyond the first row's 2 columns"));
    CsvReader reader(path, {});
    Dataset batch;
    CHECK(has(error_of([&] { reader.next(0, batch); }, ErrorCode::invalid_argument), "max_rows"));
}

TEST_CASE("libsvm: CSR values, 1-based ids to 0-based, comments, labels as written") {
    TempDir t;
    const std::string text =
        "# a comment line\n"
        "+1 1:0.5 3:-2 # trailing comment\n"
        "\n"
        "-1\t2:1.5e1\t4:3\r\n"
        "-1\n"  // no features
        "2 4:1";
    const auto d = read_libsvm(t.write("a.libsvm", text));
    REQUIRE(d.sparse());
    const CsrView& v = d.csr();
    CHECK(d.rows() == 4);
    CHECK(d.cols() == 4);
    CHECK(std::vector<int64_t>(v.indptr, v.indptr + 5) == std::vector<int64_t>{0, 2, 4, 4, 5});
    CHECK(std::vector<int32_t>(v.indices, v.indices + 5) == std::vector<int32_t>{0, 2, 1, 3, 3});
    CHECK(std::vector<float>(v.values, v.values + 5) == std::vector<float>{0.5f, -2, 15, 3, 1});
    CHECK(label_values(d) == std::vector<float>{1, -1, -1, 2});
    LibsvmOptions wide;
    wide.feature_dim = 10;
    CHECK(read_libsvm(t.write("b.libsvm", text), wide).cols() == 10);
}

TEST_CASE("libsvm: batches from next() hold the rows of read_libsvm in order") {
    TempDir t;
    std::string text;
    for (int i = 0; i < 17; ++i)
        text += (i % 2 ? "+1" : "-1") + std::string(" ") + std::to_string(i % 5 + 1) + ":" +
                std::to_string(i) + " 9:" + std::to_string(i * 2) + "\n";
    const std::string path = t.write("b.svm", text);
    const auto all = read_libsvm(path);
    REQUIRE(all.rows() == 17);
    LibsvmReader reader(path, {});
    Dataset batch;
    int64_t row = 0;
    std::vector<int64_t> sizes;
    while (reader.next(4, batch)) {
        sizes.push_back(batch.rows());
        batch.set_cols(all.cols());
        for (int64_t i = 0; i < batch.rows(); ++i, ++row) {
            CHECK(csr_row(batch, i) == csr_row(all, row));
            CHECK(batch.labels()[i] == all.labels()[row]);
        }
    }
    CHECK(sizes == std::vector<int64_t>{4, 4, 4, 4, 1});
    CHECK(row == 17);
    CHECK(reader.cols() == 9);
}

TEST_CASE("libsvm errors: position, expected and found") {
    CHECK(has(libsvm_error("1 1:1\n1 0:2\n"), "bad.libsvm:2:3: feature index 0: expected indices from 1"));
    CHECK(has(libsvm_error("1 2:1 1:2\n"), "bad.libsvm:1:7: expected increasing feature indices, found 1 after 2"));
    CHECK(has(libsvm_error("1 2:1 2:2\n"), "bad.libsvm:1:7: duplicate feature index 2"));
    LibsvmOptions dim;
    dim.feature_dim = 3;
    CHECK(has(libsvm_error("1 1:1\n-1 2:1 4:1\n", dim), "bad.libsvm:2:8: feature index 4 exceeds feature_dim 3"));
    CHECK(has(libsvm_error("1 1:1\n1:2 3:4\n"), "bad.libsvm:2:1: expected a label before the features, found '1:2'"));
    CHECK(has(libsvm_error("abc 1:2\n"), "bad.libsvm:1:1: expected a label (a number), found 'abc'"));
    CHECK(has(libsvm_error("1 1:2 3\n"), "bad.libsvm:1:7: expected 'index:value', found '3'"));
    CHECK(has(libsvm_error("1 x:2\n"), "bad.libsvm:1:3: expected a feature index (a positive integer) before ':', found 'x'"));
    CHECK(has(libsvm_error("1 :2\n"), "bad.libsvm:1:3: expected a feature index (a positive integer) before ':', found nothing"));
    CHECK(has(libsvm_error("1 -3:2\n"), "found '-3'"));
    CHECK(has(libsvm_error("1 3:abc\n"), "bad.libsvm:1:5: expected a number after '3:', found 'abc'"));
    CHECK(has(libsvm_error("1 3:\n"), "bad.libsvm:1:5: expected a number after '3:', found nothing"));
    CHECK(has(libsvm_error("1 3:1:2\n"), "found '1:2'"));
    CHECK(has(libsvm_error("1 3:nan\n"), "must be finite"));
    CHECK(has(libsvm_error("1 99999999999:1\n"), "beyond the largest supported"));
    CHECK(has(libsvm_error("1 qid:3 1:2\n"), "bad.libsvm:1:3: qid: tokens (ranking query ids) are not supported"));
    CHECK(has(libsvm_error(""), "bad.libsvm:1:1: no data rows"));
    CHECK(has(libsvm_error("# only a comment\n\n"), "bad.libsvm:3:1: no data rows"));
    TempDir t;
    const std::string missing = (t.dir / "nope.libsvm").string();
    const auto m = error_of([&] { read_libsvm(missing); }, ErrorCode::io);
    CHECK(has(m, missing));
    CHECK(has(m, "No such file or directory"));
    LibsvmOptions negative;
    negative.feature_dim = -1;
    CHECK(has(error_of([&] { read_libsvm(t.write("x.libsvm", "1 1:1\n"), negative); },
                       ErrorCode::invalid_argument),
              "feature_dim"));
}

TEST_CASE("read_data_file: format from the extension or the options") {
    TempDir t;
    CHECK(format_from_extension("a/b.libsvm") == DataFormat::libsvm);
    CHECK(format_from_extension("b.SVM") == DataFormat::libsvm);
    CHECK(format_from_extension("b.svmlight") == DataFormat::libsvm);
    CHECK(format_from_extension("b.txt") == DataFormat::csv);
    CHECK(format_from_extension("b.csv") == DataFormat::csv);
    CHECK(format_from_extension("noext") == DataFormat::csv);

    const std::string svm = t.write("a.libsvm", "1 2:3\n");
    CHECK(read_data_file(svm, "").sparse());
    CHECK(read_data_file(svm, nullptr).sparse());
    CHECK(read_data_file(svm, "feature_dim=5").cols() == 5);
    const std::string txt = t.write("a.txt", "1 2:3\n");
    CHECK(read_data_file(txt, " format = libsvm ").sparse());

    const std::string tsv = t.write("a.tsv", "y\ta\tb\n1\t2\t3\n");
    const auto d = read_data_file(tsv, "header=true,delimiter=tab,label_column=2,");
    CHECK(dense_values(d) == std::vector<float>{1, 2});
    CHECK(label_values(d) == std::vector<float>{3});
    const auto u = read_data_file(t.write("u.csv", "1,2\n"), "format=csv,label_column=-1,header=false,delimiter=comma");
    CHECK(u.labels() == nullptr);
    CHECK(u.cols() == 2);
}

TEST_CASE("read_data_file: bad option strings") {
    auto bad = [](const std::string& path, const std::string& options) {
        return error_of([&] { parse_data_file_options(path, options); }, ErrorCode::invalid_argument);
    };
    auto m = bad("a.csv", "colour=red");
    CHECK(has(m, "unknown key 'colour'"));
    CHECK(has(m, "'red'"));
    CHECK(has(m, "format, header, delimiter, label_column, feature_dim"));
    m = bad("a.csv", "header=yes");
    CHECK(has(m, "'yes'"));
    CHECK(has(m, "'header'"));
    CHECK(has(m, "true or false"));
    CHECK(has(bad("a.csv", "delimiter=;"), "comma or tab"));
    CHECK(has(bad("a.csv", "format=parquet"), "csv or libsvm"));
    CHECK(has(bad("a.csv", "label_column=-2"), "'-2' for 'label_column'"));
    CHECK(has(bad("a.csv", "label_column=1x"), "'1x'"));
    CHECK(has(bad("a.libsvm", "feature_dim=-1"), "'-1' for 'feature_dim'"));
    CHECK(has(bad("a.csv", "header"), "expected key=value, found 'header'"));
    CHECK(has(bad("a.csv", "header=true,header=false"), "'header' is given twice"));
    CHECK(has(bad("a.libsvm", "header=true"), "'header' applies to CSV files only"));
    CHECK(has(bad("a.csv", "feature_dim=3"), "'feature_dim' applies to libsvm files only"));
    CHECK(has(bad("a.libsvm", "format=csv,feature_dim=3"), "applies to libsvm files only"));
    CHECK(has(bad("a.csv", "num_threads=-1"), "'-1' for 'num_threads'"));
    CHECK(has(bad("a.libsvm", "num_threads=5000"), "to 4096"));
}

TEST_CASE("read_data_file: num_threads reaches both readers and changes nothing in the result") {
    const auto o = parse_data_file_options("a.csv", "num_threads=3");
    CHECK(o.csv.num_threads == 3);
    CHECK(o.libsvm.num_threads == 3);
    CHECK(parse_data_file_options("a.libsvm", "num_threads=2").libsvm.num_threads == 2);
    const std::string path = data_dir + "/breast_cancer.train.csv";
    const Dataset one = read_data_file(path, "num_threads=1"), three = read_data_file(path, "num_threads=3");
    REQUIRE(one.rows() == three.rows());
    CHECK(std::equal(one.labels(), one.labels() + one.rows(), three.labels()));
    CHECK(std::equal(one.dense().data, one.dense().data + one.rows() * one.cols(), three.dense().data));
}

TEST_CASE("repository data: breast_cancer CSV") {
    const auto d = read_csv(data_dir + "/breast_cancer.train.csv");
    CHECK(d.rows() == 341);
    CHECK(d.cols() == 30);
    // First row: 1,9.676,13.14,...,0.2848,0.1364
    CHECK(d.labels()[0] == 1.0f);
    CHECK(d.dense().row(0)[0] == 9.676f);
    CHECK(d.dense().row(0)[1] == 13.14f);
    CHECK(d.dense().row(0)[29] == 0.1364f);
    CHECK(d.labels()[1] == 0.0f);
    CHECK(d.dense().row(1)[3] == 633.0f);
    for (int64_t i = 0; i < d.rows(); ++i) CHECK((d.labels()[i] == 0.0f || d.labels()[i] == 1.0f));
    CHECK(read_data_file(data_dir + "/breast_cancer.train.csv", "").rows() == 341);
}

TEST_CASE("repository data: heart_scale CSV and libsvm hold the same numbers") {
    for (const char* split : {"train", "validation", "test"}) {
        CAPTURE(split);
        const std::string base = data_dir + "/heart_scale." + split;
        const auto csv = read_csv(base + ".csv");
        const auto svm = read_data_file(base + ".libsvm", "");
        REQUIRE(svm.sparse());
        REQUIRE(csv.rows() == svm.rows());
        CHECK(csv.cols() == 13);
        CHECK(svm.cols() == 13);
        for (int64_t i = 0; i < csv.rows(); ++i) {
            const float* row = csv.dense().row(i);
            CHECK(csr_row(svm, i) == std::vector<float>(row, row + 13));
            CHECK(svm.labels()[i] == (csv.labels()[i] == 1.0f ? 1.0f : -1.0f));
        }
    }
    const auto svm = read_libsvm(data_dir + "/heart_scale.train.libsvm");
    CHECK(svm.rows() == 162);
    // First line: -1 1:-1 2:1 3:-0.333333 4:-0.320755 ... 13:-1
    CHECK(svm.labels()[0] == -1.0f);
    const auto row0 = csr_row(svm, 0);
    CHECK(row0[0] == -1.0f);
    CHECK(row0[2] == -0.333333f);
    CHECK(row0[3] == -0.320755f);
    CHECK(row0[12] == -1.0f);
}
