"""State through the real milter: the LMDB store survives SIGKILL of the daemon
under load with nothing committed lost, while Postfix loses nothing it accepted;
two daemons sharing one Redis see each other's counts; a Redis outage lets mail
pass (or tempfails it when configured) and counting resumes by itself."""
import os
import random
import re
import shutil
import smtplib
import subprocess
import threading
import time
import unittest
from pathlib import Path

from harness import Postfix, Pushback, Redis, SmtpSink, make_world_readable_tempdir, wait_until

BINARY = os.environ["PUSHBACK_BIN"]

SENDER = "dana@growthly.example"
RECIPIENTS = ["alice@corp.example", "bob@corp.example", "carol@corp.example"]

# Monitor mode: headers only, so a long unanswered streak is never refused or held.
LMDB_CONFIG = """
[policy]
mode = "monitor"
"""

REDIS_CONFIG = """
[policy]
mode = "monitor"
[state]
backend = "redis"
dir = "{dir}"
on_unavailable = "{on_unavailable}"
[state.redis]
host = "127.0.0.1"
port = {port}
"""

_counter = 0
_counter_lock = threading.Lock()


def mail(sender: str, recipient: str, subject: str) -> tuple[str, str]:
    """A message with a unique Message-ID; returns (message_id, text)."""
    global _counter
    with _counter_lock:
        _counter += 1
        n = _counter
    message_id = f"<{time.time_ns()}.{n}@{sender.split('@')[1]}>"
    text = (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\n"
            f"Hi,\r\n\r\nJust following up on my note about our pipeline tooling (message {n}).\r\n"
            f"Would a short call next week work?\r\n\r\nDana\r\n")
    return message_id, text


def history_of(message) -> str:
    return " ".join(str(message["X-Pushback-History"]).split())


def streak_of(message) -> int | None:
    found = re.search(r"streak (\d+);", history_of(message))
    return int(found.group(1)) if found else None


def find_delivered(sink: SmtpSink, message_id: str, timeout: float = 30.0):
    def find():
        for got in sink.messages():
            if str(got["Message-ID"]) == message_id:
                return got
        return None
    return wait_until(find, timeout, f"message {message_id} at smtp-sink")


def restart(pushback: Pushback, run: int):
    """Starts the daemon again on the same config, socket and state, logging to a fresh file."""
    if pushback.process is not None and not pushback.process._log.closed:
        pushback.process._log.close()  # the killed run's log file
    pushback.log_path = pushback.workdir / f"pushback-run{run}.log"
    pushback.start()


def inspect(config: Path, recipient: str) -> dict:
    """`pushback inspect SENDER RECIPIENT`: sender messages in the shortest window, the pair's streak and total."""
    result = subprocess.run([BINARY, "inspect", SENDER, recipient, "--config", str(config)],
                            capture_output=True, text=True, timeout=30)
    if result.returncode != 0:
        raise AssertionError(f"pushback inspect failed ({result.returncode}): {result.stdout}{result.stderr}")
    sender = re.search(r"windows \S+: messages (\d+)/", result.stdout)
    pair = re.search(r"recipient \S+: streak (\d+)(?: \(dialogue\))?, messages \S+ \(total (\d+)\)", result.stdout)
    if not sender or not pair:
        raise AssertionError(f"unexpected inspect output:\n{result.stdout}")
    return {"sender": int(sender.group(1)), "streak": int(pair.group(1)), "total": int(pair.group(2))}


class Load:
    """Several concurrent SMTP clients sending from one sender to a few recipients through Postfix,
    one message per connection, recording what Postfix accepted (250) and what it refused."""

    def __init__(self, postfix: Postfix, clients: int):
        self.postfix = postfix
        self.clients = clients
        self.accepted: list[tuple[str, str]] = []  # (message id, recipient)
        self.tempfailed = 0
        self.replies: set[str] = set()  # distinct 4xx replies seen
        self.other_errors: list[str] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def attempts(self) -> int:
        with self._lock:
            return len(self.accepted) + self.tempfailed + len(self.other_errors)

    def start(self):
        self._stop.clear()
        self._threads = [threading.Thread(target=self._client, args=(i,), daemon=True) for i in range(self.clients)]
        for thread in self._threads:
            thread.start()

    def stop(self):
        self._stop.set()
        for thread in self._threads:
            thread.join(60)
            assert not thread.is_alive(), "an SMTP client did not finish"

    def _client(self, index: int):
        n = 0
        while not self._stop.is_set():
            recipient = RECIPIENTS[(index + n) % len(RECIPIENTS)]
            n += 1
            message_id, text = mail(SENDER, recipient, "Our pipeline tooling")
            try:
                with smtplib.SMTP("127.0.0.1", self.postfix.port, timeout=60) as client:
                    refused = client.sendmail(SENDER, [recipient], text.encode())
                if refused:
                    raise smtplib.SMTPRecipientsRefused(refused)
                with self._lock:
                    self.accepted.append((message_id, recipient))
            except (smtplib.SMTPResponseException, smtplib.SMTPRecipientsRefused) as error:
                if isinstance(error, smtplib.SMTPRecipientsRefused):
                    code, reply = next(iter(error.recipients.values()))
                else:
                    code, reply = error.smtp_code, error.smtp_error
                reply = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
                with self._lock:
                    if 400 <= code < 500:
                        self.tempfailed += 1
                        self.replies.add(f"{code} {reply}")
                    else:
                        self.other_errors.append(repr(error))
                if 400 <= code < 500:
                    time.sleep(0.02)  # the milter is down: do not spin
            except (smtplib.SMTPServerDisconnected, OSError) as error:
                with self._lock:
                    self.other_errors.append(repr(error))


class CrashSafety(unittest.TestCase):
    """SIGKILL of the daemon while it counts: the LMDB store opens clean and holds every message
    the daemon logged as counted; Postfix tempfails what was in flight and loses nothing it accepted."""

    KILLS = 5
    CLIENTS = 4

    def test_sigkill_under_load_loses_nothing_committed(self):
        seed = int(os.environ.get("PUSHBACK_TEST_SEED", str(time.time_ns() % 100000)))
        print(f"kill moments from seed {seed} (PUSHBACK_TEST_SEED)")
        rng = random.Random(seed)
        started = time.monotonic()
        work = make_world_readable_tempdir("pb-state-crash-")
        pushback = Pushback(BINARY, work, LMDB_CONFIG)
        restart(pushback, 0)
        sink = SmtpSink(work)
        postfix = Postfix(work, sink.port, milters=pushback.postfix_spec)  # milter_default_action = tempfail
        load = Load(postfix, self.CLIENTS)
        logged_total = 0  # messages the daemon logged as counted (after observe() committed), over all runs
        try:
            for run in range(self.KILLS):
                # Load, then SIGKILL at a random moment while it counts.
                accepted_before = len(load.accepted)
                load.start()
                try:
                    wait_until(lambda: len(load.accepted) >= accepted_before + 5, 30, "traffic to flow")
                except TimeoutError:
                    load.stop()
                    raise AssertionError(f"no traffic: tempfailed {load.tempfailed}, errors {load.other_errors[:5]}\n"
                                         f"{pushback.log()[-3000:]}\n{postfix.maillog()[-3000:]}")
                delay = rng.uniform(0.2, 1.5)
                time.sleep(delay)
                attempts_at_kill = load.attempts()
                pushback.process.kill()
                killed_at = time.monotonic() - started
                # Clients keep sending for a moment against the dead milter: Postfix must tempfail.
                time.sleep(0.5)
                load.stop()

                log = pushback.log()
                logged = log.count(f"from=<{SENDER}> rcpts=1 direction=inbound")
                logged_total += logged
                # The store opens clean beside nothing (the daemon is dead) and holds what was logged.
                counts = {r: inspect(pushback.config_path, r) for r in RECIPIENTS}
                sender_count = counts[RECIPIENTS[0]]["sender"]
                pair_sum = sum(c["total"] for c in counts.values())
                in_flight_bound = self.CLIENTS  # at most one message per client was in flight at the kill
                print(f"run {run}: killed pid {pushback.process.pid} at {killed_at:.2f}s ({delay:.2f}s into the load, "
                      f"{attempts_at_kill} attempts in all so far); logged this run {logged}, logged in all {logged_total}; "
                      f"store: sender {sender_count}, pairs {[counts[r]['total'] for r in RECIPIENTS]} "
                      f"streaks {[counts[r]['streak'] for r in RECIPIENTS]}; "
                      f"accepted {len(load.accepted)}, tempfailed {load.tempfailed}, other {len(load.other_errors)}")
                print(f"run {run}: counted but not logged (in flight at the kill): {sender_count - logged_total}")
                self.assertEqual(pair_sum, sender_count)
                self.assertGreaterEqual(sender_count, logged_total, "a committed message was lost")
                self.assertLessEqual(sender_count, logged_total + in_flight_bound)
                accepted_per = {r: sum(1 for _, rr in load.accepted if rr == r) for r in RECIPIENTS}
                for r in RECIPIENTS:
                    self.assertGreaterEqual(counts[r]["total"], accepted_per[r])
                    self.assertEqual(counts[r]["streak"], counts[r]["total"])
                # Only now the exact count is known: messages observed but not logged were in flight.
                logged_total = sender_count

                # Restart on the same state and config: it starts clean and the streak continues.
                restart(pushback, run + 1)
                new_log = pushback.log()
                self.assertNotIn("[error]", new_log)
                self.assertNotIn("[critical]", new_log)
                message_id, text = mail(SENDER, RECIPIENTS[0], "Our pipeline tooling")
                postfix.send(SENDER, [RECIPIENTS[0]], text)
                load.accepted.append((message_id, RECIPIENTS[0]))
                got = find_delivered(sink, message_id)
                print(f"run {run}: after restart the next message shows: {history_of(got)}")
                self.assertEqual(streak_of(got), counts[RECIPIENTS[0]]["streak"] + 1)
                self.assertIn(f"sender {sender_count + 1}/", history_of(got))

            # Nothing Postfix accepted is lost: smtp-sink receives exactly the accepted messages.
            accepted_ids = {m for m, _ in load.accepted}
            delivered = sink.wait_for(len(accepted_ids), timeout=60)
            time.sleep(1)
            delivered = sink.messages()
            delivered_ids = [str(m["Message-ID"]) for m in delivered]
            maillog = postfix.maillog()
            milter_tempfails = maillog.count("451 4.7.1")
            print(f"total: attempts {load.attempts()}, accepted (250) {len(accepted_ids)}, tempfailed (4xx) "
                  f"{load.tempfailed}, other errors {len(load.other_errors)}, delivered to smtp-sink "
                  f"{len(delivered_ids)}, 451 4.7.1 in the Postfix log {milter_tempfails}, final count "
                  f"{logged_total + 1}, runtime {time.monotonic() - started:.1f}s")
            print(f"replies to the clients while the milter was down: {sorted(load.replies)}")
            self.assertEqual(load.other_errors, [])
            self.assertEqual(load.replies, {"451 4.7.1 Service unavailable - try again later"})
            self.assertEqual(sorted(delivered_ids), sorted(accepted_ids))
            self.assertGreater(load.tempfailed, 0, "no message met the dead milter")
            self.assertEqual(postfix.queue(), [])
        finally:
            postfix.stop()
            sink.stop()
            pushback.stop()


class Node:
    """One mail server: a pushback daemon on Redis, smtp-sink and a Postfix in front of both."""

    def __init__(self, work: Path, name: str, redis_port: int, on_unavailable: str = "accept",
                 secret_from: Path | None = None, started: list | None = None):
        """Appends itself to `started` as each server comes up, so that a failed start is cleaned up."""
        self.work = work / name
        self.work.mkdir()
        self.work.chmod(0o755)
        self.state_dir = self.work / "state"
        self.state_dir.mkdir()
        if secret_from is not None:
            shutil.copy2(secret_from / "secret.key", self.state_dir / "secret.key")
        config = REDIS_CONFIG.format(dir=self.state_dir, port=redis_port, on_unavailable=on_unavailable)
        self.pushback = Pushback(BINARY, self.work, config, name=f"pushback-{name}")
        self.sink = self.postfix = None
        if started is not None:
            started.append(self)
        self.pushback.start()
        self.sink = SmtpSink(self.work)
        self.postfix = Postfix(self.work, self.sink.port, milters=self.pushback.postfix_spec)

    def send(self, recipient: str = RECIPIENTS[0], sender: str = SENDER):
        """Sends one message and returns it as delivered."""
        message_id, text = mail(sender, recipient, "Our pipeline tooling")
        self.postfix.send(sender, [recipient], text)
        return find_delivered(self.sink, message_id)

    def stop(self):
        if self.postfix:
            self.postfix.stop()
        if self.sink:
            self.sink.stop()
        return self.pushback.stop()


class SharedRedis(unittest.TestCase):
    """Two daemons on one Redis share one view; a Redis outage lets mail pass (or tempfails it) and
    counting resumes by itself when Redis returns."""

    @classmethod
    def setUpClass(cls):
        cls.started = time.monotonic()
        cls.work = make_world_readable_tempdir("pb-state-redis-")
        cls.redis = Redis(cls.work)
        cls.nodes = []
        try:
            cls.a = Node(cls.work, "a", cls.redis.port, started=cls.nodes)
            # Both daemons must hash internal addresses with one key.
            wait_until(lambda: (cls.a.state_dir / "secret.key").exists(), 10, "the secret key file")
            cls.b = Node(cls.work, "b", cls.redis.port, secret_from=cls.a.state_dir, started=cls.nodes)
            cls.strict = Node(cls.work, "strict", cls.redis.port, on_unavailable="tempfail",
                              secret_from=cls.a.state_dir, started=cls.nodes)
        except BaseException:
            cls.stop_all()
            raise

    @classmethod
    def stop_all(cls) -> list:
        codes = []
        for node in cls.nodes:
            codes.append(node.stop())
        cls.redis.stop()
        return codes

    @classmethod
    def tearDownClass(cls):
        codes = cls.stop_all()
        print(f"redis tests: {time.monotonic() - cls.started:.1f}s")
        assert codes == [0, 0, 0], codes

    def setUp(self):
        if not self.redis.process.running():
            self.redis.start()

    def test_1_two_daemons_see_each_others_counts(self):
        sender = "shared@growthly.example"
        streaks = []
        for i in range(6):
            node = (self.a, self.b)[i % 2]
            got = node.send(sender=sender)
            streaks.append(("ab"[i % 2], streak_of(got)))
            print(f"via {'ab'[i % 2]}: {history_of(got)}")
        self.assertEqual(streaks, [("a", 1), ("b", 2), ("a", 3), ("b", 4), ("a", 5), ("b", 6)])
        # The sender's count also spans both servers.
        self.assertIn("sender 6/6/6 msgs", history_of(got))

    def test_2_outage_lets_mail_pass_and_counting_resumes(self):
        sender = "outage@growthly.example"
        node = self.a
        before = [streak_of(node.send(sender=sender)) for _ in range(3)]
        self.assertEqual(before, [1, 2, 3])
        errors_before = node.pushback.metrics().get('pushback_store_errors_total{operation="observe"}', 0.0)

        self.redis.stop()
        stopped = time.monotonic()
        during = [history_of(node.send(sender=sender)) for _ in range(4)]
        print(f"redis stopped; delivered during the outage with: {during}")
        self.assertEqual(during, ["state unavailable"] * 4)
        log = node.pushback.log()
        self.assertEqual(log.count("is unavailable"), 1, "the outage start is logged once")
        errors = node.pushback.metrics().get('pushback_store_errors_total{operation="observe"}', 0.0)
        self.assertGreaterEqual(errors - errors_before, 4)

        self.redis.start()
        returned = time.monotonic()
        # The next messages count again without any action; nothing was kept across the restart
        # (--save ""), so the streak restarts from what Redis holds now.
        after = []
        while len([s for s in after if s is not None]) < 3:
            self.assertLess(time.monotonic() - returned, 30, f"counting did not resume: {after}")
            after.append(streak_of(node.send(sender=sender)))
        resumed = [s for s in after if s is not None]
        print(f"outage {returned - stopped:.1f}s, store errors counted {errors - errors_before:.0f}; "
              f"streaks before {before}, after the restart {after}")
        self.assertEqual(resumed, list(range(resumed[0], resumed[0] + 3)))
        wait_until(lambda: node.pushback.log().count("is reachable again") == 1, 10, "the outage end to be logged")
        self.assertEqual(node.pushback.log().count("is unavailable"), 1)

    def test_3_tempfail_while_redis_is_down(self):
        sender = "strict@growthly.example"
        node = self.strict
        self.assertEqual(streak_of(node.send(sender=sender)), 1)
        self.redis.stop()
        message_id, text = mail(sender, RECIPIENTS[0], "Our pipeline tooling")
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            node.postfix.send(sender, [RECIPIENTS[0]], text)
        print(f"while redis is down: {refused.exception.smtp_code} {refused.exception.smtp_error.decode()}")
        self.assertEqual(refused.exception.smtp_code, 451)
        self.assertTrue(refused.exception.smtp_error.decode().startswith("4.7.1 "))
        self.assertIn("state store unavailable; message tempfailed", node.pushback.log())
        self.redis.start()
        # The sender retries the same message once Redis is back: it goes through and is counted.
        def retried():
            try:
                node.postfix.send(sender, [RECIPIENTS[0]], text)
                return True
            except smtplib.SMTPDataError as error:
                self.assertEqual(error.smtp_code, 451)
                time.sleep(0.2)
                return False
        wait_until(retried, 30, "the retry to be accepted")
        got = find_delivered(node.sink, message_id)
        print(f"after redis returned: {history_of(got)}")
        self.assertIsNotNone(streak_of(got))


if __name__ == "__main__":
    unittest.main()
