"""Pushback's main job, on this machine: the milter attached to a private
loopback Postfix, the bundled sample mail sent through it, and a table of
what happened to each message. Everything started here is stopped here."""
import argparse
import email
import email.policy
import smtplib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "e2e"))
from harness import Postfix, Pushback, SmtpSink, make_world_readable_tempdir, wait_until  # noqa: E402


def envelope(raw: bytes) -> tuple[str, list[str], str, str]:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    sender = str(msg.get("X-Envelope-From") or email.utils.parseaddr(str(msg["From"]))[1])
    recipients = [r.strip() for r in str(msg.get("X-Envelope-To") or msg["To"]).split(",")]
    return sender, recipients, str(msg["Message-ID"]), str(msg["Subject"])


def outcome(postfix: Postfix, sink: SmtpSink, message_id: str, deadline: float = 15.0):
    """Where the message went: delivered (with its headers), held, or still queued."""
    def find():
        for got in sink.messages():
            if str(got["Message-ID"]) == message_id:
                return "delivered", got
        for entry in postfix.queue():
            if entry.get("queue_name") == "hold" and postfix.message_id_of(entry["queue_id"]) == message_id:
                return "held", None
        return None
    try:
        return wait_until(find, deadline, f"message {message_id}")
    except TimeoutError:
        return "queued", None


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pushback", default=str(ROOT / "build" / "release" / "cli" / "pushback"))
    parser.add_argument("--samples", default=str(ROOT / "data" / "samples"))
    args = parser.parse_args()

    work = make_world_readable_tempdir("pushback-demo-")
    # corp.example is "our" domain: Alice's message goes out through the same
    # Postfix, so Bob's answer to it is a conversation, not a fake reply.
    pushback = Pushback(args.pushback, work, '[direction]\ninternal_domains = ["corp.example"]\n').start()
    sink = SmtpSink(work)
    postfix = Postfix(work, sink.port, milters=pushback.postfix_spec)
    rows = []
    try:
        for path in sorted(Path(args.samples).glob("*.eml")):
            raw = path.read_bytes().replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
            sender, recipients, message_id, subject = envelope(raw)
            try:
                refused = postfix.send(sender, recipients, raw)
                if refused:
                    rows.append((path.name, subject, "refused for " + ",".join(refused), "", ""))
                    continue
            except smtplib.SMTPResponseException as e:
                rows.append((path.name, subject, f"refused {e.smtp_code}", "", ""))
                continue
            except smtplib.SMTPRecipientsRefused as e:
                rows.append((path.name, subject, "refused " + " ".join(str(v[0]) for v in e.recipients.values()), "", ""))
                continue
            where, got = outcome(postfix, sink, message_id)
            if got is not None and got["X-Pushback-Verdict"]:
                where += f" ({str(got['X-Pushback-Verdict']).split(';')[0]})"
            elif got is not None:
                where += " (outbound)"
            else:
                where += " (quarantine)"
            score = str(got["X-Pushback-Score"]) if got is not None and got["X-Pushback-Score"] else "-"
            report = " ".join(str(got["X-Pushback-Report"] or "").split()) if got is not None else ""
            rows.append((path.name, subject, where, score, report))
    finally:
        postfix.stop()
        sink.stop()
        status = pushback.stop()

    widths = [max(len(str(r[i])) for r in rows + [("sample", "subject", "outcome", "score", "")]) for i in range(4)]
    widths[1] = min(widths[1], 44)
    header = ("sample", "subject", "outcome", "score", "X-Pushback-Report")
    print()
    print("  ".join(h.ljust(w) for h, w in zip(header[:4], widths)) + "  " + header[4])
    for row in rows:
        cells = [str(c)[:w].ljust(w) for c, w in zip(row[:4], widths)]
        print("  ".join(cells) + "  " + row[4])
    print("\nPushback's log:")
    for line in pushback.log().splitlines():
        print("  " + line)
    print(f"\n{len(rows)} messages sent through a private Postfix with Pushback; everything stopped"
          f" (pushback exit status {status}).")
    return 0 if status == 0 and all(r[2] != "queued" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
