#include <doctest/doctest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unistd.h>

#include "atomic_file.hpp"
#include "error.hpp"
#include "model.hpp"

using namespace linlearn;

namespace {
LinearModel sample_model() {
    LinearModel m;
    m.predictor = Predictor::multiclass;
    m.loss = Loss::softmax;
    m.num_classes = 3;
    m.W = Eigen::MatrixXf(4, 3);
    for (int i = 0; i < 12; ++i) m.W.data()[i] = 0.25f * float(i) - 1.0f;
    m.b = Eigen::VectorXf(3);
    m.b << 0.5f, -1.5f, 2.0f;
    m.threshold = 0.25;
    m.best_epoch = 7;
    m.hyperparameters = {{"epochs", "9"}};
    return m;
}
ErrorCode code_of(const std::string& bytes) {
    try {
        deserialize_model(bytes, "x");
    } catch (const Error& e) {
        return e.code();
    }
    return ErrorCode::internal;
}
}  // namespace

TEST_CASE("model files: round trip keeps every field") {
    const LinearModel m = sample_model();
    const LinearModel r = deserialize_model(serialize_model(m), "mem");
    CHECK(r.W == m.W);
    CHECK(r.b == m.b);
    CHECK(r.predictor == m.predictor);
    CHECK(r.loss == m.loss);
    CHECK(r.threshold == m.threshold);
    CHECK(r.best_epoch == 7);
    CHECK(r.hyperparameters == m.hyperparameters);
}

TEST_CASE("model files: damaged files are refused as model_format, never read out of bounds") {
    const std::string good = serialize_model(sample_model());
    CHECK(code_of("hello, not a model") == ErrorCode::model_format);
    CHECK(code_of(good.substr(0, good.size() - 1)) == ErrorCode::model_format);  // truncated
    CHECK(code_of(good.substr(0, 10)) == ErrorCode::model_format);
    std::string flipped = good;
    flipped[good.size() / 2] ^= 0x40;
    CHECK_THROWS_WITH(deserialize_model(flipped, "x"), doctest::Contains("checksum"));
    std::string newer = good;
    newer[8] = 9;  // format version 9
    CHECK_THROWS_WITH(deserialize_model(newer, "x"), doctest::Contains("newer"));
    std::string huge = good;
    const uint64_t big = ~uint64_t{0} / 2;
    std::memcpy(&huge[16], &big, 8);  // a payload length the file cannot hold
    CHECK(code_of(huge) == ErrorCode::model_format);
    for (size_t cut = 0; cut < good.size(); cut += 7) CHECK(code_of(good.substr(0, cut)) == ErrorCode::model_format);
}

TEST_CASE("atomic files: the old content survives a failed write") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("ll_atomic_" + std::to_string(::getpid()));
    fs::create_directories(dir);
    const std::string path = (dir / "model.llmodel").string();
    save_model(sample_model(), path);
    CHECK(load_model(path).W == sample_model().W);
    CHECK_THROWS_AS(write_file_atomically((dir / "missing" / "x").string(), "data"), Error);
    CHECK(std::distance(fs::directory_iterator(dir), fs::directory_iterator()) == 1);  // no temp left behind
    fs::remove_all(dir);
}
