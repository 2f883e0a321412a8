"""`pushback replay --feedback FILE`: recorded decisions on held mail change
what the replay decides afterwards. An "outreach" decision on one message
tags the first message of the same template to another recipient; a "ham"
decision makes the pair a dialogue. Bad feedback files are refused."""
import json
import os
import subprocess
import unittest
from pathlib import Path

from harness import make_world_readable_tempdir

BINARY = os.environ["PUSHBACK_BIN"]

PITCH = ("Hi {name},\n\nFollowing up on my previous email. I haven't heard back, so I wanted to circle back "
         "on how Growthly books qualified meetings for teams like yours.\n\nDana")


def eml(path: Path, sender: str, recipient: str, name: str, day: int, message_id: str):
    path.write_text(f"From: {sender}\nTo: {recipient}\nSubject: Quick question\nMessage-ID: <{message_id}>\n"
                    f"Date: Mon, {day:02d} Nov 2026 10:00:00 +0000\n\n{PITCH.format(name=name)}\n")


class ReplayFeedback(unittest.TestCase):
    def setUp(self):
        self.work = make_world_readable_tempdir("pb-replay-feedback-")
        self.mail = self.work / "mail"
        self.mail.mkdir()
        eml(self.mail / "1.eml", "dana@growthly.example", "alice@corp.example", "Alice", 2, "one@growthly.example")
        eml(self.mail / "2.eml", "sam@growthly-mail.example", "bob@corp.example", "Bob", 3, "two@growthly-mail.example")
        eml(self.mail / "3.eml", "dana@growthly.example", "alice@corp.example", "Alice", 4, "three@growthly.example")

    def replay(self, feedback: str | None, expect: int = 0) -> list[dict]:
        argv = [BINARY, "replay", "--json", str(self.mail)]
        if feedback is not None:
            path = self.work / "feedback.txt"
            path.write_text(feedback)
            argv[2:2] = ["--feedback", str(path)]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        self.assertEqual(result.returncode, expect, result.stderr)
        self.stderr = result.stderr
        return [json.loads(line) for line in result.stdout.splitlines()]

    @staticmethod
    def symbols(entry: dict) -> list[str]:
        return [s["name"] for s in entry["symbols"]]

    def test_outreach_decision_tags_the_template_for_another_recipient(self):
        plain = self.replay(None)
        self.assertNotIn("KNOWN_OUTREACH", self.symbols(plain[1]))
        taught = self.replay("# deleted by the admin\noutreach <one@growthly.example>\n")
        self.assertEqual(taught[0].get("feedback"), "outreach")
        self.assertIn("KNOWN_OUTREACH", self.symbols(taught[1]))
        self.assertGreater(taught[1]["score"], plain[1]["score"])
        self.assertIn("1 recorded feedback decision(s) applied", self.stderr)

    def test_ham_decision_makes_a_dialogue(self):
        taught = self.replay("ham one@growthly.example\n")
        self.assertIn("DIALOGUE", self.symbols(taught[2]))
        self.assertIn("FEEDBACK_HAM", self.symbols(taught[2]))
        self.assertIn("FEEDBACK_HAM", self.symbols(taught[1]))  # the template's count helps everyone

    def test_a_bad_feedback_file_is_refused(self):
        self.replay("spam <one@growthly.example>\n", expect=65)
        self.assertIn("feedback.txt:1: expected", self.stderr)


if __name__ == "__main__":
    unittest.main()
