#!/usr/bin/env python3
"""The console's overview page on a large store, through the real server.

web_store_fill builds an LMDB store with --campaigns campaigns and --pairs
(sender, recipient) pairs (and 90 days of daily counts); `pushback web` serves
it, in front of a private Postfix with an empty hold queue. After logging in,
the first overview waits for the first ranking of the store (printed: that is
the background thread's work); then --requests overview pages (90 days of
charts, the rankings, the most-targeted staff) are timed one after another,
over a fresh connection each, as a browser without keep-alive does.

    bench/web_overview_bench.py --build build/release [--campaigns 100000 --pairs 1000000]

Every server binds 127.0.0.1 on a free port, has its own temporary directory
and is stopped by the PID it was started with (tests/e2e/harness.py).
Run as root (Postfix needs it).
"""
from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))
from harness import (Postfix, Process, SmtpSink, WebClient, free_port, make_world_readable_tempdir,  # noqa: E402
                     port_open, wait_until)

PASSWORD = "a bench password, long enough"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--build", default="build/release", help="build directory with cli/pushback and bench/")
    parser.add_argument("--campaigns", type=int, default=100_000)
    parser.add_argument("--pairs", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    build = Path(args.build).resolve()
    binary = build / "cli" / "pushback"

    work = make_world_readable_tempdir("pb-web-bench-")
    state = work / "state"
    state.mkdir()
    fill = subprocess.run([str(build / "bench" / "web_store_fill"), str(state), str(args.campaigns), str(args.pairs)],
                          capture_output=True, text=True, check=True)
    print(fill.stdout.strip())
    size = sum(f.stat().st_size for f in state.iterdir())
    print(f"state directory: {size / 1e6:.0f} MB")

    sink = SmtpSink(work)
    postfix = Postfix(work, sink.port)
    web_port = free_port()
    config = work / "pushback.toml"
    config.write_text(f"""
[milter]
user = ""
[state]
dir = "{state}"
map_size = {16 << 30}
[quarantine]
mta = "postfix"
postfix_config_dir = "{postfix.dir}"
[web]
listen = "127.0.0.1:{web_port}"
password_file = "{work}/web-password"
""")
    subprocess.run([str(binary), "web", "passwd", "--config", str(config)], input=PASSWORD + "\n", text=True,
                   check=True, capture_output=True)
    web = Process([str(binary), "web", "--config", str(config)], work / "web.log")
    try:
        wait_until(lambda: port_open(web_port), 30, "pushback web to listen")
        client = WebClient(web_port, PASSWORD, timeout=600)
        assert client.login().status == 303
        started = time.perf_counter()
        response = client.get("/overview?days=90")
        assert response.status == 200 and "Messages per day by verdict" in response.text, response.status
        print(f"first overview (waits for the first ranking of the store): {time.perf_counter() - started:.2f} s")
        timings = []
        for _ in range(args.requests):
            started = time.perf_counter()
            response = client.get("/overview?days=90")
            timings.append((time.perf_counter() - started) * 1000)
            assert response.status == 200
        timings.sort()
        print(f"overview, 90 days, {len(response.body)} bytes, {args.requests} requests: median {statistics.median(timings):.1f} ms, "
              f"p95 {timings[int(0.95 * (len(timings) - 1))]:.1f} ms, max {timings[-1]:.1f} ms")
        for path in ("/campaigns", "/quarantine"):
            started = time.perf_counter()
            status = client.get(path).status
            print(f"{path}: {(time.perf_counter() - started) * 1000:.1f} ms (status {status})")
    finally:
        web.stop()
        postfix.stop()
        sink.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
