"""`pushback scan` over the kinds of mail stores an admin has: single files,
directories, mbox files and Maildirs, in text and JSON."""
import json
import os
import shutil
import subprocess
import unittest
from pathlib import Path

from harness import make_world_readable_tempdir

BINARY = os.environ["PUSHBACK_BIN"]
SAMPLES = Path(os.environ["PUSHBACK_SOURCE_DIR"]) / "data" / "samples"


def scan(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([BINARY, "scan", *args], capture_output=True, text=True, timeout=120)


def scan_json(*args: str) -> list[dict]:
    result = scan("--json", *args)
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


class Scan(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-scan-")
        # The samples as an mbox (with a ">From " line in a body) and as a Maildir.
        with open(cls.work / "inbox.mbox", "wb") as mbox:
            for path in sorted(SAMPLES.glob("*.eml")):
                mbox.write(b"From sender@example.org Mon Nov  2 09:14:00 2026\n")
                mbox.write(path.read_bytes().rstrip(b"\n") + b"\n\n")
        for sub in ("cur", "new", "tmp"):
            (cls.work / "Maildir" / sub).mkdir(parents=True)
        for i, path in enumerate(sorted(SAMPLES.glob("*.eml"))):
            shutil.copy(path, cls.work / "Maildir" / ("cur" if i % 2 else "new") / f"17000000{i}.M1P1.host:2,S")
        (cls.work / "Maildir" / "tmp" / "partial").write_text("From: half-written\n")

    def test_json_fields_for_each_sample(self):
        results = scan_json(str(SAMPLES))
        self.assertEqual(len(results), len(list(SAMPLES.glob("*.eml"))))
        by_name = {Path(r["source"]).name: r for r in results}
        bump = by_name["02-bump.eml"]
        self.assertEqual(bump["message_id"], "<seq-1001-step2@growthly-sales.example>")
        names = [s["name"] for s in bump["symbols"]]
        self.assertIn("FOLLOWUP_PHRASE", names)
        self.assertIn("REPLY_WITHOUT_THREAD", names)
        self.assertAlmostEqual(bump["score"], sum(s["score"] for s in bump["symbols"]))
        self.assertEqual(bump["fingerprint"]["algorithm"], 1)
        self.assertRegex(bump["fingerprint"]["template_key"], r"^[0-9a-f]{16}$")
        self.assertTrue(any(p["id"].startswith("en.") for p in bump["phrases"]))
        pixel = by_name["06-html-pixel.eml"]
        self.assertIn("TRACKING_PIXEL", [s["name"] for s in pixel["symbols"]])
        self.assertEqual([m["kind"] for m in pixel["markers"]], ["tracking_pixel"])
        colleague = by_name["03-colleague-reply.eml"]
        self.assertEqual(colleague["symbols"], [])
        self.assertEqual(colleague["reply"]["in_reply_to"], ["<20261110120000.ABC@corp.example>"])

    def test_mbox_maildir_and_files_agree(self):
        as_files = {r["message_id"]: r["fingerprint"]["template_key"] for r in scan_json(str(SAMPLES))}
        as_mbox = scan_json(str(self.work / "inbox.mbox"))
        self.assertEqual([r["source"] for r in as_mbox][:2],
                         [f"{self.work / 'inbox.mbox'}#1", f"{self.work / 'inbox.mbox'}#2"])
        self.assertEqual({r["message_id"]: r["fingerprint"]["template_key"] for r in as_mbox}, as_files)
        as_maildir = scan_json(str(self.work / "Maildir"))
        self.assertEqual({r["message_id"]: r["fingerprint"]["template_key"] for r in as_maildir}, as_files)

    def test_text_and_explain(self):
        result = scan("--explain", str(SAMPLES / "06-html-pixel.eml"))
        self.assertEqual(result.returncode, 0)
        self.assertIn("TRACKING_PIXEL(", result.stdout)
        self.assertIn("marker ", result.stdout)
        self.assertIn("phrase en.", result.stdout)
        self.assertIn("1 message(s) scanned", result.stderr)

    def test_missing_path_is_an_error_but_the_rest_is_scanned(self):
        result = scan("--json", str(SAMPLES / "01-cold-pitch.eml"), str(self.work / "nope"))
        self.assertEqual(result.returncode, 1)
        self.assertEqual(len(result.stdout.splitlines()), 1)
        self.assertIn("no such file or directory", result.stderr)

    def test_broken_mail_is_scanned_not_fatal(self):
        broken = self.work / "broken.eml"
        broken.write_bytes(b"\x00\xff garbage without headers\r\n" + b"A" * 200000)
        result = scan("--json", str(broken))
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(len(result.stdout.splitlines()), 1)


if __name__ == "__main__":
    unittest.main(verbosity=2)
