#!/usr/bin/env python3
"""Accuracy traffic: turns the outreach templates of a corpus into the mail a
company's server would see from sales sequences (from one mailbox, rotated
over lookalike-domain and webmail mailboxes with --rotation on, or one persona
over the domains of unrelated brands with --rotation persona-brands), mixed in
time with the real human, newsletter and mailing-list mail of the same corpus
and with generated human mail that looks like a campaign from the outside
(colleagues of one partner company, unrelated webmail senders). Options vary
what real campaigns vary (size, steps, gaps, signature, display name, broken
mail merges, follow-up subjects, role mailboxes); without them the output is
the same, byte for byte, as before they existed.

Writes an mbox ordered by time (envelope in X-Envelope-From / X-Envelope-To)
and a ground-truth JSON-lines file, one object per message, that
bench/accuracy_eval.py joins with `pushback replay --json`. Trusts the corpus
layout described in its MANIFEST.md and nothing else of it: templates and
mail are read at run time, never copied. Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import email.header
import email.utils
import hashlib
import json
import math
import os
import random
import re
import sys
import time
from collections import Counter, defaultdict

import sender_pools

# ---------------------------------------------------------------------------
# Built-in word lists (small on purpose: people and companies are generated).

FIRST_NAMES = """James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth
William Barbara Richard Susan Joseph Jessica Thomas Sarah Charles Karen Daniel Nancy
Matthew Lisa Anthony Betty Mark Sandra Steven Ashley Andrew Kimberly Joshua Emily
Kevin Donna Brian Michelle George Carol Ethan Amanda Ryan Melissa Jacob Deborah
Priya Arjun Mei Wei Hiroshi Yuki Carlos Sofia Lucas Ana Mateo Lucia Omar Fatima
Ahmed Leila Noah Emma Liam Olivia Elias Mila Finn Hannah Jonas Lea Sven Ingrid
Tomasz Zofia Ivan Elena Kwame Ama Chinedu Ngozi Rahul Anjali Diego Camila Aisha""".split()

LAST_NAMES = """Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez
Hernandez Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez
Thompson White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King
Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell
Mitchell Carter Roberts Patel Shah Kumar Chen Wang Tanaka Sato Kim Park Mueller
Schmidt Fischer Weber Novak Kowalski Rossi Bianchi Dubois Moreau Jansen Larsen
Lindqvist Okafor Mensah Haddad Costa Silva Oliveira Murphy Kelly Byrne""".split()

COMPANY_HEADS = """North Blue Bright Clear Summit Iron Silver Cedar Harbor River Stone
Oak Maple Pine Falcon Quantum Vector Apex Nova Atlas Beacon Crescent Evergreen Granite
Horizon Keystone Lumen Meridian Orbit Pioneer Radiant Sterling Tidal Vertex Willow
Zenith Cobalt Ember Fable Juniper Kestrel Lattice Marble Nimbus Onyx Prism Redwood""".split()

COMPANY_TAILS = """path field stack bridge point wave works line forge gate loop leaf
mark sight scale shift spark sphere stream yard craft base""".split()

COMPANY_KINDS = """Analytics Labs Logistics Systems Health Foods Capital Partners Robotics
Software Energy Materials Media Bio Networks Consulting Retail Manufacturing Insurance
Group Dynamics Solutions Technologies Studio Holdings""".split()

INDUSTRIES = ["logistics", "healthcare", "fintech", "e-commerce", "manufacturing", "insurance",
              "real estate", "edtech", "cybersecurity", "SaaS", "biotech", "retail", "hospitality",
              "construction", "legal services", "renewable energy", "media", "telecom", "automotive",
              "agriculture"]

CITIES = ["Austin", "Denver", "Chicago", "Boston", "Seattle", "Atlanta", "Toronto", "London",
          "Manchester", "Dublin", "Berlin", "Munich", "Amsterdam", "Stockholm", "Lisbon", "Madrid",
          "Milan", "Singapore", "Sydney", "Bangalore"]

STREETS = ["Market Street", "King Street", "Elm Avenue", "Harbor Road", "Main Street",
           "Park Lane", "Mill Road", "Station Road", "Oak Boulevard", "Bridge Street"]

TITLES = ["VP of Sales", "Head of Operations", "CTO", "Director of Marketing", "COO",
          "Head of Growth", "Engineering Manager", "Director of IT", "CFO", "Head of People",
          "Procurement Manager", "VP of Engineering", "Customer Success Lead", "Founder",
          "Head of Data", "Operations Manager", "Sales Director", "Product Manager"]

PAINS = ["manual reporting", "slow onboarding", "lead routing delays", "churn in the first 90 days",
         "spreadsheet-based forecasting", "long sales cycles", "rising cloud costs",
         "missed follow-ups", "invoice reconciliation", "hiring bottlenecks", "low reply rates",
         "data silos between sales and ops", "ticket backlog", "compliance paperwork"]

RESULTS = ["a 32% lift in qualified meetings", "onboarding time cut in half",
           "12 hours a week saved per rep", "3x more booked demos", "churn down 18%",
           "a 41% drop in support tickets", "$180k in recovered pipeline", "payback in 6 weeks",
           "reporting time down from days to minutes", "27% lower infrastructure spend"]

SERVICES = ["automated lead enrichment", "a done-for-you outbound program", "AI-assisted QA",
            "workflow automation", "a fractional RevOps team", "predictive churn scoring",
            "custom CRM integrations", "managed cloud cost optimisation", "AI voice agents",
            "a self-serve analytics layer", "document processing automation"]

TOPICS = ["pipeline coverage", "AI adoption in ops teams", "outbound deliverability",
          "pricing experiments", "customer onboarding", "data quality", "hiring in 2026",
          "cloud spend", "sales and marketing alignment", "automation ROI", "security reviews"]

EVENTS = ["SaaStr Annual", "Web Summit", "the RevOps Summit", "Dreamforce", "Collision",
          "the Logistics Tech Expo", "HLTH", "Money20/20", "AWS re:Invent", "the CX Forum"]

GENERIC = ["your current setup", "the Q2 roadmap", "your team's workflow", "the rollout",
           "your growth plans", "this quarter's priorities", "your tooling", "the next phase"]

ICEBREAKERS = ["Saw {company}'s recent post about {topic} and it stuck with me.",
               "Congrats on the new role at {company}.",
               "Noticed {company} is hiring for several {industry} roles right now.",
               "Loved your comment on {topic} last week.",
               "Impressive to see how fast {company} has grown in {city}.",
               "Your team's work on {topic} caught my eye.",
               "Read the interview with {company}'s leadership on {topic}."]

SUBJECTS = ["Quick question", "{company} + {vendor}", "idea for {company}", "{first}, quick one",
            "{topic} at {company}", "worth a chat?", "re: {topic}", "{company}'s {pain}",
            "introduction", "thoughts on {topic}?"]

REPLIES_NEGATIVE = ["Not interested, thanks.", "Please remove me from your list.",
                    "We're all set on this, thank you.", "No thanks. Please stop emailing me.",
                    "Not the right time for us. Maybe next year.",
                    "I'm not the right person for this, sorry."]
REPLIES_POSITIVE = ["Thanks for reaching out. Can you send over some more details?",
                    "Happy to chat. Does Thursday afternoon work?",
                    "Interesting timing, we were just discussing this. What does pricing look like?",
                    "Sure, send me a calendar invite for next week.",
                    "Looping in my colleague who owns this area. Could you share a one-pager?"]
ANSWERS = ["Thanks {first}! I'll send a few times over shortly.",
           "Understood, {first}. I've taken you off the list. Sorry for the noise.",
           "Great to hear from you, {first}. Attaching the overview now.",
           "Appreciate the quick reply, {first}. Talk soon."]
HUMAN_OUTBOUND = ["Can you take a look at this when you get a chance?",
                  "Following our call, here are the numbers we discussed.",
                  "Could you send me the latest version?",
                  "See below. Let me know what you think.",
                  "Do you have time to go over this tomorrow?",
                  "Thanks. A couple of questions on the attached."]

SENDER_TITLES = ["Account Executive", "Founder", "SDR", "Partnerships Lead", "Head of Growth", "CEO"]

TIMEZONES = [-8, -7, -6, -5, -5, -5, 0, 1, 1, 2, 5.5, 8]

ROLE_ORDER = {"initial": 0, "unknown": 1, None: 1, "": 1, "follow-up": 2, "re-engagement": 3, "breakup": 4}


def stable_rng(*parts) -> random.Random:
    """An RNG that depends only on its key, so one part of the traffic does not
    change when another is added or removed."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


# ---------------------------------------------------------------------------
# People and companies.

class Company:
    def __init__(self, rng: random.Random, used: set, kind_words=COMPANY_KINDS):
        for _ in range(1000):
            head = rng.choice(COMPANY_HEADS)
            if rng.random() < 0.5:
                name = head + rng.choice(COMPANY_TAILS)
            else:
                name = head
            name = f"{name} {rng.choice(kind_words)}"
            label = slug(name)
            if rng.random() < 0.3:
                label = "-".join(slug(w) for w in name.split())
            domain = label + rng.choice([".com", ".com", ".com", ".io", ".co", ".de", ".co.uk", ".ai", ".net"])
            if domain not in used and name not in used:
                break
        used.add(domain)
        used.add(name)
        self.name = name
        self.domain = domain
        self.industry = rng.choice(INDUSTRIES)
        self.city = rng.choice(CITIES)


# A person writing from one address: the same as a campaign's mailbox.
Person = sender_pools.Mailbox


class InternalCompany(Company):
    """A company whose mail server is under test: its employees are recipients."""

    def __init__(self, rng, used, size):
        super().__init__(rng, used)
        self.people = []
        seen = set()
        style = rng.choice(["first.last", "flast", "first.last", "firstl"])
        while len(self.people) < size:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = {"first.last": f"{first}.{last}", "flast": f"{first[0]}{last}",
                     "firstl": f"{first}{last[0]}"}[style].lower()
            base, n = local, 1
            while local in seen:
                n += 1
                local = f"{base}{n}"
            seen.add(local)
            self.people.append(Person(first, last, f"{local}@{self.domain}", rng.choice(TITLES)))


# ---------------------------------------------------------------------------
# Templates: placeholders and spintax compiled once, rendered per message.

PLACEHOLDER_CHARS = re.compile(r"^[A-Za-z0-9_ .\-/'&$\"\[\]?:|%’]+$")
HTML_TAGS = {"p", "br", "b", "i", "u", "a", "div", "span", "strong", "em", "ul", "ol", "li",
             "html", "body", "head", "table", "tr", "td", "th", "img", "hr", "h1", "h2", "h3", "pre",
             "code", "style", "script", "title", "meta", "tbody", "thead", "center", "font", "small"}
CTA = re.compile(r"\b(SHOP|BUTTON|CTA|LEARN MORE|CLAIM|GRAB|GET (YOURS|THIS|EARLY)|SEE ALL|SEND A GIFT|"
                 r"STAY SUBSCRIBED|GIVE US|TRY [A-Z]+|CHANCE|HOURS LEFT|START)\b")


def normalise_key(raw: str) -> str:
    """`{{$node["Start"].json["first_name"]}}` -> `first name`, `firstName` -> `first name`."""
    text = raw.strip()
    text = re.split(r"\|\||\|", text)[0]                      # defaults: {{first_name | there}}
    quoted = re.findall(r"[\"']([A-Za-z_ ]+)[\"']\]", text)  # n8n: json["first_name"]
    if quoted:
        text = quoted[-1]
    text = re.sub(r"^\$json\.|^input\.|^research\.|^enrichment\.|^analysis\.", "", text)
    text = re.sub(r"([a-z])([A-Z])", r"\1 \2", text)
    text = re.sub(r"[_\-.\[\]$?/]+", " ", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def classify(raw: str):
    """What a placeholder stands for: a (scope, kind) pair, or None when the
    bracketed text is not a placeholder (a list index, a button label, JSON)."""
    inner = raw.strip()
    if not inner or len(inner) > 90:
        return None
    if re.fullmatch(r"[\d\s,./%-]+", inner) or '":' in inner or inner.startswith(('"', "'")):
        return None
    if inner in ("CTA", "cta"):
        return ("campaign", "cta")
    if CTA.search(inner) and inner.upper() == inner:
        return None
    if inner.endswith("...") or inner.lower().startswith(("word count", "attach ", "if voicemail")):
        return None
    if ('"' in inner and "json" not in inner) or "edit before" in inner.lower() or "objection" in inner.lower():
        return None
    key = normalise_key(inner)
    if not key:
        return None
    words = set(key.split())

    def has(*parts):
        return any((p in words) if " " not in p else (p in key) for p in parts)

    own = has("your", "my", "our", "sender", "sending", "rep", "signature", "me", "myname",
              "founder", "sl") and not has("their")
    if key in ("sender", "rep", "signature", "my name", "myname") or (own and not has(
            "company", "agency", "business", "team", "product", "tool", "email", "phone", "title",
            "link", "url", "calendar", "calendly", "portfolio", "address", "website", "area",
            "topic", "role", "background", "time of day", "why", "relevant", "work")):
        if has("first", "firstname") or key in ("sender", "rep", "rep name"):
            return ("sender", "first")
        return ("sender", "full")
    if key == "sl time of day" or key.endswith("time of day"):
        return ("message", "time_of_day")
    if has("physical address") or key in ("address", "postal address", "office address"):
        return ("campaign", "address")
    if has("link", "url", "calendar", "calendly", "loom", "portfolio", "website", "gumroad", "myportfolio"):
        return ("campaign", "link")
    if own:
        if has("email"):
            return ("sender", "email")
        if has("phone"):
            return ("campaign", "phone")
        if has("title", "role"):
            return ("sender", "title")
        if has("product", "tool"):
            return ("campaign", "service")
        if has("background", "area", "topic", "why", "relevant", "work") or len(words) > 3:
            return ("campaign", "topic")
        return ("campaign", "vendor")
    if has("phone"):
        return ("campaign", "phone")
    if has("size"):
        return ("campaign", "number")
    if has("subject"):
        return ("message", "subject")
    if has("mutual", "champion", "teammate", "speaker", "keynote", "executive", "investor",
           "eb first", "contact name") and not key.startswith("contact name"):
        return ("campaign", "person")
    if key in ("contact name", "contact"):
        return ("recipient", "first")
    if has("similar", "another", "competitor", "peer", "case study company", "client name",
           "other company", "company x", "company in their industry", "similar client"):
        return ("campaign", "other_company")
    if key in ("email", "email address", "recipient email", "prospect email", "lead email"):
        return ("recipient", "email")
    if has("full name"):
        return ("recipient", "full")
    if has("last name", "lastname", "last"):
        return ("recipient", "last")
    if (has("firstname", "first name", "recipient", "prospect name", "lead name", "recipient first")
            or key == "first"
            or key in ("name", "prospect", "lead", "to name")) and not has("company", "event", "session", "channel",
                                                                          "game", "store", "brand", "dao", "agency",
                                                                          "business", "project", "product"):
        return ("recipient", "first")
    if inner in FIRST_NAMES:
        return ("recipient", "first")
    if has("icebreaker", "personalization", "personalized", "compliment", "observation", "research hook",
           "noticed", "recent news", "hook", "personal", "specific detail", "trigger", "did something",
           "recent event", "genuine reaction", "role bridge", "relevance reason", "personalization line",
           "personalized paragraph", "specific pattern", "recent"):
        return ("recipient", "icebreaker")
    if has("meeting title", "meeting topic", "meeting type", "session", "event", "conference", "webinar"):
        return ("campaign", "event")
    if has("saved", "outcome", "investment", "estimate"):
        return ("campaign", "result")
    if has("insight", "article", "topic"):
        return ("campaign", "topic")
    if has("pain", "problem", "challenge", "issue", "gap", "concern", "hard thing", "painful task"):
        return ("campaign", "pain")
    if has("initiative", "project", "goal", "priority", "milestone"):
        return ("campaign", "initiative")
    if has("industry", "niche", "vertical", "space", "segment", "icp", "persona", "audience",
           "businesses", "sector", "company type", "business type", "agency type", "type of company", "role type"):
        return ("recipient", "industry")
    if key in ("title", "role", "position", "job title", "their role", "their title", "jobtitle") or (
            len(words) <= 3 and key.endswith(("title", "role")) and not has("article", "meeting")):
        return ("recipient", "title")
    if has("city", "location"):
        return ("recipient", "city")
    if has("event", "conference", "session", "webinar", "meeting topic", "meeting title", "meeting type"):
        return ("campaign", "event")
    if has("company", "companies", "organization", "organisation", "org", "business", "store", "brand",
           "account", "dao", "protocol name", "agency", "shop", "team", "their", "prospect company",
           "channel name", "game name", "fund", "retailer"):
        if not has("challenge", "problem", "pain", "product", "service", "situation", "answer",
                   "question", "space", "work", "workflow"):
            return ("recipient", "company")
    if has("day", "weekday", "day of week"):
        return ("message", "day")
    if has("date", "deadline"):
        return ("message", "date")
    if key in ("time", "timezone", "original time", "meeting time") or key.endswith(" time"):
        return ("message", "timezone" if "timezone" in key else "time")
    if has("month"):
        return ("message", "month")
    if has("quarter", "quarter/year"):
        return ("message", "quarter")
    if has("year"):
        return ("message", "year")
    if has("timeframe", "weeks", "days", "x days", "hours", "hrs"):
        return ("campaign", "timeframe")
    if has("pct", "percent", "x%") or inner.endswith("%"):
        return ("campaign", "percent")
    if has("amount", "price", "spend", "rate", "budget"):
        return ("campaign", "amount")
    if key in ("x", "n", "y", "z", "a", "b", "number", "x number", "30 45", "team size", "company size") or has(
            "number", "metric", "size", "count", "calc", "annual"):
        return ("campaign", "number")
    if has("pain", "problem", "challenge", "issue", "gap", "concern", "hard thing", "painful task", "risk"):
        return ("campaign", "pain")
    if has("result", "outcome", "benefit", "win", "proof", "achieve", "saved", "before", "after",
           "improvement", "value"):
        return ("campaign", "result")
    if has("solution", "service", "services", "product", "capability", "feature", "offer", "deliverable",
           "value prop", "mechanism", "tool", "automation", "integration", "asset", "system", "process",
           "approach", "workflow", "operations", "suite", "platform", "action", "step", "option",
           "proposal", "concept", "resource", "lead magnet"):
        return ("campaign", "service")
    if has("topic", "insight", "article", "case study", "finding", "trend", "idea", "content", "question",
           "research", "reference", "context", "summary", "focus", "angle", "description", "explanation",
           "reason", "insight", "answer", "tip", "decision", "recap", "pitch", "overview", "connection"):
        return ("campaign", "topic")
    return ("campaign", "generic")


class Node:
    """Literal text is a str; a placeholder is Node("ph", ((scope, kind), key,
    token as written)); spintax is Node("spin", options=[nodes, ...])."""

    __slots__ = ("kind", "value", "options")

    def __init__(self, kind, value=None, options=None):
        self.kind, self.value, self.options = kind, value, options


def compile_template(text: str, unfilled: Counter, depth: int = 0) -> list:
    """Literal text, placeholders and spintax as a list of nodes."""
    nodes: list = []
    lit: list = []
    i, n = 0, len(text)

    def flush():
        if lit:
            nodes.append("".join(lit))
            lit.clear()

    while i < n:
        c = text[i]
        if c == "{" and depth < 8:
            level, j, bars = 0, i, []
            while j < n and j < i + 3000:
                ch = text[j]
                if ch == "{":
                    level += 1
                elif ch == "}":
                    level -= 1
                    if level == 0:
                        break
                elif ch == "|" and level == 1:
                    if text[j + 1:j + 2] == "|" or text[j - 1:j] == "|":
                        bars.append(None)      # `||`: an expression's default, not spintax
                    else:
                        bars.append(j)
                j += 1
            if j < n and level == 0:
                inner = text[i + 1:j]
                if inner.startswith("{") and inner.endswith("}"):   # {{placeholder}}
                    name = inner[1:-1]
                    kind = classify(name) if len(name) <= 120 else None
                    if kind:
                        flush()
                        nodes.append(Node("ph", (kind, normalise_key(name), text[i:j + 1])))
                        i = j + 1
                        continue
                real_bars = [b for b in bars if b is not None]
                if real_bars and None not in bars and "\n\n" not in inner:
                    flush()
                    options, start = [], i + 1
                    for b in real_bars:
                        options.append(text[start:b])
                        start = b + 1
                    options.append(text[start:j])
                    nodes.append(Node("spin", options=[compile_template(o, unfilled, depth + 1) for o in options]))
                    i = j + 1
                    continue
                if not inner.startswith("{") and len(inner) <= 80 and PLACEHOLDER_CHARS.match(inner) \
                        and not re.search(r"[\"]\s*:", inner):
                    kind = classify(inner)
                    if kind:
                        flush()
                        nodes.append(Node("ph", (kind, normalise_key(inner), text[i:j + 1])))
                        i = j + 1
                        continue
        elif c == "[":
            j = text.find("]", i + 1)
            if 0 < j - i <= 90 and "[" not in text[i + 1:j] and text[i + 1:j].count("\n") <= 1 \
                    and text[j + 1:j + 2] != "(":
                inner = text[i + 1:j]
                kind = classify(inner.replace("\n", " "))
                if kind:
                    flush()
                    nodes.append(Node("ph", (kind, normalise_key(inner.replace("\n", " ")), text[i:j + 1])))
                    i = j + 1
                    continue
                if not re.fullmatch(r"[\d\s]*", inner):
                    unfilled["[" + inner + "]"] += 1
        elif c == "<":
            j = text.find(">", i + 1)
            if 0 < j - i <= 40:
                inner = text[i + 1:j]
                if re.fullmatch(r"[A-Za-z][A-Za-z ]*", inner) and inner.lower() not in HTML_TAGS:
                    kind = classify(inner)
                    if kind and (kind[1] != "generic" or " " in inner):
                        flush()
                        nodes.append(Node("ph", (kind, normalise_key(inner), text[i:j + 1])))
                        i = j + 1
                        continue
        lit.append(c)
        i += 1
    flush()
    return nodes


class Template:
    def __init__(self, path, fields, subject, body, unfilled):
        self.path = path
        self.fields = fields
        self.repo = fields.get("repo") or fields.get("X-Corpus-Source-Repo", "unknown")
        self.sequence_id = fields.get("sequence_id") or fields.get("X-Corpus-Sequence-Id") or ""
        role = fields.get("role")
        if role is None:
            role = fields.get("X-Corpus-Sequence-Role") or None
        self.role = None if role in (None, "", "unknown") else role
        self.step = _int(fields.get("step", fields.get("X-Corpus-Step")))
        self.day = _int(fields.get("day", fields.get("X-Corpus-Day")))
        self.order = _file_order(path)
        self.subject_text = subject
        self.subject = compile_template(subject, unfilled) if subject else None
        self.body = compile_template(body, unfilled)


def _int(value):
    if value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def _file_order(path):
    m = re.search(r"(\d+)\D*$", os.path.basename(path))
    return (os.path.basename(path).rsplit("__", 1)[0], int(m.group(1)) if m else 0)


def read_template_file(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        text = f.read().replace("\r\n", "\n")
    head, _, body = text.partition("\n\n")
    fields, subject = {}, ""
    for line in head.split("\n"):
        name, sep, value = line.partition(":")
        if not sep:
            continue
        if name.lower() == "subject":
            subject = value.strip()
        else:
            fields[name] = value.strip()
    return fields, subject, body.strip("\n") + "\n"


def load_templates(corpus, unfilled: Counter):
    outreach = os.path.join(corpus, "outreach")
    index = {}
    index_path = os.path.join(outreach, "index.jsonl")
    if os.path.exists(index_path):
        with open(index_path, encoding="utf-8") as f:
            for line in f:
                if line.strip():
                    row = json.loads(line)
                    index[row.get("file", "")] = row
    templates = []
    cold = os.path.join(outreach, "cold")
    for name in sorted(os.listdir(cold)):
        path = os.path.join(cold, name)
        if not os.path.isfile(path):
            continue
        fields, subject, body = read_template_file(path)
        row = index.get(f"cold/{name}", {})
        merged = dict(fields)
        for key in ("repo", "sequence_id", "role", "step", "day"):
            if key in row:
                merged[key] = row[key]
        templates.append(Template(path, merged, subject, body, unfilled))
    return templates


# ---------------------------------------------------------------------------
# Sequences.

class Sequence:
    def __init__(self, sid, repo, steps, synthetic):
        self.id = sid            # corpus sequence id, or syn-... for combined one-step templates
        self.repo = repo
        self.steps = steps       # list of (variants: [Template], day or None)
        self.synthetic = synthetic


def build_sequences(templates, singles: str, seed) -> list:
    by_id = defaultdict(list)
    for t in templates:
        by_id[t.sequence_id or f"file:{t.path}"].append(t)
    sequences, loose = [], []
    for sid in sorted(by_id):
        group = sorted(by_id[sid], key=lambda t: t.order)
        # One id can hold several sequences of one source: a new one starts where the step goes back to 1.
        parts, current = [], []
        for t in group:
            if current and t.step == 1 and any((u.step or 0) > 1 for u in current):
                parts.append(current)
                current = []
            current.append(t)
        parts.append(current)
        for k, part in enumerate(parts):
            sub_id = sid if len(parts) == 1 else f"{sid}.{k + 1}"
            steps = order_steps(part)
            if len(steps) == 1 and len(steps[0][0]) == 1 and singles == "synthetic":
                loose.append(part[0])
            else:
                sequences.append(Sequence(sub_id, part[0].repo, steps, False))
    # Single templates of one source combined into sequences of 3-5 steps: initial-like
    # texts first, breakups last, as a sales team would arrange a library.
    by_repo = defaultdict(list)
    for t in loose:
        by_repo[t.repo].append(t)
    for repo in sorted(by_repo):
        rng = stable_rng(seed, "synthetic", repo)
        pool = by_repo[repo]
        rng.shuffle(pool)
        k = 0
        while pool:
            size = min(len(pool), rng.randint(3, 5))
            if 0 < len(pool) - size < 2:
                size = len(pool)
            chunk = sorted(pool[:size], key=lambda t: (ROLE_ORDER.get(t.role, 1), t.order))
            pool = pool[size:]
            k += 1
            sequences.append(Sequence(f"syn-{slug(repo)[:24]}-{k}", repo, [([t], None) for t in chunk], True))
    return sequences


def order_steps(part):
    """Steps of one sequence: explicit step numbers first, else file order; templates
    sharing a step number are variants (A/B tests) of that step."""
    numbered = []
    prev = 0
    for t in part:
        if t.step is not None:
            s = t.step
        elif t.role == "initial" and prev <= 1:
            s = 1
        else:
            s = prev + 1
        prev = s
        numbered.append((s, t))
    steps = defaultdict(list)
    for s, t in numbered:
        steps[s].append(t)
    out = []
    for s in sorted(steps):
        variants = steps[s]
        days = [t.day for t in variants if t.day is not None]
        out.append((variants, min(days) if days else None))
    return out


BUMP_ROLES = ("follow-up", "re-engagement")


def fit_steps(steps, want: int, repo_templates, rng: random.Random) -> list:
    """The steps of a sequence cut or extended to `want` steps (--steps).
    Extra steps reuse the source's other follow-up and bump texts, then its
    texts of no known role, as synthetic sequences do; a source with none
    re-sends the sequence's own later texts, as a tool's "bump" does. A final
    breakup stays last."""
    if want <= len(steps):
        return steps[:want]
    used = {id(t) for variants, _day in steps for t in variants}
    pool = [t for t in repo_templates if id(t) not in used and t.role not in ("initial", "breakup")]
    rng.shuffle(pool)
    pool.sort(key=lambda t: t.role not in BUMP_ROLES)        # stable: bumps first, shuffled within
    if not pool:
        pool = [variants[0] for variants, _day in (steps[1:] or steps)]
    extra = [([pool[k % len(pool)]], None) for k in range(want - len(steps))]
    last_role = steps[-1][0][0].role
    if len(steps) > 1 and last_role == "breakup":
        return steps[:-1] + extra + steps[-1:]
    return steps + extra


def scheduled_gaps(steps, gap_days, rng: random.Random) -> list:
    """Day offset of each step from the first: --gap-days draws each gap in
    its range; without it, the index's day offsets where known, else 2-7
    days apart (rng is then the campaign's own generator, as before)."""
    if gap_days:
        offsets = [0]
        for _ in steps[1:]:
            offsets.append(offsets[-1] + rng.randint(*gap_days))
        return offsets
    offsets, last_day, last_offset = [], None, 0
    for idx, (_variants, day) in enumerate(steps):
        if idx == 0:
            offsets.append(0)
        elif day is not None and last_day is not None and day > last_day:
            offsets.append(last_offset + (day - last_day))
        elif day is not None and last_day is None and idx > 0 and day > 0:
            offsets.append(max(last_offset + 1, day - 1))
        else:
            offsets.append(last_offset + rng.randint(2, 7))
        last_offset = offsets[-1]
        if day is not None:
            last_day = day
        elif last_day is not None:
            last_day += offsets[-1] - (offsets[-2] if idx else 0)
    return offsets


# ---------------------------------------------------------------------------
# Campaign planning and rendering.

def business_time(day: dt.date, tz_hours: float, rng: random.Random, early=8.0, late=17.5) -> dt.datetime:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    tz = dt.timezone(dt.timedelta(hours=tz_hours))
    hour = rng.uniform(early, late)
    return dt.datetime(day.year, day.month, day.day, tzinfo=tz) + dt.timedelta(hours=hour, seconds=rng.randint(0, 59))


def add_business_days(day: dt.date, n: int) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    while n > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            n -= 1
    return day


def fmt_date(when: dt.datetime) -> str:
    return email.utils.format_datetime(when)


def encode_subject(subject: str) -> str:
    subject = subject.replace("\n", " ").strip()
    if subject.isascii():
        return subject
    return email.header.Header(subject, "utf-8").encode()


def message_id(rng: random.Random, domain: str, style: str) -> str:
    if style == "gmail":
        token = "CA" + "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+=")
                               for _ in range(44))
        return f"<{token}@mail.gmail.com>"
    if style == "outlook":
        pre = rng.choice(["BY5PR", "SN6PR", "CH2PR", "DM6PR", "AM0PR"])
        token = pre + "".join(rng.choice("0123456789ABCDEF") for _ in range(24))
        return f"<{token}@{pre}{rng.randint(10, 99)}MB{rng.randint(1000, 9999)}.namprd{rng.randint(1, 19):02d}.prod.outlook.com>"
    token = "".join(rng.choice("0123456789abcdef") for _ in range(24))
    return f"<{token}.{rng.randint(1000, 99999)}@{domain}>"


def build_message(headers, body: str) -> bytes:
    lines = [f"{name}: {value}" for name, value in headers]
    encoding = "7bit" if body.isascii() else "8bit"
    lines.append(f"Content-Transfer-Encoding: {encoding}")
    return ("\n".join(lines) + "\n\n" + body).encode("utf-8")


RECIPIENT_KINDS = ["first", "last", "full", "email", "company", "industry", "city", "title", "icebreaker"]


def per_campaign(mode: str, values: tuple, seed, cid, what: str) -> str:
    """A campaign's value of one varied dimension: the option's value, or for
    "mixed" one of `values` drawn from a generator of the campaign's own."""
    if mode != "mixed":
        return mode
    return stable_rng(seed, "variation", what, cid).choice(values)


class Variation:
    """What one campaign varies beyond its texts and rotation: gaps between
    steps, signature block, display name, mail-merge gaps, follow-up subjects
    and the kind of sending mailbox. Every draw comes from a generator of its
    own, so the default options make today's traffic byte for byte."""

    def __init__(self, opts, seed, cid):
        self.record = opts.record            # write the values into the truth
        self.gap_days = opts.gap_days        # (min, max), or None for the index's offsets
        self.signature = per_campaign(opts.signature, ("on", "off"), seed, cid, "signature") == "on"
        self.display_name = per_campaign(opts.display_name, ("on", "off"), seed, cid, "display-name") == "on"
        self.placeholders = per_campaign(opts.placeholders, ("filled", "unfilled"), seed, cid, "placeholders")
        self.subjects = per_campaign(opts.subjects, ("re", "new"), seed, cid, "subjects")
        self.mailbox = per_campaign(opts.mailbox, ("person", "role"), seed, cid, "mailbox")
        # A broken merge: one way of failing per campaign (the token as written,
        # or nothing), hitting the rows of a share of its recipients.
        merge = stable_rng(seed, "merge", cid)
        self.gap_style = merge.choice(["literal", "empty"])
        self.gap_share = merge.uniform(0.3, 1.0)

    def missing_fields(self, seed, cid, recipient: str) -> frozenset:
        """Recipient fields the merge leaves unfilled for one recipient: none
        when placeholders are filled; else, for a share of the recipients, the
        first name (the field every merge uses) and about half of the others."""
        if self.placeholders != "unfilled":
            return frozenset()
        r = stable_rng(seed, "merge", cid, recipient)
        if r.random() >= self.gap_share:
            return frozenset()
        return frozenset(["first"] + [k for k in RECIPIENT_KINDS[1:] if r.random() < 0.5])

    def truth(self, camp, offsets) -> dict:
        """The campaign's values, for the truth records of its outreach."""
        if not self.record:
            return {}
        return {"campaign_size": len(camp.recipients),
                "gap_days": [b - a for a, b in zip(offsets, offsets[1:])],
                "signature": self.signature and camp.infra is not None,
                "from_display_name": self.display_name, "placeholders": self.placeholders,
                "placeholder_gap": self.gap_style if self.placeholders == "unfilled" else None,
                "subjects": self.subjects, "mailbox": self.mailbox}


class Campaign:
    def __init__(self, cid, seq, seed, internal, used_names, scale, size_range=(20, 300)):
        self.id = cid
        self.seq = seq
        self.steps = seq.steps
        self.variation = None
        rng = stable_rng(seed, "campaign", cid, seq.id)
        self.rng = rng
        self.vendor = Company(rng, used_names)
        if rng.random() < 0.4:   # cold mail often goes out from a secondary domain
            label, _, tld = self.vendor.domain.partition(".")
            self.vendor.domain = f"{rng.choice(['get', 'try', 'hello', 'use', 'meet'])}{label}.{tld}"
        self.tz = rng.choice(TIMEZONES)
        self.msgid_style = rng.choice(["gmail", "gmail", "outlook", "domain"])
        self.senders = []
        for _ in range(rng.choice([1, 1, 1, 2, 3])):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            local = rng.choice([first.lower(), f"{first}.{last}".lower(), f"{first[0]}{last}".lower()])
            self.senders.append(Person(first, last, f"{local}@{self.vendor.domain}", rng.choice(SENDER_TITLES)))
        k = rng.choices([1, 2, 3], weights=[6, 3, 1])[0]
        self.targets = rng.sample(internal, min(k, len(internal)))
        want = int(round(math.exp(rng.uniform(math.log(size_range[0]), math.log(size_range[1]))) * scale))
        pool = [p for c in self.targets for p in c.people]
        want = max(1, min(want, len(pool)))
        self.recipients = rng.sample(pool, want)
        self.company_of = {p.address: c for c in self.targets for p in c.people}
        self.values = {}
        # Until plan_sending(): each recipient keeps one of the senders, as before rotation.
        self.rotation = "one"
        self.pool = self.senders
        self.domains = sorted({s.address.split("@")[1] for s in self.senders})
        self.brand = sender_pools.brand_of(self.vendor.name, COMPANY_KINDS)
        self.infra = None
        self.persona = None      # a PersonaRotation when the campaign rotates over unrelated brands

    def plan_sending(self, seed, rotation: str, rotation_share: float, personas_share: float,
                     taken_domains: set, taken_addresses: set, persona_brands_share: float = 0.0, taken=None):
        """Mailbox pool, rotation and shared infrastructure, from generators of
        their own so that the rest of the campaign (recipients, texts, times,
        replies) is the same with rotation on and off. A rotating campaign
        rotates one persona over unrelated brands with --rotation
        persona-brands, or with --rotation on for a share of them; `taken`
        (brands, booking pages, phones) keeps those apart between campaigns."""
        rot = stable_rng(seed, "rotation", self.id)
        infra_rng = stable_rng(seed, "infrastructure", self.id)
        self.infra = sender_pools.Infrastructure(infra_rng, self.vendor.domain, slug(self.senders[0].first),
                                                 self.brand)
        rotates = rot.random() < rotation_share
        mode = sender_pools.pick_mode(rot)
        many_personas = rot.random() < personas_share
        extra = [(rot.choice(FIRST_NAMES), rot.choice(LAST_NAMES), rot.choice(SENDER_TITLES))
                 for _ in range(rot.randint(1, 3))]
        if rotation == "off" or not rotates:
            return
        if rotation == "persona-brands" or (
                persona_brands_share > 0 and stable_rng(seed, "persona-brands", self.id).random() < persona_brands_share):
            self.rotate_persona(seed, taken_domains, taken_addresses, taken)
            return
        personas = [(s.first, s.last, s.title) for s in self.senders]
        personas = personas + extra if many_personas else personas[:1]
        self.rotation = mode
        self.pool, self.domains = sender_pools.build_pool(mode, self.brand, personas, rot, taken_domains,
                                                          taken_addresses)
        self.offsets = {}

    def rotate_persona(self, seed, taken_domains: set, taken_addresses: set, taken):
        """The first sender's persona over the domains of unrelated brands:
        the vendor's brand, website, tracker and street address appear in no
        message; its phone (another one if a second campaign has it) and a
        booking page of its own appear in every one."""
        own = phone = self.campaign_value("phone", "phone")
        r = stable_rng(seed, "persona-phone", self.id)
        while phone in taken.persona_phones or taken.phones[phone] > (phone == own):   # own: counted once, its own
            phone = f"+1 ({r.randint(201, 989)}) 555-{r.randint(100, 199):04d}"
        taken.persona_phones.add(phone)
        first, last = self.senders[0].first, self.senders[0].last
        self.persona = sender_pools.PersonaRotation(first, last, phone, stable_rng(seed, "persona-pool", self.id),
                                                    taken.brands, taken_domains, taken_addresses, taken.pages)
        self.rotation = "persona_brands"
        self.pool, self.domains = self.persona.pool, self.persona.domains
        self.offsets = {}

    def vendor_name(self, box) -> str:
        """The company a message says it comes from: the vendor, or for a
        persona over unrelated brands the brand of the sending mailbox."""
        return box.company if self.persona is not None else self.vendor.name

    def persona_value(self, kind: str, box) -> str:
        """Vendor values in the texts of a persona campaign: the mailbox's
        company and street, the persona's booking page and phone."""
        if kind == "vendor":
            return box.company
        if kind == "link":
            return self.persona.booking_url
        if kind == "phone":
            return self.persona.phone
        r = stable_rng(self.id, "persona-address", box.address.split("@")[1])
        return f"{r.randint(10, 999)} {r.choice(STREETS)}, {r.choice(CITIES)}"

    def use_role_mailboxes(self, rng: random.Random, taken: set):
        """--mailbox role: every mailbox of the campaign (its senders and its
        rotation pool) becomes a role address on the same domain, keeping the
        persona's display name and signature."""
        renamed = {}
        for box in self.senders + self.pool:
            if box.address not in renamed:
                renamed[box.address] = sender_pools.role_mailbox(box, self.brand, rng, taken)
        self.senders = [renamed[b.address] for b in self.senders]
        self.pool = [renamed[b.address] for b in self.pool]

    def from_header(self, box) -> str:
        """How a mailbox of this campaign appears in From/To: with the
        persona's display name, or as a bare address (--display-name off)."""
        return box.mailbox() if self.variation is None or self.variation.display_name else box.address

    def mailbox(self, base_sender, recipient_index: int, recipient: str, step_index: int, day: dt.date):
        """The address one step to one recipient goes out from."""
        if self.rotation == "one":
            return base_sender
        offset = stable_rng(self.id, "offset", recipient).randrange(len(self.pool))
        order = self.persona.order if self.persona is not None else self.rotation
        return sender_pools.choose_mailbox(order, self.pool, recipient_index, offset, step_index, day.toordinal())

    def campaign_value(self, kind, key):
        slot = (kind, key)
        if slot not in self.values:
            r = stable_rng(self.id, "value", kind, key)
            self.values[slot] = {
                "address": f"{r.randint(10, 999)} {r.choice(STREETS)}, {self.vendor.city}",
                "link": r.choice([f"https://{self.vendor.domain}/{r.choice(['demo', 'case-study', 'book', 'meet', 'guide'])}",
                                  f"https://calendly.com/{slug(self.senders[0].first)}-{slug(self.vendor.name)[:12]}/30min"]),
                "phone": f"+1 ({r.randint(201, 989)}) 555-{r.randint(100, 199):04d}",
                "vendor": self.vendor.name,
                "service": r.choice(SERVICES),
                "topic": r.choice(TOPICS),
                "person": f"{r.choice(FIRST_NAMES)} {r.choice(LAST_NAMES)}",
                "other_company": Company(r, set()).name,
                "initiative": r.choice(["the platform migration", "your expansion into new markets",
                                        "the new customer portal", "the data warehouse project",
                                        "your AI rollout"]),
                "event": r.choice(EVENTS),
                "timeframe": r.choice(["30 days", "two weeks", "6 weeks", "one quarter", "10 days"]),
                "percent": f"{r.randint(12, 68)}%",
                "amount": f"${r.randint(2, 90) * 500:,}",
                "number": str(r.randint(3, 40)),
                "pain": r.choice(PAINS),
                "result": r.choice(RESULTS),
                "generic": r.choice(GENERIC),
                "cta": r.choice(["Worth a 15-minute call next week?", "Open to a quick chat on Thursday?",
                                 "Would it make sense to compare notes?", "Can I send over a short demo?"]),
            }[kind]
        return self.values[slot]


class Context:
    __slots__ = ("campaign", "recipient", "company", "sender", "when", "rng", "subject", "prng",
                 "missing", "gap_style", "gaps")


def render(nodes, ctx: Context) -> str:
    out = []
    for node in nodes:
        if isinstance(node, str):
            out.append(node)
        elif node.kind == "spin":
            out.append(render(ctx.rng.choice(node.options), ctx))
        else:
            out.append(fill(node.value, ctx))
    return "".join(out)


def fill(value, ctx: Context) -> str:
    (scope, kind), key, token = value
    rec, comp, snd, camp = ctx.recipient, ctx.company, ctx.sender, ctx.campaign
    if scope == "recipient" and kind in ctx.missing:      # a broken mail merge
        ctx.gaps += 1
        return token if ctx.gap_style == "literal" else ""
    if scope == "recipient":
        if kind == "first":
            return rec.first
        if kind == "last":
            return rec.last
        if kind == "full":
            return rec.full
        if kind == "email":
            return rec.address
        if kind == "company":
            return comp.name
        if kind == "industry":
            return comp.industry
        if kind == "city":
            return comp.city
        if kind == "title":
            return rec.title
        if kind == "icebreaker":
            return ctx.prng.choice(ICEBREAKERS).format(company=comp.name, topic=ctx.prng.choice(TOPICS),
                                                      industry=comp.industry, city=comp.city)
    if scope == "sender":
        if kind == "first":
            return snd.first
        if kind == "email":
            return snd.address
        if kind == "title":
            return snd.title
        return snd.full
    if scope == "message":
        when = ctx.when
        if kind == "subject":
            return ctx.subject or "our conversation"
        if kind == "day":
            return (when + dt.timedelta(days=ctx.rng.randint(2, 6))).strftime("%A")
        if kind == "date":
            return (when + dt.timedelta(days=ctx.rng.randint(3, 14))).strftime("%B %-d")
        if kind == "time":
            return ctx.rng.choice(["10am", "11:30am", "2pm", "3pm", "4:30pm"]) + " " + ctx.rng.choice(["ET", "PT", "CET", "GMT"])
        if kind == "timezone":
            return ctx.rng.choice(["ET", "PT", "CET", "GMT"])
        if kind == "month":
            return (when + dt.timedelta(days=30)).strftime("%B")
        if kind == "quarter":
            return f"Q{(when.month - 1) // 3 + 2 if when.month < 10 else 1}"
        if kind == "year":
            return str(when.year)
        if kind == "time_of_day":
            return "morning" if when.hour < 12 else "afternoon"
    if camp.persona is not None and kind in ("vendor", "link", "phone", "address"):
        return camp.persona_value(kind, snd)
    return camp.campaign_value(kind, key)


def plan_campaign(camp: Campaign, start: dt.date, span_days: int, reply_share, answer_share, seed):
    """Every message of one campaign, with its truth record."""
    rng = camp.rng
    seq = camp.seq
    steps = camp.steps
    var = camp.variation
    gap_rng = stable_rng(seed, "gaps", camp.id) if var.gap_days else rng
    offsets = scheduled_gaps(steps, var.gap_days, gap_rng)
    length = offsets[-1] + 10
    first_day = start + dt.timedelta(days=rng.randint(0, max(0, span_days - length - 5)))
    per_day = rng.randint(25, 60)                       # sends per mailbox per day
    messages = []
    sender_count = Counter()
    infra = camp.infra
    varied = var.truth(camp, offsets)
    for r_index, rec in enumerate(camp.recipients):
        # The send schedule follows the campaign's base senders whatever the
        # rotation, so that rotation changes addresses and nothing else.
        sender = camp.senders[r_index % len(camp.senders)]
        n = sender_count[sender.address]
        sender_count[sender.address] += 1
        day0 = add_business_days(first_day, n // per_day)
        prng = stable_rng(seed, camp.id, rec.address)
        company = camp.company_of[rec.address]
        replies_after = None
        if prng.random() < reply_share:
            replies_after = min(len(steps), 1 + int(prng.expovariate(0.8)))
        missing = var.missing_fields(seed, camp.id, rec.address)
        prev_time = None
        threads = defaultdict(list)   # mailbox -> Message-IDs it sent this recipient
        per_address = Counter()       # mailbox -> messages it sent this recipient
        initial_subject = None
        for step_index, (variants, _day) in enumerate(steps):
            template = prng.choice(variants)
            when = business_time(day0 + dt.timedelta(days=offsets[step_index]), camp.tz, prng)
            if prev_time and when <= prev_time:
                when = prev_time + dt.timedelta(hours=prng.uniform(20, 30))
            box = camp.mailbox(sender, r_index, rec.address, step_index, when.date())
            thread = threads[box.address]
            per_address[box.address] += 1
            ctx = Context()
            ctx.campaign, ctx.recipient, ctx.company, ctx.sender = camp, rec, company, box
            ctx.when, ctx.rng, ctx.prng, ctx.subject = when, prng, stable_rng(seed, camp.id, rec.address, "ice"), initial_subject
            ctx.missing, ctx.gap_style, ctx.gaps = missing, var.gap_style, 0
            subject = step_subject(camp, template, ctx, step_index, initial_subject, seed)
            if initial_subject is None:
                initial_subject = re.sub(r"^(re|fwd?):\s*", "", subject, flags=re.I)
            ctx.subject = initial_subject
            body = render(template.body, ctx)
            if infra is not None and var.signature and camp.persona is not None:
                body = body.rstrip("\n") + "\n" + camp.persona.signature(box)
            elif infra is not None and var.signature:
                link_rng = stable_rng(seed, camp.id, rec.address, step_index, "links")
                body = body.rstrip("\n") + "\n" + sender_pools.signature(
                    box.full, box.title, camp.vendor.name, camp.campaign_value("phone", "phone"),
                    camp.campaign_value("address", "address"),
                    infra.link(f"https://{infra.website}/", link_rng),
                    infra.link(infra.booking_url, link_rng) if infra.booking_url else None)
            box_domain = box.address.split("@")[1]
            mid = message_id(prng, box_domain, camp.msgid_style)
            headers = [("From", camp.from_header(box)), ("To", rec.mailbox()), ("Subject", encode_subject(subject)),
                       ("Date", fmt_date(when)), ("Message-ID", mid)]
            # Tools thread a follow-up under the earlier steps of the same mailbox only.
            if thread and re.match(r"re:", subject, re.I):
                headers.append(("In-Reply-To", thread[-1]))
                headers.append(("References", " ".join(thread[-10:])))
            headers += [("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8"),
                        ("X-Envelope-From", f"<{box.address}>"), ("X-Envelope-To", f"<{rec.address}>")]
            truth = {"kind": "outreach", "source": seq.repo, "campaign": camp.id, "sequence_id": seq.id,
                     "synthetic_sequence": seq.synthetic, "step": step_index + 1, "steps": len(steps),
                     "template_step": template.step, "role": template.role or "unknown",
                     "template": os.path.basename(template.path), "sender": box.address,
                     "recipient": rec.address, "replied_before": False, "unanswered": step_index + 1,
                     "rotation": camp.rotation, "brand": box.brand if camp.persona else camp.brand,
                     "sender_domain": box_domain,
                     "display_name": box.full, "campaign_mailboxes": len(camp.pool),
                     "campaign_domains": len(camp.domains), "addresses_so_far": len(per_address),
                     "unanswered_address": per_address[box.address],
                     "tracker_host": infra.tracker_host if infra and var.signature and not camp.persona else None,
                     "booking_host": (camp.persona or infra).booking_host if infra and var.signature else None,
                     "subject": subject}
            if var.record:
                truth.update(varied, unfilled_placeholders=ctx.gaps)
            if camp.persona is not None:
                truth.update(rotation_order=camp.persona.order, booking_url=camp.persona.booking_url,
                             phone=camp.persona.phone)
            messages.append((when, mid, build_message(headers, body), truth))
            thread.append(mid)
            prev_time = when
            if replies_after == step_index + 1:
                next_offset = offsets[step_index + 1] if step_index + 1 < len(offsets) else offsets[step_index] + 5
                gap = (day0 + dt.timedelta(days=next_offset) - when.date()).days
                delay = dt.timedelta(minutes=prng.uniform(20, max(60, min(gap, 3) * 24 * 60 - 600)))
                reply_at = (when + delay).astimezone(dt.timezone(dt.timedelta(hours=0)))
                messages.extend(make_reply(camp, rec, box, subject, mid, thread, body, when, reply_at,
                                           prng, answer_share, step_index + 1))
                break
    return messages


# Subjects a follow-up gets when it starts a thread of its own (--subjects new).
NEW_SUBJECTS = [s for s in SUBJECTS if not s.lower().startswith("re:")] + [
    "one more idea for {company}", "{first}, a different angle", "a case study for {company}",
    "{vendor} x {company}", "closing the loop", "any thoughts, {first}?", "last note from me",
    "{pain} at {company}?", "quick follow-up", "for your {topic} plans"]


def step_subject(camp, template, ctx, step_index: int, initial_subject, seed) -> str:
    """The subject of one step: the template's, else a generated one for the
    first step and "Re: <first subject>" for later ones. --subjects re makes
    every follow-up "Re: <first subject>"; --subjects new replaces a
    follow-up's "Re:" or repeated first subject with one of its own."""
    rec, company, prng = ctx.recipient, ctx.company, ctx.rng
    subject = render(template.subject, ctx).strip() if template.subject else ""
    if not subject:
        if step_index == 0 or initial_subject is None:
            subject = prng.choice(SUBJECTS).format(company=company.name, vendor=camp.vendor_name(ctx.sender),
                                                   first=rec.first, topic=camp.campaign_value("topic", "topic"),
                                                   pain=camp.campaign_value("pain", "pain"))
        else:
            subject = "Re: " + initial_subject
    mode = camp.variation.subjects
    if initial_subject is None or mode == "template":
        return subject
    if mode == "re":
        return "Re: " + initial_subject
    bare = re.sub(r"^\s*((re|fwd?)\s*:\s*)+", "", subject, flags=re.I)
    if bare != subject or bare.lower() == initial_subject.lower():
        return own_subject(camp, step_index, ctx, initial_subject, seed)
    return subject


def own_subject(camp, step_index: int, ctx, initial_subject: str, seed) -> str:
    """A new subject for one step of a campaign: the same pattern for all its
    recipients, as a template's would be."""
    patterns = list(NEW_SUBJECTS)
    stable_rng(seed, "subject", camp.id, step_index).shuffle(patterns)
    values = dict(company=ctx.company.name, vendor=camp.vendor_name(ctx.sender), first=ctx.recipient.first,
                  topic=camp.campaign_value("topic", "topic"), pain=camp.campaign_value("pain", "pain"))
    subjects = [pattern.format(**values) for pattern in patterns]
    return next(s for s in subjects if s.lower() != initial_subject.lower())


def quote(body: str, who: str, when: dt.datetime) -> str:
    lines = body.rstrip("\n").split("\n")
    return f"On {when.strftime('%a, %b %-d, %Y at %-I:%M %p')}, {who} wrote:\n" + "\n".join(
        ">" + (" " + l if l else "") for l in lines) + "\n"


def make_reply(camp, rec, sender, subject, mid, thread, body, sent_at, reply_at, prng, answer_share, step):
    negative = prng.random() < 0.6
    text = prng.choice(REPLIES_NEGATIVE if negative else REPLIES_POSITIVE)
    re_subject = subject if re.match(r"re:", subject, re.I) else "Re: " + subject
    reply_id = message_id(prng, rec.address.split("@")[1], "domain")
    refs = " ".join(thread[-10:])
    reply_body = f"{text}\n\n{rec.first}\n\n" + quote(body, camp.from_header(sender), sent_at)
    headers = [("From", rec.mailbox()), ("To", camp.from_header(sender)), ("Subject", encode_subject(re_subject)),
               ("Date", fmt_date(reply_at)), ("Message-ID", reply_id), ("In-Reply-To", mid), ("References", refs),
               ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8"),
               ("X-Envelope-From", f"<{rec.address}>"), ("X-Envelope-To", f"<{sender.address}>")]
    out = [(reply_at, reply_id, build_message(headers, reply_body),
            {"kind": "reply", "source": camp.seq.repo, "campaign": camp.id, "sequence_id": camp.seq.id,
             "rotation": camp.rotation,
             "after_step": step, "in_reply_to": mid, "sender": rec.address, "recipient": sender.address,
             "negative": negative, "subject": re_subject})]
    if prng.random() < answer_share:
        answer_at = reply_at + dt.timedelta(minutes=prng.uniform(30, 20 * 60))
        answer_id = message_id(prng, sender.address.split("@")[1], camp.msgid_style)
        answer_body = (prng.choice(ANSWERS[1:2] if negative else ANSWERS[0:1] + ANSWERS[2:]).format(first=rec.first)
                       + f"\n\n{sender.first}\n\n" + quote(reply_body, rec.mailbox(), reply_at))
        headers = [("From", camp.from_header(sender)), ("To", rec.mailbox()), ("Subject", encode_subject(re_subject)),
                   ("Date", fmt_date(answer_at.astimezone(dt.timezone(dt.timedelta(hours=camp.tz))))),
                   ("Message-ID", answer_id), ("In-Reply-To", reply_id), ("References", refs + " " + reply_id),
                   ("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8"),
                   ("X-Envelope-From", f"<{sender.address}>"), ("X-Envelope-To", f"<{rec.address}>")]
        out.append((answer_at, answer_id, build_message(headers, answer_body),
                    {"kind": "answer", "source": camp.seq.repo, "campaign": camp.id, "sequence_id": camp.seq.id,
                     "rotation": camp.rotation,
                     "in_reply_to": reply_id, "sender": sender.address, "recipient": rec.address,
                     "subject": re_subject}))
    return out


# ---------------------------------------------------------------------------
# Generated human mail that shares what a campaign has: one organisation
# writing from many addresses (a partner company's colleagues), webmail
# domains, booking links, a company signature block. Texts are put together
# from many small parts, as people write, so no two are one template.

PROJECTS = ["the Q3 shipment schedule", "the warehouse integration", "the renewal terms", "the joint webinar",
            "the pilot in {city}", "the API migration", "the audit findings", "the new price list",
            "the onboarding of the {city} team", "the safety certification", "the March invoice",
            "the data-sharing agreement", "the spare parts order", "the training plan", "the site survey",
            "the {city} depot", "the framework contract", "the Q2 forecast", "the tender documents",
            "the packaging change", "the quality report for batch {po}", "the December volumes"]
PARTNER_OPENERS = [
    "Attached is the revised plan for {project}.", "Quick update on {project}.",
    "Can you confirm the figures for {project} before we meet on {day}?",
    "Our finance team has a question about {project}.", "Thanks for the meeting yesterday.",
    "I'm covering {project} for {colleague} while she is away.", "The signed copy for {project} is attached.",
    "We will be on site on {day} for {project}.", "Here is the draft agenda for {day}.",
    "Sending over the numbers you asked for on {project}.", "A question on {project} before I forget.",
    "Good news on {project}: the customer signed off this morning.", "We hit a snag with {project}.",
    "As discussed on the phone, a short summary of {project}.", "{colleague} asked me to send you this.",
]
PARTNER_DETAILS = [
    "The main change is in section {n}, where the start moves to {day}.",
    "We are on track apart from the {n} items still waiting at customs.",
    "I have {amount} against {n} units, which does not match your last sheet.",
    "The PO number on invoice {po} does not match ours.", "Who on your side handles that now?",
    "Start moved to {day}, and {colleague} sends the updated list.", "Next review in two weeks, same room.",
    "Could we have a short call on {day}?", "Let me know if a page is missing.",
    "Is there anything you need from us beforehand?", "I added it as item {n}; tell me if you want it earlier.",
    "Our legal team wants to change clause {n}, nothing major.", "The truck leaves {city} on {day} morning.",
    "Rates stay as agreed until the end of the quarter.", "I copied {colleague} so she has the history.",
    "We can absorb the extra {amount} this time but not next quarter.",
    "The test batch passed, {n} samples out of {n} within tolerance.",
    "Parking is at the back of the building, ask for me at reception.",
    "My phone is off most of {day} afternoon, email is best.", "No rush on this, end of next week is fine.",
    "The spreadsheet has a tab per site now, which should make it easier.",
    "If it helps I can send the raw data as well.", "We still need the delivery address for the {city} order.",
]
PARTNER_FOLLOWUPS = [
    "Just following up on my note about {project}.", "Following up on this one.",
    "Circling back on {project}.", "Sorry to chase, just checking in on {project}.",
    "Following up on my email from last week.", "Any news on {project}?",
    "Just checking you saw this.", "Bumping this up as we need an answer by {day}.",
    "Did you get a chance to look at the draft?", "Just following up, {colleague} is asking about it too.",
]
GREETINGS = ["Hi {first},", "Hello {first},", "{first},", "Dear {first},", "Morning {first},", "Hi {first}"]
CLOSINGS = ["Best,", "Thanks,", "Regards,", "Cheers,", "Many thanks,", "Kind regards,", "Thanks again,", ""]
OUR_ANSWERS = ["Thanks {first}, looks good. I'll confirm by {day}.",
               "Got it. I'll check with finance and come back to you.",
               "Sorry for the slow reply. The numbers are attached.",
               "Works for us. Let's talk on {day}.",
               "Thanks, forwarded to {colleague}, who owns this now.",
               "Agreed on all points except the second; call me when you can.",
               "Perfect, thank you. {day} is fine."]
OUR_OPENERS = ["Could you send me the latest status on {project}?",
               "Attached are our comments on {project}. Can we go through them on {day}?",
               "We need to move {project} to {day}. Does that work on your side?",
               "Welcome aboard. I'll be your contact for {project}; my direct line is below.",
               "Following our call, here is what we need for {project}."]
# (subject, first message, follow-up or None, share our user answers, our user wrote first)
WEBMAIL_SCENES = [
    ("Application for the {title} role", "Please find my CV attached for the {title} position. I have {n} years "
     "of experience in {industry}.", "Just following up on my application for the {title} role.", 0.4, False),
    ("Question about order {po}", "My order {po} arrived with {n} items missing. Can you help?",
     "Following up on my message about order {po}; I still have not heard back.", 0.8, False),
    ("Great to meet you at {event}", "It was good talking at {event} about {topic}. You mentioned {pain}; happy "
     "to share what we did.", "Following up on our chat at {event}. {booking}", 0.5, False),
    ("Dinner on {day}?", "Are you free for dinner on {day}? {city} has a new place near the station.",
     "Just checking in about {day}, shall I book?", 0.9, True),
    ("Reference for {colleague}", "{colleague} gave your name as a reference. Would you have 10 minutes on {day}? "
     "{booking}", "Just checking in on the reference for {colleague}.", 0.7, False),
    ("Flat viewing on {day}", "The flat on {street} is available for a viewing on {day}. Let me know a time.",
     "Following up on the viewing: is {day} still good?", 0.8, True),
    ("Invoice {po}", "Attached is my invoice {po} for the work in {city}. {booking}",
     "Just following up on invoice {po}, it is now {n} days overdue.", 0.6, True),
]
WEBMAIL_DETAILS = [
    "I'm in {city} until {day} if that is easier.", "My number is in the signature of my first email.",
    "Sorry if this is the wrong address, I found it on your website.", "No worries if now is not a good time.",
    "I can send references if useful.", "I'm flexible on timing, mornings are best for me.",
    "{colleague} says hello, by the way.", "Hope the move went well!", "I attached the photos again in case.",
    "The offer is open until the end of the month.", "Happy to talk on the phone instead.",
    "I'll be travelling next week but checking email.", "Thanks a lot for your help with this.",
    "Let me know if you need anything else from me.", "It's item {n} on the list I sent.",
]
OUR_WEBMAIL_OPENERS = ["Hi {first}, are you around this week?", "Hi {first}, is the flat on {street} still available?",
                       "Hi {first}, can you send the invoice for the {city} job?", "Hi {first}, long time! How are you?"]


def _human_message(sender_name, sender_addr, to_name, to_addr, subject, body, when, mid, refs=None):
    headers = [("From", email.utils.formataddr((sender_name, sender_addr))),
               ("To", email.utils.formataddr((to_name, to_addr))), ("Subject", encode_subject(subject)),
               ("Date", fmt_date(when)), ("Message-ID", mid)]
    if refs:
        headers += [("In-Reply-To", refs[-1]), ("References", " ".join(refs[-10:]))]
    headers += [("MIME-Version", "1.0"), ("Content-Type", "text/plain; charset=utf-8"),
                ("X-Envelope-From", f"<{sender_addr}>"), ("X-Envelope-To", f"<{to_addr}>")]
    return build_message(headers, body)


def _fill_human(text, r, **extra):
    values = {"day": (dt.date(2026, 1, 5) + dt.timedelta(days=r.randint(0, 6))).strftime("%A"),
              "n": r.randint(2, 14), "po": f"{r.randint(40000, 99999)}", "amount": f"${r.randint(2, 90) * 250:,}",
              "city": r.choice(CITIES), "title": r.choice(TITLES), "industry": r.choice(INDUSTRIES),
              "event": r.choice(EVENTS), "topic": r.choice(TOPICS), "pain": r.choice(PAINS),
              "street": r.choice(STREETS), "colleague": r.choice(FIRST_NAMES), "booking": ""}
    values.update(extra)
    return text.format(**values)


def _partner_text(r, lead_pool, project, details=(1, 3)):
    """A lead sentence and a few details, each filled on its own."""
    parts = [_fill_human(r.choice(lead_pool), r, project=project)]
    parts += [_fill_human(d, r, project=project) for d in r.sample(PARTNER_DETAILS, r.randint(*details))]
    return " ".join(parts) if r.random() < 0.6 else parts[0] + "\n\n" + " ".join(parts[1:])


def partner_mail(internal, used, seed, start: dt.date, span_days: int):
    """Two partner companies per internal company, 4-8 colleagues each writing
    from their own address (some from a regional office domain) to 2-6 of our
    users about shared projects, one company signature block under every
    message, a booking link in some. Each of our users first works with the
    partner's account lead (a thread our user starts); then colleagues write:
    threads our users answer, and notes that go unanswered and are followed up
    ("just following up"), sometimes as a Re: to the colleague's own message."""
    out = []
    for ci, company in enumerate(internal):
        for pi in range(2):
            r = stable_rng(seed, "partner", ci, pi)
            partner = Company(r, used)
            domains = [partner.domain]
            if r.random() < 0.4:
                regional = slug(partner.name.split()[0]) + r.choice([".co.uk", ".com.au", ".de", "-group.com"])
                if regional not in used:
                    used.add(regional)
                    domains.append(regional)
            phone = f"+44 20 7946 {r.randint(1000, 9999)}"
            street = f"{r.randint(1, 200)} {r.choice(STREETS)}, {partner.city}"
            colleagues = []
            for k in range(r.randint(4, 8)):
                first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
                domain = domains[k % len(domains)]
                address = f"{slug(first)}.{slug(last)}@{domain}"
                booking = f"https://calendly.com/{slug(first)}-{slug(last)}/30min" if r.random() < 0.3 else None
                person = Person(first, last, address, r.choice(TITLES))
                colleagues.append((person, sender_pools.signature(person.full, person.title, partner.name, phone,
                                                                  street, f"https://www.{partner.domain}/", booking)))
            contacts = r.sample(company.people, min(len(company.people), r.randint(2, 6)))
            lead, lead_sig = colleagues[0]
            for contact in contacts:
                day = start + dt.timedelta(days=r.randint(0, 10))
                out.extend(_partner_thread(seed, partner, lead, lead_sig, contact, day, ours_first=True))
            for person, sig in colleagues:
                for contact in r.sample(contacts, r.randint(1, min(3, len(contacts)))):
                    pair_rng = stable_rng(seed, "partner-pair", person.address, contact.address)
                    for t in range(pair_rng.randint(1, 4)):
                        day = start + dt.timedelta(days=pair_rng.randint(12, span_days - 12))
                        out.extend(_partner_thread(seed, partner, person, sig, contact, day,
                                                   ours_first=pair_rng.random() < 0.3, thread_no=t))
    return out


def _partner_thread(seed, partner, person, sig, contact, day, ours_first, thread_no=-1):
    """One thread between a partner colleague and one of our users."""
    out = []
    base = {"source": "gen/partner_colleagues", "colleague": True, "organisation": partner.name}
    r = stable_rng(seed, "partner-thread", person.address, contact.address, thread_no)
    project = _fill_human(r.choice(PROJECTS), r)
    when = business_time(day, 0, r, 8.5, 17)
    subject = project[4:].capitalize() if project.startswith("the ") else project.capitalize()
    them = email.utils.formataddr((person.full, person.address))
    refs = []
    if ours_first:
        mid = message_id(r, contact.address.split("@")[1], "domain")
        body = f"Hi {person.first},\n\n" + _fill_human(r.choice(OUR_OPENERS), r, project=project) \
            + f"\n\n{contact.first}\n"
        out.append((when, mid, _human_message(contact.full, contact.address, person.full, person.address, subject,
                                              body, when, mid),
                    dict(base, kind="human_outbound", sender=contact.address, recipient=person.address,
                         subject=subject)))
        refs.append(mid)
        when = when + dt.timedelta(hours=r.uniform(1, 30))
        subject = "Re: " + subject
    text = _partner_text(r, PARTNER_OPENERS, project)
    followup = False
    chases = 0
    prev_body = prev_when = None
    while True:
        mid = message_id(r, person.address.split("@")[1], "outlook")
        closing = r.choice(CLOSINGS)
        body = (_fill_human(r.choice(GREETINGS), r, first=contact.first) + f"\n\n{text}\n\n"
                + (f"{closing}\n" if closing else "") + f"{person.first}\n{sig}")
        if refs and followup and prev_body:
            body += "\n" + quote(prev_body, them, prev_when)
        out.append((when, mid, _human_message(person.full, person.address, contact.full, contact.address,
                                              subject, body, when, mid, refs),
                    dict(base, kind="human", sender=person.address, recipient=contact.address,
                         **{"from": person.address}, followup_phrases=followup, subject=subject)))
        refs = refs + [mid]
        prev_body, prev_when = body, when
        if ours_first or r.random() < 0.55:     # our user answers
            at = when + dt.timedelta(hours=r.uniform(1, 40))
            answer_id = message_id(r, contact.address.split("@")[1], "domain")
            re_subject = subject if subject.startswith("Re: ") else "Re: " + subject
            answer = f"{_fill_human(r.choice(OUR_ANSWERS), r, first=person.first)}\n\n" \
                     f"{contact.first}\n\n" + quote(body, them, when)
            out.append((at, answer_id, _human_message(contact.full, contact.address, person.full, person.address,
                                                      re_subject, answer, at, answer_id, refs),
                        dict(base, kind="human_outbound", sender=contact.address, recipient=person.address,
                             subject=re_subject)))
            break
        if chases >= 2 or r.random() < 0.3:
            break
        chases += 1
        when = business_time(add_business_days(when.date(), r.randint(2, 6)), 0, r, 8.5, 17)
        text = _partner_text(r, PARTNER_FOLLOWUPS, project, (0, 2))
        followup = True
        if r.random() < 0.5:        # a new message rather than a Re: to their own
            refs = []
            subject = subject[4:] if subject.startswith("Re: ") else subject
        elif not subject.startswith("Re: "):
            subject = "Re: " + subject
    return out


def webmail_people(internal, seed, start: dt.date, span_days: int, count: int = 300):
    """Unrelated people on gmail.com, outlook.com, yahoo.com ... writing to one of
    our users each: candidates, customers, people met at events, friends,
    landlords, freelancers; some put a booking link (the services campaigns
    use). A stranger's follow-up to a first message nobody answered is kind
    `unsolicited`: human, never to be held, but outside the human-tagged target."""
    out = []
    weights = [len(c.people) for c in internal]
    seen = set()
    for k in range(count):
        r = stable_rng(seed, "webmail", k)
        first, last = r.choice(FIRST_NAMES), r.choice(LAST_NAMES)
        domain = r.choice(sender_pools.WEBMAIL_DOMAINS)
        local = r.choice(sender_pools.local_parts(first, last)) + r.choice(["", "", str(r.randint(1, 99))])
        address = f"{local}@{domain}"
        if address in seen:
            continue
        seen.add(address)
        company = r.choices(internal, weights=weights)[0]
        contact = r.choice(company.people)
        subject_t, opener, chase, answered, ours_first = r.choice(WEBMAIL_SCENES)
        booking = f"You can pick a time here: https://calendly.com/{slug(first)}{slug(last)}" if r.random() < 0.3 else ""
        fill = dict(booking=booking, day=(start + dt.timedelta(days=r.randint(3, 9))).strftime("%A"))
        subject = _fill_human(subject_t, r, **fill)
        when = business_time(start + dt.timedelta(days=r.randint(0, span_days - 15)), r.choice(TIMEZONES), r, 7, 22)
        name = f"{first} {last}"
        base = {"source": "gen/webmail_people", "webmail": True}
        refs = []
        if ours_first:
            mid = message_id(r, contact.address.split("@")[1], "domain")
            body = _fill_human(r.choice(OUR_WEBMAIL_OPENERS), r, first=first) + f"\n\n{contact.first}\n"
            out.append((when, mid, _human_message(contact.full, contact.address, name, address, subject, body,
                                                  when, mid),
                        dict(base, kind="human_outbound", sender=contact.address, recipient=address,
                             subject=subject)))
            refs.append(mid)
            when += dt.timedelta(hours=r.uniform(1, 30))
            subject = "Re: " + subject
        texts = [(_fill_human(opener, r, **fill), False)]
        if chase and r.random() < 0.7:
            texts.append((_fill_human(chase, r, **fill), True))
            if r.random() < 0.3:
                texts.append((_fill_human(chase, r, **fill), True))
        for text, is_followup in texts:
            text = " ".join([text] + [_fill_human(d, r, **fill) for d in r.sample(WEBMAIL_DETAILS, r.randint(1, 3))])
            mid = message_id(r, domain, "gmail" if domain == "gmail.com" else "outlook" if domain != "yahoo.com" else "domain")
            body = f"Hi {contact.first},\n\n{text}\n\n{r.choice(CLOSINGS)}\n{first}\n"
            kind = "unsolicited" if is_followup and not ours_first else "human"
            out.append((when, mid, _human_message(name, address, contact.full, contact.address, subject,
                                                  body, when, mid, refs if (is_followup or ours_first) else None),
                        dict(base, kind=kind, sender=address, recipient=contact.address, **{"from": address},
                             followup_phrases=is_followup, subject=subject)))
            refs.append(mid)
            if r.random() < answered:
                at = when + dt.timedelta(hours=r.uniform(1, 48))
                answer_id = message_id(r, contact.address.split("@")[1], "domain")
                re_subject = "Re: " + subject if not subject.startswith("Re: ") else subject
                answer = f"Hi {first},\n\nThanks for your message, I'll get back to you by {fill['day']}.\n\n" \
                         f"{contact.first}\n\n" + quote(body, email.utils.formataddr((name, address)), when)
                out.append((at, answer_id, _human_message(contact.full, contact.address, name, address,
                                                          re_subject, answer, at, answer_id, refs),
                            dict(base, kind="human_outbound", sender=contact.address, recipient=address,
                                 subject=re_subject)))
                break
            when = business_time(add_business_days(when.date(), r.randint(3, 8)), 0, r, 8, 20)
            subject = subject if subject.startswith("Re: ") else "Re: " + subject
    return out


# ---------------------------------------------------------------------------
# Real mail from the corpus, re-addressed and re-dated.

HAM_FOLDERS = [  # folder, default kind
    ("ham/enron_followup_phrases", "human"),
    ("ham/enron_inbox_sample", "human"),
    ("ham/spamassassin/easy_ham", None),      # list, newsletter or human by its headers
    ("ham/spamassassin/hard_ham", "newsletter"),
]


HEADER_LINE = re.compile(r"^[!-9;-~]+:")


def split_headers(raw: str):
    head, sep, body = raw.partition("\n\n")
    if not sep:
        head, body = raw, ""
    lines = head.split("\n")
    if lines and lines[0].startswith("From "):
        envelope_line = lines.pop(0)
    else:
        envelope_line = None
    headers = []
    for k, line in enumerate(lines):
        if line[:1] in (" ", "\t") and headers:
            headers[-1][1] += "\n" + line
        elif HEADER_LINE.match(line):
            name, _, value = line.partition(":")
            headers.append([name, value])
        else:                               # no blank line before the body: the body starts here
            body = "\n".join(lines[k:]) + "\n\n" + body if sep else "\n".join(lines[k:])
            break
    return envelope_line, headers, body


def header_value(headers, name):
    lname = name.lower()
    for h, v in headers:
        if h.lower() == lname:
            return v.strip()
    return None


# Senders of the SpamAssassin corpus that are subscribed feeds without list headers
# (an RSS-to-mail gateway): newsletters, not people.
FEED_SENDERS = {"rssfeeds@spamassassin.taint.org"}


def ham_kind(headers, default):
    if default:
        return default
    from_pairs = email.utils.getaddresses([(header_value(headers, "From") or "").replace("\n", " ")])
    if from_pairs and from_pairs[0][1].lower() in FEED_SENDERS:
        return "newsletter"
    names = {h.lower() for h, _ in headers}
    if names & {"list-id", "mailing-list", "list-post"}:
        return "list"
    precedence = (header_value(headers, "Precedence") or "").lower()
    if precedence in ("bulk", "list", "junk") or "list-unsubscribe" in names:
        return "newsletter"
    return "human"


class AddressMap:
    """Original recipient addresses to internal users, the same user for the same address."""

    def __init__(self, internal, seed):
        self.internal, self.seed = internal, seed
        self.weights = [len(c.people) for c in internal]
        self.cache = {}

    def user(self, key: str) -> Person:
        key = key.lower()
        if key not in self.cache:
            r = stable_rng(self.seed, "addr", key)
            company = r.choices(self.internal, weights=self.weights)[0]
            self.cache[key] = r.choice(company.people)
        return self.cache[key]


def rewrite_addresses(value: str, amap: AddressMap, keep=()):
    pairs = email.utils.getaddresses([value.replace("\n", " ")])
    out = []
    for name, addr in pairs:
        if not addr or "@" not in addr:
            continue
        if addr.lower() in keep:
            out.append(email.utils.formataddr((name, addr)) if name.isascii() else addr)
            continue
        p = amap.user(addr)
        out.append(p.mailbox())
    return out


def load_ham(corpus, amap: AddressMap, start: dt.datetime, span_days: int, seed, context: str, stats: Counter):
    messages = []
    seen_ids = set()
    followup_files = set()
    for folder, default_kind in HAM_FOLDERS:
        path = os.path.join(corpus, folder)
        if not os.path.isdir(path):
            stats[f"missing folder {folder}"] += 1
            continue
        items = []
        for name in sorted(os.listdir(path)):
            if name.startswith(".") or name in ("cmds",):
                continue
            if folder.endswith("enron_inbox_sample") and name in followup_files:
                stats["duplicate of enron_followup_phrases skipped"] += 1
                continue
            with open(os.path.join(path, name), "rb") as f:
                raw = f.read().decode("latin-1").replace("\r\n", "\n")
            envelope_line, headers, body = split_headers(raw)
            try:
                orig = email.utils.parsedate_to_datetime(header_value(headers, "Date") or "")
                if orig.tzinfo is None:
                    orig = orig.replace(tzinfo=dt.timezone.utc)
            except (TypeError, ValueError, IndexError):
                orig = None
            items.append((name, envelope_line, headers, body, orig))
        if folder.endswith("enron_followup_phrases"):
            followup_files = {n for n, *_ in items}
        # Linear map of the folder's dates (1st to 99th percentile) onto the traffic's span.
        stamps = sorted(o.timestamp() for *_, o in items if o is not None)
        if stamps:
            lo = stamps[int(len(stamps) * 0.01)]
            hi = stamps[min(len(stamps) - 1, int(len(stamps) * 0.99))]
        else:
            lo, hi = 0, 1
        for name, envelope_line, headers, body, orig in items:
            r = stable_rng(seed, "ham", folder, name)
            # The day moves, the local time of day stays; dates outside the folder's
            # usual range (broken clocks) land on a random day.
            if orig is not None and hi > lo and lo <= orig.timestamp() <= hi:
                frac = (orig.timestamp() - lo) / (hi - lo)
            else:
                frac = r.random()
            local = orig if orig is not None else start + dt.timedelta(hours=r.uniform(8, 18))
            day = start.date() + dt.timedelta(days=min(span_days - 1, int(frac * span_days)))
            when = dt.datetime.combine(day, local.timetz())
            kind = ham_kind(headers, default_kind)
            msg = readdress(folder, name, envelope_line, headers, body, when, kind, amap, r, seen_ids, stats)
            if msg is None:
                continue
            messages.append(msg[:4])
            if context == "re" and kind == "human":
                out = outbound_context(msg, r, folder)
                if out:
                    messages.append(out)
    return messages


def readdress(folder, name, envelope_line, headers, body, when, kind, amap, r, seen_ids, stats):
    mid = header_value(headers, "Message-ID")
    if mid and "<" in mid:
        mid = mid[mid.index("<"):mid.index(">") + 1] if ">" in mid else mid
    from_value = header_value(headers, "From") or ""
    from_pairs = email.utils.getaddresses([from_value.replace("\n", " ")])
    from_addr = from_pairs[0][1] if from_pairs and from_pairs[0][1] else "unknown@invalid"
    if not mid:
        digest = hashlib.sha1(f"{folder}/{name}".encode()).hexdigest()[:20]
        mid = f"<{digest}.corpus@{from_addr.split('@')[-1] or 'invalid'}>"
        headers.append(["Message-ID", " " + mid])
        stats["message-id created"] += 1
    if mid in seen_ids:
        stats["duplicate message-id skipped"] += 1
        return None
    seen_ids.add(mid)
    # Envelope sender: Return-Path, else the mbox From_ line, else From.
    env_from = None
    rp = header_value(headers, "Return-Path")
    if rp:
        m = re.search(r"<([^>]*)>", rp)
        env_from = (m.group(1) if m else rp.split()[0] if rp.split() else "").strip()
    if not env_from and envelope_line:
        env_from = envelope_line.split()[1] if len(envelope_line.split()) > 1 else None
    env_from = env_from or from_addr
    # Envelope recipient: the mailbox owner (Enron: the file's user), else the first To address.
    keep = set()
    list_addr = None
    if kind == "list":
        post = header_value(headers, "List-Post") or ""
        m = re.search(r"mailto:([^>\s]+)", post)
        list_addr = m.group(1).lower() if m else None
        list_id = header_value(headers, "List-Id") or header_value(headers, "Mailing-List") or ""
        for _, a in email.utils.getaddresses([(header_value(headers, "To") or "") + "," +
                                              (header_value(headers, "Cc") or "")]):
            local = a.lower().split("@")[0]
            if a and (a.lower() == list_addr or (local and local in list_id.lower())):
                keep.add(a.lower())
        owner_key = "list:" + (list_id or list_addr or from_addr)
    elif folder.startswith("ham/enron"):
        owner_key = "enron:" + name.split("__")[0]
    else:
        tos = email.utils.getaddresses([(header_value(headers, "To") or "").replace("\n", " ")])
        owner_key = tos[0][1] if tos and tos[0][1] else "sa:" + name
    owner = amap.user(owner_key)
    if folder.startswith("ham/enron"):
        surname = name.split("__")[0].split("-")[0]
        for _, a in email.utils.getaddresses([(header_value(headers, "To") or "") + "," +
                                              (header_value(headers, "Cc") or "")]):
            if surname and surname in a.lower().split("@")[0]:
                amap.cache[a.lower()] = owner
    out_headers = []
    to_written = False
    for h, v in headers:
        lh = h.lower()
        if lh in ("x-envelope-from", "x-envelope-to"):
            continue
        if lh == "date":
            out_headers.append(f"Date: {fmt_date(when)}")
            continue
        if lh in ("to", "cc"):
            mailboxes = rewrite_addresses(v, amap, keep)
            if lh == "to":
                to_written = True
                if kind != "list" and owner.mailbox() not in mailboxes and not folder.startswith("ham/enron"):
                    mailboxes = [owner.mailbox()] + mailboxes[1:]
            if mailboxes:
                out_headers.append(f"{h}: " + ",\n\t".join(mailboxes))
            continue
        out_headers.append(f"{h}:{v}")
    if not to_written:
        out_headers.append(f"To: {owner.mailbox()}")
    if header_value(headers, "Date") is None:
        out_headers.append(f"Date: {fmt_date(when)}")
    out_headers.append(f"X-Envelope-From: <{env_from}>")
    out_headers.append(f"X-Envelope-To: <{owner.address}>")
    raw = ("\n".join(out_headers) + "\n\n" + body).encode("latin-1")
    source = folder
    truth = {"kind": kind, "source": source, "file": f"{folder}/{name}", "sender": env_from.lower(),
             "recipient": owner.address, "from": from_addr.lower(),
             "followup_phrases": folder.endswith("enron_followup_phrases"),
             "subject": _decode(header_value(headers, "Subject") or "")}
    return (when, mid, raw, truth, owner)


def _decode(value: str) -> str:
    try:
        return str(email.header.make_header(email.header.decode_header(value.replace("\n", " "))))
    except Exception:  # a broken encoded word: keep it as found
        return value.replace("\n", " ")


def outbound_context(msg, r, folder):
    """A human reply ("Re: ...") implies its recipient wrote first: the server saw that
    outbound message, so one is added 2-48 hours earlier."""
    when, mid, raw, truth, person = msg
    subject = truth["subject"]
    if not re.match(r"\s*(re|aw|sv)\s*:", subject, re.I) or "@" not in truth["from"]:
        return None
    sender_addr = truth["from"]
    owner = truth["recipient"]
    at = when - dt.timedelta(hours=r.uniform(2, 48))
    out_id = f"<{hashlib.sha1((mid + 'ctx').encode()).hexdigest()[:24]}@{owner.split('@')[1]}>"
    clean = re.sub(r"^\s*((re|aw|sv|fwd?)\s*:\s*)+", "", subject, flags=re.I)
    body = f"Hi,\n\n{r.choice(HUMAN_OUTBOUND)}\n\nThanks\n"
    headers = [("From", person.mailbox()), ("To", sender_addr), ("Subject", encode_subject(clean)),
               ("Date", fmt_date(at)), ("Message-ID", out_id), ("MIME-Version", "1.0"),
               ("Content-Type", "text/plain; charset=utf-8"),
               ("X-Envelope-From", f"<{owner}>"), ("X-Envelope-To", f"<{sender_addr}>")]
    return (at, out_id, build_message(headers, body),
            {"kind": "human_outbound", "source": folder, "sender": owner, "recipient": sender_addr,
             "context_for": mid, "subject": clean})


# ---------------------------------------------------------------------------

FROM_LINE = re.compile(rb"^(>*From )", re.M)


def mbox_entry(env_from: str, when: dt.datetime, raw: bytes) -> bytes:
    stamp = when.astimezone(dt.timezone.utc).strftime("%a %b %d %H:%M:%S %Y")
    body = FROM_LINE.sub(rb">\1", raw)
    if not body.endswith(b"\n"):
        body += b"\n"
    return f"From {env_from or 'MAILER-DAEMON'} {stamp}\n".encode() + body + b"\n"


# --profile varied: every varied dimension at its widest range or mixed.
VARIED_PROFILE = {"campaign_size": "1,300", "steps": "2,8", "gap_days": "1,14", "signature": "mixed",
                  "display_name": "mixed", "placeholders": "mixed", "subjects": "mixed", "mailbox": "mixed"}


def add_variation_options(ap):
    g = ap.add_argument_group("what campaigns vary (defaults: today's traffic, byte for byte)")
    g.add_argument("--campaign-size", metavar="MIN,MAX", help="recipients per campaign MIN,MAX, log-uniform, times --scale "
                                           "(default 20,300)")
    g.add_argument("--steps", metavar="MIN,MAX", help="steps per sequence MIN,MAX: sequences cut, or extended with the source's "
                                   "other follow-up texts (default: as the corpus has them)")
    g.add_argument("--gap-days", metavar="MIN,MAX", help="days between steps MIN,MAX (default: the index's day offsets, else 2-7)")
    g.add_argument("--signature", choices=["on", "off", "mixed"],
                   help="signature block under outreach; mixed: per campaign (default: on with --infrastructure on)")
    g.add_argument("--display-name", choices=["on", "off", "mixed"],
                   help="From with the persona's display name, or a bare address (default on)")
    g.add_argument("--placeholders", choices=["filled", "unfilled", "mixed"],
                   help="unfilled: a broken mail merge leaves recipient fields as written or empty (default filled)")
    g.add_argument("--subjects", choices=["template", "re", "new", "mixed"],
                   help="follow-up subjects as the templates have them, all 'Re: <first subject>', or all a "
                        "subject of their own; mixed: re or new per campaign (default template)")
    g.add_argument("--mailbox", choices=["person", "role", "mixed"],
                   help="sending mailbox named after the person (jane.doe@) or a role (sales@, hello@ ...) "
                        "(default person)")
    g.add_argument("--profile", choices=["varied"],
                   help="varied: every option of this group at its widest range or mixed, unless given")


def parse_range(ap, text, lo, hi, what):
    try:
        a, b = (int(x) for x in text.split(","))
    except ValueError:
        ap.error(f"{what}: MIN,MAX expected, got {text!r}")
    if not lo <= a <= b <= hi:
        ap.error(f"{what}: {text} is not within {lo}..{hi} with MIN <= MAX")
    return a, b


def resolve_variation(ap, args):
    """The varied dimensions' options with the profile and the defaults
    applied. Truth records carry the per-campaign values only when one of
    them was given, so that a default run writes today's truth."""
    if args.profile == "varied":
        for key, value in VARIED_PROFILE.items():
            if getattr(args, key) is None:
                setattr(args, key, value)
        if args.infrastructure == "off" and args.signature == "mixed":
            args.signature = "off"          # no block to leave out: the profile keeps it off
    record = any(getattr(args, key) is not None for key in VARIED_PROFILE)
    if args.infrastructure == "off" and args.signature in ("on", "mixed"):
        ap.error("--signature on or mixed needs --infrastructure on (the block carries the campaign's links)")
    opts = argparse.Namespace(
        record=record,
        campaign_size=parse_range(ap, args.campaign_size or "20,300", 1, 5000, "--campaign-size"),
        steps=parse_range(ap, args.steps, 1, 12, "--steps") if args.steps else None,
        gap_days=parse_range(ap, args.gap_days, 1, 30, "--gap-days") if args.gap_days else None,
        signature=args.signature or ("on" if args.infrastructure == "on" else "off"),
        display_name=args.display_name or "on", placeholders=args.placeholders or "filled",
        subjects=args.subjects or "template", mailbox=args.mailbox or "person")
    return opts


def main(argv=None):
    default_corpus = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "corpus"))
    if not os.path.isdir(default_corpus):
        default_corpus = "/work/shared/corpus"
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", default=default_corpus)
    ap.add_argument("--out", required=True, help="mbox to write")
    ap.add_argument("--truth", required=True, help="ground truth, JSON lines")
    ap.add_argument("--internal-domains-out", help="file for the internal domains, one a line")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies the recipients per campaign (--campaign-size)")
    ap.add_argument("--companies", type=int, default=6, help="internal companies (the targets)")
    ap.add_argument("--employees", default="300,1500", help="employees per internal company, MIN,MAX")
    ap.add_argument("--start", default="2026-01-05", help="first day of the traffic")
    ap.add_argument("--days", type=int, default=120, help="length of the traffic in days")
    ap.add_argument("--reply-share", type=float, default=0.10, help="share of recipients who reply")
    ap.add_argument("--answer-share", type=float, default=0.5, help="share of replies the vendor answers")
    ap.add_argument("--singles", choices=["synthetic", "single"], default="synthetic",
                    help="templates without a sequence: combined per source into 3-5 step sequences, or sent alone")
    ap.add_argument("--human-context", choices=["re", "none"], default="re",
                    help="re: add the outbound message a human 'Re:' answers; none: inbound only")
    ap.add_argument("--rotation", choices=["off", "on", "persona-brands"], default="off",
                    help="on: campaigns rotate mailboxes over lookalike or webmail domains (see --rotation-share); "
                         "persona-brands: every rotating campaign rotates one persona over unrelated brands")
    ap.add_argument("--rotation-share", type=float, default=0.8,
                    help="with --rotation on or persona-brands, the share of campaigns that rotate; the others "
                         "keep their mailboxes")
    ap.add_argument("--personas-share", type=float, default=0.35,
                    help="share of rotating campaigns that also rotate display names (2-4 personas)")
    ap.add_argument("--persona-brands-share", type=float, default=0.0,
                    help="with --rotation on, the share of rotating campaigns that rotate one persona over the "
                         "domains of unrelated brands, tied only by a phone number and a booking page (default 0)")
    ap.add_argument("--infrastructure", choices=["on", "off"], default="on",
                    help="on: signature block, website, link tracker and booking page in every outreach message")
    ap.add_argument("--generated-human", choices=["on", "off"], default="on",
                    help="on: add partner-company colleagues and unrelated webmail senders (human mail)")
    add_variation_options(ap)
    ap.add_argument("--no-ham", action="store_true", help="outreach only")
    ap.add_argument("--quiet", action="store_true")
    args = ap.parse_args(argv)
    if not 0.0 <= args.persona_brands_share <= 1.0:
        ap.error("--persona-brands-share: a share from 0 to 1")
    if args.persona_brands_share and args.rotation != "on":
        ap.error("--persona-brands-share needs --rotation on (--rotation persona-brands: all rotating campaigns)")
    varied = resolve_variation(ap, args)
    t0 = time.time()

    rng = stable_rng(args.seed, "internal")
    used = set()
    lo, hi = (int(x) for x in args.employees.split(","))
    internal = [InternalCompany(rng, used, rng.randint(lo, hi)) for _ in range(args.companies)]
    start_day = dt.date.fromisoformat(args.start)
    start = dt.datetime(start_day.year, start_day.month, start_day.day, tzinfo=dt.timezone.utc)

    unfilled = Counter()
    templates = load_templates(args.corpus, unfilled)
    sequences = build_sequences(templates, args.singles, args.seed)
    by_repo = defaultdict(list)
    for t in templates:
        by_repo[t.repo].append(t)
    messages = []
    campaigns = []
    for k, seq in enumerate(sequences):
        camp = Campaign(f"c{k + 1:04d}", seq, args.seed, internal, used, args.scale, varied.campaign_size)
        camp.variation = Variation(varied, args.seed, camp.id)
        if varied.steps:
            steps_rng = stable_rng(args.seed, "steps", camp.id)
            camp.steps = fit_steps(seq.steps, steps_rng.randint(*varied.steps), by_repo[seq.repo], steps_rng)
        campaigns.append(camp)
    # Pools are drawn after every vendor exists, so that rotation changes no vendor.
    taken_domains = set(used)
    taken_addresses = set()
    role_addresses = set()
    brands = set()
    for camp in campaigns:
        # Unrelated vendors get distinct brands; a taken one falls back to the full
        # name (atlas, then atlaslabs): close brands that must stay apart.
        for candidate in (camp.brand, slug(camp.vendor.name), slug(camp.vendor.name) + camp.id[-2:]):
            if candidate not in brands:
                camp.brand = candidate
                break
        brands.add(camp.brand)
    persona = None
    if args.rotation == "persona-brands" or args.persona_brands_share:
        # What keeps persona campaigns apart: brands of their own, and a phone and
        # booking page that no other campaign has.
        persona = argparse.Namespace(brands=set(brands), pages=set(), persona_phones=set(),
                                     phones=Counter(c.campaign_value("phone", "phone") for c in campaigns))
    for camp in campaigns:
        camp.plan_sending(args.seed, args.rotation, args.rotation_share, args.personas_share,
                          taken_domains, taken_addresses, args.persona_brands_share, persona)
        if args.infrastructure == "off":
            camp.infra = None
        if camp.variation.mailbox == "role":
            camp.use_role_mailboxes(stable_rng(args.seed, "mailbox", camp.id), role_addresses)
        messages.extend(plan_campaign(camp, start_day, args.days, args.reply_share, args.answer_share, args.seed))
    if args.generated_human == "on":
        messages.extend(partner_mail(internal, used, args.seed, start_day, args.days))
        messages.extend(webmail_people(internal, args.seed, start_day, args.days))
    ham_stats = Counter()
    if not args.no_ham:
        amap = AddressMap(internal, args.seed)
        messages.extend(load_ham(args.corpus, amap, start, args.days, args.seed, args.human_context, ham_stats))

    messages.sort(key=lambda m: (m[0].timestamp(), m[1]))
    domains = [c.domain for c in internal]
    stats = Counter()
    by_source = Counter()
    with open(args.out, "wb") as mbox, open(args.truth, "w", encoding="utf-8") as truth_file:
        header = {"record": "header", "generator": "campaign_gen", "seed": args.seed, "scale": args.scale,
                  "corpus": os.path.abspath(args.corpus), "internal_domains": domains,
                  "start": args.start, "days": args.days, "reply_share": args.reply_share,
                  "singles": args.singles, "human_context": args.human_context, "rotation": args.rotation,
                  "rotation_share": args.rotation_share, "personas_share": args.personas_share,
                  "infrastructure": args.infrastructure, "generated_human": args.generated_human}
        if persona is not None:
            header["persona_brands_share"] = 1.0 if args.rotation == "persona-brands" else args.persona_brands_share
        if varied.record:
            header["variation"] = {key: getattr(args, key) for key in VARIED_PROFILE}
            header["variation"]["profile"] = args.profile
        truth_file.write(json.dumps(header) + "\n")
        for position, (when, mid, raw, truth) in enumerate(messages, 1):
            env_from = truth.get("sender", "")
            mbox.write(mbox_entry(env_from, when, raw))
            record = {"record": "message", "message_id": mid, "position": position,
                      "date": when.astimezone(dt.timezone.utc).isoformat()}
            record.update(truth)
            truth_file.write(json.dumps(record, ensure_ascii=False) + "\n")
            stats[truth["kind"]] += 1
            by_source[(truth["kind"], truth["source"])] += 1
    if args.internal_domains_out:
        with open(args.internal_domains_out, "w") as f:
            f.write("\n".join(domains) + "\n")

    if not args.quiet:
        recipients = sum(len(c.recipients) for c in campaigns)
        synthetic = sum(1 for c in campaigns if c.seq.synthetic)
        p = lambda *a: print(*a, file=sys.stderr)
        p(f"internal domains: {' '.join(domains)}")
        p(f"templates {len(templates)}, sequences {len(sequences)} ({synthetic} combined from single templates), "
          f"campaigns {len(campaigns)}, recipients {recipients}, steps per campaign "
          f"{dict(sorted(Counter(len(c.steps) for c in campaigns).items()))}")
        p(f"messages {len(messages)}: " + ", ".join(f"{k} {v}" for k, v in stats.most_common()))
        for (kind, source), n in sorted(by_source.items()):
            p(f"  {kind:15} {n:7}  {source}")
        for k, v in ham_stats.items():
            p(f"ham: {k}: {v}")
        if unfilled:
            p(f"bracketed text left as found: {len(unfilled)} distinct, e.g. "
              + ", ".join(k.replace(chr(10), ' ') for k, _ in unfilled.most_common(12)))
        p(f"wrote {args.out} and {args.truth} in {time.time() - t0:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
