// Numbers as text, the same whatever locale the host process has set: printf and
// strtod follow LC_NUMERIC, so under a decimal-comma locale they would write "0,05"
// into events and model files and read "0.5" as 0.
#pragma once
#include <charconv>
#include <string>
#include <system_error>

namespace linlearn {

// %g-style with `digits` significant digits ("0.05", "1e-07").
inline std::string number_text(double v, int digits) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, digits);
    return std::string(buf, r.ptr);
}

// The shortest text that reads back as the same double.
inline std::string exact_number_text(double v) {
    char buf[64];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    return std::string(buf, r.ptr);
}

// Parses a plain decimal number at the start of [from, to) (no "nan", "inf" or hex);
// returns the end of the number, or `from` when there is none.
inline const char* parse_number(const char* from, const char* to, double& out) {
    const auto r = std::from_chars(from, to, out, std::chars_format::general);
    return r.ec == std::errc() ? r.ptr : from;
}

}  // namespace linlearn
