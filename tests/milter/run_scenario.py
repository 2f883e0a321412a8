"""Runs one miltertest scenario against the real pushback binary.

The scenario's sibling NAME.toml, when present, is the daemon's configuration.
Lines `-- expect-log: TEXT` and `-- expect-no-log: TEXT` in the script state
what pushback's log must (not) contain once the scenario has run; a line
`-- socket: unix` has the daemon listen on a unix socket instead of TCP.
"""
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "e2e"))
from harness import Pushback  # noqa: E402


def main() -> int:
    script = Path(sys.argv[1]).resolve()
    source_dir = os.environ["PUSHBACK_SOURCE_DIR"]
    config = script.with_suffix(".toml")
    lines = script.read_text().splitlines()
    want = [l.split("expect-log:", 1)[1].strip() for l in lines if l.startswith("-- expect-log:")]
    unwanted = [l.split("expect-no-log:", 1)[1].strip() for l in lines if l.startswith("-- expect-no-log:")]
    over_unix_socket = "-- socket: unix" in lines

    with tempfile.TemporaryDirectory(prefix="pb-miltertest-") as tmp:
        socket_spec = f"unix:{tmp}/pushback.sock" if over_unix_socket else None
        daemon = Pushback(os.environ["PUSHBACK_BIN"], Path(tmp),
                          config.read_text() if config.exists() else "", socket_spec=socket_spec).start()
        try:
            result = subprocess.run(["miltertest", "-D", f"socket={daemon.socket_spec}", "-D", f"srcdir={source_dir}",
                                     "-D", f"scenario={script}", "-s", str(script.parent / "run.lua")], capture_output=True, text=True, timeout=60)
        finally:
            status = daemon.stop()
        log = daemon.log()
    print(result.stdout + result.stderr)
    print("--- pushback log ---\n" + log)
    failures = []
    if result.returncode != 0:
        failures.append(f"miltertest exited {result.returncode}")
    if status != 0:
        failures.append(f"pushback exited {status} after SIGTERM")
    failures += [f"log lacks: {text}" for text in want if text not in log]
    failures += [f"log has: {text}" for text in unwanted if text in log]
    for line in log.splitlines():
        if " error: " in line or " critical: " in line:
            failures.append(f"error logged: {line}")
    for failure in failures:
        print("FAIL:", failure)
    print(f"{script.name}: {'FAIL' if failures else 'OK'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
