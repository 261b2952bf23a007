#include "http_client.hpp"

#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace linlearn::sinks {
namespace {

using Clock = std::chrono::steady_clock;

constexpr size_t kMaxResponse = 1 << 20;  // the answer of a push is a line or two; stop a runaway

[[noreturn]] void fail(const HttpUrl& url, const std::string& what) {
    throw std::runtime_error(what + " (" + url.text + ")");
}

class Socket {
public:
    explicit Socket(int fd = -1) : fd_(fd) {}
    ~Socket() {
        if (fd_ >= 0) ::close(fd_);
    }
    Socket(const Socket&) = delete;
    Socket& operator=(const Socket&) = delete;
    Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    int fd() const { return fd_; }

private:
    int fd_;
};

// Waits until fd is ready for events or the deadline passes (false).
bool wait_for(int fd, short events, Clock::time_point deadline) {
    while (true) {
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
        if (left <= 0) return false;
        pollfd p{fd, events, 0};
        const int n = ::poll(&p, 1, static_cast<int>(left));
        if (n > 0) return true;  // ready, or an error the next call reports
        if (n < 0 && errno != EINTR) return false;
    }
}

// A non-blocking connect to each address of the host in turn, each bounded by the deadline.
Socket connect_to(const HttpUrl& url, Clock::time_point deadline) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* found = nullptr;
    const int resolved = ::getaddrinfo(url.host.c_str(), url.port.c_str(), &hints, &found);
    if (resolved != 0) fail(url, "cannot resolve " + url.host + ": " + ::gai_strerror(resolved));
    std::string error = "no address";
    for (const addrinfo* a = found; a; a = a->ai_next) {
        Socket s(::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol));
        if (s.fd() < 0) {
            error = std::strerror(errno);
            continue;
        }
        int err = ::connect(s.fd(), a->ai_addr, a->ai_addrlen) == 0 ? 0 : errno;
        if (err == EINPROGRESS) {
            socklen_t len = sizeof err;
            err = wait_for(s.fd(), POLLOUT, deadline)
                      ? (::getsockopt(s.fd(), SOL_SOCKET, SO_ERROR, &err, &len) == 0 ? err : errno)
                      : ETIMEDOUT;
        }
        if (err == 0) {
            ::freeaddrinfo(found);
            return s;
        }
        error = std::strerror(err);
    }
    ::freeaddrinfo(found);
    fail(url, "cannot connect to " + url.host + ":" + url.port + ": " + error);
}

void send_all(const HttpUrl& url, const Socket& s, const std::string& data, Clock::time_point deadline) {
    for (size_t done = 0; done < data.size();) {
        // MSG_NOSIGNAL: a peer that closed gives EPIPE here rather than SIGPIPE to the trainer.
        const ssize_t n = ::send(s.fd(), data.data() + done, data.size() - done, MSG_NOSIGNAL);
        if (n > 0) {
            done += static_cast<size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!wait_for(s.fd(), POLLOUT, deadline)) fail(url, "timed out sending the request");
        } else {
            fail(url, std::string("cannot send the request: ") + std::strerror(errno));
        }
    }
}

// Content-Length of the header block, or npos when it has none.
size_t content_length(const std::string& headers) {
    for (size_t at = headers.find("\r\n"); at != std::string::npos; at = headers.find("\r\n", at + 2)) {
        static const char kName[] = "content-length:";
        bool match = headers.size() >= at + 2 + sizeof kName - 1;
        for (size_t i = 0; match && i < sizeof kName - 1; ++i)
            match = std::tolower(static_cast<unsigned char>(headers[at + 2 + i])) == kName[i];
        if (match) return std::strtoul(headers.c_str() + at + 2 + sizeof kName - 1, nullptr, 10);
    }
    return std::string::npos;
}

// Reads until the server closes, or the body announced by Content-Length is complete.
std::string receive(const HttpUrl& url, const Socket& s, Clock::time_point deadline) {
    std::string in;
    char buffer[4096];
    while (in.size() < kMaxResponse) {
        const size_t end = in.find("\r\n\r\n");
        if (end != std::string::npos) {
            const size_t length = content_length(in.substr(0, end + 2));
            if (length != std::string::npos && in.size() >= end + 4 + length) break;
        }
        const ssize_t n = ::recv(s.fd(), buffer, sizeof buffer, 0);
        if (n > 0) in.append(buffer, static_cast<size_t>(n));
        else if (n == 0) break;
        else if (errno == EINTR) continue;
        else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (!wait_for(s.fd(), POLLIN, deadline)) fail(url, "timed out waiting for the answer");
        } else {
            fail(url, std::string("cannot read the answer: ") + std::strerror(errno));
        }
    }
    return in;
}

HttpResponse parse_response(const HttpUrl& url, const std::string& in) {
    // "HTTP/1.1 200 OK\r\n"
    if (in.compare(0, 7, "HTTP/1.") != 0 || in.size() < 12 || in[8] != ' ')
        fail(url, "the answer is not HTTP/1.x: '" + in.substr(0, 40) + "'");
    HttpResponse r;
    for (size_t i = 9; i < 12; ++i) {
        if (in[i] < '0' || in[i] > '9') fail(url, "the answer has no status code: '" + in.substr(0, 40) + "'");
        r.status = r.status * 10 + (in[i] - '0');
    }
    const size_t end = in.find("\r\n\r\n");
    if (end != std::string::npos) r.body = in.substr(end + 4);
    return r;
}

bool is_digits(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

}  // namespace

HttpUrl parse_http_url(const std::string& text) {
    const auto bad = [&](const std::string& why) -> std::invalid_argument {
        return std::invalid_argument("'" + text + "' is not a usable URL: " + why +
                                     " (expected http://HOST[:PORT][/PATH], e.g. http://127.0.0.1:9091)");
    };
    HttpUrl url;
    url.text = text;
    if (text.compare(0, 7, "http://") != 0)
        throw bad(text.compare(0, 8, "https://") == 0 ? "only http:// is supported" : "it must start with http://");
    if (text.find_first_of("?# \t\r\n") != std::string::npos) throw bad("no query, fragment or spaces");
    const size_t slash = text.find('/', 7);
    const std::string authority = text.substr(7, slash == std::string::npos ? std::string::npos : slash - 7);
    if (authority.find('@') != std::string::npos) throw bad("no user name or password");
    std::string port;
    if (!authority.empty() && authority[0] == '[') {  // [IPv6]:port
        const size_t close = authority.find(']');
        if (close == std::string::npos) throw bad("no ']' after an IPv6 address");
        url.host = authority.substr(1, close - 1);
        if (close + 1 < authority.size()) {
            if (authority[close + 1] != ':') throw bad("unexpected text after ']'");
            port = authority.substr(close + 2);
            if (port.empty()) throw bad("an empty port");
        }
    } else {
        const size_t colon = authority.find(':');
        url.host = authority.substr(0, colon);
        if (colon != std::string::npos) {
            port = authority.substr(colon + 1);
            if (port.empty()) throw bad("an empty port");
        }
    }
    if (url.host.empty()) throw bad("no host");
    if (!port.empty() && (!is_digits(port) || port.size() > 5 || std::stoul(port) == 0 || std::stoul(port) > 65535))
        throw bad("the port must be a number from 1 to 65535");
    url.port = port.empty() ? "9091" : port;
    url.base_path = slash == std::string::npos ? "" : text.substr(slash);
    while (!url.base_path.empty() && url.base_path.back() == '/') url.base_path.pop_back();
    return url;
}

HttpResponse http_request(const HttpUrl& url, const std::string& method, const std::string& path,
                          const std::string& content_type, const std::string& body, int timeout_ms) {
    const Clock::time_point deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
    const Socket s = connect_to(url, deadline);
    const std::string host = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
    const std::string request = method + " " + url.base_path + path + " HTTP/1.1\r\n" +
                                "Host: " + host + ":" + url.port + "\r\n" +
                                "User-Agent: linlearn-prometheus-sink\r\n" +
                                "Content-Type: " + content_type + "\r\n" +
                                "Content-Length: " + std::to_string(body.size()) + "\r\n" +
                                "Connection: close\r\n\r\n";
    send_all(url, s, request + body, deadline);
    return parse_response(url, receive(url, s, deadline));
}

void http_check_reachable(const HttpUrl& url, int timeout_ms) {
    connect_to(url, Clock::now() + std::chrono::milliseconds(timeout_ms));
}

}  // namespace linlearn::sinks
