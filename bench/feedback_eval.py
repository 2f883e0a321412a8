#!/usr/bin/env python3
"""What feedback on held mail does to the replay figures.

`decisions` writes the feedback file of an admin who reviews every message a
replay held and decides correctly: "outreach" (delete) for generated
outreach, "ham" (release) for everything else, each applied by
`pushback replay --feedback` right after its message. `first-steps` prints,
for one or more replays, the share of first messages of outreach sequences
tagged or worse, and of human mail tagged: the figures feedback moves that
bench/accuracy_eval.py does not show. Standard library only.

  python3 bench/feedback_eval.py decisions --truth T --replay R > feedback.txt
  python3 bench/feedback_eval.py first-steps --truth T --replay R [R2 ...]
"""
import argparse
import json
import sys

RANK = {"pass": 0, "tag": 1, "quarantine": 2, "reject": 3, "tempfail": 3}


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def truth_by_id(path):
    return {r["message_id"]: r for r in load(path) if r.get("record") == "message"}


def decisions(args):
    truth = truth_by_id(args.truth)
    count = {"outreach": 0, "ham": 0}
    for record in load(args.replay):
        if record.get("verdict") != "quarantine":
            continue
        kind = truth.get(record.get("message_id"), {}).get("kind")
        decision = "outreach" if kind == "outreach" else "ham"
        count[decision] += 1
        print(f"{decision} {record['message_id']}")
    print(f"# {count['outreach']} outreach, {count['ham']} ham", file=sys.stderr)


def first_steps(args):
    truth = truth_by_id(args.truth)
    for path in args.replay:
        first = [0, 0]
        human = [0, 0]
        for record in load(path):
            t = truth.get(record.get("message_id"))
            if not t or record.get("verdict") not in RANK:
                continue
            rank = RANK[record["verdict"]]
            if t["kind"] == "outreach" and t.get("step") == 1:
                first[0] += rank >= 1
                first[1] += 1
            if t["kind"] == "human":
                human[0] += rank >= 1
                human[1] += 1
        print(f"{path}: first steps tagged or worse {first[0]}/{first[1]} ({first[0] / max(first[1], 1):.4f}); "
              f"human tagged or worse {human[0]}/{human[1]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    d = sub.add_parser("decisions")
    d.add_argument("--truth", required=True)
    d.add_argument("--replay", required=True)
    f = sub.add_parser("first-steps")
    f.add_argument("--truth", required=True)
    f.add_argument("--replay", required=True, nargs="+")
    args = parser.parse_args()
    (decisions if args.command == "decisions" else first_steps)(args)


if __name__ == "__main__":
    main()
