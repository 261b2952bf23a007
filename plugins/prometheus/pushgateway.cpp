#include "pushgateway.hpp"

#include <stdexcept>

namespace linlearn::sinks {
namespace {

// RFC 4648 section 5 (URL- and filename-safe alphabet), with '=' padding.
std::string base64url(const std::string& in) {
    static const char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    std::string out;
    size_t i = 0;
    for (; i + 2 < in.size(); i += 3) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8 |
                           static_cast<unsigned char>(in[i + 2]);
        for (int shift : {18, 12, 6, 0}) out += kAlphabet[(v >> shift) & 63];
    }
    if (i + 1 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16;
        out += std::string{kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63]} + "==";
    } else if (i + 2 == in.size()) {
        const unsigned v = static_cast<unsigned char>(in[i]) << 16 | static_cast<unsigned char>(in[i + 1]) << 8;
        out += std::string{kAlphabet[(v >> 18) & 63], kAlphabet[(v >> 12) & 63], kAlphabet[(v >> 6) & 63]} + "=";
    }
    return out;
}

// RFC 3986 unreserved characters: a segment of them needs no encoding at all.
bool is_plain(const std::string& value) {
    if (value.empty()) return false;
    for (char c : value)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == '~'))
            return false;
    return value != "." && value != "..";  // path normalisation would eat these
}

}  // namespace

std::string grouping_segment(const std::string& label, const std::string& value) {
    if (is_plain(value)) return label + "/" + value;
    return label + "@base64/" + (value.empty() ? "=" : base64url(value));
}

void Pushgateway::push(const std::string& run_id, const std::string& exposition) const {
    const std::string path = "/metrics/" + grouping_segment("job", job_) + "/" + grouping_segment("run_id", run_id);
    const HttpResponse r = http_request(url_, "PUT", path, "text/plain; version=0.0.4; charset=utf-8", exposition,
                                        timeout_ms_);
    if (r.status == 200 || r.status == 202) return;
    std::string answer = r.body.substr(0, 300);
    while (!answer.empty() && (answer.back() == '\n' || answer.back() == '\r')) answer.pop_back();
    throw std::runtime_error("the Pushgateway at " + url_.text + " refused the push to " + url_.base_path + path +
                             ": HTTP " + std::to_string(r.status) + (answer.empty() ? "" : ": " + answer));
}

}  // namespace linlearn::sinks
