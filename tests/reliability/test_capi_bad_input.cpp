// Bad input through the C ABI: every case returns its LL_E_* status with a one-line
// message that says what was wrong (the row and value, or the key, the value and what is
// allowed), writes no out-parameter and no model file, and never crashes.
//
// What tests/capi and tests/unit already cover is not repeated here (NULL arguments,
// unknown keys, file parse errors, truncated and corrupted model files, the sizing call
// of ll_model_predict); this file adds labels, non-finite values, shapes, contradictions,
// crafted model files and calls made in the wrong order.
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <csignal>
#include <cstring>
#include <limits>
#include <nlohmann/json.hpp>

#include "capi_util.hpp"

using namespace rel;

namespace {

const float kNaN = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

// Fits with model_path set and checks the failure: the status, the message parts, no
// model handed out and no file written.
void expect_fit_error(ll_trainer* t, const ll_dataset* train, const ll_dataset* validation,
                      const ll_dataset* test, int code, const std::vector<std::string>& parts) {
    TempDir dir;
    const std::string model_path = dir.path("model.llmodel");
    REL_OK(ll_trainer_set_option(t, "model_path", model_path.c_str()));
    ll_model* sentinel = reinterpret_cast<ll_model*>(&sentinel);
    ll_model* m = sentinel;
    expect_error(ll_trainer_fit(t, train, validation, test, &m), code, parts, "ll_trainer_fit");
    CHECK(m == sentinel);
    CHECK(dir.names().empty());  // neither the model nor a temporary file
}

Trainer binary(std::initializer_list<std::pair<const char*, const char*>> more = {}) {
    Trainer t = trainer({{"predictor_type", "binary_classifier"}, {"epochs", "2"}, {"num_models", "2"}});
    for (const auto& [key, value] : more) REL_OK(ll_trainer_set(t.get(), key, value));
    return t;
}

}  // namespace

TEST_CASE("labels: binary needs 0/1, multiclass integers 0..K-1, every label finite") {
    struct Case {
        const char* predictor;
        float label;
        std::vector<std::string> parts;
    };
    const std::vector<Case> cases = {
        {"binary_classifier", 2.0f, {"train data, row 4", "label 2", "must be 0 or 1"}},
        {"binary_classifier", -1.0f, {"train data, row 4", "label -1", "must be 0 or 1"}},
        {"binary_classifier", 0.5f, {"row 4", "label 0.5", "0 or 1"}},
        {"multiclass_classifier", -1.0f, {"row 4", "label -1", "num_classes=3", "integers 0..2"}},
        {"multiclass_classifier", 1.5f, {"row 4", "label 1.5", "integers 0..2"}},
        {"multiclass_classifier", 3.0f, {"row 4", "label 3", "integers 0..2"}},
        {"binary_classifier", kNaN, {"row 4", "label nan", "not a finite number"}},
        {"multiclass_classifier", kInf, {"row 4", "label inf", "not a finite number"}},
        {"regressor", -kInf, {"row 4", "label -inf", "not a finite number"}},
    };
    for (const Case& c : cases) {
        CAPTURE(c.predictor);
        CAPTURE(c.label);
        Table data = synthetic(60, 3, std::strcmp(c.predictor, "regressor") == 0 ? 0 : 2, 1);
        data.y[3] = c.label;
        const Dataset ds = data.dataset();
        Trainer t = trainer({{"predictor_type", c.predictor}, {"epochs", "1"}});
        if (std::strcmp(c.predictor, "multiclass_classifier") == 0) REL_OK(ll_trainer_set(t.get(), "num_classes", "3"));
        expect_fit_error(t.get(), ds.get(), nullptr, nullptr, LL_E_INVALID_ARG, c.parts);
    }
}

TEST_CASE("labels and features of validation and test data are checked too, and named so") {
    const Table good = synthetic(80, 4, 2, 2);
    const Dataset train = good.dataset();
    Table bad_label = synthetic(30, 4, 2, 3);
    bad_label.y[6] = 7;
    const Dataset bad_label_ds = bad_label.dataset();
    Table bad_feature = synthetic(30, 4, 2, 4);
    bad_feature.x[2 * 4 + 3] = kNaN;  // row 3, feature 4
    const Dataset bad_feature_ds = bad_feature.dataset();
    Trainer t = binary();
    expect_fit_error(t.get(), train.get(), bad_label_ds.get(), nullptr, LL_E_INVALID_ARG,
                     {"validation data, row 7", "label 7"});
    expect_fit_error(t.get(), train.get(), nullptr, bad_label_ds.get(), LL_E_INVALID_ARG, {"test data, row 7", "label 7"});
    expect_fit_error(t.get(), train.get(), bad_feature_ds.get(), nullptr, LL_E_INVALID_ARG,
                     {"validation data, row 3", "feature 4 is nan", "must be finite"});
    expect_fit_error(t.get(), train.get(), nullptr, bad_feature_ds.get(), LL_E_INVALID_ARG,
                     {"test data, row 3", "feature 4 is nan"});
    // Unlabelled train data cannot be trained on.
    ll_dataset* unlabelled = nullptr;
    REL_OK(ll_dataset_from_dense(good.x.data(), good.rows, good.cols, good.cols, nullptr, nullptr, 0, &unlabelled));
    const Dataset owned(unlabelled);
    expect_fit_error(t.get(), unlabelled, nullptr, nullptr, LL_E_INVALID_ARG, {"train data has no labels"});
    // The trainer is not left half-running by the failures: a good fit works.
    REL_OK(ll_trainer_set_option(t.get(), "model_path", ""));
    CHECK(fit(t.get(), train.get()) != nullptr);
}

TEST_CASE("features: NaN and infinity refused, dense and sparse, with row and feature") {
    Table dense = synthetic(40, 3, 2, 5);
    dense.x[9 * 3 + 1] = -kInf;  // row 10, feature 2
    const Dataset ds = dense.dataset();
    Trainer t = binary();
    expect_fit_error(t.get(), ds.get(), nullptr, nullptr, LL_E_INVALID_ARG,
                     {"train data, row 10", "feature 2 is -inf", "features must be finite"});

    // CSR: 20 rows, each with features 1 and 3 (0-based 0 and 2); row 5's second is NaN.
    std::vector<int64_t> indptr{0};
    std::vector<int32_t> indices;
    std::vector<float> values, labels;
    for (int i = 0; i < 20; ++i) {
        indices.insert(indices.end(), {0, 2});
        values.insert(values.end(), {float(i % 5) - 2.0f, float(i % 3)});
        indptr.push_back(static_cast<int64_t>(indices.size()));
        labels.push_back(float(i % 2));
    }
    values[4 * 2 + 1] = kNaN;
    ll_dataset* sparse = nullptr;
    REL_OK(ll_dataset_from_csr(indptr.data(), indices.data(), values.data(), 20, 3, labels.data(), nullptr,
                               LL_DATASET_COPY, &sparse));
    const Dataset owned(sparse);
    expect_fit_error(t.get(), sparse, nullptr, nullptr, LL_E_INVALID_ARG, {"train data, row 5", "feature 3 is nan"});
}

TEST_CASE("example weights must be finite and non-negative") {
    const Table data = synthetic(40, 3, 2, 6);
    std::vector<float> weights(40, 1.0f);
    weights[11] = -2.0f;
    ll_dataset* ds = nullptr;
    REL_OK(ll_dataset_from_dense(data.x.data(), 40, 3, 3, data.y.data(), weights.data(), LL_DATASET_COPY, &ds));
    const Dataset owned(ds);
    Trainer t = binary();
    expect_fit_error(t.get(), ds, nullptr, nullptr, LL_E_INVALID_ARG, {"row 12", "example weight -2", "finite and >= 0"});
}

TEST_CASE("shapes: empty data, a mini-batch larger than the data, feature counts that differ") {
    const Table data = synthetic(50, 5, 2, 7);
    const Dataset train = data.dataset();
    ll_dataset* empty = nullptr;
    REL_OK(ll_dataset_from_dense(data.x.data(), 0, 5, 5, data.y.data(), nullptr, 0, &empty));
    const Dataset empty_owned(empty);
    int64_t rows = -1, cols = -1;
    REL_OK(ll_dataset_shape(empty, &rows, &cols));
    CHECK(rows == 0);
    CHECK(cols == 5);
    Trainer t = binary();

    SUBCASE("empty train or validation data") {
        expect_fit_error(t.get(), empty, nullptr, nullptr, LL_E_INVALID_ARG, {"train data is empty (0 rows)"});
        expect_fit_error(t.get(), train.get(), empty, nullptr, LL_E_INVALID_ARG, {"validation data is empty (0 rows)"});
    }
    SUBCASE("a mini-batch larger than the data is clamped to it") {
        REL_OK(ll_trainer_set(t.get(), "mini_batch_size", "100000"));
        struct Seen {
            std::string batch;
            int epochs = 0;
        } seen;
        REL_OK(ll_trainer_set_callback(
            t.get(),
            [](const ll_event* e, void* user) {
                auto* s = static_cast<Seen*>(user);
                if (e->kind == LL_EVENT_EPOCH_END) ++s->epochs;
                if (e->kind == LL_EVENT_RUN_START)
                    for (uint32_t i = 0; i < e->n_params; ++i)
                        if (std::strcmp(e->params[i].key, "mini_batch_size") == 0) s->batch = e->params[i].value;
                return 0;
            },
            &seen));
        const Model m = fit(t.get(), train.get());
        CHECK(seen.batch == "50");
        CHECK(seen.epochs == 2);
        char value[32];
        REL_OK(ll_trainer_get(t.get(), "mini_batch_size", value, sizeof value, nullptr));
        CHECK(std::string(value) == "100000");  // the setting itself is kept as given
        std::vector<double> out(50);
        REL_OK(ll_model_predict(m.get(), train.get(), LL_PREDICT_SCORE, out.data(), out.size(), nullptr));
        for (double p : out) CHECK((p >= 0.0 && p <= 1.0));
    }
    SUBCASE("validation, test and feature_dim must match the train data's width") {
        const Table narrow = synthetic(20, 4, 2, 8), wide = synthetic(20, 6, 2, 9);
        const Dataset narrow_ds = narrow.dataset(), wide_ds = wide.dataset();
        expect_fit_error(t.get(), train.get(), narrow_ds.get(), nullptr, LL_E_INVALID_ARG,
                         {"validation data has 4 features, expected 5 (as the train data)"});
        expect_fit_error(t.get(), train.get(), nullptr, wide_ds.get(), LL_E_INVALID_ARG,
                         {"test data has 6 features, expected 5"});
        REL_OK(ll_trainer_set(t.get(), "feature_dim", "7"));
        expect_fit_error(t.get(), train.get(), nullptr, nullptr, LL_E_INVALID_ARG,
                         {"train data has 5 features, expected 7 (feature_dim)"});
    }
}

TEST_CASE("a loaded model refuses data of another width, dense or sparse") {
    const Table data = synthetic(60, 5, 2, 10);
    const Dataset train = data.dataset();
    Trainer t = binary();
    const Model trained = fit(t.get(), train.get());
    TempDir dir;
    const std::string path = dir.path("m.llmodel");
    REL_OK(ll_model_save(trained.get(), path.c_str()));
    ll_model* raw = nullptr;
    REL_OK(ll_model_load(path.c_str(), &raw));
    const Model m(raw);

    std::vector<double> out(8, -7.0);
    size_t needed = 0;
    REL_ERROR(ll_model_predict_dense(m.get(), data.x.data(), 2, 4, 5, LL_PREDICT_SCORE, out.data(), out.size(), &needed),
              LL_E_INVALID_ARG, "ll_model_predict_dense", "the data has 4 features but the model takes 5");
    CHECK(out[0] == -7.0);
    const int64_t indptr[3] = {0, 1, 2};
    const int32_t indices[2] = {0, 5};
    const float values[2] = {1.0f, 2.0f}, labels[2] = {0.0f, 1.0f};
    for (int64_t cols : {int64_t(3), int64_t(6)}) {
        CAPTURE(cols);
        ll_dataset* sparse = nullptr;
        REL_OK(ll_dataset_from_csr(indptr, indices, values, cols == 3 ? 1 : 2, cols, labels, nullptr, 0, &sparse));
        const Dataset owned(sparse);
        const std::string want = "the data has " + std::to_string(cols) + " features but the model takes 5";
        REL_ERROR(ll_model_predict(m.get(), sparse, LL_PREDICT_LABEL, out.data(), out.size(), &needed),
                  LL_E_INVALID_ARG, want.c_str());
        char json[512];
        REL_ERROR(ll_model_evaluate(m.get(), sparse, json, sizeof json, &needed), LL_E_INVALID_ARG, want.c_str());
    }
    CHECK(out[0] == -7.0);
}

TEST_CASE("hyperparameters: wrong types, out of range, contradictions") {
    Trainer t = trainer({});
    SUBCASE("JSON values of the wrong type name the key and what is expected") {
        REL_ERROR(ll_trainer_set_json(t.get(), R"({"epochs": null})"), LL_E_INVALID_ARG, "'epochs'", "null",
                  "expected a string, number or boolean");
        REL_ERROR(ll_trainer_set_json(t.get(), R"({"epochs": {"n": 3}})"), LL_E_INVALID_ARG, "'epochs'", "object");
        REL_ERROR(ll_trainer_set_json(t.get(), R"({"epochs": true})"), LL_E_INVALID_ARG, "'epochs'", "'true'",
                  "an integer");
        REL_ERROR(ll_trainer_set_json(t.get(), R"({"use_bias": 2})"), LL_E_INVALID_ARG, "'use_bias'", "'2'",
                  "'true' or 'false'");
        REL_ERROR(ll_trainer_set_json(t.get(), R"({"learning_rate": "0.1abc"})"), LL_E_INVALID_ARG,
                  "'learning_rate'", "'0.1abc'", "a number > 0");
        REL_ERROR(ll_trainer_set_json(t.get(), R"("epochs")"), LL_E_INVALID_ARG, "expected an object");
        REL_ERROR(ll_trainer_set_json(t.get(), ""), LL_E_INVALID_ARG, "hyperparameters JSON");
        REL_ERROR(ll_trainer_set_json(t.get(), R"({"epochs": 3} trailing)"), LL_E_INVALID_ARG, "hyperparameters JSON");
    }
    SUBCASE("out of range: the key, the value and the allowed range") {
        struct Case {
            const char *key, *value, *allowed;
        };
        const Case cases[] = {
            {"num_models", "0", "[1, 1024]"},        {"num_models", "1025", "[1, 1024]"},
            {"mini_batch_size", "0", ">= 1"},        {"num_classes", "2", "[3, 1000000]"},
            {"quantile", "1", "(0, 1)"},             {"quantile", "0", "(0, 1)"},
            {"epochs", "1e20", "at most 9e15"},      {"seed", "-1", "[0, 4294967295]"},
            {"wd", "-0.5", ">= 0"},                  {"lr_scheduler_factor", "1", "(0, 1)"},
            {"num_threads", "4097", "[1, 4096]"},    {"learning_rate", "inf", "> 0"},
            {"accuracy_top_k", "1.5", "an integer"}, {"early_stopping_tolerance", "0", "> 0"},
        };
        for (const Case& c : cases) {
            CAPTURE(c.key);
            CAPTURE(c.value);
            const std::string key = "'" + std::string(c.key) + "'", value = "'" + std::string(c.value) + "'";
            REL_ERROR(ll_trainer_set(t.get(), c.key, c.value), LL_E_INVALID_ARG, key.c_str(), value.c_str(), c.allowed);
        }
    }
    SUBCASE("contradictions are refused at fit, naming both settings") {
        const Table data = synthetic(40, 3, 2, 11);
        const Dataset ds = data.dataset();
        const Table multi = synthetic(60, 3, 3, 12);
        const Dataset multi_ds = multi.dataset();
        Trainer a = binary({{"loss", "squared_loss"}});
        expect_fit_error(a.get(), ds.get(), nullptr, nullptr, LL_E_INVALID_ARG,
                         {"'loss'", "'squared_loss'", "does not fit predictor_type 'binary_classifier'",
                          "'logistic', 'hinge_loss' or 'auto'"});
        Trainer b = trainer({{"predictor_type", "regressor"}, {"loss", "softmax_loss"}});
        expect_fit_error(b.get(), ds.get(), nullptr, nullptr, LL_E_INVALID_ARG,
                         {"'softmax_loss'", "does not fit predictor_type 'regressor'"});
        Trainer c = trainer({{"predictor_type", "multiclass_classifier"}, {"num_classes", "3"}, {"loss", "logistic"}});
        expect_fit_error(c.get(), multi_ds.get(), nullptr, nullptr, LL_E_INVALID_ARG,
                         {"'logistic'", "'softmax_loss' or 'auto'"});
        Trainer d = binary({{"unbias_data", "true"}, {"use_bias", "false"}});
        expect_fit_error(d.get(), ds.get(), nullptr, nullptr, LL_E_INVALID_ARG,
                         {"'unbias_data'=true", "'use_bias'=false", "contradict"});
        Trainer e = trainer({{"predictor_type", "regressor"}, {"unbias_label", "true"}, {"use_bias", "false"}});
        expect_fit_error(e.get(), ds.get(), nullptr, nullptr, LL_E_INVALID_ARG, {"'unbias_label'=true", "'use_bias'=false"});
        Trainer f = trainer({{"predictor_type", "multiclass_classifier"}});
        expect_fit_error(f.get(), multi_ds.get(), nullptr, nullptr, LL_E_INVALID_ARG,
                         {"'num_classes' is required", "[3, 1000000]"});
        Trainer g = trainer({});
        expect_fit_error(g.get(), ds.get(), nullptr, nullptr, LL_E_INVALID_ARG, {"'predictor_type' is required"});
        // unbias_data=false with use_bias=false is consistent and trains.
        Trainer ok = binary({{"unbias_data", "false"}, {"use_bias", "false"}});
        CHECK(fit(ok.get(), ds.get()) != nullptr);
    }
}

// Regression (found here, fixed during this work): epochs and early_stopping_patience were
// accepted up to 9e15 and narrowed to int by resolve(): epochs=4294967297 trained one
// epoch, 2147483648 none, early_stopping_patience=4294967296 stopped after one epoch.
TEST_CASE("integer hyperparameters beyond int are refused, not wrapped") {
    Trainer t = trainer({});
    REL_ERROR(ll_trainer_set(t.get(), "epochs", "4294967297"), LL_E_INVALID_ARG, "'epochs'", "'4294967297'",
              "[1, 2147483647]");
    REL_ERROR(ll_trainer_set(t.get(), "epochs", "2147483648"), LL_E_INVALID_ARG, "'epochs'", "[1, 2147483647]");
    REL_ERROR(ll_trainer_set(t.get(), "early_stopping_patience", "4294967296"), LL_E_INVALID_ARG,
              "'early_stopping_patience'", "[1, 2147483647]");
    REL_OK(ll_trainer_set(t.get(), "epochs", "2147483647"));  // the largest int is fine
}

// Regression (found by fuzz_hyperparams, fixed during this work): a JSON number beyond
// double ("1e400") made nlohmann throw out_of_range past set_json: LL_E_INTERNAL.
TEST_CASE("hyperparameters: a JSON number beyond double is bad input, not an internal error") {
    Trainer t = trainer({});
    REL_ERROR(ll_trainer_set_json(t.get(), R"({"epochs": 1e400})"), LL_E_INVALID_ARG, "hyperparameters JSON",
              "number overflow", "'1e400'");
    REL_ERROR(ll_trainer_set_json(t.get(), R"({"wd": -1e999})"), LL_E_INVALID_ARG, "hyperparameters JSON");
}

// ---- Model files --------------------------------------------------------------------

namespace {

uint32_t crc32(const std::string& bytes) {
    uint32_t c = 0xFFFFFFFFu;
    for (unsigned char byte : bytes) {
        c ^= byte;
        for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    }
    return c ^ 0xFFFFFFFFu;
}

template <class T> T get_le(const std::string& s, size_t at) {
    T v;
    std::memcpy(&v, s.data() + at, sizeof v);
    return v;
}
template <class T> void put_le(std::string& s, size_t at, T v) { std::memcpy(&s[at], &v, sizeof v); }

// The parts of a model file (format 1): magic, version, header length, payload length,
// JSON header, weights, CRC-32.
struct ModelFile {
    uint32_t version = 0;
    nlohmann::json header;
    std::string weights;

    explicit ModelFile(const std::string& bytes) {
        version = get_le<uint32_t>(bytes, 8);
        const uint32_t hlen = get_le<uint32_t>(bytes, 12);
        const uint64_t plen = get_le<uint64_t>(bytes, 16);
        header = nlohmann::json::parse(bytes.substr(24, hlen));
        weights = bytes.substr(24 + hlen, plen - hlen);
    }
    // Serialises with lengths and CRC made consistent, unless told otherwise.
    std::string bytes(const std::string* raw_header = nullptr, int64_t hlen_delta = 0, int64_t plen_delta = 0) const {
        const std::string h = raw_header ? *raw_header : header.dump();
        std::string out("LLMODEL\x1a", 8);
        out.resize(24);
        put_le<uint32_t>(out, 8, version);
        put_le<uint32_t>(out, 12, static_cast<uint32_t>(static_cast<int64_t>(h.size()) + hlen_delta));
        put_le<uint64_t>(out, 16, static_cast<uint64_t>(static_cast<int64_t>(h.size() + weights.size()) + plen_delta));
        out += h + weights;
        const uint32_t c = crc32(out);
        out.append(reinterpret_cast<const char*>(&c), 4);
        return out;
    }
};

}  // namespace

TEST_CASE("model files: crafted headers and lengths, each with a valid checksum, are refused") {
    const Table data = synthetic(60, 4, 3, 13);
    const Dataset train = data.dataset();
    Trainer t = trainer({{"predictor_type", "multiclass_classifier"}, {"num_classes", "3"}, {"epochs", "1"},
                         {"num_models", "1"}});
    const Model trained = fit(t.get(), train.get());
    TempDir dir;
    const std::string good_path = dir.path("good.llmodel");
    REL_OK(ll_model_save(trained.get(), good_path.c_str()));
    const std::string good = read_bytes(good_path);
    const ModelFile parsed(good);
    REQUIRE(parsed.bytes() == good);  // the crafting reproduces the library's own bytes

    auto expect_refused = [&](const std::string& name, const std::string& bytes, const std::vector<std::string>& parts) {
        CAPTURE(name);
        const std::string path = dir.write(name + ".llmodel", bytes);
        ll_model* sentinel = reinterpret_cast<ll_model*>(&sentinel);
        ll_model* m = sentinel;
        expect_error(ll_model_load(path.c_str(), &m), LL_E_MODEL_FORMAT, parts, "ll_model_load");
        CHECK(m == sentinel);
        CHECK(std::string(ll_last_error()).find(path) != std::string::npos);
    };
    auto with = [&](const std::string& key, const nlohmann::json& value) {
        ModelFile f = parsed;
        if (value.is_discarded()) f.header.erase(key);
        else f.header[key] = value;
        return f.bytes();
    };
    ModelFile newer = parsed;
    newer.version = 2;
    expect_refused("newer", newer.bytes(), {"format version 2 is newer", "upgrade linlearn"});
    expect_refused("header_longer_than_payload", parsed.bytes(nullptr, 1000000, 0), {"inconsistent lengths"});
    expect_refused("payload_claims_more", parsed.bytes(nullptr, 0, 4096), {"truncated or inconsistent lengths"});
    expect_refused("payload_claims_huge", parsed.bytes(nullptr, 0, int64_t(1) << 60), {"truncated or inconsistent"});
    expect_refused("payload_claims_less", parsed.bytes(nullptr, 0, -4), {"inconsistent lengths"});
    const std::string not_json = std::string(parsed.header.dump().size(), '{');
    expect_refused("header_not_json", parsed.bytes(&not_json), {"bad header"});
    expect_refused("no_threshold", with("threshold", nlohmann::json::value_t::discarded), {"bad header", "threshold"});
    expect_refused("predictor_out_of_range", with("predictor", 7), {"bad header", "predictor out of range"});
    expect_refused("loss_out_of_range", with("loss", -1), {"bad header", "loss out of range"});
    expect_refused("status_out_of_range", with("status", 99), {"bad header", "status"});
    expect_refused("threshold_text", with("threshold", "high"), {"bad header"});
    expect_refused("hyperparameters_number", with("hyperparameters", 5), {"bad header"});
    expect_refused("more_features", with("features", 5), {"shape (5 x 3) does not match the stored weights"});
    expect_refused("negative_features", with("features", -1), {"does not match"});
    expect_refused("no_outputs", with("outputs", 0), {"does not match"});
    expect_refused("empty", "", {"not a linlearn model"});
    expect_refused("magic_only", std::string("LLMODEL\x1a", 8), {"truncated"});
    expect_refused("csv", "1,2,3\n4,5,6\n", {"not a linlearn model (wrong magic number)"});
}

// Regression (found here, fixed during this work): the loader checked the shapes against
// the weights but not num_classes against the outputs: a multiclass file claiming 200
// classes over 3 outputs loaded, and evaluate then read past the scores.
TEST_CASE("model files: num_classes that disagrees with the outputs is refused") {
    const Table data = synthetic(60, 4, 3, 19);
    const Dataset train = data.dataset();
    Trainer t = trainer({{"predictor_type", "multiclass_classifier"}, {"num_classes", "3"}, {"epochs", "1"},
                         {"num_models", "1"}});
    const Model trained = fit(t.get(), train.get());
    TempDir dir;
    const std::string path = dir.path("m.llmodel");
    REL_OK(ll_model_save(trained.get(), path.c_str()));
    ModelFile f(read_bytes(path));
    f.header["num_classes"] = 200;
    dir.write("m.llmodel", f.bytes());
    ll_model* m = nullptr;
    REL_ERROR(ll_model_load(path.c_str(), &m), LL_E_MODEL_FORMAT, "inconsistent header", "200 classes, 3 outputs");
    ll_model_free(m);
}

// Regression (found by fuzz_model, fixed during this work): a binary model file (valid CRC)
// with loss softmax_loss loaded, and evaluate read the score of class 1 past its single
// output (heap-buffer-overflow under ASan).
TEST_CASE("model files: a loss that does not fit the predictor type is refused") {
    const Table data = synthetic(60, 4, 2, 20);
    const Dataset train = data.dataset();
    Trainer t = binary();
    const Model trained = fit(t.get(), train.get());
    TempDir dir;
    const std::string path = dir.path("m.llmodel");
    REL_OK(ll_model_save(trained.get(), path.c_str()));
    ModelFile f(read_bytes(path));
    f.header["loss"] = 2;  // softmax_loss
    dir.write("m.llmodel", f.bytes());
    ll_model* m = nullptr;
    REL_ERROR(ll_model_load(path.c_str(), &m), LL_E_MODEL_FORMAT, "inconsistent header", "binary_classifier, softmax_loss");
    ll_model_free(m);
}

// Regression: a folder given as the model path was once reported as "not a linlearn
// model", LL_E_MODEL_FORMAT; like a data file, it is an I/O error.
TEST_CASE("model files: a folder is an I/O error, as for data files") {
    TempDir dir;
    ll_model* m = nullptr;
    REL_ERROR(ll_model_load(dir.dir.string().c_str(), &m), LL_E_IO, "Is a directory");
    ll_dataset* d = nullptr;
    REL_ERROR(ll_dataset_from_file(dir.dir.string().c_str(), nullptr, &d), LL_E_IO, "Is a directory");
}

TEST_CASE("a folder as the model path fails cleanly (no crash, a model-format error naming it)") {
    TempDir dir;
    ll_model* sentinel = reinterpret_cast<ll_model*>(&sentinel);
    ll_model* m = sentinel;
    const int status = ll_model_load(dir.dir.string().c_str(), &m);
    CHECK((status == LL_E_IO || status == LL_E_MODEL_FORMAT));
    CHECK(m == sentinel);
    CHECK(std::string(ll_last_error()).find(dir.dir.string()) != std::string::npos);
}

// ---- Buffers, handles, order ---------------------------------------------------------

TEST_CASE("buffers too small: the size needed comes back and the buffer is untouched") {
    const Table data = synthetic(30, 4, 3, 14);
    const Dataset ds = data.dataset();
    Trainer t = trainer({{"predictor_type", "multiclass_classifier"}, {"num_classes", "3"}, {"epochs", "1"}});
    const Model m = fit(t.get(), ds.get());
    std::vector<double> out(89, -5.0);
    size_t needed = 0;
    REL_ERROR(ll_model_predict_dense(m.get(), data.x.data(), 30, 4, 4, LL_PREDICT_SCORE, out.data(), 89, &needed),
              LL_E_BUFFER_TOO_SMALL, "out holds 89 values, 90 needed");
    CHECK(needed == 90);  // 30 rows x 3 classes
    REL_ERROR(ll_model_predict_dense(m.get(), data.x.data(), 30, 4, 4, LL_PREDICT_LABEL, out.data(), 29, &needed),
              LL_E_BUFFER_TOO_SMALL, "29 values, 30 needed");
    CHECK(needed == 30);
    REL_ERROR(ll_model_predict_dense(m.get(), data.x.data(), 30, 4, 4, LL_PREDICT_RAW, nullptr, 0, &needed),
              LL_E_BUFFER_TOO_SMALL, "90 needed");
    CHECK(needed == 90);
    for (double v : out) CHECK(v == -5.0);
    // Zero rows need nothing: out may be NULL.
    REL_OK(ll_model_predict_dense(m.get(), data.x.data(), 0, 4, 4, LL_PREDICT_SCORE, nullptr, 0, &needed));
    CHECK(needed == 0);

    char small[4] = {'#', '#', '#', '#'};
    REL_ERROR(ll_trainer_get(t.get(), "predictor_type", small, sizeof small, &needed), LL_E_BUFFER_TOO_SMALL,
              "22 bytes needed, 4 given");
    CHECK(needed == std::strlen("multiclass_classifier") + 1);
    CHECK(small[0] == '#');
    REL_ERROR(ll_model_evaluate(m.get(), ds.get(), nullptr, 0, &needed), LL_E_BUFFER_TOO_SMALL, "bytes needed");
    std::string json(needed, '\0');
    REL_OK(ll_model_evaluate(m.get(), ds.get(), json.data(), json.size(), &needed));
    CHECK(nlohmann::json::parse(json.c_str()).contains("multiclass_accuracy"));

    ll_model_info info{};
    info.struct_size = 4;  // older than any released layout
    REL_ERROR(ll_model_info_get(m.get(), &info), LL_E_INVALID_ARG, "struct_size 4 is too small");
}

TEST_CASE("datasets: bad CSR structure and absurd shapes are refused, not trusted") {
    const int64_t decreasing[3] = {0, 2, 1};
    const int32_t indices[2] = {0, 1};
    const float values[2] = {1, 2};
    ll_dataset* d = nullptr;
    REL_ERROR(ll_dataset_from_csr(decreasing, indices, values, 2, 3, nullptr, nullptr, 0, &d), LL_E_INVALID_ARG,
              "indptr decreases at row 1");
    const int64_t indptr[2] = {0, 2};
    REL_ERROR(ll_dataset_from_csr(indptr, nullptr, nullptr, 1, 3, nullptr, nullptr, 0, &d), LL_E_INVALID_ARG,
              "indices or values is NULL");
    const int32_t negative[2] = {-1, 0};
    REL_ERROR(ll_dataset_from_csr(indptr, negative, values, 1, 3, nullptr, nullptr, LL_DATASET_COPY, &d),
              LL_E_INVALID_ARG, "column index -1", "allowed 0..2");
    REL_ERROR(ll_dataset_from_dense(values, -1, 2, 2, nullptr, nullptr, 0, &d), LL_E_INVALID_ARG, "-1 x 2");
    // A copy the size of which cannot be allocated is out of memory, not a crash. (Not
    // under AddressSanitizer, whose operator new aborts on such a size by design.)
#if !defined(__SANITIZE_ADDRESS__)
    REL_ERROR(ll_dataset_from_dense(values, int64_t(1) << 40, 4, 4, nullptr, nullptr, LL_DATASET_COPY, &d),
              LL_E_NOMEM, "out of memory");
#endif
    CHECK(d == nullptr);
}

namespace {
// Runs f in a child process; its exit status, or 128 + the signal that ended it.
template <class F> int in_child(F f) {
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // The test framework's crash handlers stay with the parent: here a crash is the
        // result being measured, reported through the exit status.
        for (int sig : {SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL}) std::signal(sig, SIG_DFL);
        ::_exit(f());
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
}  // namespace

// Regression: with LL_DATASET_COPY, a rows x cols that overflows int64 once wrapped to a
// small allocation written past. It must be refused. Run in a child process so that a
// crash fails only this test.
TEST_CASE("datasets: a shape whose size overflows is refused, not a crash") {
    const int f32 = in_child([] {
        const float x[4] = {0, 0, 0, 0};
        ll_dataset* d = nullptr;
        const int s = ll_dataset_from_dense(x, int64_t(1) << 62, 4, 4, nullptr, nullptr, LL_DATASET_COPY, &d);
        return s == LL_E_INVALID_ARG || s == LL_E_NOMEM ? 0 : 1;
    });
    CHECK(f32 == 0);
    const int f64 = in_child([] {
        const double x[4] = {0, 0, 0, 0};
        ll_dataset* d = nullptr;
        const int s = ll_dataset_from_dense_f64(x, int64_t(1) << 62, 4, 4, nullptr, nullptr, &d);
        return s == LL_E_INVALID_ARG || s == LL_E_NOMEM ? 0 : 1;
    });
    CHECK(f64 == 0);
}

namespace {
struct Reentry {
    ll_trainer* t = nullptr;
    const ll_dataset* train = nullptr;
    bool tried = false;
    int set = 0, set_json = 0, set_option = 0, set_callback = 0, add_sink = 0, fit = 0, get = 0;
    std::string set_message, fit_message;
    ll_model* fit_out = nullptr;
};

int reenter(const ll_event* e, void* user) {
    auto* r = static_cast<Reentry*>(user);
    if (e->kind != LL_EVENT_EPOCH_END || r->tried) return 0;
    r->tried = true;
    r->set = ll_trainer_set(r->t, "epochs", "1");
    r->set_message = ll_last_error();
    r->set_json = ll_trainer_set_json(r->t, R"({"epochs": 1})");
    r->set_option = ll_trainer_set_option(r->t, "run_id", "x");
    r->set_callback = ll_trainer_set_callback(r->t, nullptr, nullptr);
    r->add_sink = ll_trainer_add_sink(r->t, "json:path=/nonexistent-dir-linlearn/x.jsonl");
    r->fit_out = reinterpret_cast<ll_model*>(&r->fit_out);
    r->fit = ll_trainer_fit(r->t, r->train, nullptr, nullptr, &r->fit_out);
    r->fit_message = ll_last_error();
    char value[16];
    r->get = ll_trainer_get(r->t, "epochs", value, sizeof value, nullptr);  // reading is allowed
    return 0;
}
}  // namespace

TEST_CASE("calls in the wrong order: changing a running trainer from its callback is LL_E_STATE") {
    const Table data = synthetic(60, 3, 2, 15);
    const Dataset ds = data.dataset();
    Trainer t = binary({{"epochs", "3"}});
    Reentry r;
    r.t = t.get();
    r.train = ds.get();
    REL_OK(ll_trainer_set_callback(t.get(), reenter, &r));
    const Model m = fit(t.get(), ds.get());
    REQUIRE(r.tried);
    CHECK(r.set == LL_E_STATE);
    CHECK(r.set_message.find("ll_trainer_set: the trainer is running a fit") != std::string::npos);
    CHECK(r.set_json == LL_E_STATE);
    CHECK(r.set_option == LL_E_STATE);
    CHECK(r.set_callback == LL_E_STATE);
    CHECK(r.add_sink == LL_E_STATE);
    CHECK(r.fit == LL_E_STATE);
    CHECK(r.fit_message.find("already running") != std::string::npos);
    CHECK(r.fit_out == reinterpret_cast<ll_model*>(&r.fit_out));
    CHECK(r.get == LL_OK);
    char epochs[16];
    REL_OK(ll_trainer_get(t.get(), "epochs", epochs, sizeof epochs, nullptr));
    CHECK(std::string(epochs) == "3");  // the refused set changed nothing
    // After the fit, the trainer takes settings again.
    REL_OK(ll_trainer_set(t.get(), "epochs", "1"));
    REL_OK(ll_trainer_set_callback(t.get(), nullptr, nullptr));
}

TEST_CASE("cancel before fit applies to the next fit only; a failed fit leaves the trainer usable") {
    const Table data = synthetic(60, 3, 2, 16);
    const Dataset ds = data.dataset();
    Trainer t = binary();
    REL_OK(ll_trainer_cancel(t.get()));
    ll_model* m = nullptr;
    REL_ERROR(ll_trainer_fit(t.get(), ds.get(), nullptr, nullptr, &m), LL_E_CANCELLED, "cancelled before the first epoch");
    CHECK(m == nullptr);
    CHECK(fit(t.get(), ds.get()) != nullptr);  // the request was used up
    REL_OK(ll_trainer_set(t.get(), "loss", "squared_loss"));
    REL_ERROR(ll_trainer_fit(t.get(), ds.get(), nullptr, nullptr, &m), LL_E_INVALID_ARG, "does not fit");
    REL_OK(ll_trainer_set(t.get(), "loss", "auto"));
    CHECK(fit(t.get(), ds.get()) != nullptr);
}

// ll_model_evaluate checks the labels (not the trainer: the data may be any file).
// Regression (found here, fixed during this work): the objective loss was computed before
// the check and read the score of class <label>: out of bounds for a label >= K or < 0
// (heap-buffer-overflow under ASan), SIGSEGV for a large label, UB for NaN. The huge/NaN
// cases run in a child process, so that a return of the crash fails only that test.
namespace {
int evaluate_with_label(float bad) {
    const Table data = synthetic(60, 4, 3, 17);
    const Dataset train = data.dataset();
    // One thread: this also runs in a forked child, where OpenMP's pool must not be needed.
    Trainer t = trainer({{"predictor_type", "multiclass_classifier"}, {"num_classes", "3"}, {"epochs", "1"},
                         {"num_models", "1"}, {"num_threads", "1"}});
    const Model m = fit(t.get(), train.get());
    Table test = synthetic(5, 4, 3, 18);
    test.y[4] = bad;
    const Dataset ds = test.dataset();
    char json[1024] = "untouched";
    size_t needed = 0;
    return ll_model_evaluate(m.get(), ds.get(), json, sizeof json, &needed);
}
}  // namespace

TEST_CASE("evaluate: multiclass labels outside 0..K-1 are refused") {
    for (float bad : {3.0f, 1000.0f, -1.0f, 1.5f}) {
        CAPTURE(bad);
        REL_ERROR(evaluate_with_label(bad), LL_E_INVALID_ARG, "ll_model_evaluate", "row 5 has label",
                  "takes labels 0..2");
    }
}

TEST_CASE("evaluate: a huge or NaN multiclass label is refused, not a crash") {
    for (float bad : {1e8f, kNaN}) {
        CAPTURE(bad);
        const int status = in_child([bad] { return evaluate_with_label(bad) == LL_E_INVALID_ARG ? 0 : 1; });
        CHECK(status == 0);  // was 139: SIGSEGV
    }
}
