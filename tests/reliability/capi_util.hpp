// Shared pieces of the reliability tests of the C ABI: owning wrappers, a status check
// that shows the library's message, small synthetic datasets and a scratch folder.
#pragma once
#include <doctest/doctest.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "linlearn/linlearn.h"

namespace rel {

struct DatasetFree { void operator()(ll_dataset* d) const { ll_dataset_free(d); } };
struct TrainerFree { void operator()(ll_trainer* t) const { ll_trainer_free(t); } };
struct ModelFree { void operator()(ll_model* m) const { ll_model_free(m); } };
using Dataset = std::unique_ptr<ll_dataset, DatasetFree>;
using Trainer = std::unique_ptr<ll_trainer, TrainerFree>;
using Model = std::unique_ptr<ll_model, ModelFree>;

// "status (message)" for a failed check.
inline std::string describe(int status) {
    return std::to_string(status) + " (" + ll_last_error() + ")";
}

#define REL_OK(call)                                                   \
    do {                                                               \
        const int rel_status_ = (call);                                \
        INFO(#call, " -> ", ::rel::describe(rel_status_));             \
        REQUIRE(rel_status_ == LL_OK);                                 \
    } while (0)

// The call fails with `code`, and the last error names every part.
inline void expect_error(int got, int code, const std::vector<std::string>& parts, const char* call) {
    INFO(call, " -> ", describe(got));
    CHECK(got == code);
    CHECK(ll_last_error_code() == code);
    const std::string message = ll_last_error();
    CHECK(message.find('\n') == std::string::npos);  // one line
    for (const std::string& part : parts) {
        INFO("the message should contain: ", part);
        CHECK(message.find(part) != std::string::npos);
    }
}
#define REL_ERROR(call, code, ...) ::rel::expect_error((call), (code), std::vector<std::string>{__VA_ARGS__}, #call)

inline Trainer trainer(std::initializer_list<std::pair<const char*, const char*>> settings) {
    ll_trainer* t = nullptr;
    REL_OK(ll_trainer_create(&t));
    Trainer owned(t);
    for (const auto& [key, value] : settings) REL_OK(ll_trainer_set(t, key, value));
    return owned;
}

// A dense table with its own arrays (the datasets made from it copy them).
struct Table {
    int64_t rows = 0, cols = 0;
    std::vector<float> x, y;
    Dataset dataset() const {
        ll_dataset* d = nullptr;
        REL_OK(ll_dataset_from_dense(x.data(), rows, cols, cols, y.empty() ? nullptr : y.data(), nullptr,
                                     LL_DATASET_COPY, &d));
        return Dataset(d);
    }
};

// A learnable problem: binary (classes 2), multiclass (classes K) or regression (classes 0).
inline Table synthetic(int64_t rows, int64_t cols, int classes, uint32_t seed) {
    Table t;
    t.rows = rows, t.cols = cols;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    t.x.resize(static_cast<size_t>(rows * cols));
    t.y.resize(static_cast<size_t>(rows));
    for (int64_t i = 0; i < rows; ++i) {
        double z = 0;
        for (int64_t j = 0; j < cols; ++j) {
            const float v = u(rng);
            t.x[static_cast<size_t>(i * cols + j)] = v;
            z += v * ((j % 3) - 1.0) * (1.0 + 0.1 * static_cast<double>(j));
        }
        z += 0.2 * u(rng);
        float label = static_cast<float>(z);
        if (classes == 2) label = z > 0 ? 1.0f : 0.0f;
        if (classes > 2) {
            const int k = static_cast<int>((z + 2.0) / 4.0 * classes);
            label = static_cast<float>(k < 0 ? 0 : k >= classes ? classes - 1 : k);
        }
        t.y[static_cast<size_t>(i)] = label;
    }
    return t;
}

inline Model fit(ll_trainer* t, const ll_dataset* train, const ll_dataset* validation = nullptr,
                 const ll_dataset* test = nullptr) {
    ll_model* m = nullptr;
    REL_OK(ll_trainer_fit(t, train, validation, test, &m));
    return Model(m);
}

// A fresh folder under the system's temporary folder, removed at scope exit.
struct TempDir {
    std::filesystem::path dir;
    TempDir() {
        std::random_device rd;
        dir = std::filesystem::temp_directory_path() /
              ("linlearn-rel-" + std::to_string(rd()) + "-" + std::to_string(rd()));
        std::filesystem::create_directories(dir);
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    std::string path(const std::string& name) const { return (dir / name).string(); }
    std::string write(const std::string& name, const std::string& bytes) const {
        std::ofstream(dir / name, std::ios::binary) << bytes;
        return path(name);
    }
    std::vector<std::string> names() const {
        std::vector<std::string> out;
        for (const auto& e : std::filesystem::directory_iterator(dir)) out.push_back(e.path().filename().string());
        return out;
    }
};

inline std::string read_bytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

}  // namespace rel
