// TensorBoard event records, encoded by hand (no protobuf library in the plugin).
//
// A TFRecord, all integers little-endian:
//   uint64 length | uint32 masked_crc32c(the 8 length bytes) | data[length] | uint32 masked_crc32c(data)
// Its data is an Event message (proto3; the field numbers of tensorboard/compat/proto/
// event.proto and summary.proto), each field written as key = (field << 3 | wire type):
//   Event   { double wall_time = 1;  (0x09, 8 bytes: seconds since the Unix epoch)
//             int64 step = 2;        (0x10, varint; 0 is the default and left out)
//             string file_version = 3;  (0x1A, length, bytes: "brain.Event:2")
//             Summary summary = 5; } (0x2A, length, message)
//   Summary { repeated Value value = 1; }                (0x0A, length, message)
//   Value   { string tag = 1;                            (0x0A, length, bytes)
//             float simple_value = 2; }                  (0x15, 4 bytes, IEEE float)
// The first record of a file is the Event with file_version; TensorBoard turns
// simple_value into a scalar when it loads the file. A text summary (TensorBoard's Text
// tab) is a Value with a string tensor and the text plugin's metadata instead:
//   Value   { string tag = 1;  TensorProto tensor = 8;       (0x42, length, message)
//             SummaryMetadata metadata = 9; }                (0x4A, length, message)
//   TensorProto { DataType dtype = 1;                        (0x08, varint 7: DT_STRING)
//                 TensorShapeProto tensor_shape = 2;         (0x12, 0: a scalar)
//                 repeated bytes string_val = 8; }           (0x42, length, bytes)
//   SummaryMetadata { PluginData plugin_data = 1; }          (0x0A, length, message)
//   PluginData { string plugin_name = 1; }                   (0x0A, length, "text")
#pragma once
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "crc32c.hpp"

namespace linlearn::sinks {

namespace tf_detail {

inline void put_le(std::string& out, uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i) out += static_cast<char>((v >> (8 * i)) & 0xFF);
}

inline void put_varint(std::string& out, uint64_t v) {
    for (; v >= 0x80; v >>= 7) out += static_cast<char>((v & 0x7F) | 0x80);
    out += static_cast<char>(v);
}

inline void put_bytes(std::string& out, uint8_t key, const std::string& bytes) {
    out += static_cast<char>(key);
    put_varint(out, bytes.size());
    out += bytes;
}

inline void put_double(std::string& out, uint8_t key, double v) {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    out += static_cast<char>(key);
    put_le(out, bits, 8);
}

inline void put_float(std::string& out, uint8_t key, float v) {
    uint32_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    out += static_cast<char>(key);
    put_le(out, bits, 4);
}

}  // namespace tf_detail

// The record framing of data.
inline std::string tf_record(const std::string& data) {
    std::string length;
    tf_detail::put_le(length, data.size(), 8);
    std::string out = length;
    tf_detail::put_le(out, masked_crc32c(length.data(), length.size()), 4);
    out += data;
    tf_detail::put_le(out, masked_crc32c(data.data(), data.size()), 4);
    return out;
}

// Event{wall_time, file_version="brain.Event:2"}: the first record of every file.
inline std::string tf_version_event(double wall_time) {
    std::string out;
    tf_detail::put_double(out, 0x09, wall_time);
    tf_detail::put_bytes(out, 0x1A, "brain.Event:2");
    return out;
}

using TfScalars = std::vector<std::pair<std::string, float>>;  // tag → value

// Event{wall_time, step, summary{value{tag, simple_value}...}}.
inline std::string tf_scalars_event(double wall_time, int64_t step, const TfScalars& scalars) {
    std::string summary;
    for (const auto& [tag, value] : scalars) {
        std::string v;
        tf_detail::put_bytes(v, 0x0A, tag);
        tf_detail::put_float(v, 0x15, value);
        tf_detail::put_bytes(summary, 0x0A, v);
    }
    std::string out;
    tf_detail::put_double(out, 0x09, wall_time);
    // A negative int64 is a 10-byte two's-complement varint; epochs never are.
    if (step != 0) {
        out += static_cast<char>(0x10);
        tf_detail::put_varint(out, static_cast<uint64_t>(step));
    }
    tf_detail::put_bytes(out, 0x2A, summary);
    return out;
}

// Event{wall_time, step, summary{value{tag, text tensor, text plugin metadata}}}.
inline std::string tf_text_event(double wall_time, int64_t step, const std::string& tag, const std::string& text) {
    std::string tensor;
    tensor += static_cast<char>(0x08);
    tf_detail::put_varint(tensor, 7);  // DT_STRING
    tf_detail::put_bytes(tensor, 0x12, "");  // shape: a scalar
    tf_detail::put_bytes(tensor, 0x42, text);
    std::string plugin;
    tf_detail::put_bytes(plugin, 0x0A, "text");
    std::string metadata;
    tf_detail::put_bytes(metadata, 0x0A, plugin);
    std::string value;
    tf_detail::put_bytes(value, 0x0A, tag);
    tf_detail::put_bytes(value, 0x42, tensor);
    tf_detail::put_bytes(value, 0x4A, metadata);
    std::string summary;
    tf_detail::put_bytes(summary, 0x0A, value);
    std::string out;
    tf_detail::put_double(out, 0x09, wall_time);
    if (step > 0) {
        out += static_cast<char>(0x10);
        tf_detail::put_varint(out, static_cast<uint64_t>(step));
    }
    tf_detail::put_bytes(out, 0x2A, summary);
    return out;
}

}  // namespace linlearn::sinks
