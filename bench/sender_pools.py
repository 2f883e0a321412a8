"""Who a generated campaign sends as: the mailbox pool a sales-engagement tool
rotates through (lookalike domains of one brand, one or several personas,
webmail accounts, or one persona over the domains of unrelated brands), the
order it rotates in, and what stays the same across the pool (signature block,
website, link-tracking and booking hosts; for a persona over unrelated brands,
only its phone number and booking page).

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

    def with_address(self, address: str) -> "Mailbox":
        """The same persona behind another address."""
        return Mailbox(self.first, self.last, address, self.title)


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
    return box.with_address(address)


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


# ---------------------------------------------------------------------------
# One persona over unrelated brands: "Sam Porter" writes from mailboxes on the
# domains of several invented companies that share no brand (bluefinhq.io,
# getlarchworks.com, osprey-mail.co), under another form of the name on each
# ("Sam P.", "Samuel Porter", "S. Porter"). Only the phone number and the
# booking page on a shared service, both in the signature block, are the same
# in every message of the campaign.

# Stems of those brands: words that no vendor, internal or partner company is
# built on (campaign_gen's COMPANY_HEADS), alone or with an ending that is no
# affix or designator of data/campaign_identity.toml.
PERSONA_BRAND_HEADS = """bluefin larkspur saffron tundra cobble larch heron osprey marlin puffin alder
birch hazel thistle clover fennel indigo scarlet jasper garnet topaz slate flint quarry canyon
prairie glacier fjord lagoon coral anvil lever compass sextant lodestar polaris vega lyra orion
sirius rigel altair comet quasar photon fathom rudder tiller velvet quill ledger abacus cipher
relay spruce sequoia aspen poplar rowan hawthorn bramble lichen pebble boulder ridge crest bluff
inlet bayou marsh meadow orchard grove thicket walnut chestnut hickory magnolia tamarind mango
papaya lotus""".split()
PERSONA_BRAND_TAILS = ["", "", "", "", "works", "wise", "stack", "line", "point", "base", "craft", "loop", "bay",
                       "field", "way", "ware", "scale", "shift", "grid", "forge", "mark", "nest", "yard", "gate"]
PERSONA_COMPANY_WORDS = ["", "", "", " Group", " Partners", " Co."]
PERSONA_TITLES = ["Growth Lead", "Head of Growth", "Partnerships Lead", "Account Executive", "Business Development",
                  "Founder", "Client Partner", "Sales Director"]
PERSONA_BOOKING_HOSTS = [("calendly.com", "30min"), ("calendly.com", "30min"), ("calendly.com", "intro"),
                         ("cal.com", "intro"), ("savvycal.com", "chat")]
PERSONA_BOOKING_WORDS = ["growth", "intro", "demo", "partnerships", "chat", "meet", "call", "sales"]
# The order a persona campaign rotates its mailboxes in, and its share.
PERSONA_ORDERS = [("per_step", 0.6), ("per_recipient", 0.4)]

# Short and long forms of a given name, both ways.
NAME_FORMS = {"James": "Jim", "Robert": "Rob", "Patricia": "Pat", "John": "Jack", "Jennifer": "Jen",
              "Michael": "Mike", "David": "Dave", "Elizabeth": "Liz", "William": "Will", "Barbara": "Barb",
              "Richard": "Rick", "Susan": "Sue", "Joseph": "Joe", "Jessica": "Jess", "Thomas": "Tom",
              "Charles": "Charlie", "Daniel": "Dan", "Matthew": "Matt", "Anthony": "Tony", "Steven": "Steve",
              "Andrew": "Andy", "Kimberly": "Kim", "Joshua": "Josh", "Amanda": "Mandy", "Melissa": "Mel",
              "Jacob": "Jake", "Deborah": "Deb", "Samuel": "Sam", "Alexander": "Alex", "Tomasz": "Tomek"}
NAME_FORMS.update({short: full for full, short in list(NAME_FORMS.items())})


def name_variants(first: str, last: str, rng: random.Random) -> list:
    """Forms of one person's name, as (given name, display name), shuffled:
    "Sam Porter", "Sam P.", "S. Porter", "Sam J. Porter", and with the other
    form of the given name when it has one ("Samuel Porter", "Samuel P.")."""
    forms = [(first, f"{first} {last}"), (first, f"{first} {last[0]}."), (first, f"{first[0]}. {last}"),
             (first, f"{first} {rng.choice('ABCDEFGHJKLMNPRSTW')}. {last}")]
    other = NAME_FORMS.get(first)
    if other:
        forms += [(other, f"{other} {last}"), (other, f"{other} {last[0]}.")]
    rng.shuffle(forms)
    return forms


def unrelated_brands(count: int, rng: random.Random, taken_brands: set, taken_domains: set) -> list:
    """`count` (stem, domain, company name) of invented companies with nothing
    in common: distinct head words, stems no other campaign uses, domains
    not taken (both sets grow). Affixes as lookalike domains have them."""
    out, heads = [], set()
    for attempt in range(count * 400):
        if len(out) == count:
            break
        head, tail = rng.choice(PERSONA_BRAND_HEADS), rng.choice(PERSONA_BRAND_TAILS)
        stem = head + tail + (str(attempt) if attempt >= count * 300 else "")   # the vocabulary ran out
        if head in heads or stem in taken_brands:
            continue
        affix = rng.choice(BRAND_AFFIXES)
        form = rng.choice(["prefix", "suffix", "-suffix", "bare", "bare"])
        label = {"prefix": affix + stem, "suffix": stem + affix, "-suffix": f"{stem}-{affix}", "bare": stem}[form]
        domain = label + rng.choice(LOOKALIKE_TLDS)
        if domain in taken_domains:
            continue
        heads.add(head)
        taken_brands.add(stem)
        taken_domains.add(domain)
        out.append((stem, domain, head.capitalize() + tail + rng.choice(PERSONA_COMPANY_WORDS)))
    return out


class PersonaMailbox(Mailbox):
    """A mailbox of a persona rotating over unrelated brands: one form of the
    name, and the brand (stem, company) the mailbox's domain belongs to."""

    __slots__ = ("display", "brand", "company", "title_line")

    def __init__(self, first, last, address, title, display, brand, company, title_line):
        super().__init__(first, last, address, title)
        self.display, self.brand, self.company, self.title_line = display, brand, company, title_line

    @property
    def full(self) -> str:
        return self.display

    def with_address(self, address: str) -> "PersonaMailbox":
        return PersonaMailbox(self.first, self.last, address, self.title, self.display, self.brand, self.company,
                              self.title_line)


class PersonaRotation:
    """One persona over 3 to 10 unrelated brands, one mailbox each: the pool,
    the order it rotates in, and the phone number and booking page every
    message repeats. `taken_pages` holds the booking pages (host, first path
    segment) of other campaigns and grows."""

    def __init__(self, first: str, last: str, phone: str, rng: random.Random, taken_brands: set,
                 taken_domains: set, taken_addresses: set, taken_pages: set):
        self.order = rng.choices([o for o, _ in PERSONA_ORDERS], weights=[w for _, w in PERSONA_ORDERS])[0]
        brands = unrelated_brands(rng.randint(3, 10), rng, taken_brands, taken_domains)
        forms = name_variants(first, last, rng)
        self.phone = phone
        self.booking_host, leaf = rng.choice(PERSONA_BOOKING_HOSTS)
        page = f"{slug(first)}-{slug(last)}-{rng.choice(PERSONA_BOOKING_WORDS)}"
        while (self.booking_host, page) in taken_pages:
            page += str(rng.randint(2, 9))
        taken_pages.add((self.booking_host, page))
        self.booking_url = f"https://{self.booking_host}/{page}/{leaf}"
        self.pool, self.domains = [], []
        for i, (stem, domain, company) in enumerate(brands):
            given, display = forms[i % len(forms)]
            locals_ = local_parts(given, last)
            rng.shuffle(locals_)
            address = next(a for a in (f"{local}@{domain}" for local in locals_ + [
                f"{slug(given)}{k}" for k in range(2, 1000)]) if a not in taken_addresses)
            taken_addresses.add(address)
            title = rng.choice(PERSONA_TITLES)
            title_line = f"{title} | {company}" if rng.random() < 0.5 else title
            self.pool.append(PersonaMailbox(given, last, address, title, display, stem, company, title_line))
            self.domains.append(domain)

    def signature(self, box: PersonaMailbox) -> str:
        """The block under every message: the mailbox's form of the name, its
        title (and company), then the persona's phone and booking page."""
        return "\n".join(["", "--", box.full, box.title_line, self.phone, f"Book a time: {self.booking_url}"]) + "\n"


def signature(name: str, title: str, company: str, phone: str, street: str, website_link: str,
              booking_link) -> str:
    lines = ["", "--", name, f"{title} | {company}", phone, street, website_link]
    if booking_link:
        lines.append(f"Book a time: {booking_link}")
    return "\n".join(lines) + "\n"
