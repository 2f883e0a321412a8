"""Quarantine review against the real Sendmail the tests already run: a
quarantined message is listed from its hf control file, released with
Sendmail's own -qQ release and delivered to the sink, and a deleted one is gone
and marks its template known outreach."""
import json
import os
import subprocess
import time
import unittest

from harness import Pushback, SmtpSink, make_world_readable_tempdir, wait_until
from sendmail_mta import HOSTNAME, SENDMAIL_BIN, Sendmail, available, milter_line

BINARY = os.environ["PUSHBACK_BIN"]

# Low thresholds: a fake reply with a follow-up phrase is held at once.
CONFIG = """
[direction]
internal_domains = ["corp.example"]
[policy]
refuse_at_rcpt_streak = 0
tag_threshold = 1.0
quarantine_threshold = 2.0
reject_threshold = 100.0
[quarantine]
mta = "sendmail"
command_dir = "{command_dir}"
sendmail_config = "{cf}"
"""


TEMPLATES = [
    "Just following up on my previous email. I haven't heard back.",
    "Circling back on the note I sent last week about your pipeline. Did you get my last message?",
]


def mail(sender: str, recipient: str, name: str, template: int) -> tuple[str, str]:
    message_id = f"<{time.time_ns()}@{sender.split('@')[1]}>"
    return message_id, (f"From: {sender}\r\nTo: {recipient}\r\nSubject: Re: our call\r\nMessage-ID: {message_id}\r\n\r\n"
                        f"Hi {name},\r\n\r\n{TEMPLATES[template]}\r\n\r\nDana\r\n")


class SendmailQuarantine(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        problem = available()
        if problem:
            raise RuntimeError(problem)
        cls.work = make_world_readable_tempdir("pb-quarantine-sm-")
        cls.sink = SmtpSink(cls.work)
        cls.pushback = None
        cls.sendmail = None
        try:
            # The Sendmail directory is known before Sendmail starts; Pushback starts first.
            cf = cls.work / "sendmail" / "sendmail.cf"
            cls.pushback = Pushback(BINARY, cls.work, CONFIG.format(command_dir=SENDMAIL_BIN.parent, cf=cf)).start()
            cls.sendmail = Sendmail(cls.work, cls.sink.port, milters=[milter_line("pushback", cls.pushback.socket_spec)])
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        if cls.sendmail:
            cls.sendmail.stop()
        cls.sink.stop()
        if cls.pushback:
            assert cls.pushback.stop() == 0, cls.pushback.log()

    def cli(self, *args: str, expect: int | None = 0) -> subprocess.CompletedProcess:
        # Sendmail waits a minute at start-up on a host whose name has no dot:
        # the command runs with the test Sendmail's host name and hosts file.
        script = 'hostname "$1" && mount --bind "$2" /etc/hosts && shift 2 && exec "$@"'
        argv = ["unshare", "--uts", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh", HOSTNAME,
                str(self.sendmail.hosts_path), BINARY, "quarantine", "--config", str(self.pushback.config_path), *args]
        result = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if expect is not None:
            self.assertEqual(result.returncode, expect, f"{args}:\n{result.stdout}\n{result.stderr}")
        return result

    def held(self) -> list[dict]:
        return [json.loads(line) for line in self.cli("list", "--json").stdout.splitlines()]

    def hold(self, sender: str, recipient: str, name: str, template: int) -> dict:
        message_id, text = mail(sender, recipient, name, template)
        with self.sendmail.smtp() as client:
            client.sendmail(sender, [recipient], text)
        return wait_until(lambda: next((e for e in self.held() if e["message_id"] == message_id), None), 30,
                          f"{message_id} to be quarantined", interval=0.3)

    def test_list_release_and_delete(self):
        held = self.hold("dana@growthly.example", "alice@corp.example", "Alice", 0)
        self.assertEqual(held["sender"], "dana@growthly.example")
        self.assertEqual(held["recipients"], ["alice@corp.example"])
        self.assertIn("FAKE_REPLY", held["symbols"])
        self.assertIn(held["queue_id"], self.sendmail.queued())
        self.assertIn("X-Pushback-Seal:", self.cli("show", held["queue_id"]).stdout)

        released = self.cli("release", held["queue_id"], "--reason", "expected")
        self.assertIn(f"quarantine released: {held['queue_id']}", released.stdout)
        self.assertIn("(feedback: not outreach)", released.stdout)
        [got] = [m for m in self.sink.wait_for(1) if str(m["Message-ID"]) == held["message_id"]]
        self.assertEqual(str(got["X-Pushback-Verdict"]), "quarantine")
        self.assertNotIn(held["queue_id"], self.sendmail.queued())
        self.assertEqual(self.cli("release", held["queue_id"], expect=1).returncode, 1)

        second = self.hold("lee@pitchly.example", "carol@corp.example", "Carol", 1)
        deleted = self.cli("delete", second["queue_id"], "-r", "sequence")
        self.assertIn("(feedback: outreach)", deleted.stdout)
        self.assertNotIn(second["queue_id"], self.sendmail.queued())
        self.assertFalse((self.sendmail.queue / f"df{second['queue_id']}").exists())
        # Ids that are not Sendmail queue ids never reach a command or a path.
        self.assertIn("is not a sendmail queue id", self.cli("delete", "--", "../mqueue", expect=1).stderr)

        third = self.hold("sam@pitchly-mail.example", "erin@corp.example", "Erin", 1)
        self.assertIn("KNOWN_OUTREACH", third["symbols"])


if __name__ == "__main__":
    unittest.main()
