"""Load and soak: many concurrent SMTP sessions through a real Postfix with
Pushback in enforce mode on the embedded store. Every message Postfix accepts
reaches smtp-sink, the daemon's memory and open descriptors stay flat, and it
logs no error.

Short form (CI): PUSHBACK_SOAK_MESSAGES messages (default 2000).
Long form (release): PUSHBACK_SOAK_SECONDS=600 sends for that long instead.
PUSHBACK_SOAK_CLIENTS sets the number of concurrent sessions (default 50).
"""
import os
import re
import smtplib
import threading
import time
import unittest
from pathlib import Path

from harness import Postfix, Pushback, SmtpSink, make_world_readable_tempdir, wait_until

BINARY = os.environ["PUSHBACK_BIN"]
CLIENTS = int(os.environ.get("PUSHBACK_SOAK_CLIENTS", "50"))
MESSAGES = int(os.environ.get("PUSHBACK_SOAK_MESSAGES", "2000"))
SECONDS = float(os.environ.get("PUSHBACK_SOAK_SECONDS", "0"))

# Enforce mode: the real decision path. The traffic below (distinct senders,
# ordinary business mail) stays under every threshold, so all of it is delivered.
CONFIG = """
[policy]
mode = "enforce"
"""

# The flatness rule, from measured runs (see docs/performance.md, "Soak"): after
# the warm-up (the first WARMUP_SHARE of the run), the idle figures after the load
# are compared with the idle figures after the warm-up.
WARMUP_SHARE = 0.25
# Memory is the daemon's own (RssAnon: heap, stacks). The pages of the LMDB file
# it has mapped (RssFile) grow with the store, which grows with every new sender
# here; they are reported, not limited.
RSS_GROWTH_LIMIT = 0.15  # at most 15 % more anonymous memory than after the warm-up...
RSS_GROWTH_FLOOR_KB = 8 * 1024  # ...or 8 MiB, whichever is larger
FD_SLACK = 2  # open descriptors when idle: at most this many more than after the warm-up

ERROR_LINE = re.compile(r"^\S+ (error|critical): ", re.MULTILINE)

BODIES = [
    "Hi {name},\r\n\r\nThe minutes from Tuesday are attached; I added the open points at the end.\r\n"
    "Could you check item {n} before Friday?\r\n\r\nThanks,\r\n{sender}\r\n",
    "Hello {name},\r\n\r\nOrder {n} shipped this morning. The tracking number follows once the carrier\r\n"
    "confirms the pick-up.\r\n\r\nRegards,\r\n{sender}\r\n",
    "{name},\r\n\r\nthe build for branch release-{n} passed; the package is on the usual share.\r\n\r\n{sender}\r\n",
]
NAMES = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"]


def process_figures(pid: int) -> dict:
    status = Path(f"/proc/{pid}/status").read_text()
    def kb(field: str) -> int:
        return int(re.search(rf"^{field}:\s+(\d+) kB", status, re.MULTILINE).group(1))
    threads = int(re.search(r"^Threads:\s+(\d+)", status, re.MULTILINE).group(1))
    return {"rss_kb": kb("VmRSS"), "anon_kb": kb("RssAnon"), "file_kb": kb("RssFile"),
            "fds": len(os.listdir(f"/proc/{pid}/fd")), "threads": threads}


class Traffic:
    """CLIENTS threads, each sending one message per SMTP session until the shared budget
    (a message count or a deadline) is used up."""

    def __init__(self, postfix: Postfix, clients: int, messages: int, seconds: float):
        self.postfix = postfix
        self.clients = clients
        self.budget = messages
        self.deadline = time.monotonic() + seconds if seconds > 0 else None
        self.accepted: list[str] = []
        self.refused: list[str] = []
        self.errors: list[str] = []
        self.sent = 0
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(clients)]

    def start(self):
        for thread in self._threads:
            thread.start()

    def join(self, timeout: float):
        end = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.1, end - time.monotonic()))
        assert not any(t.is_alive() for t in self._threads), "an SMTP client did not finish"

    def done(self) -> int:
        with self._lock:
            return len(self.accepted) + len(self.refused) + len(self.errors)

    def _take(self) -> int | None:
        with self._lock:
            if self.deadline is not None:
                if time.monotonic() >= self.deadline:
                    return None
            elif self.sent >= self.budget:
                return None
            self.sent += 1
            return self.sent

    def _client(self, index: int):
        while (n := self._take()) is not None:
            sender = f"user{n}@partner{index}.example"
            name = NAMES[n % len(NAMES)]
            recipient = f"{name}@corp.example"
            message_id = f"<soak.{n}.{time.time_ns()}@partner{index}.example>"
            body = BODIES[n % len(BODIES)].format(name=name.title(), n=n, sender=sender.split("@")[0])
            text = (f"From: {sender}\r\nTo: {recipient}\r\nSubject: Item {n}\r\nMessage-ID: {message_id}\r\n"
                    f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\n{body}")
            try:
                with smtplib.SMTP("127.0.0.1", self.postfix.port, timeout=120) as client:
                    client.sendmail(sender, [recipient], text.encode())
                with self._lock:
                    self.accepted.append(message_id)
            except smtplib.SMTPResponseException as error:
                with self._lock:
                    self.refused.append(f"{error.smtp_code} {error.smtp_error!r}")
            except (smtplib.SMTPException, OSError) as error:
                with self._lock:
                    self.errors.append(repr(error))


class Soak(unittest.TestCase):
    def test_concurrent_sessions_deliver_everything_and_stay_flat(self):
        form = f"{SECONDS:.0f} s" if SECONDS > 0 else f"{MESSAGES} messages"
        print(f"soak: {CLIENTS} concurrent SMTP sessions, {form}")
        work = make_world_readable_tempdir("pb-soak-")
        pushback = Pushback(BINARY, work, CONFIG).start()
        sink = SmtpSink(work)
        postfix = Postfix(work, sink.port, milters=pushback.postfix_spec,
                          extra_main_cf="default_process_limit = 200\nsmtpd_client_connection_count_limit = 0\n"
                                        "smtpd_client_connection_rate_limit = 0\nsmtpd_client_message_rate_limit = 0\n")
        pid = pushback.process.pid
        try:
            idle_start = process_figures(pid)
            traffic = Traffic(postfix, CLIENTS, MESSAGES, SECONDS)
            samples = []  # (seconds, messages done, figures)
            started = time.monotonic()
            traffic.start()
            warm_total = (SECONDS * WARMUP_SHARE) if SECONDS > 0 else MESSAGES * WARMUP_SHARE
            warmed_at = None
            while any(t.is_alive() for t in traffic._threads):
                time.sleep(1.0)
                elapsed = time.monotonic() - started
                done = traffic.done()
                figures = process_figures(pid)
                samples.append((elapsed, done, figures))
                progress = elapsed if SECONDS > 0 else done
                if warmed_at is None and progress >= warm_total:
                    warmed_at = len(samples) - 1
                if SECONDS > 0 and int(elapsed) % 30 == 0:
                    print(f"  {elapsed:6.0f}s {done} messages, rss {figures['rss_kb']} kB (anon {figures['anon_kb']}, "
                          f"file {figures['file_kb']}), fds {figures['fds']}, "
                          f"threads {figures['threads']}", flush=True)
            traffic.join(180)
            duration = time.monotonic() - started
            accepted = set(traffic.accepted)

            # Every accepted message reaches the sink.
            def all_delivered():
                return len(list(sink.dir.iterdir())) >= len(accepted)
            wait_until(all_delivered, 300, f"{len(accepted)} messages at smtp-sink", interval=0.5)
            time.sleep(1)
            delivered = [str(m["Message-ID"]) for m in sink.messages()]
            # Connections close: the daemon is idle again.
            wait_until(lambda: pushback.metrics().get("pushback_connections_open", 1) == 0, 60, "connections to close")
            time.sleep(2)
            idle_end = process_figures(pid)
            metrics = pushback.metrics()

            print(f"messages: sent {traffic.sent}, accepted {len(accepted)}, refused {len(traffic.refused)}, "
                  f"client errors {len(traffic.errors)}, delivered {len(delivered)}; {duration:.1f}s, "
                  f"{len(accepted) / duration:.1f} messages/s")
            verdicts = {k: v for k, v in metrics.items() if k.startswith("pushback_messages_total")}
            print(f"verdicts: {verdicts}")
            print(f"idle before the load: {idle_start}")
            step = max(1, len(samples) // 40)
            print("samples (s, messages done, rss kB, anon kB, file kB, fds, threads):")
            for i, (elapsed, done, figures) in enumerate(samples):
                if i % step == 0 or i == warmed_at or i == len(samples) - 1:
                    mark = " <- end of warm-up" if i == warmed_at else ""
                    print(f"  {elapsed:7.1f} {done:6d} {figures['rss_kb']:7d} {figures['anon_kb']:7d} "
                          f"{figures['file_kb']:7d} {figures['fds']:4d} "
                          f"{figures['threads']:4d}{mark}")
            print(f"idle after the load: {idle_end}")

            self.assertEqual(traffic.errors, [])
            self.assertEqual(traffic.refused, [])
            self.assertEqual(len(accepted), traffic.sent)
            self.assertEqual(sorted(delivered), sorted(accepted), "an accepted message was not delivered")
            self.assertEqual(postfix.queue(), [])

            # Flat: the warm-up sample against the idle figures after the load.
            self.assertIsNotNone(warmed_at, "too few samples to find the end of the warm-up")
            warm = samples[warmed_at][2]
            anon_limit = warm["anon_kb"] + max(warm["anon_kb"] * RSS_GROWTH_LIMIT, RSS_GROWTH_FLOOR_KB)
            peak_anon = max(s[2]["anon_kb"] for s in samples[warmed_at:])
            store_kb = sum(f.stat().st_size for f in Path(work).rglob("data.mdb")) // 1024
            print(f"rule: anonymous memory after the warm-up {warm['anon_kb']} kB, limit {anon_limit:.0f} kB; peak "
                  f"after the warm-up {peak_anon} kB, idle at the end {idle_end['anon_kb']} kB; mapped file pages "
                  f"(program, libraries, store) {warm['file_kb']} -> {idle_end['file_kb']} kB (store file "
                  f"{store_kb} kB); fds idle "
                  f"{idle_start['fds']} before, {idle_end['fds']} after (limit +{FD_SLACK})")
            self.assertLessEqual(peak_anon, anon_limit, "anonymous memory grew after the warm-up")
            self.assertLessEqual(idle_end["anon_kb"], anon_limit)
            self.assertLessEqual(idle_end["fds"], idle_start["fds"] + FD_SLACK, "descriptors leaked")
            self.assertLessEqual(idle_end["threads"], idle_start["threads"] + 1, "threads leaked")
            # While busy: bounded by the sessions (measured: a peak of 64 above idle with 50 clients, as
            # Postfix's smtpd processes open the next milter connection before the last one is torn down).
            self.assertLessEqual(max(s[2]["fds"] for s in samples), idle_start["fds"] + 2 * CLIENTS + 10)

            errors = ERROR_LINE.findall(pushback.log())
            self.assertEqual(errors, [], "error lines in the pushback log")
        finally:
            postfix.stop()
            sink.stop()
            self.assertEqual(pushback.stop(), 0)
        print(f"pushback log: {len(pushback.log().splitlines())} lines")


if __name__ == "__main__":
    unittest.main(verbosity=2)
