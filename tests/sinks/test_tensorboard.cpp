// The tensorboard sink: its encoder against the bytes of a file TensorBoard's own tools
// were checked on, and its files read back here with a CRC-32C and a protobuf decoder of
// this test's own. The files land in <output>/tracking/tensorboard, where
// check_tensorboard.py (test sink_tensorboard_decode) decodes every record with
// `protoc --decode_raw`.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include "error.hpp"
#include "helpers.hpp"
#include "sink_check.hpp"
#include "sink_host.hpp"
#include "tf_event.hpp"

using linlearn::Error;
using linlearn::capi::SinkHost;
using linlearn::cli::SyntheticRun;
using namespace sink_tests;

namespace {

std::string tb_output(const std::string& name) {
    const std::filesystem::path dir = std::filesystem::path(SINK_TRACKING_OUTPUT) / "tensorboard" / name;
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    return dir.string();
}

std::string create_error(const std::string& spec) {
    SinkHost host;
    try {
        host.add(spec);
    } catch (const Error& e) {
        return e.what();
    }
    FAIL("created: " << spec);
    return "";
}

std::string from_hex(const std::string& hex) {
    std::string out;
    for (size_t i = 0; i < hex.size(); ++i) {
        if (hex[i] == ' ' || hex[i] == '\n') continue;
        out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
        ++i;
    }
    return out;
}

// CRC-32C bit by bit, apart from the sink's table: reflected 0x82F63B78, init and final
// XOR 0xFFFFFFFF; TFRecord's mask rotates right by 15 and adds 0xA282EAD8.
uint32_t masked_crc(const std::string& data) {
    uint32_t crc = 0xFFFFFFFFu;
    for (unsigned char byte : data) {
        crc ^= byte;
        for (int bit = 0; bit < 8; ++bit) crc = (crc & 1) ? (crc >> 1) ^ 0x82F63B78u : crc >> 1;
    }
    crc ^= 0xFFFFFFFFu;
    return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

uint64_t little_endian(const std::string& bytes, size_t at, int size) {
    uint64_t v = 0;
    for (int i = size - 1; i >= 0; --i) v = v << 8 | static_cast<unsigned char>(bytes.at(at + i));
    return v;
}

// The data of each record, every CRC checked.
std::vector<std::string> records(const std::string& file) {
    std::vector<std::string> out;
    for (size_t at = 0; at < file.size();) {
        REQUIRE_MESSAGE(file.size() - at >= 16, "stray bytes at offset " << at);
        const uint64_t length = little_endian(file, at, 8);
        CHECK_MESSAGE(little_endian(file, at + 8, 4) == masked_crc(file.substr(at, 8)), "length CRC at " << at);
        REQUIRE_MESSAGE(file.size() >= at + 16 + length, "truncated record at " << at);
        const std::string data = file.substr(at + 12, length);
        CHECK_MESSAGE(little_endian(file, at + 12 + length, 4) == masked_crc(data), "data CRC at " << at);
        out.push_back(data);
        at += 16 + length;
    }
    return out;
}

// An Event as decoded here: the fields the sink may write, and nothing else.
struct Decoded {
    double wall_time = 0;
    int64_t step = 0;
    std::string file_version;
    bool has_summary = false;
    std::map<std::string, float> scalars;
    std::map<std::string, std::string> texts;  // text summaries: tag -> the string
};

class Reader {
public:
    explicit Reader(const std::string& bytes) : bytes_(bytes) {}
    bool done() const { return at_ >= bytes_.size(); }
    uint64_t varint() {
        uint64_t v = 0;
        for (int shift = 0;; shift += 7) {
            REQUIRE(shift < 64);
            const auto byte = static_cast<unsigned char>(bytes_.at(at_++));
            v |= static_cast<uint64_t>(byte & 0x7F) << shift;
            if (!(byte & 0x80)) return v;
        }
    }
    std::string bytes() {
        const uint64_t n = varint();
        REQUIRE(at_ + n <= bytes_.size());
        at_ += n;
        return bytes_.substr(at_ - n, n);
    }
    uint64_t fixed(int size) {
        REQUIRE(at_ + size <= bytes_.size());
        at_ += size;
        return little_endian(bytes_, at_ - size, size);
    }

private:
    const std::string& bytes_;
    size_t at_ = 0;
};

// TensorProto{dtype = DT_STRING, tensor_shape = {} (a scalar), string_val = [text]}.
std::string decode_string_tensor(const std::string& bytes) {
    Reader r(bytes);
    std::string text;
    int fields = 0;
    while (!r.done()) {
        const uint64_t key = r.varint();
        if (key == 0x08) CHECK(r.varint() == 7);         // dtype: DT_STRING
        else if (key == 0x12) CHECK(r.bytes().empty());  // shape: a scalar
        else if (key == 0x42) text = r.bytes();          // string_val
        else FAIL("unexpected TensorProto field key " << key);
        ++fields;
    }
    CHECK(fields == 3);
    return text;
}

// SummaryMetadata{plugin_data = {plugin_name = "text"}}.
void check_text_metadata(const std::string& bytes) {
    Reader r(bytes);
    REQUIRE(r.varint() == 0x0A);
    const std::string plugin = r.bytes();
    CHECK(r.done());
    Reader p(plugin);
    REQUIRE(p.varint() == 0x0A);
    CHECK(p.bytes() == "text");
    CHECK(p.done());
}

void decode_value(const std::string& bytes, Decoded& ev) {
    Reader r(bytes);
    std::string tag, text;
    float value = 0;
    int fields = 0;
    bool is_text = false;
    while (!r.done()) {
        const uint64_t key = r.varint();
        if (key == 0x0A) {
            tag = r.bytes();
        } else if (key == 0x15) {
            const auto bits = static_cast<uint32_t>(r.fixed(4));
            std::memcpy(&value, &bits, sizeof value);
        } else if (key == 0x42) {  // tensor: a text summary
            text = decode_string_tensor(r.bytes());
            is_text = true;
        } else if (key == 0x4A) {  // metadata
            check_text_metadata(r.bytes());
        } else {
            FAIL("unexpected Summary.Value field key " << key);
        }
        ++fields;
    }
    CHECK(fields == (is_text ? 3 : 2));
    CHECK_MESSAGE(ev.scalars.count(tag) + ev.texts.count(tag) == 0, "tag twice: " << tag);
    if (is_text) ev.texts[tag] = text;
    else ev.scalars[tag] = value;
}

Decoded decode_event(const std::string& bytes) {
    Decoded ev;
    Reader r(bytes);
    while (!r.done()) {
        const uint64_t key = r.varint();
        if (key == 0x09) {  // wall_time, double
            const uint64_t bits = r.fixed(8);
            std::memcpy(&ev.wall_time, &bits, sizeof ev.wall_time);
        } else if (key == 0x10) {  // step, int64
            ev.step = static_cast<int64_t>(r.varint());
        } else if (key == 0x1A) {  // file_version
            ev.file_version = r.bytes();
        } else if (key == 0x2A) {  // summary
            ev.has_summary = true;
            const std::string summary = r.bytes();
            Reader s(summary);
            while (!s.done()) {
                REQUIRE(s.varint() == 0x0A);  // Summary.value
                decode_value(s.bytes(), ev);
            }
        } else {
            FAIL("unexpected Event field key " << key);
        }
    }
    return ev;
}

std::vector<std::string> event_files(const std::string& dir) {
    std::vector<std::string> names;
    for (const auto& entry : std::filesystem::directory_iterator(dir)) names.push_back(entry.path().filename().string());
    std::sort(names.begin(), names.end());
    return names;
}

// events.out.tfevents.<10 digits>.<host>[.<n>]
bool is_event_file_name(const std::string& name, const std::string& host) {
    const std::string prefix = "events.out.tfevents.";
    const auto digits = [](const std::string& s) {
        return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (name.compare(0, prefix.size(), prefix) != 0 || name.size() < prefix.size() + 11) return false;
    const std::string rest = name.substr(prefix.size() + 11);
    return digits(name.substr(prefix.size(), 10)) && name[prefix.size() + 10] == '.' &&
           rest.compare(0, host.size(), host) == 0 &&
           (rest.size() == host.size() || (rest[host.size()] == '.' && digits(rest.substr(host.size() + 1))));
}

using Scalars = std::map<std::string, float>;
using Texts = std::map<std::string, std::string>;

struct Wanted {
    int64_t step;
    Scalars scalars;
    Texts texts;
};

// The records of these events: the scalars of each epoch_end and run_end, tagged as
// docs/plugins.md says (finite values only, as float), and the text "alerts" of each
// "alert" diagnostic.
std::vector<Wanted> expected(const std::vector<Recorded>& events, bool per_model) {
    static const char* const phases[] = {"train", "validation", "test"};
    std::vector<Wanted> out;
    for (const Recorded& ev : events) {
        Scalars s;
        const auto add = [&](const std::string& tag, double v) {
            if (std::isfinite(static_cast<float>(v))) s[tag] = static_cast<float>(v);
        };
        if (ev.kind == LL_EVENT_EPOCH_END) {
            add("progress/learning_rate", ev.learning_rate);
            add("progress/throughput", ev.throughput);
            add("progress/elapsed_seconds", ev.elapsed_s);
            for (const RecordedSet& set : ev.sets) {
                if (set.model >= 0 && !per_model) continue;
                const std::string prefix = set.model < 0 ? "" : "model_" + std::to_string(set.model) + "/";
                for (const auto& [name, value] : set.metrics) add(prefix + phases[set.phase] + "/" + name, value);
            }
            out.push_back({ev.epoch, s, {}});
        } else if (ev.kind == LL_EVENT_DIAGNOSTIC && ev.diagnostic_code == "alert") {
            out.push_back({ev.epoch, {}, {{"alerts", ev.message}}});
        } else if (ev.kind == LL_EVENT_RUN_END) {
            for (const RecordedSet& set : ev.sets)
                for (const auto& [name, value] : set.metrics) add(std::string("final/") + phases[set.phase] + "/" + name, value);
            if (!s.empty()) out.push_back({ev.best_epoch >= 0 ? ev.best_epoch : ev.epoch, s, {}});
        }
    }
    return out;
}

// A file's records: the version first, then the scalars of these events, in order.
void check_file(const std::string& path, const std::vector<ll_event>& events, bool per_model) {
    INFO(path);
    const std::vector<std::string> data = records(read_file(path));
    REQUIRE(!data.empty());
    const Decoded first = decode_event(data[0]);
    CHECK(first.file_version == "brain.Event:2");
    CHECK(!first.has_summary);
    CHECK(std::fabs(first.wall_time - static_cast<double>(std::time(nullptr))) < 600);

    const std::vector<Recorded> recorded = record_all(events);
    const auto wanted = expected(recorded, per_model);
    REQUIRE(data.size() == wanted.size() + 1);
    size_t i = 1;
    for (const Recorded& ev : recorded) {
        if (ev.kind != LL_EVENT_EPOCH_END && !(ev.kind == LL_EVENT_RUN_END && !ev.sets.empty()) &&
            !(ev.kind == LL_EVENT_DIAGNOSTIC && ev.diagnostic_code == "alert"))
            continue;
        const Decoded got = decode_event(data.at(i));
        INFO("record " << i);
        CHECK(got.file_version.empty());
        CHECK(got.has_summary);
        CHECK(got.wall_time == static_cast<double>(ev.timestamp_ms) / 1000.0);
        CHECK(got.step == wanted[i - 1].step);
        CHECK(got.scalars == wanted[i - 1].scalars);
        CHECK(got.texts == wanted[i - 1].texts);
        ++i;
    }
}

}  // namespace

TEST_CASE("tensorboard: the encoder writes the bytes of a file TensorBoard's tools decode") {
    // Two records of events.out.tfevents.1700000000.host, decoded by protoc against
    // TensorBoard's event.proto and CRC-checked with TensorBoard's own masked_crc32c.
    const std::string golden = from_hex(
        "18 00 00 00 00 00 00 00 a3 7f 4b 22"
        "09 00 00 00 40 fc 54 d9 41 1a 0d 62 72 61 69 6e 2e 45 76 65 6e 74 3a 32"
        "ec ed 8f 9d"
        "20 00 00 00 00 00 00 00 29 ed a9 50"
        "09 00 00 60 40 fc 54 d9 41 10 03 2a 13 0a 11 0a 0a 74 72 61 69 6e 2f 6c 6f 73 73 15 00 00 80 3e"
        "0a 96 21 47");
    using namespace linlearn::sinks;
    const std::string written = tf_record(tf_version_event(1700000000.0)) +
                                tf_record(tf_scalars_event(1700000001.5, 3, {{"train/loss", 0.25f}}));
    CHECK(written == golden);
    CHECK(crc32c("123456789", 9) == 0xE3069283u);
    CHECK(masked_crc32c("", 0) == 0xA282EAD8u);
    CHECK(masked_crc32c("123456789", 9) == masked_crc("123456789"));
    // Step 0 is proto3's default, left out; a large step takes several varint bytes.
    CHECK(decode_event(tf_scalars_event(1.0, 0, {{"a", 1.0f}})).step == 0);
    CHECK(decode_event(tf_scalars_event(1.0, 300000, {{"a", 1.0f}})).step == 300000);
}

TEST_CASE("tensorboard: a scalar per phase and metric, the epoch as step; a new file per run") {
    const std::string dir = tb_output("synthetic");
    const SyntheticRun run;
    {
        SinkHost host;
        host.add("tensorboard:logdir=" + dir + ",host=testhost");
        REQUIRE(event_files(dir).size() == 1);  // opened at create, with its version record
        for (const ll_event& ev : run.events()) CHECK(host.dispatch(ev).empty());
        CHECK(host.flush().empty());
        check_file(dir + "/" + event_files(dir)[0], run.events(), false);  // flushed as written
        for (const ll_event& ev : run.sparse_events()) CHECK(host.dispatch(ev).empty());
        CHECK(host.dispatch(run.unknown_event()).empty());
    }
    const std::vector<std::string> files = event_files(dir);
    REQUIRE(files.size() == 2);
    for (const std::string& f : files) CHECK_MESSAGE(is_event_file_name(f, "testhost"), f);
    CHECK(!is_event_file_name("events.out.tfevents.123.testhost", "testhost"));
    check_file(dir + "/" + files[0], run.events(), false);
    check_file(dir + "/" + files[1], run.sparse_events(), false);  // names sort in the order written

    const Decoded epoch0 = decode_event(records(read_file(dir + "/" + files[0])).at(1));
    CHECK(epoch0.scalars.count("validation/objective_loss") == 1);
    CHECK(epoch0.scalars.count("progress/throughput") == 0);  // infinite at epoch 0: left out
    CHECK(epoch0.scalars.count("model_0/train/objective_loss") == 0);
}

TEST_CASE("tensorboard: per_model=true adds model_N/phase/metric; path= is logdir") {
    const std::string dir = tb_output("per_model");
    const SyntheticRun run(4, 3);
    {
        SinkHost host;
        host.add("tensorboard:path=" + dir + ",per_model=true");
        for (const ll_event& ev : run.events()) CHECK(host.dispatch(ev).empty());
    }
    const std::vector<std::string> files = event_files(dir);
    REQUIRE(files.size() == 1);
    check_file(dir + "/" + files[0], run.events(), true);
    const Decoded epoch1 = decode_event(records(read_file(dir + "/" + files[0])).at(2));
    CHECK(epoch1.step == 1);
    CHECK(epoch1.scalars.count("model_2/validation/roc_auc_score") == 1);
    CHECK(epoch1.scalars.count("model_1/train/precision") == 0);  // NaN: left out
    CHECK(epoch1.scalars.count("model_0/train/precision") == 1);
}

TEST_CASE("tensorboard: bad options are refused at create, naming the option") {
    const std::string dir = scratch_dir("tensorboard_options");
    CHECK(create_error("tensorboard:logdir=" + dir + ",per_modl=true")
              .find("sink 'tensorboard': unknown option 'per_modl' (known: logdir, path, per_model, host)") == 0);
    CHECK(create_error("tensorboard").find("logdir= is required, e.g. tensorboard:logdir=") != std::string::npos);
    CHECK(create_error("tensorboard:logdir=" + dir + ",path=" + dir).find("not both") != std::string::npos);
    CHECK(create_error("tensorboard:logdir=" + dir + ",host=a/b").find("host must be a word without '/'") !=
          std::string::npos);
    std::ofstream(dir + "/file") << "x";
    const std::string blocked = create_error("tensorboard:logdir=" + dir + "/file/runs");
    CHECK(blocked.find("sink 'tensorboard': cannot ") == 0);
    CHECK(blocked.find(dir + "/file") != std::string::npos);
}
