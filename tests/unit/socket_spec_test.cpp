// Socket specifications as Postfix and Sendmail write them.
#include <gtest/gtest.h>

#include "config/socket_spec.hpp"

namespace pushback::config {
namespace {

struct GoodSpec {
  const char* text;
  const char* libmilter_form;
};

class SocketSpecGood : public testing::TestWithParam<GoodSpec> {};

TEST_P(SocketSpecGood, Parses) {
  std::string error;
  auto spec = parse_socket_spec(GetParam().text, error);
  ASSERT_TRUE(spec) << error;
  EXPECT_EQ(spec->libmilter_form(), GetParam().libmilter_form);
}

INSTANTIATE_TEST_SUITE_P(Forms, SocketSpecGood,
                         testing::Values(GoodSpec{"unix:/run/pushback/pushback.sock", "unix:/run/pushback/pushback.sock"},
                                         GoodSpec{"local:/var/run/p.sock", "unix:/var/run/p.sock"},
                                         GoodSpec{"inet:8893@127.0.0.1", "inet:8893@127.0.0.1"},
                                         GoodSpec{"inet:8893@localhost", "inet:8893@localhost"},
                                         GoodSpec{"inet:127.0.0.1:8893", "inet:8893@127.0.0.1"},
                                         GoodSpec{"inet:localhost:1", "inet:1@localhost"},
                                         GoodSpec{"inet6:8893@::1", "inet6:8893@::1"},
                                         GoodSpec{"inet6:[::1]:8893", "inet6:8893@::1"},
                                         GoodSpec{"inet:65535@127.0.0.1", "inet:65535@127.0.0.1"}));

class SocketSpecBad : public testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(SocketSpecBad, Explains) {
  std::string error;
  EXPECT_FALSE(parse_socket_spec(GetParam().first, error));
  EXPECT_EQ(error, GetParam().second);
}

INSTANTIATE_TEST_SUITE_P(
    Forms, SocketSpecBad,
    testing::Values(
        std::pair{"", "expected unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST"},
        std::pair{"/run/p.sock", "expected unix:PATH, local:PATH, inet:PORT@HOST or inet6:PORT@HOST"},
        std::pair{"unix:relative.sock", "a unix socket needs an absolute path"},
        std::pair{"tcp:8893@127.0.0.1", "unknown socket type 'tcp'"},
        std::pair{"inet:8893", "expected PORT@HOST or HOST:PORT after 'inet:'"},
        std::pair{"inet:8893@", "expected PORT@HOST or HOST:PORT after 'inet:'"},
        std::pair{"inet:0@127.0.0.1", "port '0' is not a number from 1 to 65535"},
        std::pair{"inet:70000@127.0.0.1", "port '70000' is not a number from 1 to 65535"},
        std::pair{"inet:12ab@127.0.0.1", "port '12ab' is not a number from 1 to 65535"}));

}  // namespace
}  // namespace pushback::config
