// The metrics endpoint: a small HTTP/1.1 server on Boost.Beast that answers
// GET /metrics from its own thread. Loopback only unless explicitly allowed.
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace pushback::metrics {

class HttpServer {
 public:
  // `listen` is "HOST:PORT" ("[::1]:PORT" for IPv6). Throws std::runtime_error
  // with a clear message when the address is not loopback and
  // `allow_non_loopback` is false, or when it cannot bind.
  HttpServer(const std::string& listen, bool allow_non_loopback, std::function<std::string()> render);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  unsigned short port() const;  // the bound port (useful with port 0)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pushback::metrics
