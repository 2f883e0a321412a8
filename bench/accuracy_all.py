#!/usr/bin/env python3
"""Every accuracy table in one command: for each seed and each rotation
setting, generates the campaign traffic (bench/campaign_gen.py), replays it
through the given pushback binary with the generated internal domains, scores
it (bench/accuracy_eval.py), and writes the per-run reports and one summary in
Markdown, with the time each step took.

Usage:
  python3 bench/accuracy_all.py --pushback build/ci/cli/pushback \\
      --corpus ../shared/corpus --out /tmp/accuracy [--seeds 1,2] [--rotation off,on]

Trusts the binary and the corpus it is given, nothing else; writes only under
--out. Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import accuracy_eval  # noqa: E402  (a sibling script)


def run(cmd, stdout=None):
    started = time.monotonic()
    done = subprocess.run(cmd, stdout=stdout, stderr=subprocess.PIPE, text=True)
    if done.returncode != 0:
        sys.exit(f"failed ({done.returncode}): {' '.join(cmd)}\n{done.stderr[-3000:]}")
    return time.monotonic() - started, done.stderr


def one_run(args, seed, rotation, directory):
    os.makedirs(directory, exist_ok=True)
    mbox, truth, internal = (os.path.join(directory, n) for n in ("campaign.mbox", "truth.jsonl", "internal.txt"))
    config, replay = os.path.join(directory, "accuracy.toml"), os.path.join(directory, "replay.jsonl")
    gen_s, gen_log = run([sys.executable, os.path.join(HERE, "campaign_gen.py"), "--corpus", args.corpus,
                          "--out", mbox, "--truth", truth, "--internal-domains-out", internal,
                          "--seed", str(seed), "--rotation", rotation] + args.gen_args)
    with open(os.path.join(directory, "campaign_gen.log"), "w") as f:
        f.write(gen_log)
    with open(internal) as f:
        domains = f.read().split()
    with open(config, "w") as f:
        f.write("[direction]\ninternal_domains = [" + ", ".join(json.dumps(d) for d in domains) + "]\n")
    with open(replay, "w") as out:
        replay_s, replay_log = run([args.pushback, "replay", "--config", config, "--json", mbox], stdout=out)
    started = time.monotonic()
    problems = accuracy_eval.Counter()
    with open(truth, encoding="utf-8") as f:
        _header, truth_records = accuracy_eval.load_truth(f, problems)
    with open(replay, encoding="utf-8", errors="replace") as f:
        replay_records = accuracy_eval.load_replay(f, problems)
    result = accuracy_eval.evaluate(truth_records, replay_records, problems)
    eval_s = time.monotonic() - started
    with open(os.path.join(directory, "result.json"), "w") as f:
        json.dump(result, f, indent=1)
    with open(os.path.join(directory, "report.md"), "w") as f:
        accuracy_eval.report(result, out=f)
    if not args.keep_mbox:
        os.remove(mbox)
    return result, {"generate": gen_s, "replay": replay_s, "evaluate": eval_s,
                    "replay_summary": replay_log.strip().splitlines()[-1] if replay_log.strip() else ""}


def target_rows(results):
    """Rows of the targets table: one per figure, one column per run."""
    rows = []

    def row(name, target, cell):
        rows.append([name, target] + [cell(r["overall"]) for r in results])

    share = accuracy_eval.fmt_share
    row("follow-ups (step 2 or later, unanswered) tagged or worse", ">= 0.97",
        lambda o: share(o["followups_tagged"], o["followups"]))
    row("pairs with 4+ unanswered messages, every 4th+ quarantined or refused", ">= 0.90",
        lambda o: share(o["streak_pairs_stopped"], o["streak_pairs"]))
    row("4th+ messages quarantined or refused (per message)", "",
        lambda o: share(o["streak_messages_held"], o["streak_messages"]))
    row("human mail quarantined or refused", "0", lambda o: f"{o['human_held']} of {o['human']}")
    row("human mail tagged", "<= 0.1%", lambda o: share(o["human_tagged"], o["human"]))
    row("list mail and newsletters quarantined or refused", "0", lambda o: f"{o['bulk_held']} of {o['bulk']}")
    row("strangers' follow-ups on webmail (kind unsolicited) held / tagged", "0 / -",
        lambda o: f"{o['unsolicited_held']} / {o['unsolicited_tagged']} of {o['unsolicited']}")
    row("partner colleagues' \"following up\" passing", "all",
        lambda o: f"{o['colleague_followups_passed']} of {o['colleague_followups']}")
    row("all human \"following up\" mail passing (Enron, colleagues, webmail)", "all",
        lambda o: f"{o['followup_phrases_passed']} of {o['followup_phrases']}")
    row("partner colleagues' mail held / tagged", "0 / -",
        lambda o: f"{o['colleague_held']} / {o['colleague_tagged']} of {o['colleague']}")
    row("replies, vendors' answers and our users' mail quarantined or refused", "0",
        lambda o: f"{o['conversation_held']} of {o['conversation']}")
    row("follow-ups passed with no state symbol", "", lambda o: f"{o['followups_passed_no_state']} of "
                                                               f"{o['followups']}")
    return rows


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pushback", required=True, help="the pushback binary to measure")
    ap.add_argument("--corpus", required=True, help="the development corpus (read, never copied)")
    ap.add_argument("--out", required=True, help="directory for the runs and summary.md")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--rotation", default="off,on", help="rotation settings to run, of off,on")
    ap.add_argument("--keep-mbox", action="store_true", help="keep each run's mbox (about 110 MB)")
    ap.add_argument("gen_args", nargs="*", help="after --: more options for campaign_gen.py")
    args = ap.parse_args(argv)
    args.pushback = os.path.abspath(args.pushback)
    runs = [(int(s), m) for s in args.seeds.split(",") for m in args.rotation.split(",")]
    results, names, timings = [], [], []
    for seed, rotation in runs:
        name = f"seed {seed}, rotation {rotation}"
        print(f"{name} ...", file=sys.stderr, flush=True)
        result, timing = one_run(args, seed, rotation, os.path.join(args.out, f"seed{seed}-rotation-{rotation}"))
        print(f"  generate {timing['generate']:.0f} s, replay {timing['replay']:.0f} s, "
              f"evaluate {timing['evaluate']:.0f} s; {timing['replay_summary']}", file=sys.stderr, flush=True)
        results.append(result)
        names.append(name)
        timings.append(timing)

    out = [f"# Accuracy runs", "",
           f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; pushback: `{args.pushback}`; "
           f"corpus: `{os.path.abspath(args.corpus)}`; campaign_gen options: "
           f"`{' '.join(args.gen_args) or '(defaults)'}`", "", "## Targets, overall", ""]
    out.append(markdown_table(["figure", "target"] + names, target_rows(results)))
    out += ["", "## Outreach by rotation mode", ""]
    for name, result in zip(names, results):
        out += [f"### {name}", ""]
        lines = []
        accuracy_eval.rotation_table(list(result["rotations"].items()) + [("all", result["overall"])],
                                     lines.append)
        out += lines + [""]
    out += ["## Per source", ""]
    for name, result in zip(names, results):
        out += [f"### {name}", ""]
        lines = []
        accuracy_eval.source_table(list(result["sources"].items()) + [("overall", result["overall"])], lines.append)
        out += lines + [""]
    out += ["## Time (seconds)", ""]
    out.append(markdown_table(["run", "generate", "replay", "evaluate", "total"],
                              [[n, f"{t['generate']:.0f}", f"{t['replay']:.0f}", f"{t['evaluate']:.0f}",
                                f"{t['generate'] + t['replay'] + t['evaluate']:.0f}"]
                               for n, t in zip(names, timings)]))
    summary = os.path.join(args.out, "summary.md")
    with open(summary, "w") as f:
        f.write("\n".join(out) + "\n")
    print(f"wrote {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
