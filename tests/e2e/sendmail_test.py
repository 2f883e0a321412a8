"""Sendmail end to end: a private Sendmail on loopback calls the real pushback
daemon for every message (INPUT_MAIL_FILTER with F=T), and smtp-sink receives
what Sendmail relays."""
import os
import shutil
import smtplib
import sys
import tempfile
import time
import unittest
from pathlib import Path

from harness import own_words, Pushback, SmtpSink, make_world_readable_tempdir
from sendmail_mta import Sendmail, available, milter_line

BINARY = os.environ["PUSHBACK_BIN"]


def message(subject: str, body: str | None = None, extra: str = "", sender: str = "vendor@sales.example") -> str:
    if body is None:
        body = f"Hello,\r\nThe report is attached. {own_words(sender)}\r\n"
    return (f"From: Vendor <{sender}>\r\nTo: Alice <alice@corp.example>\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{time.time_ns()}@sales.example>\r\n{extra}\r\n{body}")


def report_of(got) -> str:
    """X-Pushback-Report unfolded."""
    return " ".join(str(got["X-Pushback-Report"]).split())


class World:
    """pushback, smtp-sink and a Sendmail that calls pushback with F=T, each
    stopped by its PID through `cleanup`, which runs even when a start fails."""

    def __init__(self, prefix: str, cleanup, over_unix_socket: bool = False):
        problem = available()
        if problem:
            raise RuntimeError(problem)  # a missing Sendmail is a setup error, not a skip
        self.work = make_world_readable_tempdir(prefix)
        if over_unix_socket:
            # Sendmail refuses a socket below a world-writable directory such
            # as /tmp, sticky or not: a directory of its own under /run.
            socket_dir = Path(tempfile.mkdtemp(prefix="pb-sendmail-", dir="/run"))
            cleanup(shutil.rmtree, socket_dir, True)
            self.pushback = Pushback(BINARY, self.work, "[milter]\nsocket_mode = \"0666\"\n",
                                     socket_spec=f"unix:{socket_dir / 'pushback.sock'}")
        else:
            self.pushback = Pushback(BINARY, self.work)
        cleanup(self.pushback.stop)
        self.pushback.start()
        self.sink = SmtpSink(self.work)
        cleanup(self.sink.stop)
        self.sendmail = Sendmail(self.work, self.sink.port, start=False,
                                 milters=[milter_line("pushback", self.pushback.socket_spec)])
        cleanup(self.sendmail.stop)
        self.sendmail.start()

    def logs(self) -> str:
        return f"{self.sendmail.log()}\n--- pushback\n{self.pushback.log()}\n"


def failed(test: unittest.TestCase) -> bool:
    """Whether unittest has recorded a failure of `test` (it does so before the cleanups run)."""
    result = getattr(getattr(test, "_outcome", None), "result", None)
    return result is None or any(t is test for t, _ in result.failures + result.errors)


class Filtering(unittest.TestCase):
    """One world for the class: stopping pushback costs seconds (libmilter
    notices a stop request only between polls), so it is started once.
    Sendmail reaches pushback over TCP."""
    over_unix_socket = False

    @classmethod
    def setUpClass(cls):
        cls.world = World("pb-sendmail-", cls.addClassCleanup, cls.over_unix_socket)

    def setUp(self):
        self.sendmail, self.sink = self.world.sendmail, self.world.sink
        self.before = len(self.sink.messages())
        self.addCleanup(lambda: failed(self) and sys.stderr.write(self.world.logs()))

    def delivered(self, count: int = 1):
        return self.sink.wait_for(self.before + count)[self.before:]

    def send(self, msg: str, sender: str = "vendor@sales.example"):
        with self.sendmail.smtp() as client:
            self.assertEqual(client.sendmail(sender, ["alice@corp.example"], msg.encode()), {})

    def test_headers_are_added(self):
        self.send(message("Re: our call", sender="first@sales.example"), sender="first@sales.example")
        [got] = self.delivered()
        self.assertEqual(got.get_all("X-Pushback-Score"), ["2.5"])
        self.assertEqual(got.get_all("X-Pushback-Verdict"), ["pass"])
        self.assertIn("FAKE_REPLY(2.5)[Re: subject, and none of our users wrote to the sender]", report_of(got))
        self.assertIn("The report is attached.", got.get_content())
        # Sendmail's own trace header is kept.
        self.assertIn("by mx.pushback-test.example", " ".join(map(str, got.get_all("Received"))))

    def test_forged_headers_are_removed(self):
        forged = ("X-Pushback-Score: -100.0\r\nX-Pushback-Report: ALL_GOOD(-100)\r\n"
                  "X-PUSHBACK-Score: -50.0\r\nX-Pushback-Verdict: pass\r\n")
        self.send(message("Re: our call", extra=forged, sender="forger@sales.example"), sender="forger@sales.example")
        [got] = self.delivered()
        self.assertEqual(got.get_all("X-Pushback-Score"), ["2.5"])
        self.assertEqual(len(got.get_all("X-Pushback-Report")), 1)
        self.assertNotIn("ALL_GOOD", report_of(got))
        self.assertEqual(got.get_all("X-Pushback-Verdict"), ["pass"])
        self.assertEqual(str(got["Subject"]), "Re: our call")

    def test_two_messages_on_one_connection(self):
        with self.sendmail.smtp() as client:
            for subject, sender in (("Re: one", "one@sales.example"), ("two", "two@sales.example")):
                self.assertEqual(client.sendmail(sender, ["alice@corp.example"],
                                                 message(subject, sender=sender).encode()), {})
        got = sorted(self.delivered(2), key=lambda m: str(m["Subject"]))
        self.assertEqual([(str(m["Subject"]), m.get_all("X-Pushback-Score")) for m in got],
                         [("Re: one", ["2.5"]), ("two", ["0.0"])])
        self.assertIn("FAKE_REPLY", report_of(got[0]))
        self.assertNotIn("FAKE_REPLY", report_of(got[1]))


    def test_large_body_is_delivered_whole_and_flagged(self):
        body = "".join(f"line {i:06d} of a long attachment-like body\r\n" for i in range(20000))  # ~900 KB
        self.send(message("big", body=body, sender="big@sales.example"), sender="big@sales.example")
        [got] = self.delivered()
        self.assertIn("BODY_TRUNCATED", report_of(got))
        self.assertEqual(got.get_content().replace("\r\n", "\n").rstrip("\n"),
                         body.replace("\r\n", "\n").rstrip("\n"))


class FilteringOverUnixSocket(Filtering):
    """The same over a unix socket, where pushback asks for no DATA event and
    no replies to body chunks."""
    over_unix_socket = True


class MilterDown(unittest.TestCase):
    """F=T: with pushback stopped, Sendmail asks the client to retry and keeps
    nothing. When the milter is down as the session starts, the refusal comes
    at MAIL FROM; when it goes away during a session, over TCP at the DATA
    command (Pushback asks for the DATA event there, see milter/callbacks.cpp)."""
    over_unix_socket = False

    def setUp(self):
        self.world = World("pb-sendmail-down-", self.addCleanup, self.over_unix_socket)
        self.addCleanup(lambda: failed(self) and sys.stderr.write(self.world.logs()))

    def assert_nothing_kept(self):
        # Delivery is interactive (see sendmail_mta): anything accepted would
        # already be at the sink or in the queue.
        time.sleep(0.5)
        self.assertEqual(self.world.sink.messages(), [])
        self.assertEqual(self.world.sendmail.queued(), [])

    def test_stopped_mid_session_tempfails_at_data(self):
        with self.world.sendmail.smtp() as client:
            client.ehlo()
            self.assertEqual(client.mail("vendor@sales.example")[0], 250)
            self.assertEqual(client.rcpt("alice@corp.example")[0], 250)
            self.assertEqual(self.world.pushback.stop(), 0)
            if self.over_unix_socket:
                # No DATA event: Sendmail meets the closed socket with the
                # message text, and answers its final dot (smtplib returns it).
                self.assertEqual(client.data(message("while down").encode()),
                                 (451, b"4.3.2 Please try again later"))
            else:
                with self.assertRaises(smtplib.SMTPDataError) as refused:  # the reply to DATA itself
                    client.data(message("while down").encode())
                self.assertEqual((refused.exception.smtp_code, refused.exception.smtp_error),
                                 (451, b"4.3.2 Please try again later"))
            # The rest of the session is refused too.
            self.assertEqual(client.rset()[0], 250)
            self.assertEqual(client.mail("vendor@sales.example"), (451, b"4.3.2 Please try again later"))
        self.assert_nothing_kept()

    def test_stopped_before_the_session_tempfails_at_mail_from(self):
        self.assertEqual(self.world.pushback.stop(), 0)
        with self.world.sendmail.smtp() as client:
            with self.assertRaises(smtplib.SMTPSenderRefused) as refused:
                client.sendmail("vendor@sales.example", ["alice@corp.example"], message("while down").encode())
            self.assertEqual((refused.exception.smtp_code, refused.exception.smtp_error),
                             (451, b"4.3.2 Please try again later"))
        self.assert_nothing_kept()


class MilterDownOverUnixSocket(MilterDown):
    """The same over a unix socket: with no DATA event, the refusal of a
    session whose milter went away comes after the message text, with the
    same code, and nothing is kept either."""
    over_unix_socket = True


if __name__ == "__main__":
    unittest.main(verbosity=2)
