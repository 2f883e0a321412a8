"""A damaged store never stops the filter: for each kind of damage a disk or
a bad restore does to data.mdb, the daemon started on it through a real
Postfix is serving within 10 s, filters mail, keeps the damaged copy, and
the allowlist entries made before the damage still apply. A lock file left
by a killed daemon costs nothing."""
import glob
import os
import re
import struct
import subprocess
import time
import unittest
from pathlib import Path

from harness import MailPath, Pushback, make_world_readable_tempdir, own_words, plain_mail, wait_until

BINARY = os.environ["PUSHBACK_BIN"]
PAGE = 4096
# LMDB 0.9, 64-bit: in a meta page, the version, the main database's root
# page and the transaction id.
META_VERSION, META_MAIN_ROOT, META_TXNID = 20, 128, 144
SERVING_WITHIN = 10.0




def live_pages(data: bytes) -> tuple[int, int]:
    """The main database's root (a branch page in a tree of two levels) as
    the newer meta page names it, and the first leaf page below it."""
    meta = 0 if struct.unpack_from("<Q", data, META_TXNID)[0] >= struct.unpack_from("<Q", data, PAGE + META_TXNID)[0] \
        else PAGE
    root = struct.unpack_from("<Q", data, meta + META_MAIN_ROOT)[0]
    page = root
    while True:
        flags, = struct.unpack_from("<H", data, page * PAGE + 10)
        if not flags & 0x01:  # not a branch page
            return root, page
        first, = struct.unpack_from("<H", data, page * PAGE + 16)
        lo, hi, high = struct.unpack_from("<HHH", data, page * PAGE + first)
        page = lo | hi << 16 | high << 32


def noise(seed: int) -> bytes:
    return bytes((i * 131 + seed) & 0xFF for i in range(PAGE))


def truncated(data: bytes) -> bytes:
    return data[: len(data) // 2]


def zeroed_meta_pages(data: bytes) -> bytes:
    return bytes(2 * PAGE) + data[2 * PAGE:]


def overwritten(data: bytes, page: int, seed: int) -> bytes:
    return data[: page * PAGE] + noise(seed) + data[(page + 1) * PAGE:]


def overwritten_branch_page(data: bytes) -> bytes:
    root, leaf = live_pages(data)
    assert root != leaf, "the store should have a tree of two levels"
    return overwritten(data, root, 7)


def overwritten_leaf_page(data: bytes) -> bytes:
    return overwritten(data, live_pages(data)[1], 3)


def wrong_magic(data: bytes) -> bytes:
    out = bytearray(data)
    out[16:20] = b"XXXX"
    out[PAGE + 16:PAGE + 20] = b"XXXX"
    return bytes(out)


def another_lmdb_format(data: bytes) -> bytes:
    out = bytearray(data)
    struct.pack_into("<I", out, META_VERSION, 999)
    struct.pack_into("<I", out, PAGE + META_VERSION, 999)
    return bytes(out)


class StoreDamage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-store-damage-")
        cls.state = cls.work / "state"
        config = (f"[state]\ndir = \"{cls.state}\"\nverify_time_limit = \"5s\"\n"
                  "[direction]\ninternal_domains = [\"corp.example\"]\n")
        cls.pushback = Pushback(BINARY, cls.work, config).start()
        cls.path = MailPath(cls.work, cls.pushback)
        cls.sink, cls.postfix = cls.path.sink, cls.path.postfix
        cls.delivered = 0
        # A store worth damaging: a tree of two levels, an allowlisted
        # address and domain, and an allowlisted campaign.
        for n in range(40):
            sender = f"rep{n % 8}@vendor{n % 5}.example"
            cls.deliver(sender, f"Step {n} of our programme", f"Hello, {own_words(sender)} Item {n}: " + "x" * (n % 7))
        cls.deliver("sam@acme-mail.example", "Quick question", "Hi Alice, would a short call next week work?")
        cls.admin("allow", "friend@partner.example")
        cls.admin("allow", "trusted.example")
        cls.admin("allow", "--campaign", "sam@acme-mail.example")
        assert cls.pushback.stop() == 0
        cls.sound = (cls.state / "data.mdb").read_bytes()

    @classmethod
    def tearDownClass(cls):
        cls.path.stop()

    @classmethod
    def admin(cls, *args: str) -> str:
        done = subprocess.run([BINARY, *args, "--config", str(cls.pushback.config_path)], capture_output=True, text=True,
                              timeout=60)
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    @classmethod
    def deliver(cls, sender: str, subject: str, body: str) -> tuple[str, str]:
        message_id, text = plain_mail(sender, "alice@corp.example", subject, body)
        cls.postfix.send(sender, ["alice@corp.example"], text)
        def arrived():
            return next((m for m in cls.sink.messages() if str(m["Message-ID"]) == message_id), None)
        got = wait_until(arrived, 30, f"{message_id} to be delivered")
        return str(got["X-Pushback-Verdict"]), " ".join(str(got["X-Pushback-Report"] or "").split())

    def place(self, data: bytes):
        for leftover in ("data.mdb", "lock.mdb"):
            (self.state / leftover).unlink(missing_ok=True)
        (self.state / "data.mdb").write_bytes(data)
        (self.state / "data.mdb").chmod(0o600)

    def start_on(self, data: bytes | None = None) -> float:
        """Puts `data` in place as the store (unless it is) and starts the
        daemon; the seconds until it serves."""
        if data is not None:
            self.place(data)
        self.pushback.log_path.write_text("")
        began = time.monotonic()
        self.pushback.start(wait=False)
        self.pushback.wait_ready(timeout=SERVING_WITHIN)
        return time.monotonic() - began

    def check_recovery(self, damage):
        damaged = damage(self.sound)
        before = set(glob.glob(str(self.state / "data.mdb.damaged-*")))
        try:
            self.place(damaged)
            check = subprocess.run([BINARY, "state", "check", "--config", str(self.pushback.config_path)],
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(check.returncode, 1, check.stdout + check.stderr)
            self.assertIn("damaged", check.stdout)
            took = self.start_on()
            self.assertLess(took, SERVING_WITHIN)
            log = self.pushback.log()
            self.assertIn("was damaged", log)
            copies = set(glob.glob(str(self.state / "data.mdb.damaged-*"))) - before
            self.assertEqual(len(copies), 1, log)
            copy = copies.pop()
            self.assertIn(f"moved aside to {copy} (kept)", log)
            self.assertEqual(Path(copy).read_bytes(), damaged, "the damaged copy is kept as it was")
            # Three entries; after an earlier recovery the allowlisted
            # campaign's mailbox is an entry of its own too.
            restored = re.search(r"restored (\d+) allowlist entries", log)
            self.assertTrue(restored, log)
            self.assertGreaterEqual(int(restored.group(1)), 3, log)
            self.assertEqual(self.pushback.metrics().get("pushback_store_recoveries_total"), 1.0)
            # Mail is filtered, and the decisions made before the damage hold.
            verdict, report = self.deliver("newcomer@vendor9.example", "Hello", "A first message after the damage.")
            self.assertIn(verdict.split(";")[0], ("pass", "tag"), report)
            for sender in ("friend@partner.example", "anyone@trusted.example", "sam@acme-mail.example"):
                verdict, _ = self.deliver(sender, "Following up", "Just bumping this up in your inbox.")
                self.assertEqual(verdict, "pass; allowlisted at run time", sender)
            check = subprocess.run([BINARY, "state", "check", "--config", str(self.pushback.config_path)],
                                   capture_output=True, text=True, timeout=30)
            self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
            print(f"{damage.__name__}: serving after {took:.2f} s", flush=True)
        finally:
            self.assertEqual(self.pushback.stop(), 0)

    def test_truncated_file(self):
        self.check_recovery(truncated)

    def test_zeroed_meta_pages(self):
        self.check_recovery(zeroed_meta_pages)

    def test_overwritten_branch_page(self):
        self.check_recovery(overwritten_branch_page)

    def test_overwritten_leaf_page(self):
        self.check_recovery(overwritten_leaf_page)

    def test_wrong_magic_number(self):
        self.check_recovery(wrong_magic)

    def test_a_file_of_another_lmdb_format(self):
        self.check_recovery(another_lmdb_format)

    def test_a_stale_lock_file_of_a_killed_daemon_costs_nothing(self):
        self.start_on(self.sound)
        try:
            self.deliver("rep1@vendor1.example", "Step 41", "Hello again, one more step.")
            self.pushback.process.kill()  # SIGKILL: lock.mdb stays behind with its reader slots
            self.assertTrue((self.state / "lock.mdb").exists())
            self.pushback.log_path.write_text("")
            began = time.monotonic()
            self.pushback.start(wait=False)
            self.pushback.wait_ready(timeout=SERVING_WITHIN)
            self.assertLess(time.monotonic() - began, SERVING_WITHIN)
            log = self.pushback.log()
            self.assertNotIn("was damaged", log)
            self.assertIn("state store checked", log)
            self.assertIn("sender rep1@vendor1.example", self.admin("inspect", "rep1@vendor1.example"),
                          "the counts survived the kill")
            verdict, _ = self.deliver("friend@partner.example", "Lunch", "Lunch on Friday?")
            self.assertEqual(verdict, "pass; allowlisted at run time")
        finally:
            self.assertEqual(self.pushback.stop(), 0)


if __name__ == "__main__":
    unittest.main()
