#!/usr/bin/env python3
"""Labelled examples for `pushback model train`, from the development corpus.

  model_data.py --corpus ../shared/corpus --out /tmp/model-data [--renderings 4]

Writes RFC 822 messages, one directory per source so that cross-validation
can hold out whole sources (bench/model_cv.py):

  OUT/outreach/<source>/   outreach/cold and cold_skeleton templates, each
                           rendered for several generated people as a
                           campaign sends it (placeholders filled, spintax
                           expanded; campaign_gen.py's filling)
  OUT/adjacent/<source>/   outreach/adjacent (onboarding, post-demo,
                           newsletters, call scripts): hard negatives
  OUT/ham/<group>/         links to the corpus's real mail, one group per
                           Enron mailbox owner and per SpamAssassin folder
                           slice (links, never copies); with --generated-human,
                           also gen__partner_colleagues and gen__webmail_people:
                           campaign_gen.py's human mail (written today, unlike
                           the corpus's mail of 2000-2003), from its own seed
  OUT/sources.json         what went where

The corpus is read, never copied into the project.
"""
import argparse
import datetime as dt
import email.utils
import json
import mailbox
import os
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from types import SimpleNamespace

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import campaign_gen as gen  # noqa: E402

HAM_FOLDERS = ["enron_inbox_sample", "enron_followup_phrases", "spamassassin/easy_ham", "spamassassin/hard_ham"]
SLICE = 100  # SpamAssassin has no owner per message: groups of this many files in name order


def source_slug(repo: str) -> str:
    return repo.replace("/", "__")


def read_templates(folder):
    """(repo, file name, fields, compiled subject, compiled body) of every template in one outreach folder."""
    unfilled = Counter()
    out = []
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if not os.path.isfile(path):
            continue
        fields, subject, body = gen.read_template_file(path)
        repo = fields.get("X-Corpus-Source-Repo") or name.split("__")[0] + "/" + name.split("__")[1]
        out.append((repo, name, gen.compile_template(subject, unfilled) if subject else None,
                    gen.compile_template(body, unfilled)))
    return out


def render_message(repo, name, subject, body, k, internal, seed):
    """One rendering of a template for one generated person, wrapped in headers."""
    seq = SimpleNamespace(id=f"{repo}/{name}", repo=repo, steps=[], synthetic=False)
    camp = gen.Campaign(f"model-{name}-{k}", seq, seed, internal, set(), 1.0)
    rng = gen.stable_rng(seed, "model", name, k)
    rec = rng.choice(camp.recipients)
    sender = camp.senders[0]
    when = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc) + dt.timedelta(days=rng.randint(0, 60),
                                                                                 minutes=rng.randint(0, 480))
    ctx = gen.Context()
    ctx.campaign, ctx.recipient, ctx.company, ctx.sender = camp, rec, camp.company_of[rec.address], sender
    ctx.when, ctx.rng, ctx.prng, ctx.subject = when, rng, gen.stable_rng(seed, name, k, "ice"), None
    # Every placeholder filled, as a working mail merge does (campaign_gen.py's unfilled gaps are for traffic).
    for slot, value in (("missing", frozenset()), ("gap_style", "literal"), ("gaps", 0)):
        if slot in getattr(gen.Context, "__slots__", ()):
            setattr(ctx, slot, value)
    subject_text = gen.render(subject, ctx).strip() if subject else rng.choice(["Quick question", "Hello"])
    ctx.subject = subject_text
    text = gen.render(body, ctx)
    headers = [("From", sender.mailbox()), ("To", rec.mailbox()), ("Subject", gen.encode_subject(subject_text)),
               ("Date", email.utils.format_datetime(when)),
               ("Message-ID", f"<model.{k}.{rng.getrandbits(48):012x}@{camp.vendor.domain}>")]
    return gen.build_message(headers, text)


def generated_human(args):
    """campaign_gen.py's human mail of one seed (partner colleagues, webmail people), one group per source."""
    counts = Counter()
    with tempfile.TemporaryDirectory() as tmp:
        mbox, truth = os.path.join(tmp, "t.mbox"), os.path.join(tmp, "t.jsonl")
        subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "campaign_gen.py"),
                        "--corpus", args.corpus, "--out", mbox, "--truth", truth, "--seed", str(args.generated_human),
                        "--quiet"], check=True)
        wanted = {}
        for line in open(truth):
            record = json.loads(line)
            if record.get("kind") in ("human", "unsolicited") and record.get("source", "").startswith("gen/"):
                wanted[record["position"]] = record["source"].replace("/", "__")
        for position, message in enumerate(mailbox.mbox(mbox), 1):
            group = wanted.get(position)
            if group is None:
                continue
            target = os.path.join(args.out, "ham", group)
            os.makedirs(target, exist_ok=True)
            with open(os.path.join(target, f"{position}.eml"), "wb") as f:
                f.write(message.as_bytes())
            counts[group] += 1
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(os.path.dirname(__file__), "..", "..", "shared", "corpus"))
    ap.add_argument("--out", required=True)
    ap.add_argument("--renderings", type=int, default=4, help="messages per template")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--generated-human", type=int, default=101, metavar="SEED",
                    help="campaign_gen.py seed for generated human mail (0: none); not a seed the accuracy runs use")
    args = ap.parse_args(argv)

    used = set()
    rng = gen.stable_rng(args.seed, "model-internal")
    internal = [gen.InternalCompany(rng, used, 60) for _ in range(4)]
    sources = defaultdict(lambda: defaultdict(int))
    for category, folders in (("outreach", ["cold", "cold_skeleton"]), ("adjacent", ["adjacent"])):
        for folder in folders:
            for repo, name, subject, body in read_templates(os.path.join(args.corpus, "outreach", folder)):
                target = os.path.join(args.out, category, source_slug(repo))
                os.makedirs(target, exist_ok=True)
                for k in range(args.renderings):
                    raw = render_message(repo, name, subject, body, k, internal, args.seed)
                    with open(os.path.join(target, f"{folder}-{name}-{k}.eml"), "wb") as f:
                        f.write(raw)
                sources[category][repo] += args.renderings
    for folder in HAM_FOLDERS:
        base = os.path.join(args.corpus, "ham", folder)
        names = sorted(os.listdir(base))
        for i, name in enumerate(names):
            if folder.startswith("enron_inbox"):
                group = "enron__" + name.split("__")[0]
            else:
                group = f"{folder.replace('/', '__')}__{i // SLICE:03d}"
            target = os.path.join(args.out, "ham", group)
            os.makedirs(target, exist_ok=True)
            link = os.path.join(target, name)
            if not os.path.lexists(link):
                os.symlink(os.path.abspath(os.path.join(base, name)), link)
            sources["ham"][group] += 1
    if args.generated_human:
        for group, count in generated_human(args).items():
            sources["ham"][group] += count
    with open(os.path.join(args.out, "sources.json"), "w") as f:
        json.dump({k: dict(v) for k, v in sources.items()}, f, indent=1, sort_keys=True)
    print(f"{args.out}: " + ", ".join(f"{k} {sum(v.values())} messages from {len(v)} sources"
                                      for k, v in sources.items()))


if __name__ == "__main__":
    main()
