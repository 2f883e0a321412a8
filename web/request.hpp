// The console's view of an HTTP exchange, without Beast: what a page handler
// reads (path, query and form fields, cookies, the client) and what it
// returns. The server (server.cpp) converts to and from Beast's types.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace pushback::web {

using Fields = std::multimap<std::string, std::string, std::less<>>;

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // decoded path, without the query
  Fields query;
  Fields form;         // application/x-www-form-urlencoded body of a POST
  std::map<std::string, std::string, std::less<>> cookies;
  std::string client;  // the peer's address

  // The first value of a field; "" when absent.
  std::string field(std::string_view name) const;
  std::string param(std::string_view name) const;
  std::vector<std::string> fields(std::string_view name) const;  // every value (checkboxes)
};

struct Response {
  int status = 200;
  std::string content_type = "text/html; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. Set-Cookie, Location
};

Response redirect(std::string location);
Response plain(int status, std::string text);

// Decodes %XX and, when `plus_is_space`, '+' (forms and queries). Invalid
// escapes are kept as they are.
std::string url_decode(std::string_view text, bool plus_is_space);

// "a=1&b=2" into fields; at most `max_fields` are kept.
Fields parse_form(std::string_view text, std::size_t max_fields = 1000);

// A Cookie header's "a=1; b=2".
std::map<std::string, std::string, std::less<>> parse_cookies(std::string_view header);

}  // namespace pushback::web
