// The model file format (version 1), little-endian:
//   8 bytes  magic "LLMODEL\x1a"
//   u32      format version
//   u32      header length H
//   u64      payload length P (= H + 4·(features·outputs + outputs))
//   H bytes  JSON header: predictor, loss, shapes, threshold, provenance
//   floats   W column by column, then b; then, when the header says "state": the
//            training state (mean, inv_std, m1, m2 column by column, bm1, bm2)
//   u32      CRC-32 of everything before it
// Every length is checked against the file's size before anything is allocated.
#include <array>
#include <cmath>
#include <cstring>
#include <nlohmann/json.hpp>

#include "atomic_file.hpp"
#include "error.hpp"
#include "model.hpp"

namespace linlearn {

namespace {
constexpr char kMagic[8] = {'L', 'L', 'M', 'O', 'D', 'E', 'L', '\x1a'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kFixed = 8 + 4 + 4 + 8;

uint32_t crc32(const char* data, size_t n) {
    static const auto table = [] {
        std::array<uint32_t, 256> t{};
        for (uint32_t i = 0; i < 256; ++i) {
            uint32_t c = i;
            for (int k = 0; k < 8; ++k) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
            t[i] = c;
        }
        return t;
    }();
    uint32_t c = 0xFFFFFFFFu;
    for (size_t i = 0; i < n; ++i) c = table[(c ^ static_cast<uint8_t>(data[i])) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
}

template <class T> void put(std::string& out, T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    out.append(b, sizeof(T));
}
template <class T> T get(const std::string& in, size_t at) {
    T v;
    std::memcpy(&v, in.data() + at, sizeof(T));
    return v;
}

// Floats of the training state: mean, inv_std (features each), m1, m2 (features ×
// outputs each), bm1, bm2 (outputs each).
uint64_t state_floats(int64_t features, int64_t outputs) {
    return 2 * static_cast<uint64_t>(features) + 2 * static_cast<uint64_t>(features * outputs) +
           2 * static_cast<uint64_t>(outputs);
}

template <class E> E enum_from(const nlohmann::json& j, const char* key, int count) {
    const int v = j.at(key).get<int>();
    if (v < 0 || v >= count) throw std::out_of_range(std::string(key) + " out of range");
    return static_cast<E>(v);
}
}  // namespace

std::string serialize_model(const LinearModel& m) {
    nlohmann::json h = {{"predictor", static_cast<int>(m.predictor)},
                        {"predictor_type", to_string(m.predictor)},
                        {"loss", static_cast<int>(m.loss)},
                        {"loss_name", to_string(m.loss)},
                        {"num_classes", m.num_classes},
                        {"features", m.num_features()},
                        {"outputs", m.outputs()},
                        {"threshold", m.threshold},
                        {"loss_params", {m.loss_params.margin, m.loss_params.loss_insensitivity,
                                         m.loss_params.quantile, m.loss_params.huber_delta}},
                        {"f_beta", m.f_beta},
                        {"top_k", m.top_k},
                        {"best_epoch", m.best_epoch},
                        {"best_model", m.best_model},
                        {"status", static_cast<int>(m.status)},
                        {"hyperparameters", m.hyperparameters}};
    if (m.has_state)
        h["state"] = {{"label_mean", m.state.label_mean}, {"label_std", m.state.label_std},
                      {"steps", m.state.steps}, {"learning_rate", m.state.learning_rate}};
    const std::string header = h.dump();
    const uint64_t floats = static_cast<uint64_t>(m.W.size() + m.b.size()) +
                            (m.has_state ? state_floats(m.num_features(), m.outputs()) : 0);
    std::string out(kMagic, 8);
    put<uint32_t>(out, kFormatVersion);
    put<uint32_t>(out, static_cast<uint32_t>(header.size()));
    put<uint64_t>(out, header.size() + 4 * floats);
    out += header;
    out.append(reinterpret_cast<const char*>(m.W.data()), 4 * m.W.size());
    out.append(reinterpret_cast<const char*>(m.b.data()), 4 * m.b.size());
    if (m.has_state) {
        const TrainingState& t = m.state;
        auto add = [&](const auto& a) { out.append(reinterpret_cast<const char*>(a.data()), 4 * a.size()); };
        add(t.mean), add(t.inv_std), add(t.m1), add(t.m2), add(t.bm1), add(t.bm2);
    }
    put<uint32_t>(out, crc32(out.data(), out.size()));
    return out;
}

LinearModel deserialize_model(const std::string& in, const std::string& origin) {
    auto bad = [&](const std::string& why) -> Error {
        return Error(ErrorCode::model_format, "model file '" + origin + "': " + why);
    };
    if (in.size() < 8 || std::memcmp(in.data(), kMagic, 8) != 0)
        throw bad("not a linlearn model (wrong magic number)");
    if (in.size() < kFixed + 4) throw bad("truncated (" + std::to_string(in.size()) + " bytes)");
    const uint32_t version = get<uint32_t>(in, 8);
    if (version > kFormatVersion)
        throw bad("format version " + std::to_string(version) + " is newer than this library reads (" +
                  std::to_string(kFormatVersion) + "); upgrade linlearn");
    const uint32_t hlen = get<uint32_t>(in, 12);
    const uint64_t plen = get<uint64_t>(in, 16);
    if (plen != in.size() - kFixed - 4 || hlen > plen || (plen - hlen) % 4 != 0)
        throw bad("truncated or inconsistent lengths (payload " + std::to_string(plen) + " bytes, file " +
                  std::to_string(in.size()) + " bytes)");
    if (crc32(in.data(), in.size() - 4) != get<uint32_t>(in, in.size() - 4))
        throw bad("checksum mismatch: the file is corrupted");
    LinearModel m;
    int64_t features = 0, outputs = 0;
    try {
        const auto h = nlohmann::json::parse(in.begin() + kFixed, in.begin() + kFixed + hlen);
        m.predictor = enum_from<Predictor>(h, "predictor", 3);
        m.loss = enum_from<Loss>(h, "loss", 9);
        m.num_classes = h.at("num_classes").get<int>();
        features = h.at("features").get<int64_t>();
        outputs = h.at("outputs").get<int64_t>();
        m.threshold = h.at("threshold").get<double>();
        const auto lp = h.at("loss_params");
        m.loss_params = {lp.at(0).get<double>(), lp.at(1).get<double>(), lp.at(2).get<double>(),
                         lp.at(3).get<double>()};
        m.f_beta = h.at("f_beta").get<double>();
        m.top_k = h.at("top_k").get<int>();
        m.best_epoch = h.at("best_epoch").get<int>();
        m.best_model = h.at("best_model").get<int>();
        m.status = enum_from<RunStatus>(h, "status", 5);
        m.hyperparameters = h.at("hyperparameters").get<std::vector<std::pair<std::string, std::string>>>();
        if (h.contains("state")) {
            const auto& st = h.at("state");
            m.has_state = true;
            m.state.label_mean = st.at("label_mean").get<double>();
            m.state.label_std = st.at("label_std").get<double>();
            m.state.steps = st.at("steps").get<int64_t>();
            m.state.learning_rate = st.at("learning_rate").get<double>();
        }
    } catch (const std::exception& e) {
        throw bad(std::string("bad header: ") + e.what());
    }
    if (features < 0 || features > (int64_t{1} << 40) || outputs < 1 || outputs > (1 << 24) ||
        (static_cast<uint64_t>(features + 1) * outputs + (m.has_state ? state_floats(features, outputs) : 0)) * 4 !=
            plen - hlen)
        throw bad("the header's shape (" + std::to_string(features) + " x " + std::to_string(outputs) +
                  ") does not match the stored weights");
    // The header's fields must describe a model this library could have made.
    const bool multiclass = m.predictor == Predictor::multiclass;
    const bool loss_fits = m.predictor == Predictor::binary ? (m.loss == Loss::logistic || m.loss == Loss::hinge)
                           : multiclass ? m.loss == Loss::softmax
                                        : !(m.loss == Loss::logistic || m.loss == Loss::hinge || m.loss == Loss::softmax);
    const int64_t want_outputs = multiclass ? m.num_classes : 1;
    const int want_classes = m.predictor == Predictor::binary ? 2 : multiclass ? m.num_classes : 0;
    if (!loss_fits || outputs != want_outputs || m.num_classes != want_classes || (multiclass && m.num_classes < 3) ||
        m.top_k < 1 || !std::isfinite(m.threshold) || !std::isfinite(m.f_beta) || m.f_beta <= 0)
        throw bad("inconsistent header (" + std::string(to_string(m.predictor)) + ", " + to_string(m.loss) + ", " +
                  std::to_string(m.num_classes) + " classes, " + std::to_string(outputs) + " outputs)");
    const char* at = in.data() + kFixed + hlen;
    auto take = [&](auto& a, Eigen::Index rows, Eigen::Index cols) {
        a.resize(rows, cols);
        std::memcpy(a.data(), at, 4 * a.size());
        at += 4 * a.size();
    };
    take(m.W, features, outputs);
    take(m.b, outputs, 1);
    if (m.has_state) {
        TrainingState& t = m.state;
        take(t.mean, features, 1), take(t.inv_std, features, 1), take(t.m1, features, outputs),
            take(t.m2, features, outputs), take(t.bm1, outputs, 1), take(t.bm2, outputs, 1);
    }
    return m;
}

void save_model(const LinearModel& m, const std::string& path) {
    write_file_atomically(path, serialize_model(m));
}

LinearModel load_model(const std::string& path) { return deserialize_model(read_file(path), path); }

}  // namespace linlearn
