"""Postfix end to end: a private Postfix on loopback calls the real pushback
daemon for every message, and smtp-sink receives what Postfix delivers."""
import os
import signal
import smtplib
import time
import unittest
from pathlib import Path

from harness import MailPath, own_words, Postfix, Pushback, SmtpSink, make_world_readable_tempdir, wait_until

BINARY = os.environ["PUSHBACK_BIN"]


def message(subject: str, body: str | None = None, extra: str = "", sender: str = "vendor@sales.example") -> str:
    if body is None:
        body = f"Hello,\r\nThe report is attached. {own_words(sender)}\r\n"
    return (f"From: Vendor <{sender}>\r\nTo: Alice <alice@corp.example>\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{time.time_ns()}@sales.example>\r\n{extra}\r\n{body}")


class PostfixEndToEnd(unittest.TestCase):
    """Postfix reaches pushback over TCP."""
    over_unix_socket = False

    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-postfix-")
        if cls.over_unix_socket:
            # Postfix's unprivileged smtpd and cleanup must open the socket.
            cls.pushback = Pushback(BINARY, cls.work, "[milter]\nsocket_mode = \"0666\"\n",
                                    socket_spec=f"unix:{cls.work / 'pushback.sock'}").start()
        else:
            cls.pushback = Pushback(BINARY, cls.work).start()
        cls.path = MailPath(cls.work, cls.pushback)
        cls.sink, cls.postfix = cls.path.sink, cls.path.postfix

    @classmethod
    def tearDownClass(cls):
        cls.path.stop()

    def delivered(self, before: int, count: int = 1):
        return self.sink.wait_for(before + count)[before:before + count]

    def test_headers_arrive_and_forged_ones_are_removed(self):
        before = len(self.sink.messages())
        self.postfix.send("headers@sales.example", ["alice@corp.example"],
                          message("Re: our call", extra="X-Pushback-Score: -100.0\r\nX-PUSHBACK-Verdict: reject\r\n",
                                  sender="headers@sales.example"))
        [got] = self.delivered(before)
        self.assertEqual(got.get_all("X-Pushback-Score"), ["2.5"])
        self.assertEqual(got.get_all("X-Pushback-Verdict"), ["pass"])
        self.assertIn("FAKE_REPLY(2.5)[Re: subject, and none of our users wrote to the sender]",
                      " ".join(str(got["X-Pushback-Report"]).split()))
        self.assertIn("streak 1; pair 1/1/1", " ".join(str(got["X-Pushback-History"]).split()))
        self.assertIn("The report is attached.", got.get_content())

    def test_several_messages_on_one_connection(self):
        before = len(self.sink.messages())
        with self.postfix.smtp() as client:
            for subject in ("Re: one", "two", "RE: three"):
                sender = f"{subject.split()[-1]}@sales.example"
                client.sendmail(sender, ["alice@corp.example"], message(subject, sender=sender))
        got = sorted(self.delivered(before, 3), key=lambda m: str(m["Subject"]))
        self.assertEqual([(str(m["Subject"]), str(m["X-Pushback-Score"])) for m in got],
                         [("RE: three", "2.5"), ("Re: one", "2.5"), ("two", "0.0")])

    def test_large_body_is_delivered_whole_and_flagged(self):
        before = len(self.sink.messages())
        body = "".join(f"line {i:06d} of a long attachment-like body\r\n" for i in range(20000))  # ~900 KB
        self.postfix.send("vendor@sales.example", ["alice@corp.example"], message("big", body=body))
        [got] = self.delivered(before)
        self.assertIn("BODY_TRUNCATED", str(got["X-Pushback-Report"]))
        self.assertEqual(got.get_content().replace("\r\n", "\n").rstrip("\n"), body.replace("\r\n", "\n").rstrip("\n"))

    def test_log_line_per_message_names_queue_id(self):
        before = len(self.sink.messages())
        self.postfix.send("vendor@sales.example", ["alice@corp.example", "bob@corp.example"], message("log me"))
        self.delivered(before)
        queue_ids = [line.split(": ")[1].split(":")[0] for line in self.postfix.maillog().splitlines()
                     if "postfix/cleanup" in line and "message-id=" in line]
        wait_until(lambda: f"{queue_ids[-1]}: from=<vendor@sales.example> rcpts=2" in self.pushback.log(), 5,
                   "the log line of the last message")

    def test_metrics_count_what_went_through(self):
        before = self.pushback.metrics()
        count = len(self.sink.messages())
        for subject in ("Re: metrics one", "metrics two"):
            sender = f"{subject.split()[-1]}@metrics.example"
            self.postfix.send(sender, ["alice@corp.example"], message(subject, sender=sender))
        self.delivered(count, 2)
        after = wait_until(lambda: (m := self.pushback.metrics()) and m.get(
            'pushback_messages_total{direction="inbound",verdict="pass"}', 0) >= before.get(
            'pushback_messages_total{direction="inbound",verdict="pass"}', 0) + 2 and m, 5, "the counters")
        self.assertGreater(after["pushback_store_operation_seconds_count"], before["pushback_store_operation_seconds_count"])
        series = 'pushback_symbols_total{symbol="FAKE_REPLY"}'
        self.assertEqual(after[series] - before.get(series, 0), 1)
        self.assertEqual(after["pushback_analysis_seconds_count"] - before["pushback_analysis_seconds_count"], 2)
        self.assertEqual(after['pushback_build_info{version="0.1.0"}'], 1)
        self.assertIn("pushback_connections_open", after)


class MilterDown(unittest.TestCase):
    """With pushback stopped, Postfix follows milter_default_action."""

    def setUp(self):
        self.work = make_world_readable_tempdir("pb-down-")
        self.pushback = Pushback(BINARY, self.work).start()
        self.sink = SmtpSink(self.work)
        self.postfix = Postfix(self.work, self.sink.port, milters=self.pushback.postfix_spec)
        self.assertEqual(self.pushback.stop(), 0)

    def tearDown(self):
        self.postfix.stop()
        self.sink.stop()

    def test_tempfail_is_the_default(self):
        with self.assertRaises(smtplib.SMTPResponseException) as refused:
            self.postfix.send("vendor@sales.example", ["alice@corp.example"], message("while down"))
        self.assertEqual(refused.exception.smtp_code, 451)
        self.assertIn(b"4.7.1", refused.exception.smtp_error)
        time.sleep(1)
        self.assertEqual(self.sink.messages(), [])

    def test_accept_passes_mail_unfiltered(self):
        self.postfix.postconf("milter_default_action = accept")
        self.postfix.send("vendor@sales.example", ["alice@corp.example"], message("while down"))
        [got] = self.sink.wait_for(1)
        self.assertIsNone(got["X-Pushback-Score"])


class PostfixEndToEndOverUnixSocket(PostfixEndToEnd):
    """The same over a unix socket, where pushback negotiates fewer replies
    (no DATA event, body chunks unanswered): the whole body of a large message
    still reaches the sink and its truncation is still reported."""
    over_unix_socket = True


class ReloadAndUnixSocket(unittest.TestCase):
    """SIGUSR1 reloads the configuration; an invalid one is refused and the old
    one stays in force. Postfix reaches pushback over a unix socket that a
    crashed run left behind."""

    def test_reload(self):
        work = make_world_readable_tempdir("pb-reload-")
        socket_path = work / "pushback.sock"
        # A stale socket file, as a killed daemon leaves it.
        import socket as pysocket
        stale = pysocket.socket(pysocket.AF_UNIX, pysocket.SOCK_STREAM)
        stale.bind(str(socket_path))
        stale.close()
        pushback = Pushback(BINARY, work, "[milter]\nsocket_mode = \"0666\"\n", socket_spec=f"unix:{socket_path}")
        pushback.start()
        sink = SmtpSink(work)
        postfix = Postfix(work, sink.port, milters=pushback.postfix_spec)
        try:
            postfix.send("before@sales.example", ["alice@corp.example"], message("Re: before", sender="before@sales.example"))
            self.assertIsNotNone(sink.wait_for(1)[0]["X-Pushback-Report"])

            pushback.write_config("[headers]\nadd_report = false\n")
            pushback.process.signal(signal.SIGUSR1)
            wait_until(lambda: "configuration reloaded" in pushback.log(), 10, "the reload")
            postfix.send("after@sales.example", ["alice@corp.example"], message("Re: after", sender="after@sales.example"))
            got = sink.wait_for(2)[1]
            self.assertEqual(str(got["X-Pushback-Score"]), "2.5")
            self.assertIsNone(got["X-Pushback-Report"])

            pushback.config_path.write_text("[headers]\nadd_report = \"maybe\"\n")
            pushback.process.signal(signal.SIGUSR1)
            wait_until(lambda: "keeping the previous configuration" in pushback.log(), 10, "the refused reload")
            self.assertIn(f"{pushback.config_path}:2: headers.add_report: expected true or false", pushback.log())
            postfix.send("still@sales.example", ["alice@corp.example"], message("Re: still", sender="still@sales.example"))
            got = sink.wait_for(3)[2]
            self.assertEqual(str(got["X-Pushback-Score"]), "2.5")
            self.assertIsNone(got["X-Pushback-Report"])
            self.assertTrue(pushback.process.running())
        finally:
            postfix.stop()
            sink.stop()
            self.assertEqual(pushback.stop(), 0)
        self.assertFalse(Path(socket_path).exists(), "the socket is removed at exit")


if __name__ == "__main__":
    unittest.main(verbosity=2)
