// Finds libmilter's listening TCP socket among this process's descriptors
// and sets TCP_NODELAY on it, so that the connections it accepts send small
// replies at once: without it, each message over TCP waits about 40 ms for
// the MTA's delayed ACK while libmilter's replies at end of message sit in
// Nagle's buffer. Trusts nothing but the kernel's answers about each fd.
#include "milter/tcp_nodelay.hpp"

#include <dirent.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cstdlib>
#include <vector>

namespace pushback::milter {

namespace {

std::vector<int> open_descriptors() {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  int own = dirfd(dir);
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    long fd = std::strtol(entry->d_name, &end, 10);
    if (end != entry->d_name && *end == '\0' && fd != own) fds.push_back(static_cast<int>(fd));
  }
  closedir(dir);
  return fds;
}

bool int_option(int fd, int level, int name, int want) {
  int value = 0;
  socklen_t length = sizeof value;
  return getsockopt(fd, level, name, &value, &length) == 0 && value == want;
}

bool bound_to(int fd, int family, std::uint16_t port) {
  sockaddr_storage address{};
  socklen_t length = sizeof address;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0 || address.ss_family != family) {
    return false;
  }
  if (family == AF_INET) return ntohs(reinterpret_cast<const sockaddr_in*>(&address)->sin_port) == port;
  return ntohs(reinterpret_cast<const sockaddr_in6*>(&address)->sin6_port) == port;
}

}  // namespace

int set_nodelay_on_listener(int family, std::uint16_t port) {
  if (family != AF_INET && family != AF_INET6) return -1;
  int set = 0;
  for (int fd : open_descriptors()) {
    // getsockopt fails with ENOTSOCK on anything that is not a socket.
    if (!int_option(fd, SOL_SOCKET, SO_ACCEPTCONN, 1) || !int_option(fd, SOL_SOCKET, SO_TYPE, SOCK_STREAM) ||
        !int_option(fd, SOL_SOCKET, SO_PROTOCOL, IPPROTO_TCP) || !bound_to(fd, family, port)) {
      continue;
    }
    int on = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) != 0) return -1;
    ++set;
  }
  return set;
}

}  // namespace pushback::milter
