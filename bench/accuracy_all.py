#!/usr/bin/env python3
"""Every accuracy table in one command: for each seed and each rotation
setting, generates the campaign traffic (bench/campaign_gen.py), replays it
through the given pushback binary with the generated internal domains, scores
it (bench/accuracy_eval.py), and writes the per-run reports and one summary in
Markdown, with the time each step took. With --matrix, does so for each of a
list of traffic configurations (the defaults, the varied profile, and each
varied dimension at its hardest value) and puts the headline figures of all
of them in one table with the worst value of each column named.

Usage:
  python3 bench/accuracy_all.py --pushback build/ci/cli/pushback \\
      --corpus ../shared/corpus --out /tmp/accuracy [--seeds 1,2] [--rotation off,on] [--matrix]

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


# --matrix: (id, campaign_gen options). The defaults, every dimension at its
# widest at once, then each dimension alone at the value expected to be hardest.
MATRIX = [
    ("defaults", []),
    ("varied", ["--profile", "varied"]),
    ("size-1-5", ["--campaign-size", "1,5"]),
    ("steps-8", ["--steps", "8,8"]),
    ("gaps-14", ["--gap-days", "14,14"]),
    ("no-signature", ["--signature", "off"]),
    ("no-display-name", ["--display-name", "off"]),
    ("unfilled", ["--placeholders", "unfilled"]),
    ("new-subjects", ["--subjects", "new"]),
    ("role-mailbox", ["--mailbox", "role"]),
]

# Headline columns of the matrix: (title, count, of, higher is better, shown as a share).
MATRIX_COLUMNS = [
    ("follow-ups tagged+", "followups_tagged", "followups", True, True),
    ("pairs 4+ stopped", "streak_pairs_stopped", "streak_pairs", True, True),
    ("first contact tagged+", "first_messages_tagged", "first_messages", True, True),
    ("human held", "human_held", "human", False, False),
    ("human tagged", "human_tagged", "human", False, True),
    ("bulk held", "bulk_held", "bulk", False, False),
]


def one_run(args, seed, rotation, directory, options=()):
    os.makedirs(directory, exist_ok=True)
    mbox, truth, internal = (os.path.join(directory, n) for n in ("campaign.mbox", "truth.jsonl", "internal.txt"))
    config, replay = os.path.join(directory, "accuracy.toml"), os.path.join(directory, "replay.jsonl")
    gen_s, gen_log = run([sys.executable, os.path.join(HERE, "campaign_gen.py"), "--corpus", args.corpus,
                          "--out", mbox, "--truth", truth, "--internal-domains-out", internal,
                          "--seed", str(seed), "--rotation", rotation] + args.gen_args + list(options))
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


def worst_rows(results, count, of, higher_is_better):
    """Indexes of the runs with the worst value of one column (ties all
    count); empty when every run has the same value or none has any."""
    values = [(r["overall"][count] / r["overall"][of]) if r["overall"][of] else None for r in results]
    known = [v for v in values if v is not None]
    if len(set(known)) < 2:
        return []
    worst = min(known) if higher_is_better else max(known)
    return [i for i, v in enumerate(values) if v == worst]


def matrix_table(names, results):
    """The headline figures, one row per run, the worst of each column in
    bold; and one line per column naming its worst run."""
    worst = [worst_rows(results, count, of, higher) for _t, count, of, higher, _s in MATRIX_COLUMNS]
    rows = []
    for i, (name, result) in enumerate(zip(names, results)):
        o = result["overall"]
        cells = []
        for (_t, count, of, _h, as_share), marked in zip(MATRIX_COLUMNS, worst):
            cell = accuracy_eval.fmt_share(o[count], o[of]) if as_share else f"{o[count]} of {o[of]}"
            cells.append(f"**{cell}**" if i in marked else cell)
        rows.append([name] + cells)
    lines = [markdown_table(["configuration"] + [c[0] for c in MATRIX_COLUMNS], rows), "", "Worst per column:", ""]
    for (title, *_rest), marked in zip(MATRIX_COLUMNS, worst):
        lines.append(f"- {title}: " + (", ".join(names[i] for i in marked) if marked else "all runs equal"))
    return lines


def markdown_table(header, rows):
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def plan_runs(args):
    """(name, directory, seed, rotation, campaign_gen options) of every run."""
    seeds = [int(x) for x in args.seeds.split(",")]
    rotations = args.rotation.split(",")
    if not args.matrix:
        return [(f"seed {s}, rotation {m}", f"seed{s}-rotation-{m}", s, m, []) for s in seeds for m in rotations]
    chosen = args.configs.split(",") if args.configs else [cid for cid, _ in MATRIX]
    known = dict(MATRIX)
    unknown = [c for c in chosen if c not in known]
    if unknown:
        sys.exit(f"unknown configuration(s) {', '.join(unknown)}; known: {', '.join(known)}")
    return [(f"{cid} (seed {s}, rotation {m})" if len(seeds) * len(rotations) > 1 else cid,
             f"{cid}-seed{s}-rotation-{m}", s, m, known[cid])
            for cid in chosen for s in seeds for m in rotations]


def per_run_sections(names, results, out):
    """The rotation and per-source tables of each run."""
    out += ["## Outreach by rotation mode", ""]
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


def dimension_sections(runs, results, gen_args, out):
    """The split by varied dimension of the runs with a --profile, where every
    dimension is mixed; the other runs' splits are in their report.md."""
    for (name, _dir, _seed, _rotation, options), result in zip(runs, results):
        dims = result.get("dimensions") or {}
        if dims and "--profile" in gen_args + options:
            out += [f"## Outreach by what its campaign varies: {name}", ""]
            lines = []
            accuracy_eval.dimension_table(dims, lines.append)
            out += lines + [""]


def write_summary(args, runs, results, timings, wall):
    names = [r[0] for r in runs]
    options = [" ".join(args.gen_args + r[4]) or "(defaults)" for r in runs]
    out = ["# Accuracy matrix" if args.matrix else "# Accuracy runs", "",
           f"{dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC; pushback: `{args.pushback}`; "
           f"corpus: `{os.path.abspath(args.corpus)}`; campaign_gen options: "
           f"`{' '.join(args.gen_args) or '(defaults)'}`", ""]
    if args.matrix:
        out += ["## Headline figures per configuration", ""]
        out += matrix_table(names, results) + [""]
        out += ["Options of each configuration:", ""]
        out += [f"- {name}: `{opts}`" for name, opts in zip(names, options)] + [""]
    out += ["## Targets, overall", ""]
    out.append(markdown_table(["figure", "target"] + names, target_rows(results)))
    out.append("")
    if args.matrix:
        dimension_sections(runs, results, args.gen_args, out)
    else:
        per_run_sections(names, results, out)
    out += ["## Time (seconds)", ""]
    out.append(markdown_table(["run", "generate", "replay", "evaluate", "total"],
                              [[n, f"{t['generate']:.0f}", f"{t['replay']:.0f}", f"{t['evaluate']:.0f}",
                                f"{t['generate'] + t['replay'] + t['evaluate']:.0f}"]
                               for n, t in zip(names, timings)]))
    if args.matrix:
        out += ["", f"All runs: {wall:.0f} s."]
    summary = os.path.join(args.out, "summary.md")
    with open(summary, "w") as f:
        f.write("\n".join(out) + "\n")
    return summary


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pushback", required=True, help="the pushback binary to measure")
    ap.add_argument("--corpus", required=True, help="the development corpus (read, never copied)")
    ap.add_argument("--out", required=True, help="directory for the runs and summary.md")
    ap.add_argument("--seeds", default="1,2")
    ap.add_argument("--rotation", default="off,on", help="rotation settings to run, of off,on")
    ap.add_argument("--matrix", action="store_true",
                    help="run every traffic configuration of the matrix for each seed and rotation setting")
    ap.add_argument("--configs", help="with --matrix, only these configurations (comma-separated ids: "
                                      + ", ".join(cid for cid, _ in MATRIX) + ")")
    ap.add_argument("--keep-mbox", action="store_true", help="keep each run's mbox (about 110 MB)")
    ap.add_argument("gen_args", nargs="*", help="after --: more options for campaign_gen.py")
    args = ap.parse_args(argv)
    args.pushback = os.path.abspath(args.pushback)
    runs = plan_runs(args)
    results, timings = [], []
    started = time.monotonic()
    for name, directory, seed, rotation, options in runs:
        print(f"{name} ...", file=sys.stderr, flush=True)
        result, timing = one_run(args, seed, rotation, os.path.join(args.out, directory), options)
        print(f"  generate {timing['generate']:.0f} s, replay {timing['replay']:.0f} s, "
              f"evaluate {timing['evaluate']:.0f} s; {timing['replay_summary']}", file=sys.stderr, flush=True)
        results.append(result)
        timings.append(timing)
    summary = write_summary(args, runs, results, timings, time.monotonic() - started)
    print(f"wrote {summary}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
