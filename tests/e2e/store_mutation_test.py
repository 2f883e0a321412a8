"""A mutation fuzzer over the LMDB store, data.mdb, for a bounded time.

Each case takes a seed store written by the real daemon (tests/fuzz/store_corpus/),
damages it with one to four mutations (bit flips, pages overwritten, copied or
zeroed, the meta pages zeroed, swapped or altered, page headers changed, the
file cut short or extended, the record format or bucket width rewritten) and
puts it in a fresh state directory, half the time with a decisions snapshot.
Then:

- `pushback state check` answers within 15 s with exit 0 or 1 and names the
  store sound, damaged, incompatible or absent, never dying by a signal;
- the daemon is ready on it within 10 s and filters mail: a message through
  Postfix reaches smtp-sink with X-Pushback-Verdict; a store judged damaged
  or incompatible is moved aside byte for byte (data.mdb.damaged-*) and the
  admin decisions come back from the snapshot when there is one; a sound one
  is kept, with no recovery;
- the daemon stops with exit code 0, having logged no error, and the store it
  leaves is sound.

The regress-*.mdb stores of the corpus, damage that once got past the check,
are tried first as they are and must be judged damaged.
PUSHBACK_FUZZ_SECONDS (default 60) bounds the run, which is at least
MIN_CASES cases; PUSHBACK_FUZZ_SEED replays a run, PUSHBACK_FUZZ_CASE=SEED:N
one case of it. A failing store is kept in WORK/failures/ and named in the
failure; the work directory is then kept.
"""
import atexit
import collections
import json
import os
import random
import re
import shutil
import subprocess
import time
import unittest
from pathlib import Path

from harness import Postfix, Pushback, SmtpSink, make_world_readable_tempdir, sanitizer_factor, wait_until

BINARY = os.environ["PUSHBACK_BIN"]
CORPUS = Path(os.environ["PUSHBACK_SOURCE_DIR"]) / "tests" / "fuzz" / "store_corpus"
SECONDS = float(os.environ.get("PUSHBACK_FUZZ_SECONDS", "60"))
MIN_CASES = 20
MAX_FAILURES = 5
PAGE = 4096
CHECK_TIMEOUT = 15
READY_TIMEOUT = 10.0 * sanitizer_factor(BINARY)

CONFIG = """[state]
dir = "{dir}"
verify_time_limit = "5s"
[direction]
internal_domains = ["corp.example"]
[policy]
mode = "monitor"
"""
VERDICT = re.compile(r"data\.mdb: (sound|damaged|incompatible|absent): (.*)")


# The mutations: each changes `data` (a bytearray) in place, or returns a new
# one, and says what it did.

def flip_bits(rng: random.Random, data: bytearray):
    if not data:
        return data, "flip bits: empty file, nothing flipped"
    offsets = [rng.randrange(len(data)) for _ in range(rng.randint(1, 16))]
    for offset in offsets:
        data[offset] ^= 1 << rng.randrange(8)
    return data, f"flip a bit at offsets {offsets}"


def overwrite_page(rng: random.Random, data: bytearray):
    pages = len(data) // PAGE
    if pages == 0:
        return flip_bits(rng, data)
    page = rng.randrange(pages)
    kind = rng.choice(["random bytes", "zeros", "a copy of page"])
    if kind == "random bytes":
        content = rng.randbytes(PAGE)
    elif kind == "zeros":
        content = bytes(PAGE)
    else:
        other = rng.randrange(pages)
        content = bytes(data[other * PAGE:(other + 1) * PAGE])
        kind += f" {other}"
    data[page * PAGE:(page + 1) * PAGE] = content
    return data, f"overwrite page {page} with {kind}"


def truncate(rng: random.Random, data: bytearray):
    if rng.random() < 0.5 and len(data) >= PAGE:
        size = rng.randrange(len(data) // PAGE) * PAGE
        return data[:size], f"truncate at page boundary {size // PAGE} ({size} bytes)"
    size = rng.randrange(len(data) + 1)
    return data[:size], f"truncate at byte {size}"


def damage_meta(rng: random.Random, data: bytearray):
    pages = [p for p in (0, 1) if len(data) >= (p + 1) * PAGE]
    if not pages:
        return flip_bits(rng, data)
    which = rng.choice([pages, [pages[0]], [pages[-1]]])
    kind = rng.choice(["zero", "random bytes in the meta record", "swap"])
    for page in which:
        base = page * PAGE
        if kind == "zero":
            data[base:base + PAGE] = bytes(PAGE)
        elif kind == "swap" and len(pages) == 2:
            data[0:PAGE], data[PAGE:2 * PAGE] = data[PAGE:2 * PAGE], data[0:PAGE]
            break
        else:
            # The page header is 16 bytes, the meta record (magic, version,
            # map size, the two databases, last page, txnid) about 136 after it.
            for _ in range(rng.randint(1, 4)):
                data[base + 16 + rng.randrange(136)] = rng.randrange(256)
    return data, f"meta page(s) {which}: {kind}"


def damage_page_header(rng: random.Random, data: bytearray):
    pages = len(data) // PAGE
    if pages <= 2:
        return flip_bits(rng, data)
    page = rng.randrange(2, pages)
    # pgno (8 bytes), pad (2), flags (2), lower (2), upper (2)
    offset = rng.randrange(16)
    old = data[page * PAGE + offset]
    data[page * PAGE + offset] = rng.choice([v for v in (0, 0xff, old ^ (1 << rng.randrange(8)), rng.randrange(256))
                                             if v != old] or [old ^ 1])
    return data, f"page {page} header byte {offset}: {old:#04x} -> {data[page * PAGE + offset]:#04x}"


def extend(rng: random.Random, data: bytearray):
    size = rng.choice([PAGE, 2 * PAGE, rng.randrange(1, 3 * PAGE)])
    junk = rng.choice([lambda n: rng.randbytes(n), lambda n: bytes(n), lambda n: b"\xff" * n])(size)
    return data + junk, f"extend with {size} bytes of junk"


def change_store_meta(rng: random.Random, data: bytearray):
    """Another record format or bucket width in the store's own meta records
    (key "m" + name, the value right after the key in the leaf node)."""
    key, values = rng.choice([(b"mformat", [b"2", b"4", b"9"]), (b"mbucket_seconds", [b"7200", b"1800", b"9999"])])
    at = data.find(key)
    if at < 0:
        return flip_bits(rng, data)
    value = rng.choice(values)
    start = at + len(key)
    old = bytes(data[start:start + len(value)])
    data[start:start + len(value)] = value
    return data, f"value of {key.decode()} at {start}: {old!r} -> {value!r}"


MUTATIONS = [flip_bits, overwrite_page, truncate, damage_meta, damage_page_header, extend, change_store_meta]
WEIGHTS = [4, 4, 1, 2, 3, 1, 1]


def mutate(rng: random.Random, seed: bytes) -> tuple[bytes, list[str]]:
    data = bytearray(seed)
    done = []
    for mutation in rng.choices(MUTATIONS, WEIGHTS, k=rng.randint(1, 4)):
        data, what = mutation(rng, data)
        done.append(what)
    return bytes(data), done


class StoreMutation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-store-mutation-")
        stores = sorted(CORPUS.glob("*.mdb"))
        cls.seeds = {path.name: path.read_bytes() for path in stores if not path.name.startswith("regress-")}
        # Stores that once got past the check: each is tried as it is, before the mutated ones.
        cls.regressions = {path.name: path.read_bytes() for path in stores if path.name.startswith("regress-")}
        cls.decisions = CORPUS / "decisions.json"
        snapshot = json.loads(cls.decisions.read_text())
        cls.restored = (f"restored {len(snapshot['allowlist'])} allowlist entries and "
                        f"{len(snapshot['feedback'])} feedback marks")
        cls.pushback = Pushback(BINARY, cls.work, CONFIG.format(dir=cls.work / "state-none"))
        cls.sink = SmtpSink(cls.work)
        cls.postfix = Postfix(cls.work, cls.sink.port, milters=cls.pushback.postfix_spec)
        cls.seen_files: set[str] = set()

    @classmethod
    def tearDownClass(cls):
        cls.postfix.stop()
        cls.sink.stop()
        if cls.pushback.process and cls.pushback.process.running():
            cls.pushback.process.kill()

    def delivered(self, message_id: str):
        """The headers of the message with this Message-ID at smtp-sink, once it is there."""
        for path in self.sink.dir.iterdir():
            if path.name in self.seen_files:
                continue
            data = path.read_bytes()
            if message_id.encode() in data:
                time.sleep(0.05)  # let the file be written completely
                self.seen_files.add(path.name)
                head = path.read_bytes().split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
                return head.decode(errors="replace")
        return None

    def run_case(self, case: str, n: int, stats: dict) -> None:
        rng = random.Random(case)
        seed_name = rng.choice(sorted(self.seeds))
        mutated, mutations = mutate(rng, self.seeds[seed_name])
        self.try_store(f"case {case} (PUSHBACK_FUZZ_CASE={case})", f"case-{n}", seed_name, mutated, mutations,
                       rng.random() < 0.5, stats)

    def try_store(self, what: str, name: str, seed_name: str, mutated: bytes, mutations: list[str],
                  with_snapshot: bool, stats: dict, expect: str | None = None) -> None:
        where = self.work / name
        state = where / "state"
        state.mkdir(parents=True, mode=0o700)
        (state / "data.mdb").write_bytes(mutated)
        (state / "data.mdb").chmod(0o600)
        if with_snapshot:
            (state / "snapshots").mkdir(mode=0o700)
            shutil.copyfile(self.decisions, state / "snapshots" / "decisions-2026-01-01.json")
            (state / "snapshots" / "decisions-2026-01-01.json").chmod(0o600)
        what = (f"{what}: seed {seed_name}, {len(mutated)} bytes, "
                f"{'with' if with_snapshot else 'without'} a decisions snapshot, mutations: {'; '.join(mutations)}")
        print(what)
        try:
            self.check_case(where, state, mutated, with_snapshot, stats, expect)
        except Exception as error:
            # The work directory is kept (not removed at exit) once a case fails.
            atexit.unregister(shutil.rmtree)
            kept = self.work / "failures"
            kept.mkdir(exist_ok=True)
            saved = kept / f"{name}-{seed_name}"
            saved.write_bytes(mutated)
            daemon = self.pushback.process
            if daemon and daemon.running():
                daemon.kill()
            raise AssertionError(f"{what}\nmutated store kept in {saved} (case directory {where})\n{error}\n"
                                 f"daemon log:\n{self.pushback.log()[-3000:]}") from error

    def check_case(self, where: Path, state: Path, mutated: bytes, with_snapshot: bool, stats: dict,
                   expect: str | None):
        self.pushback.write_config(CONFIG.format(dir=state))
        config = self.pushback.config_path

        # a. The check answers, whatever the file holds.
        try:
            check = subprocess.run([BINARY, "state", "check", "--config", str(config)], capture_output=True,
                                   text=True, timeout=CHECK_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"pushback state check did not answer within {CHECK_TIMEOUT} s")
        output = check.stdout + check.stderr
        self.assertIn(check.returncode, (0, 1), f"state check exited with {check.returncode}:\n{output}")
        found = VERDICT.search(output)
        self.assertIsNotNone(found, f"state check named no condition:\n{output}")
        verdict, detail = found.groups()
        print(f"  state check: {verdict}: {detail}")
        self.assertEqual(check.returncode, 0 if verdict in ("sound", "absent") else 1, output)
        stats["verdicts"][verdict] += 1
        if expect:
            self.assertEqual(verdict, expect, output)

        # b. The daemon comes up on it and filters mail.
        self.pushback.log_path = where / "pushback.log"
        started = time.monotonic()
        self.pushback.start(wait=False)
        self.pushback.wait_ready(READY_TIMEOUT)
        took = time.monotonic() - started
        stats["starts"].append(took)
        log = self.pushback.log()
        if verdict in ("damaged", "incompatible"):
            self.assertIn("moved aside", log)
            aside = sorted(state.glob("data.mdb.damaged-*"))
            self.assertEqual(len(aside), 1, f"moved aside: {aside}")
            self.assertEqual(aside[0].read_bytes(), mutated, f"{aside[0]} is not the store as it was")
            if with_snapshot:
                self.assertIn(self.restored, log)
        else:
            self.assertNotIn("moved aside", log)
            self.assertEqual(list(state.glob("data.mdb.damaged-*")), [])

        n = len(stats["starts"])
        sender = f"case{n}@sender{n}.example"
        message_id = f"<{time.time_ns()}.{n}@sender{n}.example>"
        text = (f"From: {sender}\r\nTo: alice@corp.example\r\nSubject: Case {n}\r\nMessage-ID: {message_id}\r\n"
                f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\n"
                f"Hello Alice,\r\n\r\nThe spare pumps for case {n} leave the warehouse on Thursday.\r\n")
        sent = time.monotonic()
        self.postfix.send(sender, ["alice@corp.example"], text)
        accepted = time.monotonic()
        head = wait_until(lambda: self.delivered(message_id), 30, f"{message_id} at smtp-sink")
        arrived = time.monotonic()
        self.assertRegex(head, r"(?im)^X-Pushback-Verdict: \w+", "the message was not filtered")
        self.assertTrue(self.pushback.process.running(), "the daemon exited")

        # c. It stops cleanly; the store it leaves is sound.
        code = self.pushback.stop()
        stopped = time.monotonic()
        print(f"  send {accepted - sent:.2f} s, deliver {arrived - accepted:.2f} s, stop {stopped - arrived:.2f} s")
        self.assertEqual(code, 0, "the daemon's exit code")
        log = self.pushback.log()
        self.assertNotRegex(log, r"(?m)^\S+ error: ")
        recoveries = 1 if verdict in ("damaged", "incompatible") else 0
        self.assertEqual(len(re.findall(r"(?m)^\S+ critical: ", log)), recoveries, "critical lines")
        after = subprocess.run([BINARY, "state", "check", "--config", str(config)], capture_output=True, text=True,
                               timeout=CHECK_TIMEOUT)
        found = VERDICT.search(after.stdout)
        self.assertIsNotNone(found, f"state check after the run named no condition:\n{after.stdout}{after.stderr}")
        print(f"  started in {took:.2f} s; after the run: {found.group(1)}")
        self.assertEqual(found.group(1), "sound", f"the store the daemon left:\n{after.stdout}")

    def test_mutated_stores(self):
        self.assertGreaterEqual(len(self.seeds), 3, f"seed stores in {CORPUS}")
        single = os.environ.get("PUSHBACK_FUZZ_CASE")
        seed = int(single.split(":")[0] if single else os.environ.get("PUSHBACK_FUZZ_SEED", time.time_ns() % 10**6))
        print(f"seed {seed} (PUSHBACK_FUZZ_SEED); {SECONDS:g} s (PUSHBACK_FUZZ_SECONDS), at least {MIN_CASES} cases; "
              f"seeds {', '.join(f'{k} ({len(v)} bytes)' for k, v in self.seeds.items())}")
        stats = {"verdicts": collections.Counter(), "starts": []}
        failures = []
        for name, data in ({} if single else self.regressions).items():
            try:
                self.try_store(f"regression {name}", name.removesuffix(".mdb"), name, data, ["none"], True, stats,
                               expect="damaged")
            except AssertionError as error:
                failures.append(str(error))
                print(f"FAILED: {error}")
        began = time.monotonic()
        cases = [int(single.split(":")[1])] if single else None
        n = run = 0
        while True:
            if cases is not None:
                if not cases:
                    break
                n = cases.pop()
            elif n >= MIN_CASES and time.monotonic() - began >= SECONDS:
                break
            run += 1
            try:
                self.run_case(f"{seed}:{n}", n, stats)
            except AssertionError as error:
                failures.append(str(error))
                print(f"FAILED: {error}")
                if len(failures) >= MAX_FAILURES:
                    break
            n += 1
        elapsed = time.monotonic() - began
        verdicts = stats["verdicts"]
        starts = stats["starts"]
        print(f"{len(self.regressions)} regression stores, then {run} cases in {elapsed:.1f} s "
              f"({elapsed / max(run, 1):.2f} s each); all judged "
              f"{verdicts['sound']} sound, {verdicts['damaged']} damaged, {verdicts['incompatible']} incompatible, "
              f"{verdicts['absent']} absent; slowest start {max(starts, default=0):.2f} s, "
              f"mean {sum(starts) / max(len(starts), 1):.2f} s; {len(failures)} failed")
        self.assertEqual(failures, [], "\n\n".join(failures))


if __name__ == "__main__":
    unittest.main()
