// TCP_NODELAY for the milter's TCP connections. libmilter opens the listening
// socket itself, never sets TCP_NODELAY and does not expose its descriptors;
// on Linux an accepted socket inherits TCP_NODELAY from the listening one.
#pragma once

#include <cstdint>

namespace pushback::milter {

// Sets TCP_NODELAY on every listening TCP socket of this process bound to
// `port` in the given address family (AF_INET or AF_INET6), found by scanning
// the process's descriptors. Returns how many sockets were set, -1 on an error.
int set_nodelay_on_listener(int family, std::uint16_t port);

}  // namespace pushback::milter
