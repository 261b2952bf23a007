// A minimal HTTP/1.1 client over POSIX sockets: one request per connection
// ("Connection: close"), a body with Content-Length, the status line of the answer.
// Enough to push to a Pushgateway without linking an HTTP library into the plugin.
// Plain http:// only (put a local TLS proxy in front for https). Every wait (connect,
// send, receive) is bounded by the timeout, so a hung gateway cannot stop training for
// long; resolving a host name (getaddrinfo) is the one step the timeout cannot bound.
#pragma once
#include <string>

namespace linlearn::sinks {

struct HttpUrl {
    std::string host;       // a name, an IPv4 address, or an IPv6 address without brackets
    std::string port;       // "9091" when the URL gives none (the Pushgateway's port)
    std::string base_path;  // "" or "/prefix", without a trailing '/'
    std::string text;       // the URL as given, for messages
};

// Parses http://HOST[:PORT][/PATH]. Throws std::invalid_argument saying what is wrong.
HttpUrl parse_http_url(const std::string& text);

struct HttpResponse {
    int status = 0;      // 200, 400, ...
    std::string body;    // as received (for messages; not decoded when chunked)
};

// Sends one request to base_path + path. Throws std::runtime_error when the server cannot
// be reached or does not answer HTTP within timeout_ms; any status is returned.
HttpResponse http_request(const HttpUrl& url, const std::string& method, const std::string& path,
                          const std::string& content_type, const std::string& body, int timeout_ms);

// Connects and disconnects: throws std::runtime_error if nothing listens there.
void http_check_reachable(const HttpUrl& url, int timeout_ms);

}  // namespace linlearn::sinks
