"""Who a generated campaign sends as: the mailbox pool a sales-engagement tool
rotates through (lookalike domains of one brand, one or several personas, or
webmail accounts), the order it rotates in, and what stays the same across the
pool (signature block, website, link-tracking and booking hosts).

Used by bench/campaign_gen.py. Pure functions of the random generator they are
given: no I/O, no corpus. Standard library only.
"""

from __future__ import annotations

import email.utils
import random
import re

# Affixes sales teams put around a brand to make sending domains, and the
# top-level domains those domains are bought under.
BRAND_AFFIXES = ["get", "try", "use", "meet", "hello", "hq", "team", "mail", "app", "go"]
LOOKALIKE_TLDS = [".com", ".com", ".com", ".com", ".io", ".co", ".app", ".net", ".ai", ".co.uk", ".com.au"]

WEBMAIL_DOMAINS = ["gmail.com", "gmail.com", "gmail.com", "outlook.com", "outlook.com", "yahoo.com",
                   "hotmail.com", "icloud.com"]

# How a campaign spreads its sends over its pool ("one": a single mailbox, or
# one to three mailboxes of one domain each keeping its recipients, as before
# rotation was modelled), with the share of rotating campaigns of each kind.
ROTATION_MODES = [("per_step", 0.35), ("per_recipient", 0.25), ("per_day", 0.25), ("webmail", 0.15)]

# Link trackers and booking services many unrelated customers share: the
# hosts come from data/outreach_markers.toml, the paths carry the account.
SHARED_TRACKERS = [("t.yesware.com", "/tl/"), ("email.mixmax.com", "/c/"), ("app.outreach.io", "/r/"),
                   ("link.gmreg3.net", "/c/"), ("hubspotlinks.com", "/Ctc/")]
BOOKING_HOSTS = ["calendly.com", "calendly.com", "calendly.com", "cal.com", "savvycal.com", "chilipiper.com",
                 "meetings.hubspot.com"]


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def brand_of(company_name: str, kind_words) -> str:
    """The name a company's lookalike domains are built on: its name without
    the trailing kind word ("Northpath Analytics" -> "northpath")."""
    words = company_name.split()
    if len(words) > 1 and words[-1] in kind_words:
        words = words[:-1]
    return slug(" ".join(words)) or slug(company_name)


def lookalike_domains(brand: str, count: int, rng: random.Random, taken: set) -> list:
    """`count` distinct sending domains of one brand: acme-mail.com, getacme.com,
    acmehq.io, tryacme.co, acme.app ... none already in `taken` (which grows)."""
    out = []
    attempts = 0
    while len(out) < count and attempts < 500:
        attempts += 1
        affix = rng.choice(BRAND_AFFIXES)
        form = rng.choice(["prefix", "prefix", "suffix", "prefix-", "-suffix", "-suffix", "bare"])
        label = {"prefix": affix + brand, "suffix": brand + affix, "prefix-": f"{affix}-{brand}",
                 "-suffix": f"{brand}-{affix}", "bare": brand}[form]
        domain = label + rng.choice(LOOKALIKE_TLDS)
        if domain in taken:
            continue
        taken.add(domain)
        out.append(domain)
    return out


def local_parts(first: str, last: str) -> list:
    f, l = slug(first), slug(last)
    return [f, f"{f}.{l}", f"{f[0]}.{l}", f"{f[0]}{l}", f"{f}{l[0]}", f"{f}_{l}"]


class Mailbox:
    """One sending address and the persona (display name, title) on it."""

    __slots__ = ("first", "last", "address", "title")

    def __init__(self, first, last, address, title):
        self.first, self.last, self.address, self.title = first, last, address, title

    @property
    def full(self) -> str:
        return f"{self.first} {self.last}"

    def mailbox(self) -> str:
        return email.utils.formataddr((self.full, self.address))


# Role addresses campaigns send from instead of a person's (--mailbox role).
ROLE_LOCALS = ["sales", "hello", "team", "info", "contact", "growth", "partnerships", "hi"]


def role_mailbox(box: Mailbox, brand: str, rng: random.Random, taken: set) -> Mailbox:
    """The same persona behind a role address on the same domain (sales@,
    hello@, team@ ...; on webmail brand.sales@gmail.com), numbered once the
    domain has used every role. `taken` grows."""
    domain = box.address.split("@")[1]
    roles = list(ROLE_LOCALS)
    rng.shuffle(roles)
    for k in range(len(roles) * 20):
        role = roles[k % len(roles)] + (str(k // len(roles) + 1) if k >= len(roles) else "")
        address = f"{brand}.{role}@{domain}" if domain in WEBMAIL_DOMAINS else f"{role}@{domain}"
        if address not in taken:
            break
    else:                                # every role taken 20 times over: keep the person's address
        address = box.address
    taken.add(address)
    return Mailbox(box.first, box.last, address, box.title)


def build_pool(mode: str, brand: str, personas: list, rng: random.Random, taken_domains: set,
               taken_addresses: set) -> tuple:
    """(mailboxes, domains) of a rotating campaign: 3-20 mailboxes over 2-10
    lookalike domains, or 3-8 webmail accounts. `personas` are (first, last,
    title) tuples; mailboxes cycle through them."""
    if mode == "webmail":
        count = rng.randint(3, 8)
        domains = []
        boxes = []
        for i in range(count):
            first, last, title = personas[i % len(personas)]
            for _ in range(50):
                domain = rng.choice(WEBMAIL_DOMAINS)
                local = rng.choice(local_parts(first, last)) + rng.choice(
                    ["", str(rng.randint(1, 99)), "." + brand, brand[:4], ".work", ".sales"])
                address = f"{local}@{domain}"
                if address not in taken_addresses:
                    break
            taken_addresses.add(address)
            boxes.append(Mailbox(first, last, address, title))
            if domain not in domains:
                domains.append(domain)
        return boxes, domains
    n_domains = rng.randint(2, 10)
    n_boxes = rng.randint(max(3, n_domains), 20)
    domains = lookalike_domains(brand, n_domains, rng, taken_domains)
    boxes = []
    for i in range(n_boxes):
        first, last, title = personas[i % len(personas)]
        domain = domains[i % len(domains)]
        parts = local_parts(first, last)
        for k in range(len(parts) + 20):
            local = parts[k] if k < len(parts) else f"{parts[0]}{k}"
            address = f"{local}@{domain}"
            if address not in taken_addresses:
                break
        taken_addresses.add(address)
        boxes.append(Mailbox(first, last, address, title))
    return boxes, domains


def choose_mailbox(mode: str, pool: list, recipient_index: int, recipient_offset: int, step_index: int,
                   send_day_ordinal: int):
    """The mailbox one step to one recipient goes out from."""
    if mode in ("per_step", "webmail"):
        return pool[(recipient_offset + step_index) % len(pool)]
    if mode == "per_day":
        return pool[send_day_ordinal % len(pool)]
    return pool[recipient_index % len(pool)]          # per_recipient


def pick_mode(rng: random.Random) -> str:
    x = rng.random() * sum(w for _, w in ROTATION_MODES)
    for mode, weight in ROTATION_MODES:
        x -= weight
        if x < 0:
            return mode
    return ROTATION_MODES[-1][0]


class Infrastructure:
    """What stays the same in every message of a campaign whatever mailbox sends
    it: website, link tracker (shared with other customers, the brand's own
    tracking subdomain, or none) and booking page (a shared service, or none)."""

    def __init__(self, rng: random.Random, website_domain: str, persona_slug: str, brand: str):
        self.website = website_domain
        kind = rng.choices(["none", "shared", "own"], weights=[4, 4, 2])[0]
        self.tracker_host, self.tracker_path = None, None
        if kind == "shared":
            self.tracker_host, self.tracker_path = rng.choice(SHARED_TRACKERS)
        elif kind == "own":
            self.tracker_host, self.tracker_path = f"{rng.choice(['links', 'track', 'go', 'click'])}.{website_domain}", "/r/"
        self.account = "".join(rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(8))
        self.booking_host = rng.choice(BOOKING_HOSTS) if rng.random() < 0.6 else None
        self.booking_url = None
        if self.booking_host:
            path = {"chilipiper.com": f"/book/{brand}-demo", "meetings.hubspot.com": f"/{persona_slug}"}.get(
                self.booking_host, f"/{persona_slug}-{brand[:12]}/30min")
            self.booking_url = f"https://{self.booking_host}{path}"

    def link(self, url: str, rng: random.Random) -> str:
        """`url` as it appears in a sent message: through the tracker when there is one."""
        if not self.tracker_host:
            return url
        token = "".join(rng.choice("0123456789abcdef") for _ in range(16))
        return f"https://{self.tracker_host}{self.tracker_path}{self.account}/{token}"


def signature(name: str, title: str, company: str, phone: str, street: str, website_link: str,
              booking_link) -> str:
    lines = ["", "--", name, f"{title} | {company}", phone, street, website_link]
    if booking_link:
        lines.append(f"Book a time: {booking_link}")
    return "\n".join(lines) + "\n"
