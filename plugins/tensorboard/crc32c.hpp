// CRC-32C (Castagnoli) and TensorFlow's masked form, for TFRecord framing.
// CRC-32C: reflected polynomial 0x82F63B78, initial value 0xFFFFFFFF, final XOR 0xFFFFFFFF
// (check value: crc32c("123456789") = 0xE3069283). TFRecord stores the CRC "masked", so that
// a CRC over data that holds CRCs stays well distributed:
//   masked = ((crc >> 15) | (crc << 17)) + 0xA282EAD8   (mod 2^32)
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>

namespace linlearn::sinks {

namespace crc32c_detail {
constexpr std::array<uint32_t, 256> make_table() {
    std::array<uint32_t, 256> table{};
    for (uint32_t i = 0; i < 256; ++i) {
        uint32_t c = i;
        for (int bit = 0; bit < 8; ++bit) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
        table[i] = c;
    }
    return table;
}
inline constexpr std::array<uint32_t, 256> kTable = make_table();
}  // namespace crc32c_detail

inline uint32_t crc32c(const void* data, size_t size) {
    const auto* bytes = static_cast<const unsigned char*>(data);
    uint32_t crc = 0xFFFFFFFFu;
    for (size_t i = 0; i < size; ++i) crc = crc32c_detail::kTable[(crc ^ bytes[i]) & 0xFF] ^ (crc >> 8);
    return crc ^ 0xFFFFFFFFu;
}

inline uint32_t masked_crc32c(const void* data, size_t size) {
    const uint32_t crc = crc32c(data, size);
    return ((crc >> 15) | (crc << 17)) + 0xA282EAD8u;
}

}  // namespace linlearn::sinks
