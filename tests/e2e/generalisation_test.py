"""Decisions that must hold on traffic nobody tuned for, through `pushback
replay` (analysis, a real store and the decision, in Date order):

- first contact: a stranger's pitch is tagged on its first message;
- step 2: an unanswered second step from a stranger whose pitch went to
  several of our users is tagged, without the text model;
- persona rotation: a sequence sent from unrelated brand domains under
  changing display names, tied only by one booking page and one phone number
  in every signature, is one campaign and is stopped from step 4, while an
  unrelated sender on the same booking service stays apart."""
import json
import os
import subprocess
import unittest
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

from harness import make_world_readable_tempdir

BINARY = os.environ["PUSHBACK_BIN"]
START = datetime(2026, 3, 2, 9, 30, tzinfo=timezone.utc)
NO_MODEL = '[analysis]\ncold_pitch_model = "none"\n'


class Mailbox:
    def __init__(self, work):
        self.path = work / "traffic.mbox"
        self.path.write_text("")
        self.count = 0

    def add(self, sender, recipient, subject, body, when, name=""):
        self.count += 1
        domain = sender.split("@")[1]
        head = f'"{name}" <{sender}>' if name else sender
        text = (f"From {sender} Mon Mar  2 09:00:00 2026\nFrom: {head}\nTo: {recipient}\nSubject: {subject}\n"
                f"Date: {format_datetime(when)}\nMessage-ID: <m{self.count}@{domain}>\n\n{body}\n\n")
        with open(self.path, "a") as f:
            f.write(text)
        return f"<m{self.count}@{domain}>"


def replay(work, mbox, extra_config=""):
    config = work / "replay.toml"
    config.write_text('[direction]\ninternal_domains = ["corp.example"]\n' + extra_config)
    run = subprocess.run([BINARY, "replay", "--config", str(config), "--json", str(mbox.path)],
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return {r["message_id"]: r for r in map(json.loads, run.stdout.splitlines())}


def names(record):
    return [s["name"] for s in record["symbols"]]


class Generalisation(unittest.TestCase):
    def setUp(self):
        self.work = make_world_readable_tempdir("pb-general-")
        self.mbox = Mailbox(self.work)

    def test_first_contact_pitch_is_tagged(self):
        pitch = self.mbox.add(
            "jordan.blake@pipewell.example", "alice@corp.example", "Quick question about your outbound team",
            "Hi Alice,\n\nI noticed Corp is growing its sales team this quarter. We help B2B companies like yours "
            "book 30% more qualified meetings with a done-for-you outbound program, without adding headcount.\n\n"
            "Would you be open to a quick 15-minute call next week to see if it's a fit?\n\nBest,\nJordan Blake",
            START, "Jordan Blake")
        enquiry = self.mbox.add(
            "margaret.hill@example.net", "bob@corp.example", "Missing part from my order",
            "Hello,\n\nI ordered a replacement hinge for the garden gate two weeks ago and it still has not arrived. "
            "Could someone check where it is?\n\nThanks,\nMargaret", START + timedelta(hours=1), "Margaret Hill")
        got = replay(self.work, self.mbox)
        self.assertEqual(got[pitch]["verdict"], "tag", got[pitch])
        self.assertIn("COLD_PITCH", names(got[pitch]))
        self.assertEqual(got[enquiry]["verdict"], "pass", got[enquiry])

    def test_unanswered_step_two_of_a_pitch_to_several_users_is_tagged_without_the_model(self):
        staff = ["alice", "bob", "carol", "dave", "erin"]
        step2 = {}
        for i, person in enumerate(staff):
            self.mbox.add("sam@northpath.example", f"{person}@corp.example", "Northpath for Corp",
                          f"Hi {person.title()},\n\nNorthpath helps finance teams close the books two days faster "
                          "by matching invoices automatically. Do you have time on Thursday?\n\nSam Porter",
                          START + timedelta(minutes=20 * i), "Sam Porter")
        for i, person in enumerate(staff):
            step2[person] = self.mbox.add(
                "sam@northpath.example", f"{person}@corp.example", "Northpath for Corp",
                f"Hi {person.title()},\n\nOne more thought: our customers usually start with the accounts payable "
                "team. Would next week suit you better?\n\nSam Porter",
                START + timedelta(days=3, minutes=20 * i), "Sam Porter")
        got = replay(self.work, self.mbox, NO_MODEL)
        for person, message_id in step2.items():
            record = got[message_id]
            self.assertEqual(record["verdict"], "tag", record)
            self.assertIn("UNANSWERED_STREAK", names(record))
            self.assertIn("SEQUENCE_STEP", names(record))

    def test_persona_rotation_is_one_campaign_and_stopped_from_step_four(self):
        personas = [("Sam Porter", "sam@northpath-mail.example"), ("Sam P.", "sam.p@bluefin-hq.example"),
                    ("Samuel Porter", "samuel@orbitalteam.example"), ("S. Porter", "porter@getkestrel.example"),
                    ("Sam Porter", "sam@tidewater.example"), ("Sam P", "hello@meetsparrow.example")]
        texts = ["I help finance teams close the books two days faster. Worth a short call?",
                 "Just following up on my last note. Did you get a chance to look?",
                 "Circling back on this: happy to share how others in your industry did it.",
                 "Bumping this to the top of your inbox in case it got buried.",
                 "I haven't heard back, so I'll assume the timing is off. Should I close your file?",
                 "Last try: if this isn't a priority, no worries at all."]
        ids = []
        for step, ((name, sender), text) in enumerate(zip(personas, texts)):
            body = (f"Hi Alice,\n\n{text}\n\nBest,\n{name}\nFinance Automation Lead\n+1 (415) 555-0142\n"
                    "Book a time: https://calendly.com/porter-finance/30min")
            ids.append(self.mbox.add(sender, "alice@corp.example", "Closing the books faster", body,
                                     START + timedelta(days=3 * step), name))
        # Another firm on the same booking service, with its own page and phone.
        other = self.mbox.add("lee@quarry-legal.example", "alice@corp.example", "Contract review",
                              "Hi Alice,\n\nThanks for the call. Here are the contract changes we discussed.\n\n"
                              "Best,\nLee Grant\n+1 (212) 555-0199\nBook a time: https://calendly.com/lee-grant/15min",
                              START + timedelta(days=4), "Lee Grant")
        got = replay(self.work, self.mbox)
        campaigns = {got[i]["campaign"] for i in ids}
        self.assertEqual(len(campaigns), 1, [(got[i]["campaign"], got[i]["campaign_linked_by"]) for i in ids])
        self.assertIn("booking page", got[ids[1]]["campaign_linked_by"])
        self.assertIn("phone", got[ids[1]]["campaign_linked_by"])
        self.assertNotEqual(got[other]["campaign"], got[ids[0]]["campaign"])
        for message_id in ids[1:]:
            self.assertIn(got[message_id]["verdict"], ("tag", "quarantine", "reject"), got[message_id])
        for message_id in ids[3:]:
            self.assertIn(got[message_id]["verdict"], ("quarantine", "reject"), got[message_id])

    def test_replay_json_names_cluster_and_campaign(self):
        first = self.mbox.add("ann@vendor.example", "alice@corp.example", "Hello", "Hi Alice,\n\nA note about our "
                              "product launch next month, with a short video.\n\nAnn", START, "Ann Lee")
        record = replay(self.work, self.mbox)[first]
        self.assertRegex(record["template_cluster"], "^[0-9a-f]{16}$")
        self.assertIsInstance(record["campaign"], int)
        self.assertEqual(record["campaign_linked_by"], "new")


if __name__ == "__main__":
    unittest.main()
