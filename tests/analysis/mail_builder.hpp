// Builds test messages: headers and a body with CRLF line ends.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "scoring/message.hpp"

namespace pushback::scoring::test {

inline std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out.push_back('\r');
    out.push_back(c);
  }
  return out;
}

inline Message make_message(std::vector<std::pair<std::string, std::string>> headers, std::string_view body) {
  Message message;
  for (auto& [name, value] : headers) message.headers.push_back({std::move(name), std::move(value)});
  message.body = crlf(body);
  return message;
}

inline Message plain_mail(std::string from, std::string to, std::string subject, std::string_view body) {
  return make_message({{"From", std::move(from)},
                       {"To", std::move(to)},
                       {"Subject", std::move(subject)},
                       {"MIME-Version", "1.0"},
                       {"Content-Type", "text/plain; charset=utf-8"}},
                      body);
}

inline Message html_mail(std::string from, std::string to, std::string subject, std::string_view html) {
  return make_message({{"From", std::move(from)},
                       {"To", std::move(to)},
                       {"Subject", std::move(subject)},
                       {"MIME-Version", "1.0"},
                       {"Content-Type", "text/html; charset=utf-8"}},
                      html);
}

}  // namespace pushback::scoring::test
