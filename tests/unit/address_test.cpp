// Address normalisation for counting.
#include <gtest/gtest.h>

#include "milter/address.hpp"
#include "state/address.hpp"

namespace pushback {
namespace {

TEST(Address, Normalises) {
  struct Case {
    const char* in;
    const char* want;
  };
  for (auto [in, want] : {
           Case{"Jane.Doe@Example.COM", "jane.doe@example.com"},
           Case{"jane+sales@example.com", "jane@example.com"},
           Case{"+only@example.com", "+only@example.com"},
           Case{"prvs=0123456789=jane@example.com", "jane@example.com"},
           Case{"msprvs1=17000abcd=jane@example.com", "jane@example.com"},
           Case{"SRS0=HHH=TT=example.org=bob@forwarder.net", "bob@example.org"},
           Case{"SRS1=HHH=first.net==HHH=TT=example.org=bob+x@second.net", "bob@example.org"},
           Case{"SRS0=broken@forwarder.net", "srs0=broken@forwarder.net"},
           Case{"no-at-sign", "no-at-sign"},
       }) {
    EXPECT_EQ(state::normalise_address(in), want) << in;
  }
  EXPECT_EQ(state::domain_of("Jane@Example.COM"), "example.com");
  EXPECT_EQ(state::domain_of("nobody"), "");
}

TEST(Address, EnvelopeAndClient) {
  EXPECT_EQ(milter::strip_angle_brackets("<a@b.c>"), "a@b.c");
  EXPECT_EQ(milter::strip_angle_brackets("a@b.c"), "a@b.c");
  EXPECT_EQ(milter::strip_angle_brackets("<>"), "");
  EXPECT_EQ(milter::normalise_client_addr("IPv6:::1"), "::1");
  EXPECT_EQ(milter::normalise_client_addr("[192.0.2.1]"), "192.0.2.1");
  EXPECT_EQ(milter::normalise_client_addr("127.0.0.1"), "127.0.0.1");
}

}  // namespace
}  // namespace pushback
