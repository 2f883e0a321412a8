"""The console's systemd unit as shipped: `systemd-analyze verify` passes,
its exposure is at most the figure docs/web.md states, and its sandbox
keeps what the console needs (root for postsuper, loopback sockets) and
takes the rest; the command it starts serves the login page."""
import os
import re
import shutil
import subprocess
import tempfile
import unittest
import urllib.request
from pathlib import Path

from harness import Process, free_port, port_open, unit_directives, wait_until

BINARY = os.path.realpath(os.environ["PUSHBACK_BIN"])
SOURCE = Path(os.environ["PUSHBACK_SOURCE_DIR"])
UNIT = SOURCE / "systemd" / "pushback-web.service"
WEB_DOC = SOURCE / "docs" / "web.md"
# `systemd-analyze security --offline=true` (systemd 252) on the shipped unit.
MAX_EXPOSURE = 2.7


def run(*args: str, env=None) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=120, env=env)


class WebUnit(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = Path(tempfile.mkdtemp(prefix="pb-web-unit-"))
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        text = UNIT.read_text()
        cls.directives = unit_directives(text)
        assert cls.directives["ExecStart"][0].startswith("/usr/sbin/pushback web "), cls.directives["ExecStart"]
        cls.unit = cls.work / "pushback-web.service"
        cls.unit.write_text(text.replace("ExecStart=/usr/sbin/pushback ", f"ExecStart={BINARY} ", 1))
        man = cls.work / "man"
        (man / "man8").mkdir(parents=True)
        shutil.copy(SOURCE / "docs" / "man" / "pushback.8", man / "man8" / "pushback.8")
        cls.env = dict(os.environ, MANPATH=str(man), SYSTEMD_LOG_COLOR="0")

    def test_verify_passes_without_warnings(self):
        result = run("systemd-analyze", "verify", str(self.unit), env=self.env)
        self.assertEqual((result.returncode, result.stdout + result.stderr), (0, ""))

    def test_security_exposure_is_at_most_the_documented_figure(self):
        result = run("systemd-analyze", "security", "--offline=true", "--no-pager", str(self.unit), env=self.env)
        self.assertEqual(result.returncode, 0, result.stderr)
        match = re.search(r"Overall exposure level for pushback-web\.service: (\d+\.\d) (\w+)", result.stdout)
        self.assertIsNotNone(match, result.stdout)
        print(f"\nsystemd-analyze security --offline=true: exposure {match.group(1)} {match.group(2)}")
        self.assertLessEqual(float(match.group(1)), MAX_EXPOSURE, result.stdout)
        self.assertEqual(match.group(2), "OK")
        self.assertIn(f"{MAX_EXPOSURE} OK", WEB_DOC.read_text())

    def test_sandbox_keeps_what_the_console_needs(self):
        d = self.directives
        self.assertNotIn("User", d)  # postsuper changes the hold queue only as root
        self.assertEqual(d["NoNewPrivileges"], ["yes"])
        self.assertEqual(d["ProtectSystem"], ["full"])  # /var (the queue, the state) stays writable
        self.assertEqual(set(d["RestrictAddressFamilies"][0].split()), {"AF_UNIX", "AF_INET", "AF_INET6"})
        caps = set(d["CapabilityBoundingSet"][0].split())
        self.assertNotIn("CAP_SYS_ADMIN", caps)
        self.assertNotIn("CAP_NET_ADMIN", caps)
        self.assertEqual(d["UMask"], ["0077"])  # the used-link file and anything else: owner only

    def test_the_command_it_starts_serves_the_login_page(self):
        state = self.work / "state"
        state.mkdir()
        (state / "secret.key").write_bytes(os.urandom(32))
        port = free_port()
        config = self.work / "pushback.toml"
        # Run as root, the console reads the state as milter.user; the test's files are root's.
        config.write_text(f'[milter]\nuser = ""\n[state]\ndir = "{state}"\n[web]\nlisten = "127.0.0.1:{port}"\n')
        argv = self.directives["ExecStart"][0].replace("/usr/sbin/pushback", BINARY).split()
        argv[argv.index("/etc/pushback/pushback.toml")] = str(config)
        web = Process(argv, self.work / "web.log")
        try:
            wait_until(lambda: port_open(port), 20, "pushback web to listen")
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/login", timeout=10) as response:
                self.assertEqual(response.status, 200)
                self.assertIn("Admin password", response.read().decode())
        finally:
            self.assertEqual(web.stop(), 0, web.log())
        self.assertIn("pushback web: stopped", web.log())


if __name__ == "__main__":
    unittest.main()
