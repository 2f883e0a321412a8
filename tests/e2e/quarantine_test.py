"""Quarantine review and feedback through a real Postfix: a sequence is held,
`quarantine list --json` shows it with its symbols, `release` delivers it and
the next message of that sender to that recipient passes; `delete` makes the
same template to a new recipient tagged at once; a forged seal is never taken
for Pushback's; `digest` prints one summary per recipient; `expire` empties
old holds; `feedback --outreach` learns from a delivered message file."""
import json
import os
import subprocess
import time
import unittest
from pathlib import Path

from harness import Postfix, Pushback, SmtpSink, make_world_readable_tempdir, wait_until

BINARY = os.environ["PUSHBACK_BIN"]

CONFIG = """
[direction]
internal_domains = ["corp.example"]
[policy]
refuse_at_rcpt_streak = 0
[quarantine]
mta = "postfix"
postfix_config_dir = "{postfix_dir}"
digest_sender = "postmaster@corp.example"
release_contact = "postmaster@corp.example"
"""

# A sequence of its own for the digest: STEPS' templates are deleted (marked
# outreach) by earlier tests, which would refuse this one before it is held.
DIGEST_STEPS = [
    ("{company}'s cloud costs", "Hi {name},\n\nWe cut cloud bills for companies like {company} by a third in "
     "ninety days, with no code changes. Open to a short call?\n\nMax"),
    ("Re: {company}'s cloud costs", "Hi {name},\n\nCircling back on my note about your cloud bill.\n\nMax"),
    ("Re: {company}'s cloud costs", "Hi {name},\n\nDid you get a chance to read my last email?\n\nMax"),
    ("Re: {company}'s cloud costs", "Hi {name},\n\nI will close your file unless I hear back.\n\nMax"),
    ("Re: {company}'s cloud costs", "Hi {name},\n\nLast note from me on this, I promise.\n\nMax"),
]

STEPS = [
    ("Quick question about {company}'s pipeline",
     "Hi {name},\n\nI noticed {company} is hiring account executives in three regions. Teams like yours use "
     "Growthly to book more qualified meetings without adding headcount. Worth a conversation next week?\n\nDana"),
    ("Re: Quick question about {company}'s pipeline", "Hi {name},\n\nJust checking in on this one.\n\nDana"),
    ("Re: Quick question about {company}'s pipeline",
     "Hi {name},\n\nFollowing up on my previous email. I haven't heard back, so I wanted to circle back.\n\nDana"),
    ("Re: Quick question about {company}'s pipeline",
     "Hi {name},\n\nSorry to keep bugging you. Is this something you are responsible for, or is there someone "
     "else I should reach out to?\n\nDana"),
]


def mail(sender: str, recipient: str, subject: str, body: str, extra: str = "") -> tuple[str, str]:
    message_id = f"<{time.time_ns()}.{abs(hash(body)) % 10**8}@{sender.split('@')[1]}>"
    body = body.replace("\n", "\r\n")
    text = (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n{extra}\r\n{body}\r\n")
    return message_id, text


class QuarantineReview(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-quarantine-")
        cls.pushback = Pushback(BINARY, cls.work, CONFIG.format(postfix_dir=cls.work / "postfix")).start()
        cls.sink = SmtpSink(cls.work)
        # Mail submitted locally skips the milter (non_smtpd_milters is empty):
        # the way to put a message with a forged seal into the hold queue.
        (cls.work / "header_checks").write_text("/^Subject: held by hand/ HOLD held by an admin rule\n")
        cls.postfix = Postfix(cls.work, cls.sink.port, milters=cls.pushback.postfix_spec,
                              extra_main_cf=f"header_checks = regexp:{cls.work}/header_checks\n")

    @classmethod
    def tearDownClass(cls):
        cls.postfix.stop()
        cls.sink.stop()
        assert cls.pushback.stop() == 0, cls.pushback.log()

    # --- helpers -----------------------------------------------------------------------------------------------

    def cli(self, *args: str, user: str | None = None, stdin: bytes | None = None,
            expect: int | None = 0) -> subprocess.CompletedProcess:
        argv = [BINARY, *args[:1], "--config", str(self.pushback.config_path), *args[1:]]
        if args[0] == "quarantine":
            argv = [BINARY, "quarantine", "--config", str(self.pushback.config_path), *args[1:]]
        if user:
            argv = ["runuser", "-u", user, "--", *argv]
        result = subprocess.run(argv, capture_output=True, timeout=120, input=stdin)
        result.stdout = result.stdout.decode(errors="replace")
        result.stderr = result.stderr.decode(errors="replace")
        if expect is not None:
            self.assertEqual(result.returncode, expect, f"{argv}:\n{result.stdout}\n{result.stderr}")
        return result

    def held(self, *filters: str) -> list[dict]:
        return [json.loads(line) for line in self.cli("quarantine", "list", "--json", *filters).stdout.splitlines()]

    def send(self, sender: str, recipient: str, subject: str, body: str, extra: str = "") -> str:
        message_id, text = mail(sender, recipient, subject, body, extra)
        self.postfix.send(sender, [recipient], text)
        return message_id

    def outcome(self, message_id: str):
        """("delivered", message) or ("held", list entry), waiting for Postfix to decide."""
        def find():
            for got in self.sink.messages():
                if str(got["Message-ID"]) == message_id:
                    return "delivered", got
            for entry in self.held():
                if entry["message_id"] == message_id:
                    return "held", entry
            return None
        return wait_until(find, 30, f"message {message_id} to be delivered or held", interval=0.3)

    def send_sequence_until_held(self, sender: str, name: str, recipient: str, steps=STEPS) -> dict:
        """The list entry of the first step that was held; its "step" is the index in `steps`."""
        for step, (subject, body) in enumerate(steps):
            where, got = self.outcome(self.send(sender, recipient, subject.format(company="Corp"),
                                                body.format(name=name, company="Corp")))
            if where == "held":
                return dict(got, step=step)
        self.fail(f"no step of the sequence to {recipient} was held")

    def postfix_hold_ids(self) -> set[str]:
        return {e["queue_id"] for e in self.postfix.queue() if e.get("queue_name") == "hold"}

    # --- tests -------------------------------------------------------------------------------------------------

    def test_a_release_delivers_and_the_pair_becomes_a_dialogue(self):
        held = self.send_sequence_until_held("dana@growthly.example", "Alice", "alice@corp.example")
        self.assertEqual(held["sender"], "dana@growthly.example")
        self.assertEqual(held["recipients"], ["alice@corp.example"])
        self.assertIn("UNANSWERED_STREAK", held["symbols"])
        self.assertGreaterEqual(float(held["score"]), 11.0)
        self.assertRegex(held["template"], "^[0-9a-f]{8}$")
        self.assertEqual([e["queue_id"] for e in self.held("--recipient", "Alice@Corp.example")], [held["queue_id"]])
        self.assertEqual(self.held("--recipient", "bob@corp.example"), [])
        self.assertEqual(self.held("--older-than", "1h"), [])

        shown = self.cli("quarantine", "show", held["queue_id"], "--body").stdout
        self.assertIn("verdict:    quarantine at score", shown)
        self.assertIn("X-Pushback-Seal:", shown)
        self.assertIn("circle back", shown)

        # Without the rights to the queue (and the state's key), nothing happens and the reason is given.
        refused = self.cli("quarantine", "release", held["queue_id"], user="nobody", expect=None)
        self.assertNotEqual(refused.returncode, 0)
        self.assertRegex(refused.stderr, "secret key|root")
        self.assertIn(held["queue_id"], self.postfix_hold_ids())

        before = len(self.sink.messages())
        released = self.cli("quarantine", "release", held["queue_id"], "--reason", "Alice expects this")
        self.assertRegex(released.stdout, rf"quarantine released: {held['queue_id']} from=<dana@growthly.example> "
                                          r".* by root.*: Alice expects this \(feedback: not outreach\)")
        [delivered] = self.sink.wait_for(before + 1)[before:]
        self.assertEqual(str(delivered["Message-ID"]), held["message_id"])
        self.assertNotIn(held["queue_id"], self.postfix_hold_ids())
        # The daemon's metrics count the decision the command recorded in the state.
        self.assertEqual(self.pushback.metrics()['pushback_feedback_total{kind="ham",source="release"}'], 1)
        # Releasing it again fails and says why.
        again = self.cli("quarantine", "release", held["queue_id"], expect=1)
        self.assertIn("not held by Pushback", again.stderr)

        # Dana's next step to Alice is a conversation now.
        subject, body = STEPS[3]
        where, got = self.outcome(self.send("dana@growthly.example", "alice@corp.example",
                                            subject.format(company="Corp"), body.format(name="Alice", company="Corp")))
        self.assertEqual(where, "delivered")
        self.assertEqual(str(got["X-Pushback-Verdict"]), "pass")
        report = " ".join(str(got["X-Pushback-Report"]).split())
        self.assertIn("DIALOGUE(-20.0)", report)
        self.assertIn("FEEDBACK_HAM(-4.0)[released 1 time(s) as not outreach]", report)

    def test_b_a_forged_seal_is_not_pushbacks(self):
        # A message that never met the milter, held by an admin's rule, with a seal made without the key.
        forged = ("From: mallory@evil.example\nTo: alice@corp.example\nSubject: held by hand\n"
                  "Message-ID: <forged@evil.example>\n"
                  "X-Pushback-Score: 99.0\n"
                  "X-Pushback-Seal: v=1;t=1796360269;a=quarantine;s=99.0;c=-;y=FAKE;m=0123456789abcdef0123456789abcdef\n"
                  "\nhello\n")
        subprocess.run(["/usr/sbin/sendmail", "-C", str(self.postfix.dir), "-f", "mallory@evil.example",
                        "alice@corp.example"], input=forged.encode(), check=True, timeout=30)
        wait_until(lambda: any("forged@evil.example" in self.postfix.message_id_of(i) for i in self.postfix_hold_ids()),
                   30, "the forged message to be held")
        [forged_id] = [i for i in self.postfix_hold_ids() if "forged@evil.example" in self.postfix.message_id_of(i)]
        listing = self.cli("quarantine", "list", "--json")
        self.assertNotIn(forged_id, listing.stdout)
        self.assertIn("other held message(s) are not Pushback's", listing.stderr)
        for command in ("release", "delete"):
            refused = self.cli("quarantine", command, forged_id, expect=1)
            self.assertIn(f"{forged_id}: not held by Pushback", refused.stderr)
        self.assertIn(forged_id, self.postfix_hold_ids())
        # Ids that are options or paths never reach postsuper.
        for bad in ("ALL", "-d", "../../etc/passwd"):
            refused = self.cli("quarantine", "delete", "--", bad, expect=1)
            self.assertIn("is not a postfix queue id", refused.stderr)
        self.assertIn(forged_id, self.postfix_hold_ids())

    def test_c_delete_marks_the_template_known_outreach_for_everyone(self):
        held = self.send_sequence_until_held("lee@pitchly.example", "Carol", "carol@corp.example")
        deleted = self.cli("quarantine", "delete", held["queue_id"], "-r", "sales sequence")
        self.assertIn("(feedback: outreach)", deleted.stdout)
        self.assertNotIn(held["queue_id"], self.postfix_hold_ids())
        self.assertIn(f"quarantine deleted: {held['queue_id']}", deleted.stdout)
        self.assertEqual(self.pushback.metrics()['pushback_feedback_total{kind="outreach",source="delete"}'], 1)

        # The held step's text, first contact from another mailbox to a new recipient: tagged at once.
        body = STEPS[held["step"]][1].format(name="Erin", company="Corp")
        where, got = self.outcome(self.send("sam@pitchly-mail.example", "erin@corp.example", "Quick question", body))
        if where == "delivered":
            self.assertIn("KNOWN_OUTREACH", str(got["X-Pushback-Report"]))
            self.assertIn(str(got["X-Pushback-Verdict"]).split(";")[0], ("tag", "quarantine", "reject"))
        else:
            self.assertIn("KNOWN_OUTREACH", got["symbols"])

    def test_d_digest_prints_one_summary_per_recipient(self):
        first = self.send_sequence_until_held("max@salesy.example", "Frank", "frank@corp.example", DIGEST_STEPS)
        second = self.send_sequence_until_held("max@salesy.example", "Gina", "gina@corp.example", DIGEST_STEPS)
        # Held for an address outside direction.internal_domains: no digest ever goes there.
        self.send_sequence_until_held("max@salesy.example", "Zed", "zed@elsewhere.example", DIGEST_STEPS)
        printed = self.cli("quarantine", "digest").stdout
        self.assertNotIn("elsewhere.example", printed)
        for held, who in ((first, "frank@corp.example"), (second, "gina@corp.example")):
            start = printed.index(f"=== digest for {who}")
            end = printed.find("=== digest for", start + 1)
            section = printed[start:end if end > 0 else len(printed)]
            self.assertIn(f"To: {who}", section)
            self.assertIn("From: postmaster@corp.example", section)
            self.assertIn(held["queue_id"], section)
            self.assertIn("<td>Re: Corp&#39;s cloud costs</td>", section)  # HTML part, escaped
            self.assertIn("Subject: Re: Corp's cloud costs", section)      # plain part
            self.assertIn("Content-Type: text/html", section)
        self.assertEqual(printed.count("=== digest for frank@corp.example"), 1)
        self.assertNotIn("=== digest for alice", printed)  # her held message was released

        # --send hands each digest to Postfix's sendmail; they arrive like any mail.
        before = len(self.sink.messages())
        sent = self.cli("quarantine", "digest", "--send")
        self.assertIn("digest sent to frank@corp.example", sent.stdout)
        arrived = self.sink.wait_for(before + sent.stdout.count("digest sent to"))[before:]
        digests = {str(m["To"]): m for m in arrived if str(m["Subject"]).startswith("Pushback:")}
        # Others may have held mail too (erin's first contact in test a is held when the model reads a pitch).
        self.assertLessEqual({"frank@corp.example", "gina@corp.example"}, set(digests))
        self.assertFalse([who for who in digests if not who.endswith("@corp.example")], digests.keys())
        self.assertEqual(str(digests["gina@corp.example"]["From"]), "postmaster@corp.example")
        self.assertIn(second["queue_id"], digests["gina@corp.example"].get_body(("plain",)).get_content())

    def test_e_expire_empties_old_holds_and_leaves_the_rest(self):
        ours = [e["queue_id"] for e in self.held()]
        self.assertTrue(ours)
        others = self.postfix_hold_ids() - set(ours)
        time.sleep(2)
        dry = self.cli("quarantine", "expire", "--older-than", "1s", "--dry-run").stdout
        for queue_id in ours:
            self.assertIn(f"would delete {queue_id}", dry)
        self.assertEqual(self.postfix_hold_ids() - others, set(ours))
        expired = self.cli("quarantine", "expire", "--older-than", "1s")
        self.assertIn(f"{len(ours)} held message(s) older than 1s deleted", expired.stderr)
        self.assertEqual(self.held(), [])
        self.assertEqual(self.postfix_hold_ids(), others)  # what Pushback did not hold stays

    def test_f_feedback_from_a_delivered_message_file(self):
        where, got = self.outcome(self.send("kim@vendorly.example", "hank@corp.example", "Intro",
                                            "Hi Hank,\n\nWe help teams like yours ship faster.\n\nKim"))
        self.assertEqual(where, "delivered")
        raw = next(p for p in self.sink.dir.iterdir() if str(got["Message-ID"]).encode() in p.read_bytes()).read_bytes()
        # What the delivery agent adds in front: the envelope sender and the mailbox.
        delivered = b"Return-Path: <kim@vendorly.example>\r\nDelivered-To: hank@corp.example\r\n" + raw
        # A copy that claims another sender does not verify: nothing is learned.
        forged = delivered.replace(b"Return-Path: <kim@vendorly.example>", b"Return-Path: <ceo@partner.example>", 1)
        refused = self.cli("feedback", "--outreach", "-", stdin=forged, expect=1)
        self.assertIn("no valid X-Pushback-Seal", refused.stderr)
        learned = self.cli("feedback", "--outreach", "--recipient", "hank", "-", stdin=delivered)
        self.assertIn("feedback outreach: from=<kim@vendorly.example>", learned.stdout)
        self.assertEqual(self.pushback.metrics()['pushback_feedback_total{kind="outreach",source="report"}'], 1)

        where, got = self.outcome(self.send("kim@vendorly.example", "ivy@corp.example", "Another thing",
                                            "Hi Ivy,\n\nA completely different text about our product.\n\nKim"))
        self.assertEqual(where, "delivered")
        self.assertIn("KNOWN_OUTREACH(6.0)[this sender was marked outreach 1 time(s)]",
                      " ".join(str(got["X-Pushback-Report"]).split()))
        # The text model adds nothing once other evidence tags: never held for it.
        self.assertIn("COLD_PITCH(0.0)", " ".join(str(got["X-Pushback-Report"]).split()))
        self.assertEqual(str(got["X-Pushback-Verdict"]), "tag")


if __name__ == "__main__":
    unittest.main()
