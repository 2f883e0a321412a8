"""Campaigns, not addresses, through a real Postfix: a six-step sequence whose
every step comes from another lookalike domain of one vendor is tagged, then
held, then refused at RCPT, also from a mailbox never seen before; one
recipient's reply to one mailbox ends only that recipient's sequence. Controls:
the same steps from one mailbox are caught as well, and two unrelated senders
on webmail with the same first name stay apart."""
import email
import email.policy
import os
import re
import smtplib
import subprocess
import time
import unittest

from harness import Postfix, Pushback, SmtpSink, make_world_readable_tempdir, wait_until

BINARY = os.environ["PUSHBACK_BIN"]

CONFIG = """
[direction]
internal_domains = ["corp.example"]
[policy]
mode = "enforce"
refuse_at_rcpt_streak = 4
"""

RECIPIENTS = ["alice", "bob", "carol"]

# One vendor's sequence, one lookalike domain per step (brand "acme"). The
# domains only ever travel over loopback to a local sink.
MAILBOXES = ["sam@acme-mail.com", "sam@getacme.com", "s.porter@acmehq.io", "sam@tryacme.co", "sam@meetacme.com",
             "sam.porter@useacme.com"]
FRESH_MAILBOX = "sam@acme-team.com"

SIGNATURE = "Best regards,\n\nSam Porter\nSenior Account Executive\nAcme Inc.\n+1 (415) 555-0142"
SUBJECT = "Quick question about Corp's onboarding"
PITCH = ("Hi {name},\n\nI noticed Corp is opening two new offices this year. Teams like yours use Acme to cut "
         "employee onboarding from three weeks to four days, without adding HR headcount. Worth a short call "
         "next week?\n\n")
STEPS = [
    (SUBJECT, PITCH),
    ("Re: " + SUBJECT, "Hi {name},\n\nJust checking in on this one.\n\n"),
    ("Re: " + SUBJECT, "Hi {name},\n\nFollowing up on my previous email. I haven't heard back, so I wanted to "
                       "circle back.\n\n"),
    ("Re: " + SUBJECT, "Hi {name},\n\nSorry to keep bugging you. Is this something you are responsible for, or is "
                       "there someone else I should reach out to?\n\n"),
    ("Re: " + SUBJECT, "Hi {name},\n\nShould I close your file? This is my last attempt to reach you.\n\n"),
    ("Re: " + SUBJECT, "Hi {name},\n\nBreaking up is hard to do. I will stop reaching out after this.\n\n"),
]
NEXT_STEP = ("Re: " + SUBJECT, "Hi {name},\n\nBumping this to the top of your inbox in case it got buried.\n\n")


def mail(sender: str, display: str, recipient: str, subject: str, body: str, extra: str = "") -> str:
    body = body.replace("\n", "\r\n")
    sender_header = f"{display} <{sender}>" if display else sender
    return (f"From: {sender_header}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{time.time_ns()}.{abs(hash(body)) % 10**8}@{sender.split('@')[1]}>\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n{extra}\r\n{body}\r\n")


def unfold(value) -> str:
    return " ".join(str(value).split())


class World:
    """Pushback (LMDB, the default backend) as the milter of a private Postfix relaying to smtp-sink."""

    def __init__(self, name: str):
        self.work = make_world_readable_tempdir(f"pb-campaign-{name}-")
        self.pushback = Pushback(BINARY, self.work, CONFIG).start()
        self.sink = SmtpSink(self.work)
        self.postfix = Postfix(self.work, self.sink.port, milters=self.pushback.postfix_spec)

    def stop(self):
        self.postfix.stop()
        self.sink.stop()
        return self.pushback.stop()

    def send(self, sender: str, display: str, recipient: str, subject: str, body: str, extra: str = ""):
        """Sends one message and waits for its fate: a dict with `fate` ("refused", "held" or
        "delivered"), and `reply` (refused) or the X-Pushback-* headers (delivered)."""
        text = mail(sender, display, recipient, subject, body, extra)
        message_id = text.split("Message-ID: ")[1].split("\r\n")[0]
        try:
            self.postfix.send(sender, [recipient], text)
        except smtplib.SMTPRecipientsRefused as refused:
            code, reply = refused.recipients[recipient]
            return {"fate": "refused", "reply": f"{code} {reply.decode()}", "from": sender, "to": recipient}

        def find():
            for got in self.sink.messages():
                if str(got["Message-ID"]) == message_id:
                    return {"fate": "delivered", "verdict": str(got["X-Pushback-Verdict"]),
                            "report": unfold(got["X-Pushback-Report"]), "history": unfold(got["X-Pushback-History"])}
            for entry in self.postfix.queue():
                if entry.get("queue_name") == "hold" and message_id in self.postfix.message_id_of(entry["queue_id"]):
                    return {"fate": "held", **self.held_headers(entry["queue_id"])}
            return None
        result = wait_until(find, 30, f"message {message_id} to be delivered or held")
        result.update({"from": sender, "to": recipient, "message_id": message_id})
        return result

    def held_headers(self, queue_id: str) -> dict:
        """The X-Pushback-* headers Pushback added to a message that Postfix holds."""
        result = subprocess.run(["postcat", "-c", str(self.postfix.dir), "-h", "-q", queue_id],
                                capture_output=True, text=True, timeout=30, check=True)
        held = email.message_from_string(result.stdout, policy=email.policy.default)
        return {"verdict": str(held["X-Pushback-Verdict"]), "report": unfold(held["X-Pushback-Report"]),
                "history": unfold(held["X-Pushback-History"])}

    def send_step(self, sender: str, recipient: str, step, display: str = "Sam Porter", signature: str = SIGNATURE):
        subject, body = step
        name = recipient.split("@")[0].capitalize()
        return self.send(sender, display, recipient, subject, body.format(name=name) + signature)


def show(outcomes) -> str:
    return "\n".join(str(o) for o in outcomes)


class RotatedCampaign(unittest.TestCase):
    """The sequence of issue 13: six steps, six lookalike domains, three recipients."""

    @classmethod
    def setUpClass(cls):
        cls.world = World("rotated")

    @classmethod
    def tearDownClass(cls):
        assert cls.world.stop() == 0

    def test_rotated_sequence_is_tagged_then_held_then_refused_and_one_reply_ends_one_sequence(self):
        w = self.world
        steps = []  # steps[i][recipient] -> outcome
        for mailbox, step in zip(MAILBOXES, STEPS):
            steps.append({r: w.send_step(mailbox, f"{r}@corp.example", step) for r in RECIPIENTS})
        for number, by_recipient in enumerate(steps, 1):
            print(f"step {number}:\n" + show(by_recipient.values()))
        explain = show(o for by in steps for o in by.values()) + "\n--- pushback log ---\n" + w.pushback.log()[-6000:]

        # Step 1 is a first contact: delivered and judged, the campaign already named.
        for outcome in steps[0].values():
            self.assertEqual(outcome["fate"], "delivered", explain)
            self.assertIn("campaign acme", outcome["history"], explain)
        # Step 2, from a second domain: tagged, with the campaign's counts.
        for outcome in steps[1].values():
            self.assertEqual((outcome["fate"], outcome["verdict"]), ("delivered", "tag"), explain)
            self.assertIn("UNANSWERED_STREAK(2.0)[2 messages from 2 addresses of one campaign", outcome["report"],
                          explain)
            self.assertIn("ROTATION(2.0)[campaign acme", outcome["report"], explain)
            self.assertIn("SEQUENCE_STEP(3.0)[step 2 to this recipient from campaign acme", outcome["report"], explain)
            self.assertIn("campaign acme", outcome["history"], explain)
        # The second mailbox's first message says what linked it (not the brand alone).
        self.assertRegex(steps[1]["alice"]["history"], r"linked by brand, display name", explain)
        # Steps 3 and 4, from a third and fourth domain: held, on the campaign's counts.
        for number, by_recipient in ((3, steps[2]), (4, steps[3])):
            for outcome in by_recipient.values():
                self.assertEqual((outcome["fate"], outcome["verdict"]), ("held", "quarantine"), explain)
                self.assertIn(f"[{number} messages from {number} addresses of one campaign, 0 replies",
                              outcome["report"], explain)
                # Each domain beyond the second adds half the weight.
                self.assertIn(f"ROTATION({2.0 + (number - 2):.1f})[campaign acme (", outcome["report"], explain)
                self.assertIn(f"writes from {number} mailboxes / {number} domains]", outcome["report"], explain)
                self.assertIn(f"{number} mailboxes {number} domains", outcome["history"], explain)
        # Steps 5 and 6 come from mailboxes never seen before: refused at RCPT,
        # the envelope's brand linking them to a campaign at 4 unanswered messages.
        for by_recipient in steps[4:]:
            for outcome in by_recipient.values():
                self.assertEqual(outcome["fate"], "refused", explain)
                self.assertEqual(outcome["reply"], "550 5.7.1 this recipient has not replied to your last 4 messages",
                                 explain)
        # A seventh lookalike domain, never used so far, is refused just the same.
        fresh = w.send_step(FRESH_MAILBOX, "carol@corp.example", NEXT_STEP)
        print("fresh mailbox:", fresh)
        self.assertEqual(fresh["fate"], "refused", explain)
        self.assertTrue(fresh["reply"].startswith("550 5.7.1"), fresh)
        self.assertIn(f"from=<{FRESH_MAILBOX}> refused recipient <carol@corp.example> at RCPT: 4 unanswered messages "
                      f"from 4 addresses of its campaign", w.pushback.log())

        # Alice answers one mailbox of the campaign (outbound: our domain, from a trusted network)...
        reply = w.send("alice@corp.example", "Alice Martin", MAILBOXES[1], "Re: " + SUBJECT,
                       "Sam, we might be interested. Can you send me the pricing sheet?\n\nAlice")
        self.assertEqual(reply["fate"], "delivered")
        wait_until(lambda: "direction=outbound" in w.pushback.log(), 10, "the outbound reply to be counted")
        # ...so the next step, from another mailbox, is a conversation for her...
        to_alice = w.send_step(MAILBOXES[3], "alice@corp.example", NEXT_STEP)
        print("after alice's reply, to alice:", to_alice)
        self.assertEqual(to_alice["fate"], "delivered", to_alice)
        self.assertEqual(to_alice["verdict"], "pass", to_alice)
        self.assertIn("DIALOGUE(-20.0)[the recipient wrote to another mailbox of campaign acme", to_alice["report"])
        self.assertIn("campaign acme", to_alice["history"])
        # A mailbox of the campaign never seen before gets past RCPT to her too, and is linked to the dialogue.
        fresh_to_alice = w.send_step(FRESH_MAILBOX, "alice@corp.example", NEXT_STEP)
        print("after alice's reply, fresh mailbox to alice:", fresh_to_alice)
        self.assertEqual((fresh_to_alice["fate"], fresh_to_alice["verdict"]), ("delivered", "pass"), fresh_to_alice)
        self.assertIn("DIALOGUE(-20.0)[the recipient wrote to another mailbox of campaign acme",
                      fresh_to_alice["report"])
        # ...and still the same monologue for Bob, who never answered.
        to_bob = w.send_step(MAILBOXES[3], "bob@corp.example", NEXT_STEP)
        print("after alice's reply, to bob:", to_bob)
        self.assertIn(to_bob["fate"], ("held", "refused"), to_bob)

        # The admin tools, on the daemon's own store while it runs.
        def admin(*args):
            done = subprocess.run([BINARY, *args, "--config", str(w.pushback.config_path)], capture_output=True,
                                  text=True, timeout=60)
            print("pushback", " ".join(args), "->", done.returncode, done.stdout, done.stderr)
            return done
        inspected = admin("inspect", MAILBOXES[2])
        self.assertEqual(inspected.returncode, 0)
        self.assertRegex(inspected.stdout, r"campaign acme \([0-9a-f]{8}\): [4-9] mailboxes, [4-9] domains")
        for sibling in (MAILBOXES[0], MAILBOXES[1], MAILBOXES[3]):
            self.assertIn(f"sibling {sibling}", inspected.stdout)
        top = admin("top")
        self.assertRegex(top.stdout, r"campaigns by unanswered streak \(all mailboxes\)\n\s+[4-9]\s+acme \(")
        # Allowlisting the campaign by one of its domains lets its next new mailbox through to Bob.
        self.assertEqual(admin("allow", "--campaign", "tryacme.co").returncode, 0)
        self.assertRegex(admin("allow", "--list").stdout, r"campaign:[0-9a-f]{8}")
        allowed = w.send_step("sam@acmemail-team.com", "bob@corp.example", NEXT_STEP)
        print("after allow --campaign, to bob:", allowed)
        self.assertEqual(allowed["fate"], "delivered", allowed)
        self.assertIn("allowlisted", allowed["verdict"], allowed)
        # Forgetting it by an address forgets every mailbox.
        forgotten = admin("forget", "--campaign", MAILBOXES[0])
        self.assertEqual(forgotten.returncode, 0)
        self.assertRegex(forgotten.stdout, r"forgot the campaign of .*: [4-9] mailboxes")
        self.assertIn("not seen", admin("inspect", MAILBOXES[2]).stdout)
        self.assertEqual(admin("forget", "--campaign", "getacme.com").returncode, 1)


class Controls(unittest.TestCase):
    """What must stay as it was: one mailbox is caught; unrelated senders on webmail are not merged."""

    @classmethod
    def setUpClass(cls):
        cls.world = World("controls")

    @classmethod
    def tearDownClass(cls):
        assert cls.world.stop() == 0

    def test_the_same_steps_from_one_mailbox_are_caught(self):
        w = self.world
        outcomes = [[w.send_step("sam@acmeonboarding.com", f"{r}@corp.example", step) for r in RECIPIENTS]
                    for step in STEPS]
        print(show(o for step in outcomes for o in step))
        fates = [[o["fate"] for o in step] for step in outcomes]
        self.assertEqual(fates[0], ["delivered"] * 3)
        self.assertTrue(all(o["verdict"] == "tag" for o in outcomes[1]), outcomes[1])
        self.assertEqual(fates[2], ["held"] * 3)
        self.assertEqual(fates[3], ["held"] * 3)
        self.assertEqual(fates[4], ["refused"] * 3)
        self.assertEqual(fates[5], ["refused"] * 3)
        # One mailbox is no rotation, and its streak is its own.
        for o in outcomes[1]:
            self.assertNotIn("ROTATION", o["report"])
            self.assertNotIn("of one campaign", o["report"])

    def test_unrelated_senders_on_webmail_with_one_first_name_stay_apart(self):
        w = self.world
        recipient = "dave@corp.example"
        first = [("Website redesign for Corp", "Hi Dave,\n\nI build fast marketing websites for software companies. "
                  "Would a redesign of the Corp site be on your roadmap this year?\n\n"),
                 ("Re: Website redesign for Corp", "Hi Dave,\n\nJust checking in on my note about the website.\n\n")]
        second = [("Bookkeeping for Corp", "Hello Dave,\n\nI am a freelance bookkeeper and could take month-end close "
                   "off your plate. Happy to share references from two local firms.\n\n"),
                  ("Re: Bookkeeping for Corp", "Hello Dave,\n\nFollowing up on my previous email about bookkeeping."
                   "\n\n")]
        outcomes = []
        for (a, b) in zip(first, second):
            outcomes.append(w.send_step("sam.lee@gmail.com", recipient, a, display="Sam Lee",
                                        signature="Cheers,\nSam Lee\nWeb designer\n+44 20 7946 0321"))
            outcomes.append(w.send_step("sam.okafor@gmail.com", recipient, b, display="Sam Okafor",
                                        signature="Kind regards,\nSam Okafor\nBookkeeper\n+44 161 496 0777"))
        print(show(outcomes))
        for o in outcomes:
            self.assertEqual(o["fate"], "delivered", o)
            self.assertNotIn("of one campaign", o["report"], o)
            self.assertNotIn("ROTATION", o["report"], o)
            self.assertNotIn("from campaign", o["report"], o)
        # Each sender is a campaign of its own (webmail has no brand), and each keeps it.
        campaigns = [re.search(r"campaign (\S+ \([0-9a-f]{8}\))", o["history"]).group(1) for o in outcomes]
        self.assertEqual(campaigns[0], campaigns[2], campaigns)
        self.assertEqual(campaigns[1], campaigns[3], campaigns)
        self.assertNotEqual(campaigns[0], campaigns[1], campaigns)
        # Each follow-up counts its own sender's two messages, not the four they sent together.
        self.assertIn("UNANSWERED_STREAK(2.0)[2 messages, 0 replies", outcomes[2]["report"], outcomes[2])
        self.assertIn("UNANSWERED_STREAK(2.0)[2 messages, 0 replies", outcomes[3]["report"], outcomes[3])


if __name__ == "__main__":
    unittest.main(verbosity=2)
