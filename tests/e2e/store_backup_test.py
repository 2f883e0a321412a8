"""Backups by hand while the daemon works: `pushback state backup` during 50
concurrent SMTP sessions through a real Postfix gives a sound store; the
backup taken once the load is over, restored into a fresh directory, holds
the same counts and decisions as the live store. A decisions-only backup
restores the allowlist and the feedback into another store."""
import os
import re
import subprocess
import threading
import time
import unittest

from harness import MailPath, Pushback, make_world_readable_tempdir, own_words, plain_mail, wait_until

BINARY = os.environ["PUSHBACK_BIN"]
SESSIONS = 50
MESSAGES_PER_SESSION = 4
SENDERS = [f"rep{n}@vendor{n % 6}.example" for n in range(12)]




class StoreBackup(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-store-backup-")
        config = "[direction]\ninternal_domains = [\"corp.example\"]\n"
        cls.pushback = Pushback(BINARY, cls.work, config).start()
        cls.path = MailPath(cls.work, cls.pushback)

    @classmethod
    def tearDownClass(cls):
        cls.path.stop()

    def command(self, config, *args: str) -> str:
        done = subprocess.run([BINARY, *args, "--config", str(config)], capture_output=True, text=True, timeout=120)
        self.assertEqual(done.returncode, 0, done.stdout + done.stderr)
        return done.stdout

    def view(self, config) -> dict:
        """What an admin sees of a store: rankings, every sender, the allowlist."""
        return {"top": self.command(config, "top", "-n", "1000"),
                "senders": {s: self.command(config, "inspect", s) for s in SENDERS},
                "allow": self.command(config, "allow", "--list")}

    def fresh_config(self, name: str):
        directory = self.work / f"state-{name}"
        config = self.work / f"{name}.toml"
        config.write_text(f"[milter]\nuser = \"\"\n[state]\ndir = \"{directory}\"\n"
                          "[direction]\ninternal_domains = [\"corp.example\"]\n")
        return config, directory

    def session(self, n: int, errors: list):
        try:
            with self.path.postfix.smtp() as client:
                for m in range(MESSAGES_PER_SESSION):
                    sender = SENDERS[(n + m) % len(SENDERS)]
                    recipient = f"user{(n * 7 + m) % 23}@corp.example"
                    _, text = plain_mail(sender, recipient, f"Step {m} for you",
                                   f"Hello, {own_words(sender)} We help teams like yours, step {m}.")
                    client.sendmail(sender, [recipient], text.encode())
        except Exception as error:  # reported by the test thread
            errors.append(f"session {n}: {error!r}")

    def test_backup_under_load_and_restore(self):
        config = self.pushback.config_path
        self.command(config, "allow", "friend@partner.example")
        self.command(config, "allow", "trusted.example")
        during = self.work / "during.mdb"
        errors: list[str] = []
        threads = [threading.Thread(target=self.session, args=(n, errors)) for n in range(SESSIONS)]
        for thread in threads:
            thread.start()
        time.sleep(0.5)
        backup = subprocess.run([BINARY, "state", "backup", str(during), "--config", str(config)],
                                capture_output=True, text=True, timeout=120)
        for thread in threads:
            thread.join()
        self.assertEqual(errors, [])
        self.assertEqual(backup.returncode, 0, backup.stdout + backup.stderr)
        total = SESSIONS * MESSAGES_PER_SESSION
        self.path.sink.wait_for(total, timeout=180)
        live = self.view(config)
        after = self.work / "after.mdb"
        self.command(config, "state", "backup", str(after))

        # The backup taken after the load: the same view, in a new directory
        # (its secret key comes with it).
        restored_config, restored_dir = self.fresh_config("restored")
        out = self.command(restored_config, "state", "restore", str(after))
        self.assertIn("the backup's secret key was installed", out)
        self.assertEqual(self.view(restored_config), live)

        # The backup taken under load: a sound store, the same decisions,
        # and counts the live store reached or passed.
        during_config, _ = self.fresh_config("during")
        self.command(during_config, "state", "restore", str(during))
        self.assertIn("sound", self.command(during_config, "state", "check"))
        partial = self.view(during_config)
        self.assertEqual(partial["allow"], live["allow"])
        def total_of(report: str) -> int:
            found = re.search(r"messages (\d+)/(\d+)/(\d+)", report)
            return int(found.group(3)) if found else 0
        for sender in SENDERS:
            self.assertLessEqual(total_of(partial["senders"][sender]), total_of(live["senders"][sender]), sender)
        live_total = sum(total_of(live["senders"][s]) for s in SENDERS)
        print(f"messages counted: {sum(total_of(partial['senders'][s]) for s in SENDERS)} in the backup taken under "
              f"load, {live_total} after it", flush=True)
        self.assertGreater(live_total, 0)

        # Decisions only, into a store that already has counts of its own.
        decisions = self.work / "decisions.json"
        self.command(config, "state", "backup", "--decisions", str(decisions))
        other_config, _ = self.fresh_config("other")
        self.command(other_config, "allow", "own@choice.example")
        out = self.command(other_config, "state", "restore", str(decisions))
        self.assertIn("restored 2 allowlist entries", out)
        allowed = self.command(other_config, "allow", "--list")
        for entry in ("friend@partner.example", "trusted.example", "own@choice.example"):
            self.assertIn(entry, allowed)

        # A store in place is not overwritten without --replace, and one
        # held open by the running daemon not at all.
        refused = subprocess.run([BINARY, "state", "restore", str(after), "--config", str(restored_config)],
                                 capture_output=True, text=True, timeout=60)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("--replace", refused.stderr)
        refused = subprocess.run([BINARY, "state", "restore", "--replace", str(after), "--config", str(config)],
                                 capture_output=True, text=True, timeout=60)
        self.assertNotEqual(refused.returncode, 0)
        self.assertIn("stop the daemon", refused.stderr)
        self.assertTrue((restored_dir / "data.mdb").exists())


if __name__ == "__main__":
    unittest.main()
