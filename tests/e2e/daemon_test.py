"""The pushback process as an admin runs it: command line, configuration
checks, pid file, privilege drop, signals."""
import os
import pwd
import signal
import subprocess
import unittest
from pathlib import Path

from harness import Pushback, make_world_readable_tempdir, wait_until

BINARY = os.environ["PUSHBACK_BIN"]
SOURCE = Path(os.environ["PUSHBACK_SOURCE_DIR"])


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, *args], capture_output=True, text=True, timeout=30)


class CommandLine(unittest.TestCase):
    def test_version_and_help(self):
        version = run("--version")
        self.assertEqual(version.returncode, 0)
        self.assertRegex(version.stdout, r"^pushback \d+\.\d+\.\d+")
        for args in (["--help"], ["milter", "--help"], ["check-config", "--help"]):
            result = run(*args)
            self.assertEqual(result.returncode, 0, args)
            self.assertIn("Usage", result.stdout)
        self.assertIn("--socket", run("milter", "--help").stdout)

    def test_an_unknown_subcommand_is_an_error_even_with_help(self):
        for args in (["nosuch", "--help"], ["nosuch"], ["quarantine", "nosuch", "--help"]):
            result = run(*args)
            self.assertEqual(result.returncode, 2, args)
            self.assertIn(f'unknown command "nosuch"', result.stderr)
            self.assertNotIn("Usage", result.stdout)
        self.assertEqual(run("quarantine", "list", "--help").returncode, 0)

    def test_no_subcommand_is_an_error(self):
        self.assertNotEqual(run().returncode, 0)

    def test_check_config_accepts_the_shipped_example(self):
        result = run("check-config", str(SOURCE / "data" / "pushback.toml"))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("OK", result.stdout)

    def test_check_config_names_file_line_and_key(self):
        work = make_world_readable_tempdir("pb-check-")
        bad = work / "bad.toml"
        bad.write_text("[milter]\nsocket = \"inet:8893\"\nmax_body_bytes = -1\n")
        result = run("check-config", str(bad))
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"{bad}:2: milter.socket: expected PORT@HOST or HOST:PORT after 'inet:'", result.stderr)
        self.assertIn(f"{bad}:3: milter.max_body_bytes: -1 is outside the allowed range", result.stderr)

    def test_milter_refuses_a_broken_config(self):
        work = make_world_readable_tempdir("pb-broken-")
        bad = work / "bad.toml"
        bad.write_text("[milter]\nsocket = \"inet:1@127.0.0.1\"\nmystery = true\n")
        result = run("milter", "--config", str(bad), "--foreground")
        self.assertEqual(result.returncode, 78)  # EX_CONFIG
        self.assertIn(f"{bad}:3: milter.mystery: unknown key", result.stderr)

    def test_metrics_endpoint_refuses_a_public_address(self):
        work = make_world_readable_tempdir("pb-metrics-")
        config = work / "public.toml"
        config.write_text("[milter]\nsocket = \"inet:1@127.0.0.1\"\n[metrics]\nlisten = \"0.0.0.0:9893\"\n")
        result = run("milter", "--config", str(config), "--foreground")
        self.assertEqual(result.returncode, 78)
        self.assertIn(f"{config}:4: metrics.listen: \"0.0.0.0:9893\" is not a loopback address", result.stderr)

    def test_schema_lists_every_key(self):
        result = run("check-config", "--schema")
        self.assertEqual(result.returncode, 0)
        self.assertIn("| `milter.max_body_bytes` | integer | `262144` |", result.stdout)


class Process(unittest.TestCase):
    def test_pid_file_privilege_drop_and_clean_stop(self):
        work = make_world_readable_tempdir("pb-daemon-")
        account = pwd.getpwnam("pushback")  # created by scripts/setup
        sockets = work / "run"
        sockets.mkdir()
        os.chown(sockets, account.pw_uid, account.pw_gid)
        pid_file = work / "pushback.pid"
        daemon = Pushback(BINARY, work, "[milter]\nuser = \"pushback\"\n", socket_spec=f"unix:{sockets}/p.sock")
        os.chown(daemon.state_dir, account.pw_uid, account.pw_gid)
        daemon.start(["--pid-file", str(pid_file)])
        try:
            self.assertEqual(int(pid_file.read_text()), daemon.process.pid)
            status = Path(f"/proc/{daemon.process.pid}/status").read_text()
            uid_line = next(line for line in status.splitlines() if line.startswith("Uid:"))
            self.assertEqual(set(uid_line.split()[1:]), {str(account.pw_uid)}, "real, effective, saved uid")
            self.assertEqual((sockets / "p.sock").stat().st_uid, account.pw_uid)
            self.assertIn("running as user pushback", daemon.log())
            # The store was opened after the switch: its files belong to the account.
            wait_until(lambda: any(daemon.state_dir.iterdir()), 5, "the state files")
            for path in daemon.state_dir.iterdir():
                self.assertEqual(path.stat().st_uid, account.pw_uid, path)
        finally:
            self.assertEqual(daemon.stop(), 0)
        self.assertIn("pushback stopped", daemon.log())
        self.assertFalse((sockets / "p.sock").exists())

    def test_missing_state_directory_is_created_for_the_user(self):
        # As the example configuration started by hand on a host without the package.
        work = make_world_readable_tempdir("pb-statedir-")
        account = pwd.getpwnam("pushback")  # created by scripts/setup
        sockets = work / "run"
        sockets.mkdir()
        os.chown(sockets, account.pw_uid, account.pw_gid)
        state_dir = work / "lib" / "pushback"
        daemon = Pushback(BINARY, work, f"[milter]\nuser = \"pushback\"\n[state]\ndir = \"{state_dir}\"\n",
                          socket_spec=f"unix:{sockets}/p.sock")
        self.assertFalse(state_dir.exists())
        daemon.start()
        try:
            info = state_dir.stat()
            self.assertEqual(info.st_mode & 0o7777, 0o750)
            self.assertEqual((info.st_uid, info.st_gid), (account.pw_uid, account.pw_gid))
            self.assertIn(f"created the state directory {state_dir}", daemon.log())
            # The daemon, now unprivileged, wrote its key file there.
            wait_until(lambda: (state_dir / "secret.key").exists(), 5, "the key file")
            self.assertEqual((state_dir / "secret.key").stat().st_uid, account.pw_uid)
        finally:
            self.assertEqual(daemon.stop(), 0)
        self.assertNotIn("cannot create", daemon.log())

    def test_sighup_stops_like_libmilter_says(self):
        work = make_world_readable_tempdir("pb-hup-")
        daemon = Pushback(BINARY, work).start()
        daemon.process.signal(signal.SIGHUP)
        wait_until(lambda: not daemon.process.running(), 20, "pushback to stop on SIGHUP")
        self.assertEqual(daemon.stop(), 0)

    def test_background_mode_detaches(self):
        work = make_world_readable_tempdir("pb-bg-")
        pid_file = work / "bg.pid"
        config = work / "bg.toml"
        port = Pushback(BINARY, work).port
        config.write_text(f"[milter]\nuser = \"\"\nsocket = \"inet:{port}@127.0.0.1\"\npid_file = \"{pid_file}\"\n"
                          f"[log]\ntarget = \"syslog\"\n[state]\ndir = \"{work}/state\"\n"
                          f"[metrics]\nenabled = false\n")
        result = subprocess.run([BINARY, "milter", "--config", str(config)], timeout=30)
        self.assertEqual(result.returncode, 0)
        pid = wait_until(lambda: pid_file.exists() and pid_file.read_text().strip(), 10, "the pid file")
        try:
            from harness import port_open
            wait_until(lambda: port_open(port), 10, "the detached daemon to listen")
        finally:
            os.kill(int(pid), signal.SIGTERM)
            wait_until(lambda: not pid_file.exists(), 20, "the detached daemon to stop and remove its pid file")


if __name__ == "__main__":
    unittest.main(verbosity=2)
