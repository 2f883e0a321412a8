#!/usr/bin/env python3
"""Writes the seed corpus of the fuzz targets (corpus/TARGET/NAME).

Every seed is synthetic, written for this project: messages, texts and
configurations that cover the structure the targets parse (multiparts,
encodings, charsets, HTML, quoting, limits, event sequences). Run it again
after changing a seed here; regression inputs found by fuzzing are added as
files under corpus/TARGET/regress-* and are not generated.
"""
import base64
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent / "corpus"


def write(target: str, name: str, data):
    path = HERE / target / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode() if isinstance(data, str) else data)


def crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


HEAD = ("From: Dana Seller <dana@vendor.example>\nTo: Jane Doe <jane.doe@acme-corp.example>\n"
        "Message-ID: <seed-{n}@vendor.example>\nDate: Tue, 4 Mar 2025 09:30:00 +0000\n")

MESSAGES = {
    "plain": "Subject: Quick question\n\nHi Jane,\n\nDid you get my last message about Acme?\n"
             "Worth a 15-minute call on Tuesday, March 4?\n\nBest regards,\nDana\n-- \nDana Seller, +1 555 123 4567\n",
    "followup_quoted": "Subject: Re: Quick question\n\nJust bumping this up, Jane.\n\n"
                       "On Mon, 3 Mar 2025, Dana Seller wrote:\n> Hi Jane,\n> Worth a call?\n>> older quote\n",
    "outlook_quote": "Subject: RE: pricing\n\nCircling back on this.\n\n-----Original Message-----\n"
                     "From: Dana\nSent: Monday\nTo: Jane\nSubject: pricing\n\nHere is our pricing.\n",
    "alternative_html": "Subject: Following up\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=\"b1\"\n\n"
                        "--b1\nContent-Type: text/plain; charset=utf-8\n\nHi Jane, following up.\n"
                        "--b1\nContent-Type: text/html; charset=utf-8\n\n<html><head><style>p{}</style></head><body>"
                        "<p>Hi <b>Jane</b>, following up.</p><img src=\"https://t.tracker.example/o.gif\" width=1 height=1>"
                        "<a href=\"https://go.vendor.example/x?u=1\">book</a><div class=\"gmail_quote\">old</div></body></html>\n"
                        "--b1--\n",
    "html_only": "Subject: Hello\nMIME-Version: 1.0\nContent-Type: text/html; charset=windows-1252\n"
                 "Content-Transfer-Encoding: quoted-printable\n\n<div>Caf=E9 =\n talk<br>next line</div>"
                 "<blockquote>quoted</blockquote><script>x()</script>\n",
    "base64_latin1": "Subject: =?iso-8859-1?q?Gr=FC=DFe?=\nMIME-Version: 1.0\nContent-Type: text/plain; charset=iso-8859-1\n"
                     "Content-Transfer-Encoding: base64\n\n" + base64.encodebytes("Grüße aus Köln, Jürgen\n".encode("latin-1")).decode(),
    "rfc2047_utf8": "Subject: =?utf-8?b?" + base64.b64encode("Schnelle Frage – ☕?".encode()).decode() + "?=\n"
                    "To: =?utf-8?q?J=C3=BCrgen?= <j@acme.example>\n\nHallo Jürgen,\n\nAm Montag schrieb Dana:\n> Hallo\n",
    "unknown_charset": "Subject: x\nMIME-Version: 1.0\nContent-Type: text/plain; charset=x-no-such-charset\n\nbody \xe9\xe8 bytes\n",
    "invalid_charset_name": "Subject: x\nContent-Type: text/plain; charset=\"\\\"utf-8\n\nbody\n",
    "base64_garbage": "Subject: x\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n!!!*** not base64 ===\nQUJD===\n",
    "nested": "Subject: nested\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=a\n\n--a\n"
              "Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: multipart/alternative; boundary=c\n\n--c\n"
              "Content-Type: text/plain\n\ndeep text\n--c--\n--b\nContent-Type: application/pdf\n"
              "Content-Transfer-Encoding: base64\n\nJVBERi0=\n--b--\n--a\nContent-Type: message/rfc822\n\n"
              "Subject: inner\n\ninner body\n--a--\n",
    "no_body": "Subject: headers only\n",
    "eight_bit_headers": "Subject: Grüße \xff\xfe raw\nX-Mailer: Mailshake\n\nbody\n",
    "nul_bytes": "Subject: nul\x00here\n\nbody\x00with\x00nuls\n",
    "long_line": "Subject: long\n\n" + "word " * 2000 + "\n",
    "mbox": "From dana@vendor.example Tue Mar  4 09:30:00 2025\nSubject: mbox\n\nbody\n",
    "folded": "Subject: a\n folded\n\tsubject\nX-Campaign-Id: 123\nList-Unsubscribe: <mailto:u@x.example>\n\nbody\n",
    "no_headers": "just a body without any header block\n",
    "boundary_missing": "Subject: x\nContent-Type: multipart/mixed\n\n--x\nContent-Type: text/plain\n\nnever closed\n",
}


def messages():
    for n, (name, body) in enumerate(MESSAGES.items()):
        text = (HEAD.format(n=n) + body) if name not in ("mbox", "no_headers") else body
        # Seeds with deliberate raw 8-bit bytes keep them as single bytes; the
        # rest is UTF-8. All but the mbox seed have CRLF line ends, as the milter sees them.
        raw = text.encode("latin-1") if name in ("unknown_charset", "eight_bit_headers") else text.encode("utf-8")
        yield name, raw if name == "mbox" else crlf(raw.decode("latin-1")).encode("latin-1")


def event(op: int, *args: bytes) -> bytes:
    out = bytes([op])
    for arg in args:
        out += struct.pack("<H", len(arg)) + arg
    return out


def events(*items: bytes) -> bytes:
    return b"PBEV" + b"".join(items)


def milter_seeds():
    transaction = [event(9, b"i", b"QID1"), event(9, b"{client_addr}", b"IPv6:::1"), event(0, b"203.0.113.9"),
                   event(1, b"client.example"), event(2, b"<dana@vendor.example>"),
                   event(3, b"<jane@corp.example>"), event(3, b"<bob@corp.example>"),
                   event(4, b"From", b"Dana <dana@vendor.example>"), event(4, b"Subject", b"Re: quick question"),
                   event(4, b"X-Pushback-Score", b"-100"), event(5),
                   event(6, b"Hi Jane,\r\nDid you get my last message?\r\n"), event(7)]
    yield "transaction", events(event(10, b"\x0f"), *transaction)
    yield "two_messages", events(*transaction, *transaction[4:])
    yield "abort_midway", events(*transaction[:8], event(8), *transaction[4:])
    yield "body_over_cap", events(event(10, b"\x08"), *transaction[:10], *[event(6, b"x" * 600)] * 3, event(7))
    yield "headers_over_cap", events(*transaction[:5], *[event(4, b"X-H%d" % i, b"v" * 300) for i in range(12)], event(7))
    yield "recipients_over_cap", events(*transaction[:5], *[event(3, b"<r%d@corp.example>" % i) for i in range(5)], event(7))
    yield "eom_without_mail", events(event(7), event(8), event(7))
    yield "close_only", events()
    yield "percent_reply", events(event(9, b"{auth_authen}", b""), *transaction[:4],
                                  event(4, b"Subject", b"100% off %s %%"), event(7))
    yield "raw_message", (HEAD.format(n=99) + MESSAGES["alternative_html"]).encode()


def normalise_seeds():
    yield "greeting", ("Jane Doe <jane.doe@acme-corp.example>\nDana Seller <dana@vendor.example>\n"
                       "Hi Jane Doe, I saw Acme Corp is hiring. Call me at +1 (555) 123-4567 on Tuesday, March 4.\n"
                       "See https://go.acme-corp.example/x and https://vendor.example/book, or mail jane@acme-corp.example.\n"
                       "> quoted line\nBest,\nDana\n")
    yield "languages", ("Jürgen Müller <j.mueller@northwindtraders.example>\nDana <d@v.example>\n"
                        "Hallo Jürgen, Bonjour à vous, Hola amigo, ＦＵＬＬＷＩＤＴＨ text ﬁ ligature, İstanbul ß.\n"
                        "Am 3. März 2025 schrieb Dana:\n> Alt\n")
    yield "empty_lines", "\n\n\n"
    yield "no_address", "Jane\nDana\nHi Jane, thanks.\n"
    yield "invalid_utf8", b"J <j@x.example>\nD <d@y.example>\nHi \xc3\x28 \xff\xfe \xe2\x82 text\n"
    yield "masks", ("a <a@b.example>\nc <c@d.example>\n"
                    "Dear Alex, 12:30 3rd 2025-03-04 1,000 $5 #42 v2 x@y.z <tag> & &amp; ... ---- ____\n")


def fingerprint_seeds():
    yield "template", "<greeting> <name> i saw <company> is hiring worth a <num> minute call on <date>"
    yield "short", "one two"
    yield "three", "one two three"
    yield "spaces", "  a   b  c  "
    yield "unicode", "grüße aus köln ☕ 日本語 テキスト"
    yield "long", " ".join(f"w{i % 97}" for i in range(3000))


def config_seeds():
    yield "empty", ""
    yield "full", (Path(__file__).resolve().parents[2] / "data" / "pushback.toml").read_text().replace(
        'socket = "unix:/var/spool/postfix/pushback/pushback.sock"', 'socket = "inet:10025@127.0.0.1"')
    yield "errors", ("[milter]\nmax_body_bytes = 12\nunknown_key = 1\nsocket = \"bogus\"\n[policy]\nmode = \"loud\"\n"
                     "tag_threshold = \"five\"\n[nope]\n")
    yield "syntax_error", "[milter\nmax_body_bytes = = 3\n\"unterminated\n"
    yield "types", ("[policy]\nallow_senders = [\"a@b.example\", 3]\nallow_networks = [\"10.0.0.0/8\", \"::1/129\"]\n"
                    "[state]\nbackend = \"redis\"\n[milter]\ntimeout = \"5x\"\n")
    yield "sockets", "[milter]\nsocket = \"inet6:10025@[::1]\"\n"
    yield "unicode", "[policy]\nsubject_tag = \"[Outreach ☕]\"\nreject_text = \"\\u0000%\"\n"


def main():
    for name, data in messages():
        write("mime_text", name, data)
    for name, data in milter_seeds():
        write("milter_sequence", name, data)
    for name, data in normalise_seeds():
        write("normalise", name, data)
    for name, data in fingerprint_seeds():
        write("fingerprint", name, data)
    for name, data in config_seeds():
        write("config_load", name, data)


if __name__ == "__main__":
    main()
