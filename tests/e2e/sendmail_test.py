"""Sendmail end to end: a private Sendmail on loopback calls the real pushback
daemon for every message (INPUT_MAIL_FILTER with F=T), and smtp-sink receives
what Sendmail relays."""
import os
import smtplib
import sys
import time
import unittest

from harness import Pushback, SmtpSink, make_world_readable_tempdir
from sendmail_mta import Sendmail, available, milter_line

BINARY = os.environ["PUSHBACK_BIN"]


def message(subject: str, body: str = "Hello,\r\nJust checking in.\r\n", extra: str = "") -> str:
    return (f"From: Vendor <vendor@sales.example>\r\nTo: Alice <alice@corp.example>\r\n"
            f"Subject: {subject}\r\nMessage-ID: <{time.time_ns()}@sales.example>\r\n{extra}\r\n{body}")


def report_of(got) -> str:
    """X-Pushback-Report unfolded."""
    return " ".join(str(got["X-Pushback-Report"]).split())


class SendmailCase(unittest.TestCase):
    """Each test gets its own pushback, smtp-sink and Sendmail, all stopped by
    PID in cleanups that run even when setUp or the test fails."""

    def setUp(self):
        problem = available()
        if problem:
            self.fail(problem)  # a missing Sendmail is a setup error, not a skip
        self.work = make_world_readable_tempdir("pb-sendmail-")
        self.pushback = Pushback(BINARY, self.work)
        self.addCleanup(self.pushback.stop)
        self.pushback.start()
        self.sink = SmtpSink(self.work)
        self.addCleanup(self.sink.stop)
        self.sendmail = Sendmail(self.work, self.sink.port, start=False,
                                 milters=[milter_line("pushback", self.pushback.socket_spec)])
        self.addCleanup(self.sendmail.stop)
        self.addCleanup(self.dump_logs_on_failure)
        self.sendmail.start()

    def dump_logs_on_failure(self):
        # unittest records a failure before it runs the cleanups.
        result = getattr(getattr(self, "_outcome", None), "result", None)
        if result is None or any(test is self for test, _ in result.failures + result.errors):
            sys.stderr.write(f"\n{self.sendmail.log()}\n--- pushback\n{self.pushback.log()}\n")

    def send(self, msg: str, recipients=("alice@corp.example",)):
        with self.sendmail.smtp() as client:
            return client.sendmail("vendor@sales.example", list(recipients), msg.encode())


class Filtering(SendmailCase):
    def test_headers_are_added(self):
        self.send(message("Re: our call"))
        [got] = self.sink.wait_for(1)
        self.assertEqual(got.get_all("X-Pushback-Score"), ["1.0"])
        self.assertIn("REPLY_WITHOUT_THREAD(1.0)[Re: subject with no In-Reply-To or References]", report_of(got))
        self.assertIn("Just checking in.", got.get_content())
        # Sendmail's own trace header is still there, above pushback's.
        self.assertIn("by mx.pushback-test.example", " ".join(map(str, got.get_all("Received"))))

    def test_forged_headers_are_removed(self):
        forged = ("X-Pushback-Score: -100.0\r\nX-Pushback-Report: ALL_GOOD(-100)\r\n"
                  "X-PUSHBACK-Score: -50.0\r\nX-Pushback-Verdict: pass\r\n")
        self.send(message("Re: our call", extra=forged))
        [got] = self.sink.wait_for(1)
        self.assertEqual(got.get_all("X-Pushback-Score"), ["1.0"])
        self.assertEqual(len(got.get_all("X-Pushback-Report")), 1)
        self.assertNotIn("ALL_GOOD", report_of(got))
        self.assertIsNone(got["X-Pushback-Verdict"])

    def test_two_messages_on_one_connection(self):
        with self.sendmail.smtp() as client:
            for subject in ("Re: one", "two"):
                self.assertEqual(client.sendmail("vendor@sales.example", ["alice@corp.example"],
                                                 message(subject).encode()), {})
        got = sorted(self.sink.wait_for(2), key=lambda m: str(m["Subject"]))
        self.assertEqual([(str(m["Subject"]), m.get_all("X-Pushback-Score")) for m in got],
                         [("Re: one", ["1.0"]), ("two", ["0.0"])])
        self.assertIn("REPLY_WITHOUT_THREAD", report_of(got[0]))
        self.assertNotIn("REPLY_WITHOUT_THREAD", report_of(got[1]))


class MilterDown(SendmailCase):
    """F=T: with pushback stopped, Sendmail asks the client to retry."""

    def test_tempfail_at_end_of_data(self):
        self.assertEqual(self.pushback.stop(), 0)
        with self.sendmail.smtp() as client:
            client.ehlo()
            self.assertEqual(client.mail("vendor@sales.example")[0], 250)
            self.assertEqual(client.rcpt("alice@corp.example")[0], 250)
            with self.assertRaises(smtplib.SMTPDataError) as refused:
                client.data(message("while down").encode())
        self.assertEqual(refused.exception.smtp_code, 451)
        self.assertEqual(refused.exception.smtp_error, b"4.3.2 Please try again later")
        time.sleep(1)
        self.assertEqual(self.sink.messages(), [])


if __name__ == "__main__":
    unittest.main(verbosity=2)
