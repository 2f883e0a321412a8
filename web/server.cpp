// Listener and connection, as in Beast's own server examples: the acceptor
// hands each socket to a Connection that reads one request, asks the
// handler, writes the answer and closes.
#include "web/server.hpp"

#include <utility>  // Boost 1.74 Asio uses std::exchange without including it

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <csignal>
#include <stdexcept>

namespace pushback::web {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr auto io_timeout = std::chrono::seconds(15);
constexpr std::uint64_t max_body_bytes = 256 * 1024;  // forms only: a few hundred queue ids at most
constexpr std::uint32_t max_header_bytes = 16 * 1024;

// Pages only load the console's own script, never inline or foreign code.
constexpr const char* content_security_policy =
    "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; img-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

tcp::endpoint parse_listen(const std::string& listen) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos) throw std::runtime_error("web.listen: expected HOST:PORT, got '" + listen + "'");
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  boost::system::error_code ec;
  auto address = asio::ip::make_address(host == "localhost" ? "127.0.0.1" : host, ec);
  if (ec) throw std::runtime_error("web.listen: '" + host + "' is not an IP address");
  unsigned long port = 70000;
  try {
    port = std::stoul(listen.substr(colon + 1));
  } catch (const std::exception&) {
  }
  if (port > 65535) throw std::runtime_error("web.listen: bad port in '" + listen + "'");
  return {address, static_cast<unsigned short>(port)};
}

std::string_view view(beast::string_view text) { return {text.data(), text.size()}; }

Request to_request(const http::request<http::string_body>& message, const std::string& client) {
  Request request;
  request.method = std::string(message.method_string());
  std::string_view target = view(message.target());
  auto question = target.find('?');
  request.path = url_decode(target.substr(0, question), false);
  if (question != std::string_view::npos) request.query = parse_form(target.substr(question + 1));
  if (message.method() == http::verb::post) {
    auto type = view(message[http::field::content_type]);
    if (type.starts_with("application/x-www-form-urlencoded")) request.form = parse_form(message.body());
  }
  request.cookies = parse_cookies(view(message[http::field::cookie]));
  request.client = client;
  return request;
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(tcp::socket socket, const Handler& handler) : stream_(std::move(socket)), handler_(handler) {
    beast::error_code ec;
    auto peer = stream_.socket().remote_endpoint(ec);
    client_ = ec ? "unknown" : peer.address().to_string();
    parser_.body_limit(max_body_bytes);
    parser_.header_limit(max_header_bytes);
  }

  void start() {
    stream_.expires_after(io_timeout);
    http::async_read(stream_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec == http::error::body_limit || ec == http::error::header_limit) {
      answer(plain(413, "request too large\n"), 11, false);
      return;
    }
    if (ec) return;
    const auto& message = parser_.get();
    Response response;
    try {
      response = handler_(to_request(message, client_));
    } catch (const std::exception& e) {
      response = plain(500, std::string("internal error: ") + e.what() + "\n");
    }
    answer(std::move(response), message.version(), message.method() == http::verb::head);
  }

  void answer(Response response, unsigned version, bool head) {
    response_.version(version);
    response_.keep_alive(false);
    response_.result(static_cast<http::status>(response.status));
    response_.set(http::field::server, "pushback");
    response_.set(http::field::content_type, response.content_type);
    response_.set(http::field::cache_control, "no-store");
    response_.set("X-Content-Type-Options", "nosniff");
    response_.set("X-Frame-Options", "DENY");
    response_.set("Referrer-Policy", "no-referrer");  // release links must not leak through Referer
    response_.set("Content-Security-Policy", content_security_policy);
    for (auto& [name, value] : response.headers) response_.insert(name, value);
    if (head) {
      response_.content_length(response.body.size());  // the length a GET would send, without the body
    } else {
      response_.body() = std::move(response.body);
      response_.prepare_payload();
    }
    stream_.expires_after(io_timeout);
    http::async_write(stream_, response_, [self = shared_from_this()](beast::error_code, std::size_t) {
      beast::error_code ignored;
      self->stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    });
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  http::request_parser<http::string_body> parser_;
  http::response<http::string_body> response_;
  const Handler& handler_;
  std::string client_;
};

}  // namespace

struct Server::Impl {
  asio::io_context io{1};
  tcp::acceptor acceptor{io};
  asio::signal_set signals{io, SIGTERM, SIGINT, SIGHUP};
  Handler handler;

  void accept() {
    acceptor.async_accept([this](beast::error_code ec, tcp::socket socket) {
      if (ec == asio::error::operation_aborted) return;
      if (!ec) std::make_shared<Connection>(std::move(socket), handler)->start();
      accept();
    });
  }
};

Server::Server(const std::string& listen, bool allow_non_loopback, Handler handler) : impl_(std::make_unique<Impl>()) {
  tcp::endpoint endpoint = parse_listen(listen);
  if (!endpoint.address().is_loopback() && !allow_non_loopback) {
    throw std::runtime_error("web.listen: " + listen +
                             " is not a loopback address; set web.allow_non_loopback = true to serve the console to "
                             "the network");
  }
  impl_->handler = std::move(handler);
  boost::system::error_code ec;
  impl_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) impl_->acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) impl_->acceptor.bind(endpoint, ec);
  if (!ec) impl_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("web.listen: cannot listen on " + listen + ": " + ec.message());
}

Server::~Server() = default;

unsigned short Server::port() const { return impl_->acceptor.local_endpoint().port(); }

void Server::run() {
  impl_->signals.async_wait([this](beast::error_code, int) {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->io.stop();
  });
  impl_->accept();
  impl_->io.run();
}

}  // namespace pushback::web
