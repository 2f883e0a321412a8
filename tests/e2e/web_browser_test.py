"""The web console in a real browser: Debian's headless Chromium, driven by
chromedriver over the WebDriver protocol (plain http.client). An admin logs
in, sees the charts drawn (canvas pixels, not just the element), opens a
campaign, releases a held message from a real Postfix hold queue and sees it
delivered; a recipient releases another from the digest's link. The pages
are also drawn at a phone's size. Screenshots go to web-screenshots/ in the
working directory (the build tree under ctest), or to PUSHBACK_SCREENSHOT_DIR:
PUSHBACK_SCREENSHOT_DIR=docs/images refreshes the ones docs/web.md shows."""
import base64
import http.client
import json
import os
import re
import smtplib
import shutil
import subprocess
import time
import unittest
import urllib.parse
from pathlib import Path

from harness import ConsolePath, Postfix, Process, free_port, make_world_readable_tempdir, port_open, wait_until
from quarantine_test import DIGEST_STEPS, STEPS, mail

BINARY = os.environ["PUSHBACK_BIN"]
SOURCE = Path(os.environ["PUSHBACK_SOURCE_DIR"])
SCREENSHOTS = Path(os.environ.get("PUSHBACK_SCREENSHOT_DIR", Path.cwd() / "web-screenshots")).resolve()
PASSWORD = "correct horse battery staple"
ELEMENT = "element-6066-11e4-a52e-4f735466cecf"  # the W3C WebDriver element key



class WebDriver:
    """The few WebDriver commands the test needs, over http.client."""

    def __init__(self, port: int, profile: Path):
        self.port = port
        capabilities = {"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {"binary": "/usr/bin/chromium", "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--user-data-dir={profile}", "--window-size=1280,1000", "--no-first-run",
                "--disable-background-networking", "--disable-component-update"]}}}}
        self.session = self.call("POST", "/session", capabilities)["sessionId"]

    def call(self, method: str, path: str, body: dict | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        connection.request(method, path, body=json.dumps(body) if body is not None else None,
                           headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        reply = json.loads(response.read() or b"{}")
        connection.close()
        if response.status != 200:
            raise RuntimeError(f"WebDriver {method} {path}: {response.status} {reply}")
        return reply.get("value", reply) if path != "/session" else reply["value"]

    def command(self, method: str, path: str, body: dict | None = None):
        return self.call(method, f"/session/{self.session}{path}", body)

    def go(self, url: str):
        self.command("POST", "/url", {"url": url})

    def url(self) -> str:
        return self.command("GET", "/url")

    def find(self, css: str) -> str:
        found = self.command("POST", "/element", {"using": "css selector", "value": css})
        if ELEMENT not in found:
            raise RuntimeError(f"WebDriver: no element {css!r} at {self.url()}: {found}")
        return found[ELEMENT]

    def type(self, css: str, text: str):
        self.command("POST", f"/element/{self.find(css)}/value", {"text": text})

    def click(self, css: str):
        self.command("POST", f"/element/{self.find(css)}/click", {})

    def script(self, source: str, *args):
        return self.command("POST", "/execute/sync", {"script": source, "args": list(args)})

    def text(self) -> str:
        return self.script("return document.body.innerText;")

    def resize(self, width: int, height: int):
        self.command("POST", "/window/rect", {"width": width, "height": height})

    def screenshot(self, name: str):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        (SCREENSHOTS / name).write_bytes(base64.b64decode(self.command("GET", "/screenshot")))

    def quit(self):
        self.call("DELETE", f"/session/{self.session}")


# Counts the painted pixels of a canvas: a chart that Chart.js drew has many.
PAINTED = """
const canvas = document.querySelector(arguments[0]);
if (!canvas || !window.Chart || !Chart.getChart(canvas)) return -1;
const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
let painted = 0;
for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
return painted;
"""


class Browser(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-browser-")
        cls.path = ConsolePath(BINARY, cls.work, PASSWORD)
        cls.web_port, cls.pushback, cls.postfix, cls.sink, cls.web = (
            cls.path.web_port, cls.path.pushback, cls.path.postfix, cls.path.sink, cls.path.web)
        try:
            cls.driver_port = free_port()
            cls.chromedriver = Process(["/usr/bin/chromedriver", f"--port={cls.driver_port}"],
                                       cls.work / "chromedriver.log")
            wait_until(lambda: port_open(cls.driver_port), 20, "chromedriver to listen")
            cls.browser = WebDriver(cls.driver_port, cls.work / "profile")
        except Exception:
            cls.tearDownClass()  # unittest skips it when setUpClass fails: stop what was started
            raise

    @classmethod
    def tearDownClass(cls):
        try:
            if getattr(cls, "browser", None):
                cls.browser.quit()
        finally:
            statuses = {"chromedriver": cls.chromedriver.stop()} if getattr(cls, "chromedriver", None) else {}
            statuses.update(cls.path.stop())
        assert statuses.get("web", 0) == 0 and "Sanitizer" not in cls.web.log(), cls.web.log()

    def base(self, path: str) -> str:
        return f"http://127.0.0.1:{self.web_port}{path}"

    def held(self) -> list[dict]:
        return self.path.held()

    def hold_one(self, sender: str, name: str, recipient: str, steps) -> dict:
        texts = (mail(sender, recipient, subject.format(company="Corp"), body.format(name=name, company="Corp"))
                 for subject, body in steps)
        held = self.path.send_until_held(sender, recipient, texts)
        if held is None:
            self.fail(f"no step to {recipient} was held")
        return held

    def delivered(self, message_id: str):
        wait_until(lambda: any(str(m["Message-ID"]) == message_id for m in self.sink.messages()), 30,
                   f"{message_id} at the sink")

    def test_admin_and_recipient_in_a_real_browser(self):
        for_admin = self.hold_one("dana@growthly.example", "Alice", "alice@corp.example", STEPS)
        for_recipient = self.hold_one("max@cloudcut.example", "Bob", "bob@corp.example", DIGEST_STEPS)
        # Max's sequence moves to a lookalike domain; the campaign pages show how it was linked.
        subject, body = DIGEST_STEPS[0]
        _, rotated = mail("max@getcloudcut.example", "bob@corp.example", subject.format(company="Corp"),
                          body.format(name="Bob", company="Corp"))
        try:
            self.postfix.send("max@getcloudcut.example", ["bob@corp.example"], rotated)
        except smtplib.SMTPException:
            pass  # refused for the campaign's streak with Bob: linked all the same
        b = self.browser

        # Log in.
        b.go(self.base("/overview"))
        self.assertTrue(b.url().endswith("/login"), b.url())
        b.type("input[name=password]", PASSWORD)
        b.click("form[action='/login'] button")
        try:
            wait_until(lambda: b.url().endswith("/overview"), 20, "the overview after login")
        except TimeoutError:
            self.fail(f"login failed at {b.url()}: {b.text()}\n{self.web.log()}")

        # The charts are drawn once the milter's counts reached the store (every 5 s).
        def drawn():
            b.go(self.base("/overview"))
            painted = [b.script(PAINTED, "#verdicts"), b.script(PAINTED, "#quarantine")]
            return painted if min(painted) > 500 else None
        painted = wait_until(drawn, 30, "both charts drawn", interval=1)
        print(f"\npainted pixels: verdicts {painted[0]}, quarantine {painted[1]}")
        b.screenshot("web-overview.png")

        # A campaign.
        def ranked():
            b.go(self.base("/campaigns"))  # the rankings are recomputed every 10 s on a small store
            return "brand, same template (1)" in b.text()
        wait_until(ranked, 25, "the rankings to list max's campaign with how it was linked", interval=1)
        b.screenshot("web-campaigns.png")
        b.click("a[href='/campaign?sender=max%40cloudcut.example']")
        wait_until(lambda: "Recipients and steps" in b.text(), 10, "the campaign page")
        self.assertIn("cloudcut", b.text())
        self.assertIn("max@getcloudcut.example", b.text())
        b.screenshot("web-campaign.png")

        # Release Dana's message to Alice from the quarantine page.
        b.go(self.base("/quarantine"))
        self.assertIn(for_admin["queue_id"], b.script("return document.body.innerHTML;"))
        b.screenshot("web-quarantine.png")
        b.click(f"input[name=id][value='{for_admin['queue_id']}']")
        b.type("input[name=reason]", "Alice asked for it")
        b.click("button[name=action][value=release]")
        wait_until(lambda: "1 message(s) released." in b.text(), 20, "the release notice")
        self.delivered(for_admin["message_id"])

        # A phone-sized window: the page fits (no horizontal scrolling).
        b.resize(390, 844)
        b.go(self.base("/overview"))
        wait_until(lambda: b.script(PAINTED, "#verdicts") > 100, 10, "the chart at phone size")
        overflow = "return document.documentElement.scrollWidth - document.documentElement.clientWidth;"
        self.assertLessEqual(b.script(overflow), 0)
        b.screenshot("web-overview-phone.png")
        for path in ("/quarantine", "/campaigns", "/campaign?sender=max%40cloudcut.example"):
            b.go(self.base(path))
            self.assertLessEqual(b.script(overflow), 0, path)
        b.resize(1280, 1000)

        # The recipient: the digest's link, a confirmation page, then the release.
        digest = subprocess.run([BINARY, "quarantine", "--config", str(self.pushback.config_path), "digest"],
                                capture_output=True, text=True, timeout=120, check=True).stdout
        [bob_digest] = [block for block in digest.split("=== digest for ") if block.startswith("bob@corp.example")]
        [link] = re.findall(rf"Queue id: {for_recipient['queue_id']}\s+Release it: (\S+)", bob_digest)
        b.click("header form button")  # log out first: the link needs no session
        wait_until(lambda: b.url().endswith("/login"), 10, "the login page after log-out")
        b.go(link)
        wait_until(lambda: "Deliver it to my inbox" in b.text(), 10, "the confirmation page")
        self.assertIn(for_recipient["queue_id"], [e["queue_id"] for e in self.held()])
        b.screenshot("web-release.png")
        b.click("form button")
        wait_until(lambda: "Released" in b.text(), 20, "the released page")
        self.delivered(for_recipient["message_id"])
        for name in ("web-overview.png", "web-campaigns.png", "web-campaign.png", "web-quarantine.png", "web-overview-phone.png",
                     "web-release.png"):
            self.assertGreater((SCREENSHOTS / name).stat().st_size, 5000, name)


if __name__ == "__main__":
    unittest.main()
