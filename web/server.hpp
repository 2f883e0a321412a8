// The console's HTTP/1.1 server on Boost.Beast: one thread, one connection
// at a time in flight per socket, every read and write under a timeout, a
// request body capped. It knows nothing of pages: each request goes to the
// handler, which returns the response.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "web/request.hpp"

namespace pushback::web {

using Handler = std::function<Response(const Request&)>;

class Server {
 public:
  // `listen` is "HOST:PORT" ("[::1]:PORT"). Throws std::runtime_error with a
  // clear message when the address is not loopback and `allow_non_loopback`
  // is false, or when it cannot bind.
  Server(const std::string& listen, bool allow_non_loopback, Handler handler);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  unsigned short port() const;
  // Serves on the calling thread until SIGTERM, SIGINT or SIGHUP.
  void run();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace pushback::web
