#!/usr/bin/env python3
"""End-to-end throughput and added latency of milters behind a private Postfix.

smtp-source -> private Postfix on 127.0.0.1 -> smtp-sink, with in front of
Postfix one of:

  a  no milter
  b  bench/null_milter: a naive libmilter filter that asks for every event,
     replies to each, reads the body and adds one header
  l  bench/null_milter --lean: the same work with Pushback's negotiation
     (not in the default set; it separates protocol cost from Pushback's own)
  c  Pushback, shipped configuration in enforce mode, LMDB store in a temp dir
  d  the same with the Redis store (a redis-server of its own on loopback)
  u  the same as d, Pushback reaching Redis on its unix socket (state.redis.socket)
  e  rspamd 3.4 from Debian's package as a milter: its proxy worker in milter
     mode and a normal worker, DNS-based modules off, resolver on 127.0.0.1
     (bench/setup installs it under /opt/pushback-bench/rspamd)

Mail: real messages, each sent as is (less its Message-ID) by one smtp-source
of its own, from a sender of its own to numbered recipients: data/samples,
and with a corpus (default ../shared/corpus when it exists) the first
--corpus-messages of its Enron inboxes. Held messages count as handled.

Throughput: every configuration runs back to back in one round, the rounds
repeat, and each figure is compared with (a) of the same round; the machine
is shared, so the ratios are the figures to read. Latency (--latency): one
message at a time, the time per message over bare Postfix, with the milters on
a unix socket and over TCP.

Every server binds 127.0.0.1 on a free port, has its own temporary directory
and is stopped by the PID it was started with (tests/e2e/harness.py).
Run as root (Postfix needs it).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

SOURCE = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(SOURCE / "tests" / "e2e"))

from harness import (Postfix, Process, Pushback, SmtpSink, free_port,  # noqa: E402
                     make_world_readable_tempdir, port_open, unix_socket_open, wait_until)

RSPAMD_ROOT = Path("/opt/pushback-bench/rspamd")
RECIPIENT = "staff@pushback-test.example"

NAMES = {
    "a": "no milter",
    "b": "naive null milter",
    "l": "lean null milter",
    "c": "Pushback, LMDB",
    "d": "Pushback, Redis",
    "u": "Pushback, Redis socket",
    "e": "rspamd",
}


def shipped_config(state_dir: Path, metrics_port: int, redis_port: int | None, redis_socket: str = "") -> str:
    """data/pushback.toml as shipped, switched to enforce mode, with a private
    state directory and metrics port, staying the current user (root), with a
    unix socket that Postfix's unprivileged smtpd can open."""
    text = (SOURCE / "data" / "pushback.toml").read_text()
    replacements = [
        (r'(?m)^mode = "monitor"$', 'mode = "enforce"'),
        (r'(?m)^user = "pushback"$', 'user = ""'),
        # The daemon runs as root here; Postfix's smtpd must reach a unix socket.
        (r'(?m)^socket_mode = "0660"$', 'socket_mode = "0666"'),
        (r'(?m)^dir = "/var/lib/pushback"$', f'dir = "{state_dir}"'),
        (r'(?m)^listen = "127.0.0.1:9893"$', f'listen = "127.0.0.1:{metrics_port}"'),
    ]
    if redis_port is not None:
        replacements += [(r'(?m)^backend = "lmdb"$', 'backend = "redis"'),
                         (r'(?m)^port = 6379$', f"port = {redis_port}"),
                         (r'(?m)^socket = ""$', f'socket = "{redis_socket}"')]
    for pattern, replacement in replacements:
        text, count = re.subn(pattern, replacement, text)
        if count != 1:
            raise RuntimeError(f"data/pushback.toml no longer has {pattern}")
    return text


class Milter:
    """One configuration's filter: start() returns Postfix's smtpd_milters value."""

    def __init__(self, key: str, args, workdir: Path, transport: str, pushback: str | None = None):
        self.key = key
        self.pushback_binary = pushback or args.pushback
        self.args = args
        self.workdir = workdir
        self.transport = transport
        self.processes: list[Process] = []
        self.pushback: Pushback | None = None
        self.redis_port: int | None = None  # (d) and (u): the redis-server started for them

    def _spec(self, name: str) -> tuple[str, str, callable]:
        """(libmilter spec, Postfix spec, readiness check) for a new socket."""
        if self.transport == "unix":
            path = self.workdir / f"{name}.sock"
            return f"unix:{path}", f"unix:{path}", lambda: unix_socket_open(str(path))
        port = free_port()
        return f"inet:{port}@127.0.0.1", f"inet:127.0.0.1:{port}", lambda: port_open(port)

    def start(self) -> str:
        if self.key == "a":
            return ""
        if self.key in ("b", "l"):
            spec, postfix_spec, ready = self._spec("null")
            argv = [self.args.null_milter] + (["--lean"] if self.key == "l" else []) + [spec]
            self.processes.append(Process(argv, self.workdir / "null.log"))
            wait_until(ready, 10, "null_milter to listen")
            return postfix_spec
        if self.key in ("c", "d", "u"):
            redis_port = None
            if self.key in ("d", "u"):
                redis_port = free_port()
                redis_dir = self.workdir / "redis"
                redis_dir.mkdir()
                # --redis-rr N: redis-server at real-time priority N (SCHED_RR),
                # to tell its own waits for a CPU from Pushback's.
                priority = ["chrt", "-r", str(self.args.redis_rr)] if self.args.redis_rr else []
                self.processes.append(Process(
                    priority + [self.args.redis_server, "--bind", "127.0.0.1", "--port", str(redis_port), "--dir",
                     str(redis_dir), "--save", "", "--appendonly", "no", "--daemonize", "no",
                     "--unixsocket", str(redis_dir / "redis.sock"), "--unixsocketperm", "700",
                     "--slowlog-log-slower-than", "1000", "--slowlog-max-len", "10000"],
                    self.workdir / "redis.log"))
                wait_until(lambda: port_open(redis_port), 10, "redis-server to listen")
                self.redis_port = redis_port
            # Pushback's harness picks its own TCP port; a unix socket goes in the temp dir.
            spec = f"unix:{self.workdir / 'pushback.sock'}" if self.transport == "unix" else None
            pb = Pushback(self.pushback_binary, self.workdir, socket_spec=spec)
            state_dir = self.workdir / "state"
            state_dir.mkdir()
            redis_socket = str(self.workdir / "redis" / "redis.sock") if self.key == "u" else ""
            pb.config_path.write_text(shipped_config(state_dir, pb.metrics_port, redis_port, redis_socket))
            self.pushback = pb  # stopped by stop() even if it never gets ready
            pb.start()
            return pb.postfix_spec
        if self.key == "e":
            return self._start_rspamd()
        raise ValueError(self.key)

    def _start_rspamd(self) -> str:
        # rspamd's proxy listens on TCP here whatever --transport says.
        root = RSPAMD_ROOT
        local = self.workdir / "rspamd"
        for sub in ("local.d", "override.d", "db", "run", "log"):
            (local / sub).mkdir(parents=True, exist_ok=True)
        proxy_port, normal_port, controller_port = free_port(), free_port(), free_port()
        override = local / "override.d"
        (override / "worker-proxy.inc").write_text(
            f'bind_socket = "127.0.0.1:{proxy_port}";\nmilter = yes;\ntimeout = 120s;\n'
            f'upstream "local" {{\n  default = yes;\n  self_scan = no;\n  hosts = "127.0.0.1:{normal_port}";\n}}\n'
            'count = 1;\nmax_retries = 5;\ndiscard_on_reject = false;\nquarantine_on_reject = false;\n'
            'reject_message = "Spam message rejected";\n')
        (override / "worker-normal.inc").write_text(f'bind_socket = "127.0.0.1:{normal_port}";\n')
        (override / "worker-controller.inc").write_text(f'bind_socket = "127.0.0.1:{controller_port}";\n')
        # The resolver points at loopback, where nothing answers: any DNS
        # lookup a module still makes fails at once instead of timing out.
        (local / "local.d" / "options.inc").write_text(
            'dns {\n  nameserver = ["127.0.0.1:53"];\n  timeout = 0.2s;\n  retransmits = 1;\n}\n')
        # What an admin adds to see rspamd's verdict in the message.
        (local / "local.d" / "milter_headers.conf").write_text(
            'extended_spam_headers = true;\nskip_local = false;\nskip_authenticated = false;\n')
        # Modules that look things up on the network: DNS lists, SPF, DKIM, DMARC
        # and ARC keys, ASN, MX checks, HELO checks, fuzzy hashes, URL redirects,
        # map updates. Modules that need Redis are off by themselves.
        for module in ("rbl", "surbl", "emails", "dmarc", "spf", "dkim", "arc", "asn", "mx_check", "hfilter",
                       "fuzzy_check", "url_redirector", "rspamd_update", "phishing"):
            (local / "local.d" / f"{module}.conf").write_text("enabled = false;\n")
        for sub in ("db", "run", "log"):
            os.chown(local / sub, 65534, 65534)  # nobody
        hs_cache = Path(self.args.rspamd_cache)
        hs_cache.mkdir(parents=True, exist_ok=True)
        os.chown(hs_cache, 65534, 65534)
        env = dict(os.environ, LD_LIBRARY_PATH=str(root / "usr/lib/rspamd"))
        variables = {
            "CONFDIR": root / "etc/rspamd", "LOCAL_CONFDIR": local, "RULESDIR": root / "usr/share/rspamd/rules",
            "LUALIBDIR": root / "usr/share/rspamd/lualib", "PLUGINSDIR": root / "usr/share/rspamd/plugins",
            "SHAREDIR": root / "usr/share/rspamd", "WWWDIR": root / "usr/share/rspamd/www",
            "DBDIR": local / "db", "RUNDIR": local / "run", "LOGDIR": local / "log",
        }
        argv = [str(root / "usr/bin/rspamd"), "-f", "-u", "nobody", "-g", "nogroup",
                "-c", str(root / "etc/rspamd/rspamd.conf")]
        for name, value in variables.items():
            argv += ["--var", f"{name}={value}"]
        # The hyperscan cache survives between runs: compiling it takes minutes.
        (local / "local.d" / "options.inc").write_text(
            (local / "local.d" / "options.inc").read_text() + f'hs_cache_dir = "{hs_cache}";\n')
        self.processes.append(Process(argv, self.workdir / "rspamd.out", env=env))
        self.rspamd_log = local / "log" / "rspamd.log"
        wait_until(lambda: port_open(proxy_port) and port_open(normal_port), 60, "rspamd to listen")

        def hyperscan_loaded():
            log = self.rspamd_log.read_text(errors="replace") if self.rspamd_log.exists() else ""
            return "hyperscan database of" in log and "has been loaded" in log
        wait_until(hyperscan_loaded, self.args.rspamd_wait, "rspamd's hyperscan databases")
        return f"inet:127.0.0.1:{proxy_port}"

    def stop(self):
        if self.pushback:
            self.pushback.stop()
        for process in reversed(self.processes):
            process.stop()


class Setup:
    """Postfix, smtp-sink and one configuration's milter, in one temp dir."""

    def __init__(self, key: str, args, transport: str = "inet", pushback: str | None = None):
        self.workdir = make_world_readable_tempdir(f"pb-e2e-{key}-")
        self.milter = Milter(key, args, self.workdir, transport, pushback)
        self.sink = None
        self.postfix = None
        try:
            milters = self.milter.start()
            self.sink = SmtpSink(self.workdir)
            self.postfix = Postfix(self.workdir, self.sink.port, milters=milters,
                                   extra_main_cf="milter_command_timeout = 60s\n")
        except BaseException:
            self.stop()
            raise

    def delivered(self) -> int:
        return sum(1 for _ in os.scandir(self.sink.dir))

    def held(self) -> int:
        return sum(len(files) for _, _, files in os.walk(self.postfix.dir / "queue" / "hold"))

    def send(self, count: int, sessions: int, mail: list[Path], one_by_one: bool = False) -> tuple[float, float]:
        """Sends `count` messages, spread over the files of `mail`, each file by an
        smtp-source of its own (all at once, or one after the other); returns
        (seconds until smtp-source is done, seconds until all are delivered or held)."""
        before = self.delivered() + self.held()
        share, extra = divmod(count, len(mail))
        runs = []
        for i, path in enumerate(mail):
            messages = share + (1 if i < extra else 0)
            if messages:
                per_file = 1 if one_by_one else max(1, sessions // len(mail))
                runs.append(["smtp-source", "-s", str(per_file), "-m", str(messages), "-F", str(path),
                             "-f", f"outreach{i}@vendor{i}.example", "-t", RECIPIENT, "-N",
                             f"127.0.0.1:{self.postfix.port}"])
        started = time.monotonic()
        if one_by_one:
            results = [subprocess.run(argv, capture_output=True, text=True, timeout=1800) for argv in runs]
        else:
            processes = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                         for argv in runs]
            results = []
            for process in processes:
                output, _ = process.communicate(timeout=1800)
                results.append(subprocess.CompletedProcess(process.args, process.returncode, output, ""))
        sent = time.monotonic() - started
        for result in results:
            if result.returncode != 0:
                raise RuntimeError(f"smtp-source failed: {result.stdout}{result.stderr}")
        wait_until(lambda: self.delivered() + self.held() >= before + count, 600,
                   f"{count} messages delivered or held", 0.02)
        return sent, time.monotonic() - started

    def stop(self):
        for part in (self.postfix, self.sink):
            if part:
                part.stop()
        self.milter.stop()


def redis_figures(port: int) -> dict[str, float]:
    """Calls and server microseconds per command (INFO commandstats) and the
    commands that took the server over a millisecond (SLOWLOG)."""
    def ask(*words):
        return subprocess.run(["redis-cli", "-h", "127.0.0.1", "-p", str(port), *words],
                              capture_output=True, text=True, timeout=30).stdout
    out: dict[str, float] = {"slow": float(ask("SLOWLOG", "LEN").strip() or 0)}
    for match in re.finditer(r"cmdstat_(\w+):calls=(\d+),usec=(\d+)", ask("INFO", "commandstats")):
        out[f"{match.group(1)}_calls"] = float(match.group(2))
        out[f"{match.group(1)}_usec"] = float(match.group(3))
    return out


def redis_summary(before: dict[str, float], after: dict[str, float], messages: int) -> str:
    def per_call(name):
        calls = after.get(f"{name}_calls", 0) - before.get(f"{name}_calls", 0)
        usec = after.get(f"{name}_usec", 0) - before.get(f"{name}_usec", 0)
        return calls / messages, (usec / calls if calls else 0)
    parts = []
    for name in ("evalsha", "eval"):
        calls, usec = per_call(name)
        if calls:
            parts.append(f"{name} {calls:.2f}/message {usec:.0f} µs")
    parts.append(f"over 1 ms in the server: {after['slow'] - before['slow']:.0f}")
    return "redis: " + ", ".join(parts)


def prepare_mail(args) -> list[Path]:
    """The messages to send, copied without their Message-ID (each copy is a
    message of its own; Postfix adds none for a remote client)."""
    sources = sorted((SOURCE / "data" / "samples").glob("*.eml"))
    samples = len(sources)
    corpus = Path(args.corpus) if args.corpus else None
    if corpus and args.corpus_messages:
        inboxes = corpus / "ham" / "enron_inbox_sample"
        if not inboxes.is_dir():
            sys.exit(f"e2e_throughput: no {inboxes}")
        sources += sorted(p for p in inboxes.rglob("*") if p.is_file())[:args.corpus_messages]
    out_dir = make_world_readable_tempdir("pb-e2e-mail-")
    mail = []
    for i, source in enumerate(sources):
        text = source.read_bytes().replace(b"\r\n", b"\n")
        head, sep, body = text.partition(b"\n\n")
        head = re.sub(rb"(?mi)^message-id:.*\n(?:[ \t].*\n)*", b"", head + b"\n")[:-1]
        path = out_dir / f"{i:02d}.eml"
        path.write_bytes(head + sep + body)
        mail.append(path)
    sizes = [p.stat().st_size for p in mail]
    print(f"mail: {len(mail)} messages ({len(mail) - samples} from {corpus if len(mail) > samples else 'no corpus'}), "
          f"median {statistics.median(sizes):.0f} bytes", flush=True)
    return mail


def histogram_quantiles(samples: dict[str, float], name: str, quantiles=(0.5, 0.99)) -> dict[float, float]:
    """Quantiles of a Prometheus histogram, linear inside a bucket."""
    buckets = []
    for series, value in samples.items():
        match = re.fullmatch(rf'{name}_bucket\{{le="([^"]+)"\}}', series)
        if match:
            buckets.append((float("inf") if match.group(1) == "+Inf" else float(match.group(1)), value))
    buckets.sort()
    total = buckets[-1][1] if buckets else 0
    out = {}
    for q in quantiles:
        rank = q * total
        lower_bound, lower_count = 0.0, 0.0
        for bound, count in buckets:
            if count >= rank:
                if bound == float("inf"):
                    out[q] = lower_bound
                else:
                    share = (rank - lower_count) / (count - lower_count) if count > lower_count else 0
                    out[q] = lower_bound + share * (bound - lower_bound)
                break
            lower_bound, lower_count = bound, count
    return out


def log_quantiles(log: str, quantiles=(0.5, 0.99)) -> dict[float, float]:
    """Quantiles of the per-message time on Pushback's log lines (ms)."""
    times = sorted(float(t) for t in re.findall(r" time=([0-9.]+)ms", log))
    if not times:
        return {}
    return {q: times[min(len(times) - 1, int(q * len(times)))] for q in quantiles}


def verify(key: str, setup: Setup):
    """The milter really worked on the mail: its header is in the last message."""
    wanted = {"b": "X-Null-Milter", "l": "X-Null-Milter", "c": "X-Pushback-Score", "d": "X-Pushback-Score",
              "u": "X-Pushback-Score",
              "e": "X-Spamd-Result"}.get(key)
    if not wanted:
        return ""
    if key == "e":
        scans = setup.milter.rspamd_log.read_text(errors="replace").count("rspamd_task_write_log")
        delivered = setup.delivered()
        if scans < delivered:
            raise RuntimeError(f"rspamd logged {scans} scans for {delivered} messages")
    newest = max(os.scandir(setup.sink.dir), key=lambda e: e.stat().st_mtime_ns)
    text = Path(newest.path).read_text(errors="replace")
    headers = text.split("\n\n", 1)[0]
    match = re.search(rf"(?mi)^{wanted}:.*(?:\n[ \t].*)*", headers)
    if not match:
        raise RuntimeError(f"{NAMES[key]}: no {wanted} header in {newest.path}")
    return " ".join(match.group(0).split())


def throughput(args):
    configs = list(args.configs)
    rows: dict[str, list[float]] = {k: [] for k in configs}
    ratios: dict[str, list[float]] = {k: [] for k in configs}
    extras: dict[str, list[str]] = {k: [] for k in configs}
    for round_number in range(1, args.rounds + 1):
        for key in configs:
            setup = Setup(key, args, args.transport)
            try:
                setup.send(args.warmup, args.sessions, args.mail)
                before = setup.milter.pushback.metrics() if setup.milter.pushback else None
                redis_port = setup.milter.redis_port
                redis_before = redis_figures(redis_port) if redis_port else None
                _, elapsed = setup.send(args.messages, args.sessions, args.mail)
                rate = args.messages / elapsed
                rows[key].append(rate)
                seen = verify(key, setup)
                if setup.milter.pushback:
                    after = setup.milter.pushback.metrics()
                    q = histogram_quantiles(after, "pushback_analysis_seconds")
                    sq = histogram_quantiles(after, "pushback_store_operation_seconds")
                    verdicts = {s.split("verdict=")[1].strip('"}'): int(v - (before or {}).get(s, 0))
                                for s, v in after.items() if s.startswith("pushback_messages_total")}
                    lq = log_quantiles(setup.milter.pushback.log())
                    extras[key].append(
                        f"histogram p50 {q[0.5] * 1000:.2f} ms p99 {q[0.99] * 1000:.2f} ms; "
                        f"store calls (RCPT and end of message) p50 {sq[0.5] * 1000:.2f} ms p99 {sq[0.99] * 1000:.2f} ms; "
                        f"log p50 {lq.get(0.5, 0):.2f} ms p99 {lq.get(0.99, 0):.2f} ms; verdicts {verdicts}"
                        + (f"; {redis_summary(redis_before, redis_figures(redis_port), args.messages)}"
                           if redis_port else ""))
                print(f"round {round_number} {key} {NAMES[key]:<20} {rate:8.1f} msgs/s  ({elapsed:.2f} s)"
                      + (f"  [{seen[:90]}]" if seen else ""), flush=True)
            finally:
                setup.stop()
        if "a" in configs:
            base = rows["a"][-1]
            for key in configs:
                ratios[key].append(rows[key][-1] / base)

    print(f"\n{args.messages} real messages ({len(args.mail)} kinds), {args.sessions} sessions, milters over "
          f"{args.transport}, {args.rounds} rounds")
    header = "| configuration | " + " | ".join(f"round {i}" for i in range(1, args.rounds + 1)) + " | median |"
    print(header)
    print("|---" * (args.rounds + 2) + "|")
    for key in configs:
        cells = [f"{r:.0f} ({x:.2f}×)" for r, x in zip(rows[key], ratios[key] or [1] * len(rows[key]))]
        median_ratio = statistics.median(ratios[key]) if ratios[key] else 0
        print(f"| ({key}) {NAMES[key]} | " + " | ".join(cells) +
              f" | {statistics.median(rows[key]):.0f} ({median_ratio:.2f}×) |")
    for key in configs:
        for i, extra in enumerate(extras[key], 1):
            print(f"({key}) round {i}: {extra}")


def latency(args):
    """One message at a time: seconds per message, and what each milter adds."""
    plan = [("a", "inet", "bare Postfix")]
    for transport in ("unix", "inet"):
        plan.append(("c", transport, f"Pushback, {transport}"))
        if args.pushback_before:
            plan.append(("c0", transport, f"Pushback (--pushback-before), {transport}"))
        if args.with_null:
            plan.append(("l", transport, f"lean null milter, {transport}"))
        if args.with_redis:
            plan.append(("d", transport, f"Pushback with Redis, {transport}"))
    per_message: dict[str, list[float]] = {label: [] for _, _, label in plan}
    own_time: list[str] = []
    for round_number in range(1, args.rounds + 1):
        for key, transport, label in plan:
            if key == "a" and transport != "inet":
                continue
            if key == "c0":
                setup = Setup("c", args, transport, pushback=args.pushback_before)
            else:
                setup = Setup(key, args, transport)
            try:
                setup.send(len(args.mail), 1, args.mail, one_by_one=True)
                sent, _ = setup.send(args.messages, 1, args.mail, one_by_one=True)
                per_message[label].append(sent / args.messages * 1000)
                print(f"round {round_number} {label:<40} {sent / args.messages * 1000:7.2f} ms/message", flush=True)
                if setup.milter.pushback:
                    q = histogram_quantiles(setup.milter.pushback.metrics(), "pushback_analysis_seconds")
                    own_time.append(f"{label}, round {round_number}: own time p50 {q[0.5] * 1000:.2f} ms "
                                    f"p99 {q[0.99] * 1000:.2f} ms")
            finally:
                setup.stop()
    base = statistics.median(per_message["bare Postfix"])
    print(f"\n{args.messages} real messages ({len(args.mail)} kinds), one at a time, {args.rounds} rounds")
    print("| configuration | ms per message (rounds) | median | added over bare Postfix |")
    print("|---|---|---|---|")
    for label, values in per_message.items():
        median = statistics.median(values)
        print(f"| {label} | " + ", ".join(f"{v:.2f}" for v in values) + f" | {median:.2f} | {median - base:+.2f} ms |")
    for line in own_time:
        print(line)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default=str(SOURCE / "build" / "release"),
                        help="build tree with cli/pushback and bench/null_milter (default build/release)")
    parser.add_argument("--pushback", help="pushback binary (default BUILD/cli/pushback)")
    parser.add_argument("--pushback-before", help="latency: also run this pushback binary (e.g. without TCP_NODELAY)")
    parser.add_argument("--null-milter", help="null_milter binary (default BUILD/bench/null_milter)")
    parser.add_argument("--redis-server", default="/usr/bin/redis-server")
    parser.add_argument("--redis-rr", type=int, default=0,
                        help="run redis-server at this real-time priority (chrt -r), not at the default")
    parser.add_argument("--configs", default="abcde", help="configurations to run, in order (default abcde; l: lean null)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--messages", type=int, default=2000, help="messages per configuration and round")
    parser.add_argument("--warmup", type=int, default=100, help="messages sent first, not timed")
    parser.add_argument("--sessions", type=int, default=20)
    default_corpus = SOURCE.parent / "shared" / "corpus"
    parser.add_argument("--corpus", default=str(default_corpus) if default_corpus.is_dir() else None,
                        help="corpus with ham/enron_inbox_sample (default ../shared/corpus when it exists)")
    parser.add_argument("--corpus-messages", type=int, default=13,
                        help="how many of the corpus's Enron messages join data/samples (0: none)")
    parser.add_argument("--transport", choices=("inet", "unix"), default="inet",
                        help="socket of the null milter and Pushback in the throughput run (rspamd: always TCP)")
    parser.add_argument("--latency", action="store_true", help="measure added latency, one message at a time")
    parser.add_argument("--with-null", action="store_true", help="latency: also the lean null milter")
    parser.add_argument("--with-redis", action="store_true", help="latency: also Pushback with the Redis store")
    parser.add_argument("--rspamd-cache", default="/var/tmp/pushback-bench-rspamd-hs",
                        help="where rspamd keeps its compiled hyperscan databases between runs")
    parser.add_argument("--rspamd-wait", type=float, default=900, help="seconds to wait for rspamd's hyperscan")
    args = parser.parse_args()
    build = Path(args.build)
    args.pushback = args.pushback or str(build / "cli" / "pushback")
    args.null_milter = args.null_milter or str(build / "bench" / "null_milter")
    if os.geteuid() != 0:
        sys.exit("e2e_throughput: run as root (Postfix needs it)")
    if "e" in args.configs and not args.latency and not (RSPAMD_ROOT / "usr/bin/rspamd").exists():
        sys.exit("e2e_throughput: rspamd is not installed; run bench/setup first (or leave out configuration e)")
    print(f"pushback: {args.pushback}\nload average: {os.getloadavg()}", flush=True)
    args.mail = prepare_mail(args)
    if args.latency:
        latency(args)
    else:
        throughput(args)


if __name__ == "__main__":
    main()
