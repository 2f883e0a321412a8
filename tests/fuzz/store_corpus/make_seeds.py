#!/usr/bin/env python3
"""Writes the seed stores of tests/e2e/store_mutation_test.py: real LMDB stores
written by the real daemon behind a private Postfix (tests/e2e/harness.py).

Run as root (Postfix needs it) from the build directory:

    PUSHBACK_BIN=$PWD/cli/pushback python3 ../../tests/fuzz/store_corpus/make_seeds.py

Each seed is the daemon's data.mdb copied as it was left after a clean stop
(free list included, not compacted); decisions.json is the snapshot of admin
decisions the daemon wrote for the largest one.
"""
from __future__ import annotations

import email
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent / "e2e"))
from harness import MailPath, Pushback, make_world_readable_tempdir, own_words, wait_until  # noqa: E402

BINARY = os.environ["PUSHBACK_BIN"]
CONFIG = '[direction]\ninternal_domains = ["corp.example"]\n[policy]\nmode = "monitor"\n'

# (seed name, external senders, internal recipients, follow-ups per pair, campaign senders, recipients per message)
SEEDS = [
    ("tiny", 2, 1, 1, 0, 1),
    ("two_level", 12, 4, 2, 6, 1),
    ("larger", 100, 6, 2, 24, 2),
]

CAMPAIGN = ("Helping {company} grow its pipeline",
            "Hi {name},\n\nTeams like yours at {company} use Pipewell to book more qualified meetings every week, "
            "without adding headcount.\n\nWould you be open to a quick 15-minute call next week?\n\nBest,\n{sender}\n")


def message(sender: str, recipients: list[str], subject: str, body: str, n: int,
            in_reply_to: str | None = None) -> tuple[str, str]:
    message_id = f"<{time.time_ns()}.{n}@{sender.split('@')[1]}>"
    extra = f"In-Reply-To: {in_reply_to}\r\nReferences: {in_reply_to}\r\n" if in_reply_to else ""
    text = (f"From: {sender}\r\nTo: {', '.join(recipients)}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n{extra}\r\n"
            + body.replace("\n", "\r\n") + "\r\n")
    return message_id, text


def pushback_cli(config: Path, *args: str) -> str:
    run = subprocess.run([BINARY, *args, "--config", str(config)], capture_output=True, text=True, timeout=60)
    if run.returncode != 0:
        raise RuntimeError(f"pushback {' '.join(args)} failed ({run.returncode}): {run.stdout}{run.stderr}")
    return run.stdout


def make_seed(work: Path, name: str, senders: int, recipients: int, follow_ups: int, campaign: int,
              per_message: int) -> tuple[Path, Path | None]:
    rng = random.Random(name)
    work = work / name
    work.mkdir()
    work.chmod(0o755)
    pushback = Pushback(BINARY, work, CONFIG, name=f"seed-{name}").start()
    path = MailPath(work, pushback)
    count = 0
    try:
        inside = [f"{who}@corp.example" for who in ("alice", "bob", "carol", "dave", "erin", "frank", "grace",
                                                     "heidi")][:recipients]
        firsts = ("jordan", "riley", "sam", "casey", "morgan", "alex", "taylor", "jamie", "drew", "quinn")
        lasts = ("blake", "stone", "price", "hale", "reed", "fox", "lane", "moss", "kerr", "webb")
        outside = [f"{firsts[i % 10]}.{lasts[i // 10 % 10]}@vendor{i}.example" for i in range(senders)]
        with path.postfix.smtp() as client:
            def send(sender, to, subject, body, in_reply_to=None):
                nonlocal count
                count += 1
                message_id, text = message(sender, to, subject, body, count, in_reply_to)
                client.sendmail(sender, to, text.encode())
                return message_id
            first_ids = {}
            for sender in outside:
                for round_ in range(follow_ups):
                    for recipient in rng.sample(inside, min(len(inside), 1 + rng.randrange(recipients))):
                        to = [recipient] + rng.sample([r for r in inside if r != recipient],
                                                      min(per_message - 1, len(inside) - 1))
                        subject = ("Re: " if round_ else "") + f"About {sender.split('@')[1].split('.')[0]}"
                        first_ids.setdefault((sender, recipient), None)
                        mid = send(sender, to, subject, own_words(sender) + f"\n\nFollow-up {round_}.\n",
                                   first_ids[(sender, recipient)])
                        first_ids[(sender, recipient)] = first_ids[(sender, recipient)] or mid
            # One template from many addresses of one brand: a campaign.
            for i in range(campaign):
                sender = f"sdr{i}@pipewell{i % 3}.example"
                recipient = inside[i % len(inside)]
                subject, body = CAMPAIGN
                send(sender, [recipient], subject.format(company="Corp"),
                     body.format(name=recipient.split("@")[0].title(), company="Corp", sender=f"SDR {i}"))
            # Internal users answer some of them: dialogue.
            for (sender, recipient), mid in list(first_ids.items())[: max(1, len(first_ids) // 4)]:
                send(recipient, [sender], "Re: your note", "Thanks, that works for us.\n", mid)
        wait_until(lambda: len(list(path.sink.dir.iterdir())) >= count, 120, f"{count} messages at the sink")
        config = pushback.config_path
        pushback_cli(config, "allow", outside[0])
        pushback_cli(config, "allow", "partner.example")
        if campaign:
            pushback_cli(config, "allow", "--campaign", "sdr0@pipewell0.example")
            # Feedback marks: one pitch reported as outreach, one note as not outreach.
            # smtp-sink keeps no Return-Path: the envelope sender is the From address here.
            for verdict, brand in (("--outreach", "@pipewell"), ("--ham", "@vendor")):
                def fits(data: bytes) -> bool:
                    head = email.message_from_bytes(data.split(b"\r\n\r\n")[0] + b"\r\n\r\n")
                    return brand in str(head["From"]) and head["X-Pushback-Seal"] is not None
                raw = next(data for data in (f.read_bytes() for f in sorted(path.sink.dir.iterdir())) if fits(data))
                headers = email.message_from_bytes(raw)
                report = work / f"feedback{verdict}.eml"
                report.write_bytes(f"Return-Path: <{headers['From']}>\r\n".encode() + raw)
                pushback_cli(config, "feedback", verdict, "--recipient", str(headers["To"]).split(",")[0].strip(),
                             str(report))
        print(pushback_cli(config, "allow", "--list").strip())
    finally:
        code = path.stop()
    if code != 0:
        raise RuntimeError(f"pushback exited with {code}:\n{pushback.log()}")
    state = pushback.state_dir
    check = subprocess.run([BINARY, "state", "check", "--config", str(pushback.config_path)],
                           capture_output=True, text=True, timeout=60)
    print(f"{name}: {count} messages; {check.stdout.strip()}")
    snapshots = sorted((state / "snapshots").glob("decisions-*.json"))
    return state / "data.mdb", (snapshots[-1] if snapshots else None)


def main():
    work = make_world_readable_tempdir("pb-store-seeds-")
    out = HERE
    decisions = None
    for seed in SEEDS:
        data, snapshot = make_seed(work, *seed)
        shutil.copyfile(data, out / f"{seed[0]}.mdb")
        decisions = snapshot or decisions
    if decisions:
        shutil.copyfile(decisions, out / "decisions.json")
    for file in sorted(out.glob("*.mdb")) + [out / "decisions.json"]:
        print(f"{file.name}: {file.stat().st_size} bytes")


if __name__ == "__main__":
    main()
