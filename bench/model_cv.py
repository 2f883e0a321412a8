#!/usr/bin/env python3
"""Cross-validation of the cold-pitch model, grouped by source.

  model_cv.py --pushback build/ci/cli/pushback --data /tmp/model-data --out /tmp/model-cv \\
      [--folds 5] [--params "dim=16 epochs=25" ...] [--stream ../shared/streams/account-based]

--data is what bench/model_data.py wrote. Every source repository (its cold,
skeleton and adjacent templates together) and every ham group (an Enron
mailbox owner, a slice of a SpamAssassin folder) lies in exactly one fold: a
fold's model never saw any text of the sources it is tested on. For each
parameter set it prints, per fold and over all folds, the held-out outreach
recall and the false positive rates at several probabilities, and the recall
of every source when it was held out (the worst source last).

With --stream, the validation stream is replayed once per fold with that
fold's model, and each message takes the verdict of the replay whose model
did not see its source (outreach by its template's source, real mail by its
corpus file): the stream's figures out of sample. The stream's own
evaluate.py scores the merged verdicts.
"""
import argparse
import json
import os
import subprocess
import sys
import time
from collections import defaultdict

THRESHOLDS = [0.5, 0.8, 0.9, 0.95, 0.98]


def load_groups(data):
    """group -> (category, directory, message count); a repository's outreach and adjacent are one group."""
    sources = json.load(open(os.path.join(data, "sources.json")))
    groups = defaultdict(list)
    for category in ("outreach", "adjacent"):
        for repo, count in sources.get(category, {}).items():
            groups[repo].append((category, os.path.join(data, category, repo.replace("/", "__")), count))
    for group, count in sources.get("ham", {}).items():
        groups["ham:" + group].append(("ham", os.path.join(data, "ham", group), count))
    return groups


def assign_folds(groups, folds):
    """Largest groups first, each to the fold with the fewest outreach (then other) messages."""
    load = [[0, 0] for _ in range(folds)]
    fold_of = {}
    def size(g):
        return (sum(n for c, _, n in groups[g] if c == "outreach"), sum(n for c, _, n in groups[g] if c != "outreach"))
    for group in sorted(groups, key=lambda g: (size(g), g), reverse=True):
        outreach, other = size(group)
        key = 0 if outreach else 1
        best = min(range(folds), key=lambda f: (load[f][key], load[f][1 - key], f))
        fold_of[group] = best
        load[best][0] += outreach
        load[best][1] += other
    return fold_of


def parse_params(text):
    out = {}
    for item in text.split():
        key, _, value = item.partition("=")
        out[key] = value
    return out


def train(pushback, outreach_dirs, other_dirs, model, params):
    cmd = [pushback, "model", "train", "--out", model, "--outreach", *outreach_dirs, "--ham", *other_dirs]
    for key, value in params.items():
        cmd += [f"--{key.replace('_', '-')}", value]
    run = subprocess.run(cmd, capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"training failed: {' '.join(cmd[:6])} ...\n{run.stderr}")
    return run.stdout.strip()


def write_config(path, model, internal=None):
    with open(path, "w") as f:
        f.write(f'[analysis]\ncold_pitch_model = "{model}"\n')
        if internal:
            f.write(f'[direction]\ninternal_domains = ["{internal}"]\n')


def scan(pushback, config, dirs):
    """file path -> probability."""
    run = subprocess.run([pushback, "scan", "--json", "--config", config, *dirs], capture_output=True, text=True)
    if run.returncode != 0:
        sys.exit(f"scan failed: {run.stderr}")
    out = {}
    for line in run.stdout.splitlines():
        record = json.loads(line)
        out[record["source"]] = record.get("cold_pitch") or 0.0
    return out


def rates(positives, negatives, threshold):
    tp = sum(1 for p in positives if p >= threshold)
    fp = sum(1 for p in negatives if p >= threshold)
    return tp, len(positives), fp, len(negatives)


def fmt_rate(hit, total):
    return f"{hit / total:.4f} ({hit}/{total})" if total else "-"


def stream_figures(args, fold_models, fold_of, groups, workdir):
    """Replays the stream once per fold; each message keeps the verdict of the fold that held out its source."""
    truth = json.load(open(os.path.join(args.stream, "truth.json")))
    owner_to_group = {g.split("/")[0]: g for g in groups if not g.startswith("ham:")}
    per_fold = {}
    for fold, model in enumerate(fold_models):
        config = os.path.join(workdir, f"stream-fold{fold}.toml")
        write_config(config, model, "corp.example")
        run = subprocess.run([args.pushback, "replay", "--config", config, "--json",
                              os.path.join(args.stream, "stream.mbox")], capture_output=True, text=True)
        if run.returncode != 0:
            sys.exit(f"replay failed: {run.stderr}")
        per_fold[fold] = {}
        for line in run.stdout.splitlines():
            if line.startswith("{"):
                record = json.loads(line)
                per_fold[fold][record.get("message_id", "").strip()] = line
    merged = []
    for mid, t in truth.items():
        group = None
        if t.get("source") in owner_to_group:
            group = owner_to_group[t["source"]]
        elif t.get("src"):
            name = os.path.basename(t["src"])
            if "enron_inbox_sample" in t["src"]:
                group = "ham:enron__" + name.split("__")[0]
            else:
                # Mail of a folder the corpus does not have (the stream's
                # easy_ham_2) was seen by no fold: any fold's verdict is out of sample.
                folder = os.path.dirname(t["src"]).split("ham/", 1)[-1]
                folder_path = os.path.join(args.corpus or "", "ham", folder)
                names = sorted(os.listdir(folder_path)) if args.corpus and os.path.isdir(folder_path) else []
                if name in names:
                    group = f"ham:{folder.replace('/', '__')}__{names.index(name) // 100:03d}"
        fold = fold_of.get(group, 0)
        line = per_fold[fold].get(mid)
        if line:
            merged.append(line)
    merged_path = os.path.join(workdir, "stream-merged.jsonl")
    with open(merged_path, "w") as f:
        f.write("\n".join(merged) + "\n")
    evaluate = os.path.join(os.path.dirname(os.path.abspath(args.stream)), "evaluate.py")
    run = subprocess.run([sys.executable, evaluate, os.path.join(args.stream, "truth.json"), merged_path],
                         capture_output=True, text=True)
    return run.stdout


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--pushback", required=True)
    ap.add_argument("--data", required=True, help="output of bench/model_data.py")
    ap.add_argument("--out", required=True, help="directory for the fold models")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--params", nargs="*", default=[""], help='parameter sets, e.g. "dim=16 epochs=25"')
    ap.add_argument("--adjacent", choices=["other", "test-only"], default="other",
                    help="outreach/adjacent as negative training examples, or only as held-out test mail")
    ap.add_argument("--threshold", type=float, default=0.9, help="probability for the per-source table")
    ap.add_argument("--stream", help="a validation stream directory (stream.mbox, truth.json)")
    ap.add_argument("--corpus", help="the corpus, to place the stream's SpamAssassin mail in its fold")
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    groups = load_groups(args.data)
    fold_of = assign_folds(groups, args.folds)
    for params_text in args.params:
        params = parse_params(params_text)
        started = time.time()
        print(f"## parameters: {params_text or '(defaults)'}; adjacent templates: {args.adjacent}\n")
        probabilities = {}  # path -> (group, category, p)
        fold_models = []
        for fold in range(args.folds):
            train_out = [d for g, f in fold_of.items() if f != fold for c, d, _ in groups[g] if c == "outreach"]
            train_other = [d for g, f in fold_of.items() if f != fold for c, d, _ in groups[g]
                           if c == "ham" or (c == "adjacent" and args.adjacent == "other")]
            model = os.path.join(args.out, f"fold{fold}.model")
            train(args.pushback, train_out, train_other, model, params)
            fold_models.append(model)
            config = os.path.join(args.out, f"fold{fold}.toml")
            write_config(config, model)
            held = [(g, c, d) for g, f in fold_of.items() if f == fold for c, d, _ in groups[g]]
            scores = scan(args.pushback, config, [d for _, _, d in held])
            for group, category, directory in held:
                for path, p in scores.items():
                    if path.startswith(directory + "/"):
                        probabilities[path] = (fold, group, category, p)
        print("| fold | outreach | other | " + " | ".join(f"recall / FP at {t}" for t in THRESHOLDS) + " |")
        print("|---" * (3 + len(THRESHOLDS)) + "|")
        for fold in list(range(args.folds)) + ["all"]:
            rows = [v for v in probabilities.values() if fold == "all" or v[0] == fold]
            pos = [p for _, _, c, p in rows if c == "outreach"]
            neg = [p for _, _, c, p in rows if c != "outreach"]
            cells = []
            for t in THRESHOLDS:
                tp, n_pos, fp, n_neg = rates(pos, neg, t)
                cells.append(f"{tp / max(n_pos, 1):.3f} / {fp / max(n_neg, 1):.4f}")
            print(f"| {fold} | {len(pos)} | {len(neg)} | " + " | ".join(cells) + " |")
        print()
        kinds = defaultdict(list)  # ham by where it comes from: an Enron owner, a SpamAssassin folder, a generator
        for _, group, category, p in probabilities.values():
            if category == "ham":
                kinds["ham: " + group[4:].split("__")[0 if group.startswith("ham:enron") else 1]].append(p)
            elif category == "adjacent":
                kinds["adjacent templates"].append(p)
        for name, values in sorted(kinds.items()):
            print(f"false positives, {name}: " + ", ".join(
                f"{fmt_rate(sum(1 for p in values if p >= t), len(values))} at {t}" for t in THRESHOLDS))
        per_source = defaultdict(list)
        for _, group, category, p in probabilities.values():
            if category == "outreach":
                per_source[group].append(p)
        print(f"\nrecall per held-out source at p >= {args.threshold} (worst last):")
        ranked = sorted(per_source.items(), key=lambda kv: -sum(p >= args.threshold for p in kv[1]) / len(kv[1]))
        for group, values in ranked:
            print(f"  {group} (fold {fold_of[group]}): {fmt_rate(sum(1 for p in values if p >= args.threshold), len(values))}")
        if args.stream:
            print("\nvalidation stream, each message judged by the fold model that did not see its source:")
            print(stream_figures(args, fold_models, fold_of, groups, args.out))
        print(f"({time.time() - started:.0f} s)\n")


if __name__ == "__main__":
    main()
