#!/usr/bin/env python3
"""Accuracy figures: joins the ground truth written by bench/campaign_gen.py with
the per-message output of `pushback replay --json` and prints, per source and
overall, how the verdicts compare with the targets of the accuracy issue.

Trusts neither input to be complete: messages missing from the replay, replay
records that match no generated message, duplicate ids and unknown verdicts
are counted and reported, never fatal. Standard library only. `--self-test`
runs the generator on a tiny built-in corpus and checks the join and the
arithmetic, without any corpus on disk.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict

VERDICT_RANK = {"pass": 0, "outbound": 0, "tag": 1, "quarantine": 2, "reject": 3}
VERDICT_ALIASES = {"accept": "pass", "none": "pass", "ok": "pass", "monitor": "pass",
                   "tagged": "tag", "add_header": "tag", "bulk": "tag",
                   "hold": "quarantine", "quarantined": "quarantine",
                   "refuse": "reject", "refused": "reject", "rejected": "reject", "tempfail": "reject",
                   "discard": "reject"}

TARGETS = {
    "followups_tagged": 0.97,       # share of unanswered follow-ups tagged or worse, at least
    "streaks_stopped": 0.90,        # share of pairs with 4+ unanswered whose 4th+ are held, at least
    "human_held": 0,                # human messages quarantined or refused, at most
    "human_tagged": 0.001,          # share of human messages tagged, at most
    "bulk_held": 0,                 # newsletters and list mail quarantined or refused, at most
}

BULK_KINDS = ("newsletter", "list")
HUMAN_KINDS = ("human",)
CONVERSATION_KINDS = ("reply", "answer", "human_outbound")
OUTBOUND_KINDS = ("reply", "human_outbound")    # written by our users: replay scores them outbound

# Symbols that come from the state (what earlier messages taught), as opposed
# to the analysis of the message alone.
STATE_SYMBOLS = {"UNANSWERED_STREAK", "SEQUENCE_STEP", "PAIR_RATE", "SENDER_RATE", "TEMPLATE_BULK",
                 "FAKE_REPLY", "DIALOGUE", "ROTATION"}


def norm_id(value) -> str:
    if not value:
        return ""
    value = str(value).strip()
    m = re.search(r"<([^>]*)>", value)
    # Folded or re-spaced ids (a quoted local part with runs of spaces) join too.
    return re.sub(r"\s+", "", m.group(1) if m else value)


def norm_verdict(value) -> str:
    v = str(value or "").strip().lower()
    v = VERDICT_ALIASES.get(v, v)
    return v if v in VERDICT_RANK else "unknown"


def replay_position(record):
    pos = record.get("position")
    if isinstance(pos, int):
        return pos
    if isinstance(pos, str) and pos.isdigit():
        return int(pos)
    m = re.search(r"#(\d+)$", str(record.get("source", "")))
    return int(m.group(1)) if m else None


def read_jsonl(lines, what, problems: Counter):
    out = []
    for n, line in enumerate(lines, 1):
        line = line.strip()
        if not line:
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError:
            problems[f"{what}: lines that are not JSON"] += 1
            continue
        if isinstance(obj, dict):
            out.append(obj)
    return out


def load_truth(lines, problems):
    header, messages = {}, []
    for obj in read_jsonl(lines, "truth", problems):
        if obj.get("record") == "header":
            header = obj
        elif "message_id" in obj:
            messages.append(obj)
    return header, messages


def load_replay(lines, problems):
    out = []
    for obj in read_jsonl(lines, "replay", problems):
        if "message_id" in obj or "verdict" in obj:
            out.append(obj)
        else:
            problems["replay: objects without message_id or verdict (summaries) skipped"] += 1
    return out


def join(truth, replay, problems: Counter):
    """Pairs each truth record with its replay record (or None), by Message-ID;
    among duplicate ids the one at the same position wins; a replay record
    without an id is matched by position."""
    by_id = defaultdict(list)
    by_pos = {}
    for i, r in enumerate(replay):
        by_id[norm_id(r.get("message_id"))].append(i)
        pos = replay_position(r)
        if pos is not None:
            by_pos.setdefault(pos, i)
    used = set()
    pairs = []
    offsets = Counter()
    for t in truth:
        match = None
        candidates = [i for i in by_id.get(norm_id(t["message_id"]), []) if i not in used]
        if len(candidates) > 1:
            problems["replay: duplicate Message-IDs"] += 1
            same = [i for i in candidates if replay_position(replay[i]) == t.get("position")]
            match = same[0] if same else candidates[0]
        elif candidates:
            match = candidates[0]
        else:
            i = by_pos.get(t.get("position"))
            if i is not None and i not in used and not norm_id(replay[i].get("message_id")):
                match = i
        if match is None:
            pairs.append((t, None))
            continue
        used.add(match)
        r = replay[match]
        rp = replay_position(r)
        if rp is not None and t.get("position") is not None:
            offsets[rp - t["position"]] += 1
        pairs.append((t, r))
    extras = [replay[i] for i in range(len(replay)) if i not in used]
    return pairs, extras, offsets


class Tally:
    """Counts for one group of messages (one source, or all)."""

    def __init__(self):
        self.c = Counter()
        self.pairs = {}          # (campaign, recipient) -> [held flags of messages with unanswered >= 4]

    def add(self, t, r):
        kind = t.get("kind", "unknown")
        self.c[f"{kind}.messages"] += 1
        if r is None:
            self.c[f"{kind}.missing"] += 1
            self.c["missing"] += 1
            return
        verdict = norm_verdict(r.get("verdict"))
        if verdict == "unknown":
            self.c["unknown_verdict"] += 1
            return
        rank = VERDICT_RANK[verdict]
        self.c[f"{kind}.{verdict}"] += 1
        self.c[f"{kind}.present"] += 1
        if (kind in OUTBOUND_KINDS) != (verdict == "outbound"):
            self.c["direction_wrong"] += 1
        if kind == "outreach":
            if t.get("step", 1) == 1:
                self.c["first_messages"] += 1
                self.c["first_messages_tagged"] += rank >= 1
            if t.get("step", 1) >= 2 and not t.get("replied_before"):
                names = {s.get("name") for s in r.get("symbols") or [] if isinstance(s, dict)}
                self.c["followups"] += 1
                self.c["followups_tagged"] += rank >= 1
                self.c["followups_passed"] += rank == 0
                self.c["followups_no_state"] += not (names & STATE_SYMBOLS)
                self.c["followups_passed_no_state"] += rank == 0 and not (names & STATE_SYMBOLS)
                self.c["followups_new_address"] += t.get("unanswered_address", t.get("step")) == 1
                self.c["followups_new_address_tagged"] += rank >= 1 and t.get("unanswered_address", t.get("step")) == 1
            if t.get("unanswered", 0) >= 4 and not t.get("replied_before"):
                self.c["streak_messages"] += 1
                self.c["streak_messages_held"] += rank >= 2
                self.pairs.setdefault((t.get("campaign"), t.get("recipient")), []).append(rank >= 2)
        elif kind in HUMAN_KINDS:
            self.c["human"] += 1
            self.c["human_held"] += rank >= 2
            self.c["human_tagged"] += rank == 1
            if t.get("followup_phrases"):
                self.c["followup_phrases"] += 1
                self.c["followup_phrases_passed"] += rank == 0
            if t.get("colleague"):
                self.c["colleague"] += 1
                self.c["colleague_held"] += rank >= 2
                self.c["colleague_tagged"] += rank == 1
                if t.get("followup_phrases"):
                    self.c["colleague_followups"] += 1
                    self.c["colleague_followups_passed"] += rank == 0
        elif kind == "unsolicited":
            self.c["unsolicited"] += 1
            self.c["unsolicited_held"] += rank >= 2
            self.c["unsolicited_tagged"] += rank == 1
        elif kind in BULK_KINDS:
            self.c["bulk"] += 1
            self.c["bulk_held"] += rank >= 2
            self.c["bulk_tagged"] += rank == 1
        elif kind in CONVERSATION_KINDS:
            self.c["conversation"] += 1
            self.c["conversation_held"] += rank >= 2
            self.c["conversation_tagged"] += rank == 1

    def figures(self):
        c = self.c
        pairs = len(self.pairs)
        stopped = sum(1 for flags in self.pairs.values() if all(flags))
        f = {
            "messages": sum(v for k, v in c.items() if k.endswith(".messages")),
            "missing": c["missing"],
            "unknown_verdict": c["unknown_verdict"],
            "followups": c["followups"],
            "followups_tagged": c["followups_tagged"],
            "followups_tagged_share": ratio(c["followups_tagged"], c["followups"]),
            "followups_passed": c["followups_passed"],
            "followups_no_state": c["followups_no_state"],
            "followups_passed_no_state": c["followups_passed_no_state"],
            "followups_new_address": c["followups_new_address"],
            "followups_new_address_tagged": c["followups_new_address_tagged"],
            "first_messages": c["first_messages"],
            "first_messages_tagged": c["first_messages_tagged"],
            "first_messages_tagged_share": ratio(c["first_messages_tagged"], c["first_messages"]),
            "direction_wrong": c["direction_wrong"],
            "streak_pairs": pairs,
            "streak_pairs_stopped": stopped,
            "streaks_stopped_share": ratio(stopped, pairs),
            "streak_messages": c["streak_messages"],
            "streak_messages_held": c["streak_messages_held"],
            "streak_messages_held_share": ratio(c["streak_messages_held"], c["streak_messages"]),
            "human": c["human"],
            "human_held": c["human_held"],
            "human_tagged": c["human_tagged"],
            "human_tagged_share": ratio(c["human_tagged"], c["human"]),
            "bulk": c["bulk"],
            "bulk_held": c["bulk_held"],
            "bulk_tagged": c["bulk_tagged"],
            "followup_phrases": c["followup_phrases"],
            "followup_phrases_passed": c["followup_phrases_passed"],
            "unsolicited": c["unsolicited"],
            "unsolicited_held": c["unsolicited_held"],
            "unsolicited_tagged": c["unsolicited_tagged"],
            "colleague": c["colleague"],
            "colleague_held": c["colleague_held"],
            "colleague_tagged": c["colleague_tagged"],
            "colleague_followups": c["colleague_followups"],
            "colleague_followups_passed": c["colleague_followups_passed"],
            "conversation": c["conversation"],
            "conversation_held": c["conversation_held"],
            "conversation_tagged": c["conversation_tagged"],
            "by_kind": {k: v for k, v in sorted(c.items()) if "." in k},
        }
        return f


def ratio(a, b):
    return None if b == 0 else a / b


# ---------------------------------------------------------------------------
# What campaigns vary (campaign_gen.py --profile varied and the options it
# sets): each outreach record then carries its campaign's values, and the
# outreach is split by each dimension to find the value that is hardest.

def _bucket(value, edges):
    """`value` as the label of the range of `edges` ((low, high or None)) it falls in."""
    for low, high in edges:
        if value >= low and (high is None or value <= high):
            return f"{low}+" if high is None else f"{low}-{high}"
    return str(value)


def _gap_label(t):
    gaps = t.get("gap_days") or []
    if not gaps:
        return "one step"
    return _bucket(round(sum(gaps) / len(gaps)), [(1, 2), (3, 5), (6, 9), (10, 14), (15, None)])


def _placeholders_label(t):
    if t.get("placeholders") == "unfilled":
        return f"unfilled ({t.get('placeholder_gap')})"
    return str(t.get("placeholders"))


DIMENSIONS = [  # (name, label of an outreach record's value)
    ("campaign size (recipients)",
     lambda t: _bucket(t["campaign_size"], [(1, 5), (6, 20), (21, 100), (101, 300), (301, None)])),
    ("steps in the sequence", lambda t: str(t.get("steps"))),
    ("mean gap between steps (days)", _gap_label),
    ("signature block", lambda t: "on" if t.get("signature") else "off"),
    ("From display name", lambda t: "on" if t.get("from_display_name") else "off"),
    ("placeholders", _placeholders_label),
    ("follow-up subjects", lambda t: str(t.get("subjects"))),
    ("sending mailbox", lambda t: str(t.get("mailbox"))),
]

# Columns of the split, all "higher is better" for outreach: (title, count, of).
DIMENSION_COLUMNS = [("follow-ups tagged+", "followups_tagged", "followups"),
                     ("first messages (step 1) tagged+", "first_messages_tagged", "first_messages"),
                     ("pairs 4+ stopped", "streak_pairs_stopped", "streak_pairs")]


def _label_order(label):
    m = re.match(r"\d+", label)
    return (int(m.group()) if m else float("inf"), label)


def split_by_dimension(pairs):
    """{dimension: {value: figures}} over the outreach whose truth carries
    the varied values; {} for a truth written without them."""
    tallies = defaultdict(lambda: defaultdict(Tally))
    for t, r in pairs:
        if t.get("kind") != "outreach" or "campaign_size" not in t:
            continue
        for name, label in DIMENSIONS:
            tallies[name][label(t)].add(t, r)
    return {name: {v: tallies[name][v].figures() for v in sorted(tallies[name], key=_label_order)}
            for name, _ in DIMENSIONS if name in tallies}


def worst_values(values):
    """Per column, the value with the lowest share, when two or more values
    have any: {count key: value}."""
    out = {}
    for _title, count, of in DIMENSION_COLUMNS:
        shares = [(f[count] / f[of], v) for v, f in values.items() if f[of]]
        if len(shares) >= 2:
            out[count] = min(shares, key=lambda x: x[0])[1]
    return out


def evaluate(truth, replay, problems=None):
    problems = problems if problems is not None else Counter()
    pairs, extras, offsets = join(truth, replay, problems)
    overall, per_source, per_rotation = Tally(), defaultdict(Tally), defaultdict(Tally)
    for t, r in pairs:
        overall.add(t, r)
        per_source[t.get("source", "unknown")].add(t, r)
        if t.get("rotation"):
            per_rotation[t["rotation"]].add(t, r)
    result = {
        "overall": overall.figures(),
        "sources": {s: tally.figures() for s, tally in sorted(per_source.items())},
        "rotations": {m: tally.figures() for m, tally in sorted(per_rotation.items())},
        "dimensions": split_by_dimension(pairs),
        "missing": [t["message_id"] for t, r in pairs if r is None],
        "extra": [r.get("message_id") for r in extras],
        "position_offsets": dict(offsets),
        "problems": dict(problems),
    }
    result["targets"] = check_targets(result["overall"])
    return result


def check_targets(f):
    out = {}
    if f["followups"]:
        out["followups_tagged"] = f["followups_tagged_share"] >= TARGETS["followups_tagged"]
    if f["streak_pairs"]:
        out["streaks_stopped"] = f["streaks_stopped_share"] >= TARGETS["streaks_stopped"]
    if f["human"]:
        out["human_held"] = f["human_held"] <= TARGETS["human_held"]
        out["human_tagged"] = f["human_tagged_share"] <= TARGETS["human_tagged"]
    if f["bulk"]:
        out["bulk_held"] = f["bulk_held"] <= TARGETS["bulk_held"]
    if f["unsolicited"]:
        out["unsolicited_held"] = f["unsolicited_held"] == 0
    if f["followup_phrases"]:
        out["followup_phrases_pass"] = f["followup_phrases_passed"] == f["followup_phrases"]
    if f["colleague_followups"]:
        out["colleague_followups_pass"] = f["colleague_followups_passed"] == f["colleague_followups"]
    if f["conversation"]:
        out["conversation_held"] = f["conversation_held"] == 0
    return out


def fmt_share(a, b):
    return "-" if not b else f"{a / b:.4f} ({a}/{b})"


def fmt_count(a, b):
    return "-" if not b else f"{a} of {b}"


def source_table(rows, p):
    p("| source | messages | missing | follow-ups tagged+ | pairs 4+ stopped | 4th+ msgs held "
      "| human held | human tagged | human follow-ups passed | bulk held | bulk tagged | replies held |")
    p("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, f in rows:
        p(f"| {name} | {f['messages']} | {f['missing']} | {fmt_share(f['followups_tagged'], f['followups'])} "
          f"| {fmt_share(f['streak_pairs_stopped'], f['streak_pairs'])} "
          f"| {fmt_share(f['streak_messages_held'], f['streak_messages'])} "
          f"| {f['human_held'] if f['human'] else '-'} | {fmt_share(f['human_tagged'], f['human'])} "
          f"| {fmt_count(f['followup_phrases_passed'], f['followup_phrases'])} "
          f"| {f['bulk_held'] if f['bulk'] else '-'} | {fmt_share(f['bulk_tagged'], f['bulk'])} "
          f"| {f['conversation_held'] if f['conversation'] else '-'} |")


def rotation_table(rows, p):
    p("| rotation | outreach | follow-ups tagged+ | follow-ups passed | of them with no state symbol "
      "| follow-ups from an address new to the pair, tagged+ | pairs 4+ stopped | 4th+ msgs held |")
    p("|---|---|---|---|---|---|---|---|")
    for name, f in rows:
        p(f"| {name} | {f['by_kind'].get('outreach.messages', 0)} "
          f"| {fmt_share(f['followups_tagged'], f['followups'])} | {f['followups_passed']} "
          f"| {f['followups_passed_no_state']} "
          f"| {fmt_share(f['followups_new_address_tagged'], f['followups_new_address'])} "
          f"| {fmt_share(f['streak_pairs_stopped'], f['streak_pairs'])} "
          f"| {fmt_share(f['streak_messages_held'], f['streak_messages'])} |")


def dimension_table(dimensions, p):
    """Outreach split by each varied dimension, the worst value of each
    column in bold, then the worst values named."""
    p("| dimension | value | outreach | " + " | ".join(title for title, _, _ in DIMENSION_COLUMNS) + " |")
    p("|---|---|---|" + "---|" * len(DIMENSION_COLUMNS))
    for name, values in dimensions.items():
        worst = worst_values(values)
        for value, f in values.items():
            cells = []
            for _title, count, of in DIMENSION_COLUMNS:
                cell = fmt_share(f[count], f[of])
                cells.append(f"**{cell}**" if worst.get(count) == value else cell)
            p(f"| {name} | {value} | {f['by_kind'].get('outreach.messages', 0)} | " + " | ".join(cells) + " |")
    p("")
    p("| dimension | worst for " + " | worst for ".join(title for title, _, _ in DIMENSION_COLUMNS) + " |")
    p("|---|" + "---|" * len(DIMENSION_COLUMNS))
    for name, values in dimensions.items():
        worst = worst_values(values)
        p(f"| {name} | " + " | ".join(worst.get(count, "- (one value)") for _t, count, _o in DIMENSION_COLUMNS)
          + " |")


def target_lines(o, targets):
    names = {
        "followups_tagged": f"follow-ups (step 2+, unanswered) tagged or worse >= {TARGETS['followups_tagged']}: "
                            f"{fmt_share(o['followups_tagged'], o['followups'])}",
        "streaks_stopped": f"pairs with 4+ unanswered, every 4th+ message quarantined or refused >= "
                           f"{TARGETS['streaks_stopped']}: {fmt_share(o['streak_pairs_stopped'], o['streak_pairs'])}",
        "human_held": f"human mail quarantined or refused = 0: {o['human_held']} of {o['human']}",
        "human_tagged": f"human mail tagged <= {TARGETS['human_tagged']}: {fmt_share(o['human_tagged'], o['human'])}",
        "bulk_held": f"newsletters and list mail quarantined or refused = 0: {o['bulk_held']} of {o['bulk']}",
        "unsolicited_held": f"strangers' follow-ups to an unanswered first message quarantined or refused = 0: "
                            f"{o['unsolicited_held']} of {o['unsolicited']} (tagged {o['unsolicited_tagged']})",
        "followup_phrases_pass": f"human \"following up\" mail passing (Enron, colleagues, webmail), all: "
                                 f"{o['followup_phrases_passed']} of {o['followup_phrases']}",
        "colleague_followups_pass": f"partner colleagues' \"following up\" passing, all: "
                                    f"{o['colleague_followups_passed']} of {o['colleague_followups']}",
        "conversation_held": f"replies of our users, vendors' answers and our users' other mail quarantined or "
                             f"refused = 0: {o['conversation_held']} of {o['conversation']}",
    }
    return [f"  [{'ok' if ok else 'MISSED'}] {names[key]}" for key, ok in targets.items()]


def report(result, out=sys.stdout):
    p = lambda *a: print(*a, file=out)
    o = result["overall"]
    p("Accuracy over the replay")
    p("")
    source_table(list(result["sources"].items()) + [("overall", o)], p)
    if result.get("rotations"):
        p("")
        p("Outreach by how the campaign rotates its mailboxes (state symbols: "
          + ", ".join(sorted(STATE_SYMBOLS)) + "):")
        p("")
        rotation_table(list(result["rotations"].items()) + [("all", o)], p)
    if result.get("dimensions"):
        p("")
        p("Outreach by what its campaign varies (bold: the worst value of the column in that dimension):")
        p("")
        dimension_table(result["dimensions"], p)
    p("")
    p("Targets (overall):")
    for line in target_lines(o, result["targets"]):
        p(line)
    p(f"  follow-ups passed with no state symbol: {o['followups_passed_no_state']} of {o['followups_passed']} passed")
    p(f"  partner colleagues' mail: held {o['colleague_held']}, tagged {o['colleague_tagged']} of {o['colleague']}")
    p("")
    p(f"Messages missing from the replay: {len(result['missing'])}"
      + (f" (first: {', '.join(result['missing'][:5])})" if result["missing"] else ""))
    p(f"Replay records matching no generated message: {len(result['extra'])}")
    if o["direction_wrong"]:
        p(f"Messages whose direction (inbound/outbound) differs from the truth's: {o['direction_wrong']}")
    offsets = result["position_offsets"]
    if offsets and set(offsets) != {0}:
        p(f"Replay positions differ from the truth's: offsets {offsets}")
    for k, v in result["problems"].items():
        p(f"{k}: {v}")


# ---------------------------------------------------------------------------
# Self-test: a tiny corpus written on the fly, both scripts, checked arithmetic.

def _template(seq, role, step, day, subject, body, repo="acme/sales-playbook"):
    return (f"X-Corpus-Source-Repo: {repo}\nX-Corpus-Source-Path: seq.md\nX-Corpus-Category: cold\n"
            f"X-Corpus-Sequence-Id: {seq}\nX-Corpus-Sequence-Role: {role}\nX-Corpus-Step: {step}\n"
            f"X-Corpus-Day: {day}\nSubject: {subject}\n\n{body}\n")


def write_tiny_corpus(root):
    cold = os.path.join(root, "outreach", "cold")
    os.makedirs(cold)
    index = []

    def add(name, seq, role, step, day, subject, body, repo="acme/sales-playbook"):
        with open(os.path.join(cold, name), "w") as f:
            f.write(_template(seq, role, step, day, subject, body, repo))
        index.append({"file": f"cold/{name}", "category": "cold", "repo": repo, "sequence_id": seq,
                      "role": role if role != "unknown" else None, "step": step if step != "" else None,
                      "day": day if day != "" else None, "subject": subject or None})

    add("acme__0001.txt", "s1", "initial", 1, 1, "Quick question about {{Company}}",
        "{Hi|Hey|Hello} {{first_name}},\n\nWe help {industry} teams like [Company] with [pain point].\n"
        "{Worth a chat?|Open to {a call|a quick call}?}\n\n[Your Name]\n[Your Company]")
    add("acme__0002.txt", "s1", "follow-up", 2, 3, "Re: Quick question about {{Company}}",
        "Hi {FIRST_NAME}, just bumping this to the top of your inbox.\n\n{{sender_name}}")
    add("acme__0003.txt", "s1", "follow-up", 3, 7, "",
        "{{first_name}}, did you get my last message? Happy to share how [Similar Company] did it.\n\n[Your name]")
    add("acme__0004.txt", "s1", "breakup", 4, 14, "Closing the loop",
        "Hi [First Name], I'll assume {{company_name}} has other priorities. Closing your file.\n\n{{sender_name}}")
    add("other__0001.txt", "x1", "unknown", "", "", "", "Hello [Name], a one-off note about {{company}}.\n\n[Rep]",
        repo="other/templates")
    add("other__0002.txt", "x2", "unknown", "", "", "idea for {{company}}", "Hi {{firstName}}, an idea.\n\n[Sender]",
        repo="other/templates")
    add("other__0003.txt", "x3", "follow-up", "", "", "", "Hi {{first_name}}, following up on my note.\n\n[Sender]",
        repo="other/templates")
    with open(os.path.join(root, "outreach", "index.jsonl"), "w") as f:
        for row in index:
            f.write(json.dumps(row) + "\n")

    def ham(folder, name, text):
        path = os.path.join(root, "ham", folder)
        os.makedirs(path, exist_ok=True)
        with open(os.path.join(path, name), "w") as f:
            f.write(text)

    ham("enron_inbox_sample", "doe-j__inbox__1.eml",
        "Date: Mon, 3 Dec 2001 10:00:00 -0800 (PST)\nFrom: ann.lee@enron.com\nTo: john.doe@enron.com\n"
        "Subject: Budget\n\nJohn, the numbers are attached.\nFrom my desk: see row 4.\n")
    ham("enron_inbox_sample", "doe-j__inbox__2.eml",
        "Message-ID: <2.JavaMail@thyme>\nDate: Tue, 4 Dec 2001 11:00:00 -0800 (PST)\nFrom: bob.ray@enron.com\n"
        "To: john.doe@enron.com, carl.fox@enron.com\nSubject: RE: Budget\n\nAgreed.\n")
    ham("enron_inbox_sample", "doe-j__inbox__3.eml",
        "Date: Wed, 5 Dec 2001 09:00:00 -0800 (PST)\nFrom: ann.lee@enron.com\nTo: john.doe@enron.com\n"
        "Subject: Just following up\n\nJust following up on my last email.\n")
    ham("enron_followup_phrases", "doe-j__inbox__3.eml",
        "Date: Wed, 5 Dec 2001 09:00:00 -0800 (PST)\nFrom: ann.lee@enron.com\nTo: john.doe@enron.com\n"
        "Subject: Just following up\n\nJust following up on my last email.\n")
    ham("enron_followup_phrases", "roe-k__inbox__9.eml",
        "Date: Thu, 6 Dec 2001 09:00:00 -0800 (PST)\nFrom: dan.cole@enron.com\nTo: k.roe@enron.com\n"
        "Subject: circle back\n\nWanted to circle back on the contract.\n")
    ham("spamassassin/easy_ham", "00001.aa",
        "From list-admin@lists.example.org  Thu Aug 22 12:36:23 2002\nReturn-Path: <list-admin@lists.example.org>\n"
        "Message-Id: <l1@example.org>\nDate: Thu, 22 Aug 2002 12:36:23 +0100\nFrom: Pat <pat@example.net>\n"
        "To: talk@lists.example.org\nSubject: Re: build fails\nList-Id: Talk <talk.lists.example.org>\n"
        "List-Post: <mailto:talk@lists.example.org>\n\nTry make clean.\n")
    ham("spamassassin/easy_ham", "00002.bb",
        "Message-Id: <p1@example.com>\nDate: Fri, 23 Aug 2002 09:00:00 +0100\nFrom: Kim <kim@example.com>\n"
        "To: jm@example.org\nSubject: lunch\n\nLunch on Friday?\n")
    ham("spamassassin/hard_ham", "00001.cc",
        "Message-Id: <n1@news.example.com>\nDate: Sat, 24 Aug 2002 06:00:00 -0400\n"
        "From: News <news@news.example.com>\nTo: jm@example.org\nSubject: This week\nPrecedence: bulk\n\n"
        "From the editor: this week's stories.\n")


def split_mbox(data: bytes):
    parts = re.split(rb"(?:^|\n)From [^\n]*\n", data)
    return [p for p in parts if p.strip()]


def self_test():
    here = os.path.dirname(os.path.abspath(__file__))
    failures = []

    def check(cond, what):
        if not cond:
            failures.append(what)

    with tempfile.TemporaryDirectory() as tmp:
        corpus = os.path.join(tmp, "corpus")
        write_tiny_corpus(corpus)
        mbox, truth_path, domains_path = (os.path.join(tmp, n) for n in ("c.mbox", "t.jsonl", "d.txt"))
        cmd = [sys.executable, os.path.join(here, "campaign_gen.py"), "--corpus", corpus, "--out", mbox,
               "--truth", truth_path, "--internal-domains-out", domains_path, "--companies", "2",
               "--employees", "40,60", "--scale", "0.5", "--reply-share", "0.3", "--seed", "7", "--quiet"]
        gen = subprocess.run(cmd, capture_output=True, text=True)
        check(gen.returncode == 0, f"campaign_gen failed: {gen.stderr[-2000:]}")
        if gen.returncode != 0:
            return report_self_test(failures)
        problems = Counter()
        with open(truth_path, encoding="utf-8") as f:
            header, truth = load_truth(f, problems)
        with open(domains_path) as f:
            domains = f.read().split()
        check(domains == header.get("internal_domains") and len(domains) == 2, "internal domains file and header")
        with open(mbox, "rb") as f:
            raw = split_mbox(f.read())
        check(len(raw) == len(truth), f"mbox holds {len(raw)} messages, truth {len(truth)}")
        ids = [t["message_id"] for t in truth]
        check(len(set(ids)) == len(ids), "Message-IDs unique")
        check([t["position"] for t in truth] == list(range(1, len(truth) + 1)), "positions 1..n")
        check([t["date"] for t in truth] == sorted(t["date"] for t in truth), "ordered by time")
        for t, msg in zip(truth, raw):
            m = re.search(rb"^Message-ID: *(\S+)", msg, re.M | re.I)
            check(m and m.group(1).decode() == t["message_id"], f"mbox order at {t['position']}")
            env_to = re.search(rb"^X-Envelope-To: <([^>]*)>", msg, re.M)
            check(env_to is not None and re.search(rb"^X-Envelope-From: ", msg, re.M) is not None,
                  f"envelope headers at {t['position']}")
            if t["kind"] in ("outreach", "answer"):
                body = msg.decode("utf-8")
                check(not re.search(r"\{\{|\[(Company|Name|Your|First|Rep|Sender|Similar)|\{[A-Z_]+\}|\{[^{}]*\|", body),
                      f"unfilled placeholder or spintax in {t['message_id']}: {body[:400]}")
                check(env_to.group(1).decode().split("@")[1] in domains, "outreach goes to an internal domain")
            if t["kind"] in ("human", "list", "newsletter"):
                check(env_to.group(1).decode().split("@")[1] in domains, "ham re-addressed to an internal domain")
        kinds = Counter(t["kind"] for t in truth)
        for kind in ("outreach", "reply", "human", "list", "newsletter", "human_outbound"):
            check(kinds[kind] > 0, f"no {kind} generated: {dict(kinds)}")
        check(sum(1 for t in truth if t.get("followup_phrases") and t["source"].startswith("ham/")) == 2,
              "follow-up phrase mail of the corpus once each")
        generated = Counter(t["source"] for t in truth if t["source"].startswith("gen/"))
        check(generated["gen/partner_colleagues"] > 0 and generated["gen/webmail_people"] > 0,
              f"partner colleagues and webmail people generated: {dict(generated)}")
        check(any(t.get("colleague") and t.get("followup_phrases") for t in truth), "a colleague follows up")
        check(all(t.get("rotation") == "one" for t in truth if t["kind"] == "outreach"), "no rotation by default")
        # Sequences: steps in order, nothing after a reply, unanswered = step.
        by_pair = defaultdict(list)
        replied = {}
        outreach_ids = {t["message_id"]: t for t in truth if t["kind"] == "outreach"}
        for t in truth:
            if t["kind"] == "outreach":
                by_pair[(t["campaign"], t["recipient"])].append(t)
                check((t["campaign"], t["recipient"]) not in replied, "a step after the recipient replied")
                check(t["unanswered"] == t["step"] and not t["replied_before"], "unanswered count")
            elif t["kind"] == "reply":
                orig = outreach_ids.get(t["in_reply_to"])
                check(orig is not None and orig["recipient"] == t["sender"] and orig["sender"] == t["recipient"],
                      "reply answers a step of its pair")
                replied[(t["campaign"], t["sender"])] = t
        for pair, msgs in by_pair.items():
            check([m["step"] for m in msgs] == list(range(1, len(msgs) + 1)), f"steps of {pair}")
        check(any(len(m) >= 4 for m in by_pair.values()), "some pair reaches 4 unanswered")

        # A replay with known verdicts: follow-ups tagged, 4th+ quarantined, one exception of each.
        replay = []
        dropped = None
        missed_followup = missed_streak = None
        for t in truth:
            verdict = "pass"
            if t["kind"] == "outreach":
                verdict = "quarantine" if t["unanswered"] >= 4 else "tag" if t["step"] >= 2 else "pass"
                if t["step"] == 2 and missed_followup is None:
                    missed_followup, verdict = t["message_id"], "pass"
                elif t["unanswered"] == 5 and missed_streak is None:
                    missed_streak, verdict = t, "tag"
            elif t["kind"] == "human" and not t.get("followup_phrases"):
                verdict = "tag" if not any(r.get("verdict") == "tag" and r["_kind"] == "human" for r in replay) else "pass"
            if t["kind"] == "list" and dropped is None:
                dropped = t["message_id"]
                continue
            replay.append({"message_id": t["message_id"], "position": t["position"], "verdict": verdict,
                           "score": 0.0, "symbols": [], "_kind": t["kind"]})
        replay.append({"message_id": "<stray@example.net>", "position": len(truth) + 1, "verdict": "pass"})
        result = evaluate(truth, replay)
        o = result["overall"]
        followups = [t for t in truth if t["kind"] == "outreach" and t["step"] >= 2]
        check(o["followups"] == len(followups), "follow-up count")
        check(o["followups_tagged"] == len(followups) - 1, "follow-ups tagged")
        long_pairs = [p for p, m in by_pair.items() if len(m) >= 4]
        check(o["streak_pairs"] == len(long_pairs), "pairs with 4+ unanswered")
        check(o["streak_pairs_stopped"] == len(long_pairs) - (1 if missed_streak else 0), "pairs stopped")
        streak_msgs = sum(len(m) - 3 for m in by_pair.values() if len(m) >= 4)
        check(o["streak_messages"] == streak_msgs, "4th+ messages")
        humans = [t for t in truth if t["kind"] == "human"]
        check(o["human"] == len(humans) and o["human_tagged"] == 1 and o["human_held"] == 0, "human counts")
        phrases = sum(1 for t in truth if t["kind"] == "human" and t.get("followup_phrases"))
        check(o["followup_phrases"] == phrases and o["followup_phrases_passed"] == phrases,
              "follow-up phrase mail passes")
        check(o["colleague_followups"] == sum(1 for t in truth if t.get("colleague") and t.get("followup_phrases")
                                              and t["kind"] == "human"), "colleagues' follow-ups counted")
        check(result["missing"] == [dropped], "the dropped message is reported missing")
        check(result["extra"] == ["<stray@example.net>"], "the stray replay record is reported")
        check(result["targets"].get("human_tagged") is False, "one tagged human message misses the 0.1% target")
        check(result["dimensions"] == {} and "variation" not in header
              and not any("campaign_size" in t for t in truth), "a default run records no varied values")
        firsts = [t for t in truth if t["kind"] == "outreach" and t["step"] == 1]
        check(o["first_messages"] == len(firsts) and o["first_messages_tagged"] == 0, "first messages counted")
        check(o["bulk"] == kinds["list"] + kinds["newsletter"] - 1, "bulk counts without the missing message")
        # The command line over the same files, with ids in another form.
        replay_path = os.path.join(tmp, "r.jsonl")
        with open(replay_path, "w") as f:
            for r in replay:
                r = dict(r)
                r.pop("_kind", None)
                r["message_id"] = " " + r["message_id"] + " "
                f.write(json.dumps(r) + "\n")
            f.write(json.dumps({"summary": {"messages": len(replay)}}) + "\n")
        run = subprocess.run([sys.executable, os.path.abspath(__file__), "--truth", truth_path,
                              "--replay", replay_path, "--json"], capture_output=True, text=True)
        check(run.returncode == 0, f"accuracy_eval failed: {run.stderr[-1000:]}")
        if run.returncode == 0:
            cli = json.loads(run.stdout)
            check(cli["overall"]["followups_tagged"] == o["followups_tagged"] and len(cli["missing"]) == 1,
                  "command line agrees with evaluate()")
        check_rotation(corpus, tmp, cmd, truth, check)
        check_persona_brands(tmp, cmd, truth, check)
        check_variation(tmp, cmd, check)
    return report_self_test(failures)


def check_rotation(corpus, tmp, cmd, truth_off, check):
    """The same seed with rotation on: the same steps to the same people at the
    same times, from pools of lookalike or webmail mailboxes."""
    mbox, truth_path = os.path.join(tmp, "rot.mbox"), os.path.join(tmp, "rot.jsonl")
    rot_cmd = cmd[:cmd.index("--out")] + ["--out", mbox, "--truth", truth_path] + \
        cmd[cmd.index("--internal-domains-out"):] + ["--rotation", "on", "--rotation-share", "1"]
    gen = subprocess.run(rot_cmd, capture_output=True, text=True)
    check(gen.returncode == 0, f"campaign_gen --rotation on failed: {gen.stderr[-2000:]}")
    if gen.returncode != 0:
        return
    with open(truth_path, encoding="utf-8") as f:
        _header, truth_on = load_truth(f, Counter())
    steps = lambda truth: sorted((t["campaign"], t["recipient"], t["step"], t["date"])
                                 for t in truth if t["kind"] == "outreach")
    check(steps(truth_on) == steps(truth_off), "rotation changes the schedule or the recipients")
    outreach = [t for t in truth_on if t["kind"] == "outreach"]
    check(all(t["rotation"] != "one" for t in outreach), "every campaign rotates with --rotation-share 1")
    by_campaign = defaultdict(list)
    for t in outreach:
        by_campaign[t["campaign"]].append(t)
    for cid, msgs in by_campaign.items():
        pool, domains = msgs[0]["campaign_mailboxes"], msgs[0]["campaign_domains"]
        if msgs[0]["rotation"] == "webmail":
            check(3 <= pool <= 8, f"{cid}: webmail pool of {pool}")
            check(all(t["sender_domain"] in ("gmail.com", "outlook.com", "yahoo.com", "hotmail.com", "icloud.com")
                      for t in msgs), f"{cid}: webmail campaign off webmail")
        else:
            check(3 <= pool <= 20 and 2 <= domains <= 10 and domains <= pool, f"{cid}: pool {pool} over {domains}")
            brand = msgs[0]["brand"]
            check(all(brand in t["sender_domain"].replace("-", "") for t in msgs),
                  f"{cid}: a sending domain without the brand {brand}")
        if msgs[0]["rotation"] == "per_step":
            for t in msgs:
                check(t["unanswered_address"] == 1 or pool < t["step"],
                      f"{cid}: per-step rotation reused a mailbox within the pool size")
    check(len({t["sender"] for t in outreach}) > len({t["sender"] for t in truth_off if t["kind"] == "outreach"}),
          "rotation adds mailboxes")


def check_persona_brands(tmp, cmd, truth_off, check):
    """--rotation persona-brands: the same schedule, every campaign one
    persona over mailboxes of unrelated brands, under varying forms of the
    name, tied only by a phone number and a booking page that no other
    campaign has; the evaluator's rotation table has the mode."""
    options = ["--rotation", "persona-brands", "--rotation-share", "1"]
    header, truth, raw = _generate(tmp, cmd, "persona", options, check)
    outreach = [(t, m) for t, m in zip(truth, raw) if t["kind"] == "outreach"]
    check(bool(outreach) and header.get("rotation") == "persona-brands", "persona run: header and outreach")
    steps = lambda tr: sorted((t["campaign"], t["recipient"], t["step"], t["date"]) for t in tr if t["kind"] == "outreach")
    check(steps(truth) == steps(truth_off), "persona run: rotation changes the schedule or the recipients")
    vendor_brand = {t["campaign"]: t["brand"] for t in truth_off if t["kind"] == "outreach"}
    by_campaign = defaultdict(list)
    for t, m in outreach:
        by_campaign[t["campaign"]].append((t, m))
    pages, phones, brands = Counter(), Counter(), Counter()
    for cid, msgs in by_campaign.items():
        first = msgs[0][0]
        check(first["rotation"] == "persona_brands" and first["rotation_order"] in ("per_step", "per_recipient"),
              f"{cid}: rotation {first['rotation']} {first.get('rotation_order')}")
        check(3 <= first["campaign_mailboxes"] == first["campaign_domains"] <= 10,
              f"{cid}: {first['campaign_mailboxes']} mailboxes over {first['campaign_domains']} domains")
        pages[first["booking_url"]] += 1
        phones[first["phone"]] += 1
        seen = {t["sender_domain"]: t["brand"] for t, _ in msgs}
        brands.update(set(seen.values()))
        check(len(set(seen.values())) == len(seen), f"{cid}: two mailboxes share a brand")
        check(not any(vendor_brand[cid] in d.replace("-", "") for d in seen), f"{cid}: the vendor's brand in a domain")
        names = Counter(t["display_name"] for t, _ in msgs)
        if len(seen) >= 2:
            check(len(names) >= 2 and max(names.values()) < len(msgs), f"{cid}: one display name on every message")
        for t, m in msgs:
            check(t["booking_url"] == first["booking_url"] and t["phone"] == first["phone"], f"{cid}: ties differ")
            block = m.split("\n--\n")[-1]
            check(t["phone"] in block and f"Book a time: {t['booking_url']}" in block and t["display_name"] in block,
                  f"{cid}: signature block without the ties in {t['message_id']}")
            check(set(re.findall(r"https?://\S+", m)) == {t["booking_url"]}, f"{cid}: another link in {t['message_id']}")
            if t["rotation_order"] == "per_step":
                check(t["unanswered_address"] == 1 or t["campaign_mailboxes"] < t["step"],
                      f"{cid}: per-step rotation reused a mailbox within the pool size")
    check(max(pages.values()) == 1 and max(phones.values()) == 1 and max(brands.values()) == 1,
          "persona run: two campaigns share a booking page, phone or brand")
    # The same traffic as a share of --rotation on, and no share without rotation.
    _h, _t, raw_share = _generate(tmp, cmd, "persona-share", ["--rotation", "on", "--rotation-share", "1",
                                                              "--persona-brands-share", "1"], check)
    check(raw_share == raw, "persona run: --persona-brands-share 1 differs from --rotation persona-brands")
    bad = subprocess.run(cmd + ["--persona-brands-share", "0.5"], capture_output=True, text=True)
    check(bad.returncode != 0, "--persona-brands-share without --rotation on accepted")
    # The evaluator's table by rotation mode has a row for the mode.
    replay = [{"message_id": t["message_id"], "position": t["position"],
               "verdict": "outbound" if t["kind"] in OUTBOUND_KINDS else
               "quarantine" if t["kind"] == "outreach" and t["unanswered"] >= 4 else
               "tag" if t["kind"] == "outreach" and t["step"] >= 2 else "pass"} for t in truth]
    result = evaluate(truth, replay)
    row = result["rotations"].get("persona_brands", {})
    followups = sum(1 for t, _ in outreach if t["step"] >= 2)
    check(list(result["rotations"]) == ["persona_brands"] and row.get("followups") == followups
          and row.get("followups_tagged") == followups and row.get("streak_pairs_stopped") == row.get("streak_pairs"),
          f"persona run: rotation table {sorted(result['rotations'])}")
    out = io.StringIO()
    report(result, out=out)
    check(f"| persona_brands | {len(outreach)} | {fmt_share(followups, followups)} | 0 |" in out.getvalue(),
          "persona run: the report's rotation table has no persona_brands row")


def _generate(tmp, cmd, name, options, check):
    """campaign_gen with the self-test's options plus `options`: (header, truth, raw messages)."""
    mbox, truth_path = os.path.join(tmp, f"{name}.mbox"), os.path.join(tmp, f"{name}.jsonl")
    run_cmd = cmd[:cmd.index("--out")] + ["--out", mbox, "--truth", truth_path] + \
        cmd[cmd.index("--internal-domains-out"):] + options
    gen = subprocess.run(run_cmd, capture_output=True, text=True)
    check(gen.returncode == 0, f"campaign_gen {' '.join(options)} failed: {gen.stderr[-2000:]}")
    if gen.returncode != 0:
        return {}, [], []
    with open(truth_path, encoding="utf-8") as f:
        header, truth = load_truth(f, Counter())
    with open(mbox, "rb") as f:
        raw = split_mbox(f.read())
    return header, truth, [m.decode("utf-8", "replace") for m in raw]


ROLE_ADDRESS = re.compile(r"^([a-z0-9]+\.)?(sales|hello|team|info|contact|growth|partnerships|hi)\d*@")


def check_variation(tmp, cmd, check):
    """Each varied dimension at its hardest value does what it says, the
    varied profile stays in its ranges, and the evaluator's split by
    dimension adds up and names the value made worst."""
    hard = ["--campaign-size", "1,5", "--steps", "6,6", "--gap-days", "14,14", "--signature", "off",
            "--display-name", "off", "--placeholders", "unfilled", "--subjects", "new", "--mailbox", "role"]
    header, truth, raw = _generate(tmp, cmd, "hard", hard, check)
    outreach = [(t, m) for t, m in zip(truth, raw) if t["kind"] == "outreach"]
    check(bool(outreach) and header.get("variation", {}).get("mailbox") == "role", "hard run: header and outreach")
    by_pair = defaultdict(list)
    for t, m in outreach:
        by_pair[(t["campaign"], t["recipient"])].append((t, m))
        head = m.split("\n\n", 1)[0]
        sender = re.search(r"^From: *(.*)$", head, re.M).group(1)
        check(1 <= t["campaign_size"] <= 5 and t["steps"] == 6 and t["gap_days"] == [14] * 5,
              f"hard run: size, steps, gaps of {t['campaign']}")
        check("<" not in sender and ROLE_ADDRESS.match(sender), f"hard run: From {sender!r} not a bare role address")
        check(t["mailbox"] == "role" and not t["from_display_name"] and not t["signature"], "hard run: values")
        check("\n--\n" not in m, f"hard run: a signature block in {t['message_id']}")
        if t["step"] >= 2:
            check(not t["subject"].lower().startswith("re:") and "\nIn-Reply-To:" not in head,
                  f"hard run: follow-up subject {t['subject']!r} is a reply")
        if t["placeholder_gap"] == "literal" and t["unfilled_placeholders"]:
            check(re.search(r"\{\{|\[[A-Z]|\{[A-Za-z_]+\}", m), "hard run: a literal placeholder is missing")
    check(any(t["unfilled_placeholders"] for t, _ in outreach), "hard run: no placeholder left unfilled")
    for pair, msgs in by_pair.items():
        dates = [dt.datetime.fromisoformat(t["date"]) for t, _ in msgs]
        check(all((b - a).days >= 11 for a, b in zip(dates, dates[1:])), f"hard run: steps of {pair} too close")
        firsts = {t["subject"] for t, _ in msgs if t["step"] == 1}
        check(not firsts & {t["subject"] for t, _ in msgs if t["step"] >= 2}, "hard run: a follow-up reuses the subject")

    _h, cut, _raw = _generate(tmp, cmd, "cut", ["--steps", "2,2", "--subjects", "re"], check)
    initial = {(t["campaign"], t["recipient"]): t["subject"] for t in cut if t["kind"] == "outreach" and t["step"] == 1}
    for t in cut:
        if t["kind"] == "outreach":
            check(t["steps"] == 2 and t["step"] <= 2, "cut run: a sequence longer than 2 steps")
            if t["step"] == 2:
                want = "Re: " + re.sub(r"^(re|fwd?):\s*", "", initial[(t["campaign"], t["recipient"])], flags=re.I)
                check(t["subject"] == want, f"cut run: follow-up subject {t['subject']!r}, want {want!r}")

    header, varied, _raw = _generate(tmp, cmd, "varied", ["--profile", "varied", "--rotation", "on"], check)
    check(header.get("variation", {}).get("profile") == "varied", "varied run: profile in the header")
    for t in varied:
        if t["kind"] == "outreach":
            check(2 <= t["steps"] <= 8 and all(1 <= g <= 14 for g in t["gap_days"]) and t["campaign_size"] >= 1
                  and t["subjects"] in ("re", "new") and t["placeholders"] in ("filled", "unfilled"),
                  f"varied run: values out of range in {t['message_id']}")
            if t["mailbox"] == "role":
                check(ROLE_ADDRESS.match(t["sender"]), f"varied run: role campaign sends from {t['sender']}")
    check_dimension_split(truth, check)


def check_dimension_split(truth, check):
    """Over the hard run's truth with the mailbox kind alternated per campaign:
    every dimension adds up to the overall outreach, and role campaigns whose
    follow-ups all pass are named worst."""
    campaigns = sorted({t["campaign"] for t in truth if t["kind"] == "outreach"})
    kinds = {c: ("person", "role")[k % 2] for k, c in enumerate(campaigns)}
    truth = [dict(t, mailbox=kinds[t["campaign"]]) if t["kind"] == "outreach" else t for t in truth]
    replay = [{"message_id": t["message_id"], "position": t["position"],
               "verdict": "outbound" if t["kind"] in OUTBOUND_KINDS else
               "tag" if t["kind"] == "outreach" and (t["step"] == 1 or t["mailbox"] == "person") else "pass"}
              for t in truth]
    result = evaluate(truth, replay)
    dims, o = result["dimensions"], result["overall"]
    check(set(dims) == {name for name, _ in DIMENSIONS}, f"dimensions split: {sorted(dims)}")
    for name, values in dims.items():
        for key in ("followups", "first_messages", "streak_pairs"):
            check(sum(f[key] for f in values.values()) == o[key], f"{name}: {key} do not add up")
    mailbox = dims.get("sending mailbox", {})
    if len(campaigns) >= 2 and mailbox.get("role", {}).get("followups"):
        check(mailbox["role"]["followups_tagged"] == 0, "role follow-ups passed")
        check(worst_values(mailbox).get("followups_tagged") == "role", "role named the worst mailbox kind")
    out = io.StringIO()
    report(result, out=out)
    text = out.getvalue()
    check("Outreach by what its campaign varies" in text and "| sending mailbox | role |" in text,
          "the report prints the split by dimension")


def report_self_test(failures):
    if failures:
        for f in failures[:30]:
            print(f"FAIL: {f}", file=sys.stderr)
        print(f"self-test: {len(failures)} failures", file=sys.stderr)
        return 1
    print("self-test: ok", file=sys.stderr)
    return 0


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--truth", help="ground truth from bench/campaign_gen.py")
    ap.add_argument("--replay", help="`pushback replay --json` output (default: stdin)")
    ap.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    ap.add_argument("--self-test", action="store_true")
    args = ap.parse_args(argv)
    if args.self_test:
        return self_test()
    if not args.truth:
        ap.error("--truth is required")
    problems = Counter()
    with open(args.truth, encoding="utf-8") as f:
        _header, truth = load_truth(f, problems)
    if args.replay:
        with open(args.replay, encoding="utf-8", errors="replace") as f:
            replay = load_replay(f, problems)
    else:
        replay = load_replay(sys.stdin, problems)
    result = evaluate(truth, replay, problems)
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        report(result)
    if args.strict and not all(result["targets"].values()):
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
