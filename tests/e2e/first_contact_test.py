"""The text model through a real Postfix: a stranger's first cold pitch is
tagged with COLD_PITCH, a stranger's ordinary enquiry is not; the model is
checked at start (a truncated file stops the daemon with a message naming
it) and at reload (a damaged file is refused and the running model kept).
`pushback model train` makes a model the daemon loads."""
import os
import signal
import subprocess
import unittest
from pathlib import Path

from harness import MailPath, Pushback, make_world_readable_tempdir, plain_mail, wait_until

BINARY = os.environ["PUSHBACK_BIN"]
SHIPPED_MODEL = Path(os.environ["PUSHBACK_SOURCE_DIR"]) / "data" / "cold_pitch.model"

PITCH = ("Quick question about your outbound team",
         "Hi Alice,\n\nI noticed Corp is growing its sales team this quarter. We help B2B companies like yours book "
         "30% more qualified meetings with a done-for-you outbound program, without adding headcount.\n\n"
         "Would you be open to a quick 15-minute call next week to see if it's a fit?\n\nBest,\nJordan Blake\n"
         "Account Executive, Pipewell")
ENQUIRY = ("Missing part from my order",
           "Hello,\n\nI ordered a replacement hinge for the garden gate two weeks ago and it still has not "
           "arrived. The tracking page says it left your warehouse on the 3rd. Could someone check where it is? "
           "I can send a photo of the receipt if that helps.\n\nThanks,\nMargaret")




class FirstContact(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-first-contact-")
        cls.model = cls.work / "cold_pitch.model"
        cls.model.write_bytes(SHIPPED_MODEL.read_bytes())
        config = (f"[analysis]\ncold_pitch_model = \"{cls.model}\"\n"
                  "[direction]\ninternal_domains = [\"corp.example\"]\n[policy]\nmode = \"enforce\"\n")
        cls.pushback = Pushback(BINARY, cls.work, config).start()
        cls.path = MailPath(cls.work, cls.pushback)
        cls.sink, cls.postfix = cls.path.sink, cls.path.postfix

    @classmethod
    def tearDownClass(cls):
        assert cls.path.stop() == 0

    def deliver(self, sender: str, subject: str, body: str):
        message_id, text = plain_mail(sender, "alice@corp.example", subject, body)
        self.postfix.send(sender, ["alice@corp.example"], text)
        def delivered():
            return next((m for m in self.sink.messages() if str(m["Message-ID"]) == message_id), None)
        got = wait_until(delivered, 30, f"{message_id} to be delivered")
        return str(got["X-Pushback-Verdict"]), " ".join(str(got["X-Pushback-Report"] or "").split())

    def test_a_strangers_first_pitch_is_tagged_and_an_ordinary_enquiry_is_not(self):
        verdict, report = self.deliver("jordan.blake@pipewell.example", *PITCH)
        self.assertEqual(verdict, "tag", report)
        self.assertRegex(report, r"COLD_PITCH\([0-9.]+\)\[p=0\.9[0-9]|COLD_PITCH\([0-9.]+\)\[p=1\.00")
        verdict, report = self.deliver("margaret.hill@example.net", *ENQUIRY)
        self.assertEqual(verdict, "pass", report)
        self.assertNotIn("COLD_PITCH", report)

    def test_a_damaged_model_at_reload_is_refused_and_the_running_one_kept(self):
        good = self.model.read_bytes()
        try:
            self.model.write_bytes(good[: len(good) // 3])
            self.pushback.process.signal(signal.SIGUSR1)
            wait_until(lambda: "analysis.cold_pitch_model" in self.pushback.log(), 10, "the reload to be refused")
            self.assertIn("truncated", self.pushback.log())
            self.assertTrue(self.pushback.process.running())
            verdict, report = self.deliver("riley.stone@brightfunnel.example", *PITCH)
            self.assertEqual(verdict, "tag", report)
        finally:
            self.model.write_bytes(good)

    def test_a_truncated_model_stops_the_start_with_its_name(self):
        broken = self.work / "broken.model"
        broken.write_bytes(self.model.read_bytes()[:5000])
        config = self.work / "broken.toml"
        config.write_text(f"[analysis]\ncold_pitch_model = \"{broken}\"\n")
        check = subprocess.run([BINARY, "check-config", str(config)], capture_output=True, text=True)
        self.assertNotEqual(check.returncode, 0)
        self.assertIn(str(broken), check.stdout + check.stderr)
        self.assertIn("truncated", check.stdout + check.stderr)
        daemon = Pushback(BINARY, self.work, f"[analysis]\ncold_pitch_model = \"{broken}\"\n", name="broken")
        daemon.start(wait=False)
        wait_until(lambda: not daemon.process.running(), 10, "the daemon to refuse to start")
        self.assertNotEqual(daemon.stop(), 0)
        self.assertIn(str(broken), daemon.log())

    def test_a_trained_model_is_loaded_by_the_daemon(self):
        outreach, ham = self.work / "outreach", self.work / "ham"
        outreach.mkdir(exist_ok=True)
        ham.mkdir(exist_ok=True)
        for i in range(12):
            (outreach / f"{i}.eml").write_text(plain_mail("sdr@vendor.example", "bob@corp.example", PITCH[0],
                                                    PITCH[1].replace("30%", f"{20 + i}%"))[1])
            (ham / f"{i}.eml").write_text(plain_mail("pat@partner.example", "bob@corp.example", ENQUIRY[0],
                                               ENQUIRY[1].replace("3rd", f"{i + 4}th"))[1])
        trained = self.work / "trained.model"
        run = subprocess.run([BINARY, "model", "train", "--outreach", str(outreach), "--ham", str(ham),
                              "--out", str(trained), "--quantize", "false", "--buckets", "10000"],
                             capture_output=True, text=True)
        self.assertEqual(run.returncode, 0, run.stderr)
        self.assertIn("12 outreach and 12 other examples", run.stdout)
        config = self.work / "trained.toml"
        config.write_text(f"[analysis]\ncold_pitch_model = \"{trained}\"\n")
        scan = subprocess.run([BINARY, "scan", "--json", "--config", str(config), str(outreach / "0.eml"),
                               str(ham / "0.eml")], capture_output=True, text=True)
        self.assertEqual(scan.returncode, 0, scan.stderr)
        import json
        pitch, enquiry = (json.loads(line)["cold_pitch"] for line in scan.stdout.splitlines())
        self.assertGreater(pitch, 0.5)
        self.assertLess(enquiry, 0.5)
        self.assertEqual(len(json.loads(scan.stdout.splitlines()[0])["fingerprint"]["minhash"]), 64)


if __name__ == "__main__":
    unittest.main()
