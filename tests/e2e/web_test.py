"""The web console through the real server: `pushback web` in front of a
private Postfix whose hold queue Pushback fills. Login (wrong password, rate
limit, cookie flags), CSRF refusals, escaping of hostile subjects and sender
names, release and delete by the admin, and the recipients' digest links
(valid, expired, forged, reused, for another recipient). Also: a
non-loopback listen address is refused without web.allow_non_loopback."""
import base64
import hashlib
import hmac
import html
import json
import os
import re
import smtplib
import socket
import subprocess
import time
import unittest
import urllib.parse
from pathlib import Path

from harness import (ConsolePath, Postfix, Process, Pushback, WebClient, csrf_of, free_port,
                     make_world_readable_tempdir, port_open, wait_until)
from quarantine_test import DIGEST_STEPS, STEPS, mail

BINARY = os.environ["PUSHBACK_BIN"]
PASSWORD = "correct horse battery staple"



def Client(port: int, source: str = "127.0.0.1") -> WebClient:
    return WebClient(port, PASSWORD, source)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


class WebConsole(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-web-")
        cls.path = ConsolePath(BINARY, cls.work, PASSWORD, "login_attempts = 3\n")
        cls.web_port, cls.pushback, cls.postfix, cls.sink, cls.web = (
            cls.path.web_port, cls.path.pushback, cls.path.postfix, cls.path.sink, cls.path.web)

    @classmethod
    def tearDownClass(cls):
        statuses = cls.path.stop()
        assert statuses == {"web": 0, "pushback": 0} and "Sanitizer" not in cls.web.log(), (statuses, cls.web.log())

    # --- helpers -----------------------------------------------------------------------------------------------

    def admin(self) -> Client:
        client = Client(self.web_port)
        response = client.login()
        self.assertEqual(response.status, 303, response.text)
        return client

    def held(self) -> list[dict]:
        return self.path.held()

    def hold_one(self, sender: str, name: str, recipient: str, steps=STEPS, extra: str = "",
                 subject_prefix: str = "", display_name: str = "") -> dict:
        """Sends a sequence until one step is held; that step's list entry."""
        def texts():
            for subject, body in steps:
                message_id, text = mail(sender, recipient, subject_prefix + subject.format(company="Corp"),
                                        body.format(name=name, company="Corp"), extra)
                if display_name:
                    text = text.replace(f"From: {sender}\r\n", f'From: "{display_name}" <{sender}>\r\n', 1)
                yield message_id, text
        held = self.path.send_until_held(sender, recipient, texts())
        if held is None:
            self.fail(f"no step to {recipient} was held")
        return held

    def delivered(self, message_id: str, timeout: float = 30):
        wait_until(lambda: any(str(m["Message-ID"]) == message_id for m in self.sink.messages()), timeout,
                   f"{message_id} at the sink")

    def web_log(self) -> str:
        return self.web.log()

    def link_token(self, queue_id: str, recipient: str, expires: int, nonce: str = "0" * 32) -> str:
        """A link signed as the console signs them, with the state's secret: only for
        claims the digest would never issue (expired, another recipient)."""
        secret = (self.pushback.state_dir / "secret.key").read_bytes()
        key = hashlib.blake2b(b"pushback release link v1", key=secret, digest_size=32).digest()
        text = f"pushback release link v1\n{queue_id}\n{recipient}\n{expires}\n{nonce}".encode()
        mac = hmac.new(key, text, hashlib.sha512).digest()[:32]
        return f"v1.{b64(queue_id.encode())}.{b64(recipient.encode())}.{expires}.{nonce}.{b64(mac)}"

    def digest_links(self) -> dict[tuple[str, str], str]:
        """(recipient, queue id) -> release path, from `quarantine digest`."""
        result = subprocess.run([BINARY, "quarantine", "--config", str(self.pushback.config_path), "digest"],
                                capture_output=True, text=True, timeout=120, check=True)
        links = {}
        for block in result.stdout.split("=== digest for ")[1:]:
            recipient = block.split("\n", 1)[0].strip()
            for queue_id, url in re.findall(r"Queue id: (\S+)\r?\n  Release it: (\S+)", block):
                self.assertTrue(url.startswith(f"http://127.0.0.1:{self.web_port}/release/v1."), url)
                links[(recipient, queue_id)] = urllib.parse.urlparse(url).path
        return links

    # --- tests -------------------------------------------------------------------------------------------------

    def test_a_login_wrong_password_and_session_cookie(self):
        client = Client(self.web_port)
        self.assertEqual(client.get("/overview").getheader("Location"), "/login")
        wrong = client.login("not the password")
        self.assertEqual(wrong.status, 401)
        self.assertIn("Wrong password", wrong.text)
        self.assertNotIn("pb_session", client.cookies)
        right = client.login()
        self.assertEqual(right.status, 303)
        cookie = right.getheader("Set-Cookie")
        self.assertRegex(cookie, r"^pb_session=[0-9a-f]{64}; Path=/; HttpOnly; SameSite=Strict; Max-Age=28800$")
        overview = client.get("/overview")
        self.assertEqual(overview.status, 200)
        self.assertIn("Messages per day by verdict", overview.text)
        self.assertIn('<script src="/static/chart.js">', overview.text)
        self.assertIn("default-src 'none'", overview.getheader("Content-Security-Policy"))
        chart = client.get("/static/chart.js")
        self.assertEqual(chart.status, 200)
        self.assertIn("Chart.js v3", chart.text[:200])
        self.assertIn("failed login from 127.0.0.1", self.web_log())
        self.assertIn("web: login: admin from 127.0.0.1", self.web_log())
        # HEAD: the headers a GET would send, no body.
        with socket.create_connection(("127.0.0.1", self.web_port), timeout=10) as raw:
            raw.sendall(b"HEAD /login HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk
        head, _, rest = answer.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head)
        self.assertGreater(int(re.search(rb"Content-Length: (\d+)", head).group(1)), 500)
        self.assertEqual(rest, b"")
        # The login form is refused without its own token.
        self.assertEqual(Client(self.web_port).post("/login", {"password": PASSWORD}).status, 403)

    def test_b_rate_limit_refuses_even_the_right_password(self):
        client = Client(self.web_port, source="127.0.0.9")
        for _ in range(3):
            self.assertEqual(client.login("guess").status, 401)
        limited = client.login()
        self.assertEqual(limited.status, 429)
        self.assertIn("Too many failed logins", limited.text)
        self.assertGreater(int(limited.getheader("Retry-After")), 0)
        self.assertNotIn("pb_session", client.cookies)
        # Another address is not limited by it.
        self.assertEqual(Client(self.web_port, source="127.0.0.10").login().status, 303)

    def test_c_escaping_csrf_and_admin_release_and_delete(self):
        hostile = "<script>alert('x')</script> \"quoted\""
        held = self.hold_one("dana@growthly.example", "Alice", "alice@corp.example",
                             extra=f"X-Note: {hostile}\r\n", subject_prefix=hostile + " ",
                             display_name="Dana <script>alert(1)</script> 'D'")
        queue_id = held["queue_id"]
        client = self.admin()
        listing = client.get("/quarantine")
        self.assertEqual(listing.status, 200)
        self.assertIn(queue_id, listing.text)
        self.assertNotIn("<script>alert", listing.text)
        self.assertIn("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &quot;quoted&quot;", listing.text)
        shown = client.get(f"/quarantine/show?id={queue_id}")
        self.assertEqual(shown.status, 200)
        self.assertNotIn("<script>alert", shown.text)
        self.assertIn("X-Note: &lt;script&gt;", shown.text)
        self.assertIn("From: &quot;Dana &lt;script&gt;alert(1)&lt;/script&gt; &#39;D&#39;&quot; "
                      "&lt;dana@growthly.example&gt;", shown.text)
        self.assertIn("UNANSWERED_STREAK", shown.text)
        filtered = client.get("/quarantine?recipient=bob%40corp.example")
        self.assertNotIn(f'value="{queue_id}"', filtered.text)

        token = csrf_of(listing.text)
        for fields in ({"action": "release", "id": queue_id}, {"action": "release", "id": queue_id, "csrf": "0" * 64}):
            refused = client.post("/quarantine/action", fields)
            self.assertEqual(refused.status, 403, fields)
        self.assertIn(queue_id, [e["queue_id"] for e in self.held()])
        self.assertIn("without a valid CSRF token", self.web_log())

        released = client.post("/quarantine/action",
                               [("csrf", token), ("action", "release"), ("id", queue_id), ("reason", "Alice asked")])
        self.assertEqual(released.status, 303)
        self.assertIn("1%20message%28s%29%20released", released.getheader("Location"))
        self.delivered(held["message_id"])
        self.assertRegex(self.web_log(), rf"quarantine released: {queue_id} from=<dana@growthly.example> .* by web "
                                         r"admin from 127.0.0.1: Alice asked \(feedback: not outreach\)")

        # Delete, several at once.
        first = self.hold_one("max@cloudcut.example", "Bob", "bob@corp.example", steps=DIGEST_STEPS)
        second = self.hold_one("max@cloudcut.example", "Carol", "carol@corp.example", steps=DIGEST_STEPS)
        deleted = client.post("/quarantine/action", [("csrf", token), ("action", "delete"), ("id", first["queue_id"]),
                                                     ("id", second["queue_id"])])
        self.assertIn("2%20message%28s%29%20deleted", deleted.getheader("Location"))
        remaining = [e["queue_id"] for e in self.held()]
        self.assertNotIn(first["queue_id"], remaining)
        self.assertNotIn(second["queue_id"], remaining)

        # Log out needs the token too, and ends the session.
        self.assertEqual(client.post("/logout", {}).status, 403)
        self.assertEqual(client.post("/logout", {"csrf": token}).status, 303)
        self.assertEqual(client.get("/quarantine").getheader("Location"), "/login")

    def test_d_campaign_pages(self):
        client = self.admin()
        page = client.get("/campaign?sender=dana%40growthly.example")
        self.assertEqual(page.status, 200)
        self.assertIn("growthly", page.text)
        self.assertIn("Recipients and steps", page.text)
        # Max's sequence moves to a lookalike domain: the same first step to Bob, who got it
        # from max@cloudcut.example, links the new mailbox to the campaign, whose streak
        # with Bob has it refused.
        message_id, text = mail("max@getcloudcut.example", "bob@corp.example",
                                DIGEST_STEPS[0][0].format(company="Corp"),
                                DIGEST_STEPS[0][1].format(name="Bob", company="Corp"))
        with self.assertRaises(smtplib.SMTPDataError) as refused:
            self.postfix.send("max@getcloudcut.example", ["bob@corp.example"], text)
        self.assertEqual(refused.exception.smtp_code, 550)
        # The rankings are recomputed in the background, at least every 10 s on a small store.
        # (Dana's streak with Alice ended with the release; Max's to Bob and Carol runs on.)
        row = re.compile(r'<td><a href="/campaign\?sender=max%40(?:get)?cloudcut.example">cloudcut \([0-9a-f]{8}\)</a></td>'
                         r"<td>2</td><td>2</td><td>2</td><td>2</td><td>[3-9]</td><td>([^<]*)</td>")
        campaigns = wait_until(lambda: (lambda page: page if row.search(page.text) else None)(
            client.get("/campaigns")), 25, "the campaign rankings to list max's two mailboxes", interval=1)
        self.assertEqual(campaigns.status, 200)
        self.assertIn("<th>Linked by</th>", campaigns.text)
        self.assertEqual(row.search(campaigns.text).group(1), "brand, same template (1)")
        self.assertRegex(campaigns.text, r"<td>growthly \([0-9a-f]{8}\)</td>|sender=dana%40growthly.example")
        max_page = client.get("/campaign?sender=max%40cloudcut.example")
        self.assertIn("How its mailboxes were linked", max_page.text)
        self.assertRegex(max_page.text, r"<tr><td>max@getcloudcut.example</td><td>brand, same template</td>"
                                        r"<td>\d{4}-\d\d-\d\d \d\d:\d\d</td></tr>")
        inspected = subprocess.run([BINARY, "inspect", "max@cloudcut.example", "--config", str(self.pushback.config_path)],
                                   capture_output=True, text=True, timeout=60)
        self.assertIn("joined max@getcloudcut.example by brand, same template at ", inspected.stdout)
        token = csrf_of(page.text)
        self.assertEqual(client.post("/campaign/action", {"action": "allow", "sender": "dana@growthly.example"}).status,
                         403)
        allowed = client.post("/campaign/action", {"csrf": token, "action": "allow", "sender": "dana@growthly.example"})
        self.assertIn("campaign%20allowlisted", allowed.getheader("Location"))
        listed = subprocess.run([BINARY, "allow", "--list", "--config", str(self.pushback.config_path)],
                                capture_output=True, text=True, timeout=60)
        self.assertIn("campaign", listed.stdout)

    def test_e_release_links_from_the_digest(self):
        bob = self.hold_one("lena@pitchly.example", "Bob", "bob@corp.example", steps=STEPS)
        erin = self.hold_one("lena@pitchly.example", "Erin", "erin@corp.example", steps=STEPS)
        links = self.digest_links()
        path = links[("bob@corp.example", bob["queue_id"])]
        recipient = Client(self.web_port)

        # A GET shows and changes nothing.
        page = recipient.get(path)
        self.assertEqual(page.status, 200, page.text)
        self.assertIn("Deliver it to my inbox", page.text)
        self.assertIn(bob["queue_id"], [e["queue_id"] for e in self.held()])
        # A POST without the confirmation page's token is refused.
        self.assertEqual(Client(self.web_port).post(path, {}).status, 403)

        released = recipient.post(path, {"csrf": csrf_of(page.text)})
        self.assertEqual(released.status, 200, released.text)
        self.assertIn("Released", released.text)
        self.delivered(bob["message_id"])
        self.assertIn(f"by recipient bob@corp.example by link from 127.0.0.1: released from the digest "
                      f"(feedback: not outreach)", self.web_log())

        # Reused.
        again = Client(self.web_port)
        self.assertEqual(again.get(path).status, 410)
        # Forged: one character of the MAC changed, or the queue id swapped for Erin's message.
        token = path.rsplit("/", 1)[1]
        forged = token[:-1] + ("A" if token[-1] != "A" else "B")
        self.assertEqual(Client(self.web_port).get("/release/" + forged).status, 403)
        parts = token.split(".")
        parts[1] = b64(erin["queue_id"].encode())
        self.assertEqual(Client(self.web_port).get("/release/" + ".".join(parts)).status, 403)
        # Expired, though correctly signed.
        expired = self.link_token(erin["queue_id"], "erin@corp.example", int(time.time()) - 10)
        self.assertEqual(Client(self.web_port).get("/release/" + expired).status, 410)
        # Correctly signed for Bob, but the message was held for Erin only.
        other = self.link_token(erin["queue_id"], "bob@corp.example", int(time.time()) + 3600, nonce="1" * 32)
        refused = Client(self.web_port).get("/release/" + other)
        self.assertEqual(refused.status, 403)
        self.assertIn("not held for you", refused.text)
        self.assertIn(erin["queue_id"], [e["queue_id"] for e in self.held()])
        # Erin's own link works for her.
        erin_path = links[("erin@corp.example", erin["queue_id"])]
        client = Client(self.web_port)
        page = client.get(erin_path)
        self.assertEqual(client.post(erin_path, {"csrf": csrf_of(page.text)}).status, 200)
        self.delivered(erin["message_id"])

    def test_f_overview_charts_count_the_day(self):
        """The milter's verdicts and the releases and deletes above, in today's bars."""
        client = self.admin()

        def today():
            page = client.get("/overview?days=30").text
            charts = {}
            for chart_id, spec in re.findall(r'<canvas id="(\w+)" data-chart="([^"]+)"', page):
                spec = json.loads(html.unescape(spec))
                self.assertEqual(len(spec["labels"]), 30)
                charts[chart_id] = {d["label"]: d["data"][-1] for d in spec["datasets"]}
            ready = charts["quarantine"]["released"] >= 3 and charts["quarantine"]["deleted"] >= 2
            return charts if ready and charts["verdicts"]["held"] >= 5 else None
        # The milter flushes its tally every state.sync_interval (5 s).
        charts = wait_until(today, 20, "today's counts on the overview", interval=1)
        self.assertEqual(charts["quarantine"]["held"], charts["verdicts"]["held"])
        self.assertGreaterEqual(charts["verdicts"]["pass"] + charts["verdicts"]["tag"], 5)
        self.assertEqual(charts["verdicts"]["refused"], 1, "max's lookalike mailbox")

        # Most-targeted staff, from the store's counts: recipients by keyed hash only.
        def recipient_hash(address):
            shown = subprocess.run([BINARY, "inspect", "max@cloudcut.example", address, "--config",
                                    str(self.pushback.config_path)], capture_output=True, text=True, timeout=60)
            return re.search(r"recipient ([0-9a-f]{10}):", shown.stdout).group(1)
        page = client.get("/overview").text
        staff = page[page.index("Most-targeted staff"):]
        # Named as the campaign pages name recipients: the keyed hash's first ten hex digits.
        rows = dict(re.findall(r"<tr><td>([0-9a-f]{10})</td><td>(\d+)</td></tr>", staff))
        self.assertNotIn("@", staff.split("</table>")[0], "addresses only with web.staff_names = address")
        # Bob: the steps until one was held, and the lookalike mailbox's refused one.
        self.assertGreaterEqual(int(rows[recipient_hash("bob@corp.example")]), 2, rows)
        self.assertGreaterEqual(int(rows[recipient_hash("carol@corp.example")]), 1, rows)

    def test_g_releases_without_feedback_and_expiry_count_on_the_chart(self):
        """`quarantine release --no-feedback` and `quarantine expire` count in the quarantine chart too."""
        client = self.admin()

        def quarantine_today():
            page = client.get("/overview").text
            for chart_id, spec in re.findall(r'<canvas id="(\w+)" data-chart="([^"]+)"', page):
                if chart_id == "quarantine":
                    return {d["label"]: d["data"][-1] for d in json.loads(html.unescape(spec))["datasets"]}
            self.fail("no quarantine chart")

        def cli(*args):
            done = subprocess.run([BINARY, "quarantine", *args, "--config", str(self.pushback.config_path)],
                                  capture_output=True, text=True, timeout=120)
            self.assertEqual(done.returncode, 0, done.stderr)
            return done

        before = quarantine_today()
        released = self.hold_one("max@cloudcut.example", "Erin", "erin@corp.example", steps=DIGEST_STEPS)
        self.assertIn("no feedback", cli("release", "--no-feedback", released["queue_id"]).stdout)
        self.delivered(released["message_id"])
        self.hold_one("max@cloudcut.example", "Finn", "finn@corp.example", steps=DIGEST_STEPS)
        left = len(self.held())
        time.sleep(2)  # ages are whole seconds
        self.assertIn(f"{left} held message(s) older than 1s deleted", cli("expire", "--older-than", "1s").stderr)
        after = quarantine_today()
        self.assertEqual(after["released"], before["released"] + 1)
        self.assertEqual(after["deleted"], before["deleted"] + left)


class StartUp(unittest.TestCase):
    def test_cookies_are_secure_behind_tls_and_no_password_means_no_login(self):
        work = make_world_readable_tempdir("pb-web-tls-")
        (work / "secret.key").write_bytes(os.urandom(32))
        port = free_port()
        config = work / "pushback.toml"
        config.write_text(f'[milter]\nuser = ""\n[state]\ndir = "{work}"\n[web]\nlisten = "127.0.0.1:{port}"\n'
                          f'public_url = "https://pushback.example.com"\npassword_file = "{work}/none"\n')
        web = Process([BINARY, "web", "--config", str(config)], work / "web.log")
        try:
            wait_until(lambda: port_open(port), 20, "pushback web to listen")
            client = Client(port)
            form = client.get("/login")
            self.assertRegex(form.getheader("Set-Cookie"),
                             r"^pb_login=[0-9a-f]{32}; Path=/; HttpOnly; SameSite=Strict; Secure$")
            # web.password_file does not exist: no password opens the console.
            refused = client.post("/login", {"csrf": csrf_of(form.text), "password": ""})
            self.assertEqual(refused.status, 503)
            self.assertIn("No admin password is set", refused.text)
            self.assertIn("pushback web passwd", web.log())
        finally:
            self.assertEqual(web.stop(), 0, web.log())

    def test_non_loopback_listen_is_refused_without_the_key(self):
        work = make_world_readable_tempdir("pb-web-listen-")
        config = work / "pushback.toml"
        config.write_text(f'[milter]\nuser = ""\n[state]\ndir = "{work}"\n[web]\nlisten = "0.0.0.0:{free_port()}"\n')
        result = subprocess.run([BINARY, "web", "--config", str(config)], capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 78)
        self.assertIn("web.listen: \"0.0.0.0:", result.stderr)
        self.assertIn("set web.allow_non_loopback = true", result.stderr)
        # The command-line override is held to the same rule.
        config.write_text(f'[milter]\nuser = ""\n[state]\ndir = "{work}"\n')
        (work / "secret.key").write_bytes(os.urandom(32))
        (work / "secret.key").chmod(0o600)
        result = subprocess.run([BINARY, "web", "--config", str(config), "--listen", f"0.0.0.0:{free_port()}"],
                                capture_output=True, text=True, timeout=30)
        self.assertEqual(result.returncode, 1, result.stdout + result.stderr)
        self.assertIn("is not a loopback address", result.stderr)


if __name__ == "__main__":
    unittest.main()
