"""TCP_NODELAY on the daemon's milter connections over TCP.

libmilter accepts the connections itself and never sets TCP_NODELAY; Pushback
sets it on the listening socket, whose accepted sockets inherit it (Linux).
The test connects like an MTA would, finds the socket that the daemon accepted
(by its ports in /proc/net/tcp and its inode among the daemon's descriptors),
takes a copy of it with pidfd_getfd(2) and reads the option. No timing.
"""
import ctypes
import os
import socket
import unittest
from pathlib import Path

from harness import Pushback, SmtpSink, make_world_readable_tempdir, wait_until

BINARY = os.environ["PUSHBACK_BIN"]
SYS_PIDFD_OPEN = 434
SYS_PIDFD_GETFD = 438
libc = ctypes.CDLL(None, use_errno=True)


def socket_inode(local_port: int, remote_port: int) -> int:
    """The inode of the established IPv4 socket local_port -> remote_port, 0 while not accepted."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote, state, inode = fields[1], fields[2], fields[3], int(fields[9])
        if state == "01" and int(local.split(":")[1], 16) == local_port and int(remote.split(":")[1], 16) == remote_port:
            return inode
    return 0


def descriptor_of(pid: int, inode: int) -> int | None:
    target = f"socket:[{inode}]"
    for entry in Path(f"/proc/{pid}/fd").iterdir():
        try:
            if os.readlink(entry) == target:
                return int(entry.name)
        except OSError:
            continue
    return None


def accepted_nodelay(pid: int, port: int) -> int:
    """Connects to 127.0.0.1:port and returns TCP_NODELAY of the socket that
    process `pid` accepted for it."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as client:
        client_port = client.getsockname()[1]

        def accepted():
            inode = socket_inode(port, client_port)
            return descriptor_of(pid, inode) if inode else None
        fd = wait_until(accepted, 10, "the connection to be accepted")
        pidfd = libc.syscall(SYS_PIDFD_OPEN, pid, 0)
        if pidfd < 0:
            raise OSError(ctypes.get_errno(), "pidfd_open")
        try:
            copy = libc.syscall(SYS_PIDFD_GETFD, pidfd, fd, 0)
            if copy < 0:
                raise OSError(ctypes.get_errno(), "pidfd_getfd")
        finally:
            os.close(pidfd)
        with socket.socket(fileno=copy) as accepted_socket:
            return accepted_socket.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)


class TcpNoDelay(unittest.TestCase):
    def test_accepted_milter_connections_have_tcp_nodelay(self):
        work = make_world_readable_tempdir("pb-nodelay-")
        pushback = Pushback(BINARY, work).start()
        try:
            self.assertNotEqual(accepted_nodelay(pushback.process.pid, pushback.port), 0)
            self.assertNotIn("cannot set TCP_NODELAY", pushback.log())
        finally:
            pushback.stop()

    def test_the_check_sees_a_server_without_it(self):
        # smtp-sink leaves TCP_NODELAY off: the same check reads 0 there, so the
        # test above does not pass for a reason other than the daemon's.
        work = make_world_readable_tempdir("pb-nodelay-control-")
        sink = SmtpSink(work)
        try:
            self.assertEqual(accepted_nodelay(sink.process.pid, sink.port), 0)
        finally:
            sink.stop()

    def test_unix_socket_still_serves(self):
        work = make_world_readable_tempdir("pb-nodelay-unix-")
        path = work / "pushback.sock"
        pushback = Pushback(BINARY, work, socket_spec=f"unix:{path}").start()
        try:
            self.assertNotIn("cannot set TCP_NODELAY", pushback.log())
        finally:
            pushback.stop()


if __name__ == "__main__":
    unittest.main()
