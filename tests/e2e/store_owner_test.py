"""One owner for the state. An admin command run as root on a fresh state
directory creates nothing that the daemon (milter.user) cannot open: the
daemon starts and the allow applies. A file with the wrong owner or mode is
a clear error naming the path and the fix, at start, in check-config and in
`pushback state check`."""
import os
import pwd
import stat
import subprocess
import unittest
from pathlib import Path

from harness import MailPath, Pushback, make_world_readable_tempdir, plain_mail, wait_until

BINARY = os.environ["PUSHBACK_BIN"]
USER = "pushback"




def owner_of(path: Path) -> str:
    return pwd.getpwuid(path.stat().st_uid).pw_name


@unittest.skipUnless(os.geteuid() == 0, "switching users needs root")
class StateOwner(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        pwd.getpwnam(USER)  # created by scripts/setup; its absence is a failure, not a skip
        cls.work = make_world_readable_tempdir("pb-store-owner-")
        cls.state = cls.work / "state"
        cls.config_text = (f"[milter]\nuser = \"{USER}\"\n[state]\ndir = \"{cls.state}\"\n"
                           "[direction]\ninternal_domains = [\"corp.example\"]\n")
        cls.pushback = Pushback(BINARY, cls.work, cls.config_text)

    def run_command(self, *args: str, config: Path | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([BINARY, *args, "--config", str(config or self.pushback.config_path)],
                              capture_output=True, text=True, timeout=60)

    def test_root_admin_commands_leave_the_state_to_the_daemon(self):
        self.assertFalse(self.state.exists())
        done = self.run_command("allow", "friend@partner.example")
        self.assertEqual(done.returncode, 0, done.stderr)
        for name in ("", "data.mdb", "lock.mdb", "secret.key", "snapshots"):
            self.assertEqual(owner_of(self.state / name), USER, f"{self.state / name}")
        self.assertEqual(stat.S_IMODE(self.state.stat().st_mode), 0o750)
        for snapshot in (self.state / "snapshots").iterdir():
            self.assertEqual(owner_of(snapshot), USER, str(snapshot))
        done = self.run_command("state", "backup")
        self.assertEqual(done.returncode, 0, done.stderr)
        backups = list((self.state / "snapshots").glob("store-manual-*.mdb"))
        self.assertEqual(len(backups), 1, done.stdout)
        self.assertEqual(owner_of(backups[0]), USER)

        self.pushback.start()
        path = MailPath(self.work, self.pushback)
        try:
            self.assertIn(f"running as user {USER}", self.pushback.log())
            message_id, text = plain_mail("friend@partner.example", "alice@corp.example", "Lunch", "Lunch on Friday?")
            path.postfix.send("friend@partner.example", ["alice@corp.example"], text)
            got = wait_until(lambda: next((m for m in path.sink.messages() if str(m["Message-ID"]) == message_id),
                                          None), 30, "the message to be delivered")
            self.assertEqual(str(got["X-Pushback-Verdict"]), "pass; allowlisted at run time")
            # A root shell beside the running daemon.
            done = self.run_command("inspect", "friend@partner.example")
            self.assertIn("allowlisted", done.stdout)
        finally:
            self.assertEqual(path.stop(), 0)
        for item in self.state.rglob("*"):
            self.assertEqual(owner_of(item), USER, str(item))

        self.wrong_owner_is_named()
        self.wrong_mode_is_named()

    def refused_everywhere(self, expected: list[str]):
        check = subprocess.run(
            [BINARY, "check-config", str(self.pushback.config_path)], capture_output=True, text=True, timeout=60)
        self.assertNotEqual(check.returncode, 0, check.stdout)
        state_check = self.run_command("state", "check")
        self.assertEqual(state_check.returncode, 1, state_check.stdout + state_check.stderr)
        daemon = Pushback(BINARY, self.work, self.config_text, name="refused")
        daemon.start(wait=False)
        wait_until(lambda: not daemon.process.running(), 10, "the daemon to refuse to start")
        self.assertEqual(daemon.stop(), 78)
        for text in (check.stderr, state_check.stdout, daemon.log()):
            for part in expected:
                self.assertIn(part, text)

    def wrong_owner_is_named(self):
        key = self.state / "secret.key"
        os.chown(key, 0, 0)
        try:
            self.refused_everywhere([f"{key} is owned by root, not by {USER}", f"chown {USER}: {key}"])
        finally:
            account = pwd.getpwnam(USER)
            os.chown(key, account.pw_uid, account.pw_gid)

    def wrong_mode_is_named(self):
        data = self.state / "data.mdb"
        data.chmod(0o644)
        try:
            self.refused_everywhere([f"{data} has mode 0644", f"chmod 600 {data}"])
        finally:
            data.chmod(0o600)
        done = self.run_command("state", "check")
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        self.assertIn("sound", done.stdout)


if __name__ == "__main__":
    unittest.main()
