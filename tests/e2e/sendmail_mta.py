"""A private Sendmail for end-to-end tests: a generated sendmail.mc built into
sendmail.cf with m4, its own queue in a temp dir, the daemon on 127.0.0.1 at a
free port, relaying everything to a sink, with pushback as its input filter.

Sendmail runs from the extracted Debian package that scripts/setup unpacks
(`sendmail-bin` conflicts with `postfix`). The daemon runs in the foreground
(`-bD`) and is stopped by its PID, together with any SMTP session child that
it forked and that outlived it.
"""
from __future__ import annotations

import os
import signal
import smtplib
import subprocess
from pathlib import Path

from harness import Process, free_port, wait_until

SENDMAIL_ROOT = Path(os.environ.get("PUSHBACK_SENDMAIL_ROOT", "/opt/pushback-test/sendmail"))
SENDMAIL_BIN = SENDMAIL_ROOT / "usr/libexec/sendmail/sendmail"
CF_DIR = SENDMAIL_ROOT / "usr/share/sendmail/cf"

# Sendmail looks up its own host name with the C library before it reads its
# configuration: a name without a dot makes it sleep and retry for 60 s, and
# a name the resolver has to ask DNS about costs a query, or a resolver
# timeout on a machine without network. The daemon runs in its own UTS and
# mount namespaces (`unshare -u -m`) with this name, and with a private
# /etc/hosts that holds it, which leaves the machine's own untouched.
HOSTNAME = "mx.pushback-test.example"


def available() -> str | None:
    """Why Sendmail cannot run here, or None when it can."""
    if not SENDMAIL_BIN.exists():
        return f"{SENDMAIL_BIN} is missing: run scripts/setup"
    if not (CF_DIR / "m4" / "cf.m4").exists():
        return f"{CF_DIR}/m4/cf.m4 is missing: run scripts/setup"
    return None


def milter_line(name: str, socket_spec: str, flags: str = "T",
                timeouts: str = "C:10s;S:30s;R:30s;E:5m") -> str:
    """The INPUT_MAIL_FILTER line as an admin writes it in sendmail.mc."""
    fields = [f"S={socket_spec}"]
    if flags:
        fields.append(f"F={flags}")
    if timeouts:
        fields.append(f"T={timeouts}")
    return f"INPUT_MAIL_FILTER(`{name}', `{', '.join(fields)}')dnl"


def _start_time(pid: int) -> int | None:
    """A live process's start time in clock ticks (with the PID it names one
    process); None once it has exited, zombies included."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _children(parent: int) -> list[tuple[int, int]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[1]) == parent:
            found.append((int(entry.name), int(fields[19])))
    return found


def _terminate(pid: int, started: int, timeout: float):
    def gone() -> bool:
        return _start_time(pid) != started
    for number in (signal.SIGTERM, signal.SIGKILL):
        if gone():
            return
        try:
            os.kill(pid, number)
        except ProcessLookupError:
            return
        try:
            wait_until(gone, timeout, f"sendmail child {pid} to exit")
            return
        except TimeoutError:
            pass


class Sendmail:
    """A private Sendmail daemon on loopback, relaying everything to relay_port."""

    def __init__(self, workdir: Path, relay_port: int, milters: list[str] | None = None,
                 extra_mc: str = "", start: bool = True):
        problem = available()
        if problem:
            raise RuntimeError(problem)
        # Sendmail switches to DefaultUser (nobody here) for some of its work:
        # every directory on the path stays enterable (0755).
        self.dir = workdir / "sendmail"
        self.dir.mkdir()
        self.dir.chmod(0o755)
        self.port = free_port()
        self.relay_port = relay_port
        # The queue holds message copies: root's only, as on a real system.
        self.queue = self.dir / "mqueue"
        self.queue.mkdir(mode=0o700)
        self.queue.chmod(0o700)
        self.mc_path = self.dir / "sendmail.mc"
        self.cf_path = self.dir / "sendmail.cf"
        self.pid_path = self.dir / "sendmail.pid"
        self.traffic_path = self.dir / "smtp-traffic.log"
        (self.dir / "service.switch").write_text(
            # Host names and aliases come from files only: no DNS query ever
            # leaves the machine, and a missing resolver cannot stall a test.
            "hosts files\naliases files\n")
        self.hosts_path = self.dir / "hosts"
        # Bound over /etc/hosts for the daemon alone (see HOSTNAME). Sendmail
        # looks its name up for IPv6 too: without the ::1 line that query
        # goes to DNS.
        self.hosts_path.write_text(f"127.0.0.1 localhost\n127.0.1.1 {HOSTNAME} mx\n"
                                   f"::1 localhost ip6-localhost\n::1 {HOSTNAME} mx\n")
        (self.dir / "aliases").write_text("postmaster: root\n")
        (self.dir / "helpfile").write_text("")
        (self.dir / "statistics").write_text("")
        self.mc_path.write_text(self._mc(milters or [], extra_mc))
        self._build_cf()
        self.process: Process | None = None
        if start:
            self.start()

    def _mc(self, milters: list[str], extra_mc: str) -> str:
        d = self.dir
        milter_lines = "\n".join(milters)
        return f"""\
divert(-1)
Private Sendmail for pushback's end-to-end tests. Paths and ports are this
instance's own; everything not local is relayed to 127.0.0.1:{self.relay_port}.
divert(0)dnl
VERSIONID(`pushback e2e')dnl
OSTYPE(`linux')dnl
dnl Our own host name: no guessing from the machine, no lookup.
define(`confDOMAIN_NAME', `{HOSTNAME}')dnl
dnl This instance's files, so it shares nothing with a system Sendmail.
define(`QUEUE_DIR', `{self.queue}')dnl
define(`confPID_FILE', `{self.pid_path}')dnl
define(`STATUS_FILE', `{d}/statistics')dnl
define(`HELP_FILE', `{d}/helpfile')dnl
define(`ALIAS_FILE', `{d}/aliases')dnl
define(`confSERVICE_SWITCH_FILE', `{d}/service.switch')dnl
define(`confDEAD_LETTER_DROP', `{d}/dead.letter')dnl
define(`confHOST_STATUS_DIRECTORY', `')dnl
define(`confUSERDB_SPEC', `')dnl
dnl The account for deliveries to files and programs: mailnull does not exist
dnl on Debian.
define(`confDEF_USER_ID', `nobody:nogroup')dnl
dnl No DNS: do not canonify addresses, accept sender domains that do not
dnl resolve, skip the reverse lookups of every local interface at start-up.
FEATURE(`nocanonify')dnl
FEATURE(`accept_unresolvable_domains')dnl
define(`confDONT_PROBE_INTERFACES', `True')dnl
dnl No ident (RFC 1413) call back to the client on each connection.
define(`confTO_IDENT', `0')dnl
dnl Sendmail queues instead of delivering above a load average of 8 and
dnl refuses connections above 12: a busy build machine reaches that.
define(`confQUEUE_LA', `1000')dnl
define(`confREFUSE_LA', `1000')dnl
define(`confDELAY_LA', `0')dnl
dnl Only the port under test: no second listener on the submission port 587.
FEATURE(`no_default_msa')dnl
DAEMON_OPTIONS(`Family=inet, Name=MTA, Addr=127.0.0.1, Port={self.port}')dnl
dnl Everything goes to the sink: an address literal needs no lookup, and the
dnl relay mailer's arguments carry the sink's port.
define(`SMART_HOST', `relay:[127.0.0.1]')dnl
define(`RELAY_MAILER_ARGS', `TCP $h {self.relay_port}')dnl
define(`ESMTP_MAILER_ARGS', `TCP $h {self.relay_port}')dnl
dnl Deliver before answering the end of data: once the client has its 250 the
dnl message is at the sink, and no background delivery process outlives the
dnl SMTP session. The milter sees the same conversation in every mode.
define(`confDELIVERY_MODE', `interactive')dnl
{milter_lines}
{extra_mc}
MAILER(`local')dnl
MAILER(`smtp')dnl
"""

    def _build_cf(self):
        result = subprocess.run(["m4", f"-D_CF_DIR_={CF_DIR}/", str(CF_DIR / "m4" / "cf.m4"), str(self.mc_path)],
                                capture_output=True, text=True, timeout=60)
        # m4 goes on after a missing file or a bad macro: any message is an error.
        if result.returncode != 0 or result.stderr or not result.stdout:
            raise RuntimeError(f"m4 failed on {self.mc_path}: {result.stderr}")
        self.cf_path.write_text(result.stdout)

    def start(self, timeout: float = 20.0) -> "Sendmail":
        # unshare and sh both exec: the PID we hold is the daemon's own. The
        # bind mount of the hosts file is private to the new mount namespace.
        # -bD: daemon in the foreground; -X: a transcript of every SMTP
        # conversation, ours and the one with the sink (there is no syslog).
        script = 'hostname "$1" && mount --bind "$2" /etc/hosts && exec "$3" -bD -C "$4" -X "$5"'
        argv = ["unshare", "--uts", "--mount", "--propagation", "private", "--", "sh", "-c", script, "sh",
                HOSTNAME, str(self.hosts_path), str(SENDMAIL_BIN), str(self.cf_path), str(self.traffic_path)]
        self.process = Process(argv, self.dir / "sendmail.out")
        try:
            wait_until(self._ready, timeout, "sendmail to listen")
        except Exception:
            self.stop()
            raise
        return self

    def _ready(self) -> bool:
        """Sendmail writes its pid file once its listening socket is open.
        Waiting for it rather than probing the port keeps an empty SMTP
        session, and with it a milter session, out of every test."""
        if not self.process.running():
            raise RuntimeError(f"sendmail exited early:\n{self.log()}")
        try:
            return self.pid_path.read_text().split("\n", 1)[0].strip() == str(self.process.pid)
        except OSError:
            return False

    def stop(self, timeout: float = 10.0):
        """Stops the daemon by its PID, then any SMTP session child it forked
        that outlived it (each by its own PID and start time)."""
        if not self.process:
            return
        children = _children(self.process.pid)
        self.process.stop(timeout)
        for pid, started in children:
            _terminate(pid, started, timeout)

    def log(self) -> str:
        out = self.process.log() if self.process else ""
        traffic = self.traffic_path.read_text(errors="replace") if self.traffic_path.exists() else ""
        return f"--- sendmail output\n{out}\n--- SMTP traffic\n{traffic}"

    def queued(self) -> list[str]:
        """Queue ids of the messages in the queue, quarantined ones included."""
        return sorted(path.name[2:] for path in self.queue.iterdir() if path.name[:2] in ("qf", "hf"))

    def smtp(self) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.port, timeout=30)
