"""Real servers for end-to-end tests: a private Postfix on loopback, smtp-sink,
Redis and the pushback daemon itself.

Every server binds 127.0.0.1 on a free port, lives in its own temporary
directory and is stopped by the PID it was started with.
"""
from __future__ import annotations

import atexit
import email
import functools
import http.client
import json
import email.policy
import os
import re
import shutil
import signal
import smtplib
import socket
import threading
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

POSTFIX_MASTER_CF = """\
{smtpd_port} inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
"""


@functools.lru_cache(maxsize=None)
def sanitizer_factor(binary: str) -> int:
    """How much more time and memory a sanitized build of `binary` takes: ASan and TSan
    start and run several times slower (3.2 s against 0.4 s to start, idle)."""
    with open(binary, "rb") as f:
        data = f.read()
    return 4 if (b"__asan_init" in data or b"__tsan_init" in data) else 1


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(predicate, timeout: float, what: str, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise TimeoutError(f"timed out after {timeout}s waiting for {what}")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def unix_socket_open(path: str) -> bool:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(0.2)
            s.connect(path)
            return True
    except OSError:
        return False


def make_world_readable_tempdir(prefix: str) -> Path:
    """mkdtemp makes 0700 directories; Postfix's unprivileged daemons must enter
    them. Removed when the test process exits, unless PUSHBACK_KEEP_TMP is set."""
    path = Path(tempfile.mkdtemp(prefix=prefix))
    path.chmod(0o755)
    if not os.environ.get("PUSHBACK_KEEP_TMP"):
        atexit.register(shutil.rmtree, path, True)
    return path


class Process:
    """A child process stopped by its own PID, never by name."""

    def __init__(self, argv: list[str], log_path: Path, env: dict | None = None):
        self.argv = argv
        self.log_path = log_path
        self._log = open(log_path, "ab")
        self.proc = subprocess.Popen(argv, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, env=env)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def running(self) -> bool:
        return self.proc.poll() is None

    def signal(self, number: int):
        if self.running():
            os.kill(self.proc.pid, number)

    def stop(self, timeout: float = 10.0) -> int:
        if self.running():
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self._log.close()
        return self.proc.returncode

    def kill(self):
        if self.running():
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log.close()

    def log(self) -> str:
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")


class Pushback:
    """The pushback daemon in the foreground with a generated configuration."""

    def __init__(self, binary: str, workdir: Path, config_text: str = "", socket_spec: str | None = None,
                 name: str = "pushback"):
        self.binary = binary
        self.workdir = workdir
        self.port = free_port()
        self.socket_spec = socket_spec or f"inet:{self.port}@127.0.0.1"
        self.metrics_port = free_port()
        self.config_path = workdir / f"{name}.toml"
        self.config_text = config_text
        self.write_config(config_text)
        self.log_path = workdir / f"{name}.log"
        self.process: Process | None = None

    def write_config(self, extra: str):
        # Tests run as root: stay root unless a test asks for a user.
        text = extra
        if "[milter]" not in text:
            text = "[milter]\nuser = \"\"\n" + text
        elif "user =" not in text:
            text = text.replace("[milter]", "[milter]\nuser = \"\"", 1)
        # Never the default state directory or metrics port: other instances may run here.
        if "[state]" not in text:
            self.state_dir = self.workdir / f"state-{self.config_path.stem}"
            self.state_dir.mkdir(exist_ok=True)
            text += f"\n[state]\ndir = \"{self.state_dir}\"\n"
        if "[metrics]" not in text:
            text += f"\n[metrics]\nlisten = \"127.0.0.1:{self.metrics_port}\"\n"
        self.config_path.write_text(text)

    def metrics(self) -> dict[str, float]:
        """The metrics endpoint's samples, by series name with labels."""
        import urllib.request
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as response:
            text = response.read().decode()
        samples = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                series, value = line.rsplit(" ", 1)
                samples[series] = float(value)
        return samples

    def start(self, extra_args: list[str] | None = None, wait: bool = True) -> "Pushback":
        argv = [self.binary, "milter", "--config", str(self.config_path), "--socket", self.socket_spec,
                "--foreground"] + (extra_args or [])
        self.process = Process(argv, self.log_path)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout: float | None = None):
        if timeout is None:
            timeout = 10.0 * sanitizer_factor(self.binary)
        def ready():
            if not self.process.running():
                raise RuntimeError(f"pushback exited early:\n{self.process.log()}")
            # "ready" is logged once privileges are dropped and the store is open.
            if " ready" not in self.process.log():
                return False
            if self.socket_spec.startswith(("unix:", "local:")):
                return unix_socket_open(self.socket_spec.split(":", 1)[1])
            return port_open(self.port)
        wait_until(ready, timeout, "pushback to listen")

    def stop(self) -> int:
        return self.process.stop() if self.process else 0

    def log(self) -> str:
        return self.process.log() if self.process else ""

    @property
    def postfix_spec(self) -> str:
        if self.socket_spec.startswith(("unix:", "local:")):
            return "unix:" + self.socket_spec.split(":", 1)[1]
        return f"inet:127.0.0.1:{self.port}"


class SmtpSink:
    """Postfix's smtp-sink, writing each received message to a file."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.dir = workdir / "sink"
        self.dir.mkdir()
        self.dir.chmod(0o777)  # smtp-sink writes as the unprivileged user
        self.process = Process(["smtp-sink", "-u", "nobody", "-d", str(self.dir) + "/%Y%m%d%H%M%S.",
                                f"127.0.0.1:{self.port}", "256"], workdir / "sink.log")
        wait_until(lambda: port_open(self.port), 10, "smtp-sink to listen")

    def messages(self) -> list[email.message.EmailMessage]:
        out = []
        for path in sorted(self.dir.iterdir(), key=lambda p: p.stat().st_mtime_ns):
            out.append(email.message_from_bytes(path.read_bytes(), policy=email.policy.default))
        return out

    def wait_for(self, count: int, timeout: float = 30.0):
        wait_until(lambda: len(list(self.dir.iterdir())) >= count, timeout, f"{count} message(s) at smtp-sink")
        time.sleep(0.1)  # let the last file be written completely
        return self.messages()

    def stop(self):
        self.process.stop()


class Postfix:
    """A private Postfix instance: its own config and queue, smtpd on loopback,
    relaying everything to a sink, with `milters` in front of it."""

    def __init__(self, workdir: Path, relay_port: int, milters: str = "", default_action: str = "tempfail",
                 extra_main_cf: str = ""):
        self.dir = workdir / "postfix"
        self.dir.mkdir()
        self.dir.chmod(0o755)
        self.port = free_port()
        (self.dir / "queue").mkdir()
        (self.dir / "data").mkdir()
        shutil.chown(self.dir / "data", "postfix", "postfix")
        main_cf = f"""\
compatibility_level = 3.6
queue_directory = {self.dir}/queue
data_directory = {self.dir}/data
maillog_file = {self.dir}/maillog
maillog_file_prefixes = {self.dir}
myhostname = mx.pushback-test.example
mydomain = pushback-test.example
myorigin = $mydomain
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
relayhost = [127.0.0.1]:{relay_port}
smtp_dns_support_level = disabled
smtp_host_lookup = native
smtpd_milters = {milters}
non_smtpd_milters =
milter_default_action = {default_action}
milter_protocol = 6
smtpd_relay_restrictions = permit_mynetworks, reject
smtp_tls_security_level = none
smtpd_tls_security_level = none
alias_maps =
alias_database =
biff = no
delay_warning_time = 0
maximal_queue_lifetime = 1h
{extra_main_cf}
"""
        (self.dir / "main.cf").write_text(main_cf)
        (self.dir / "master.cf").write_text(POSTFIX_MASTER_CF.format(smtpd_port=f"127.0.0.1:{self.port}"))
        self._run("postfix", "-c", str(self.dir), "check")
        self._run("postfix", "-c", str(self.dir), "start")
        wait_until(lambda: port_open(self.port), 20, "postfix smtpd to listen")

    def _run(self, *argv) -> str:
        result = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed: {result.stdout}{result.stderr}\n{self.maillog()}")
        return result.stdout

    def master_pid(self) -> int | None:
        pid_file = self.dir / "queue" / "pid" / "master.pid"
        try:
            return int(pid_file.read_text().strip())
        except (OSError, ValueError):
            return None

    def postconf(self, *settings: str):
        self._run("postconf", "-c", str(self.dir), "-e", *settings)
        self._run("postfix", "-c", str(self.dir), "reload")

    def queue(self) -> list[dict]:
        import json
        out = self._run("postqueue", "-c", str(self.dir), "-j")
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def message_id_of(self, queue_id: str) -> str:
        """The Message-ID header of a queued message (postcat)."""
        result = subprocess.run(["postcat", "-c", str(self.dir), "-h", "-q", queue_id],
                                capture_output=True, text=True, timeout=30)
        for line in result.stdout.splitlines():
            if line.lower().startswith("message-id:"):
                return line.split(":", 1)[1].strip()
        return ""

    def maillog(self) -> str:
        path = self.dir / "maillog"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self):
        pid = self.master_pid()
        subprocess.run(["postfix", "-c", str(self.dir), "stop"], capture_output=True, timeout=60)
        if pid:
            # `postfix stop` returns before the master has exited.
            def gone():
                try:
                    os.kill(pid, 0)
                    return False
                except ProcessLookupError:
                    return True
            try:
                wait_until(gone, 15, "postfix master to exit")
            except TimeoutError:
                os.kill(pid, signal.SIGKILL)

    def smtp(self) -> smtplib.SMTP:
        return smtplib.SMTP("127.0.0.1", self.port, timeout=30)

    def send(self, sender: str, recipients: list[str], message: bytes | str) -> dict:
        """Sends one message; returns smtplib's refused-recipient map, raises on a refusal of all."""
        if isinstance(message, str):
            message = message.encode()
        with self.smtp() as client:
            return client.sendmail(sender, recipients, message)


# Each sender writes its own words: the same text from several addresses to
# one recipient is one campaign (template lineage), and tests that judge each
# sender on its own give each its own sentence.
OWN_WORDS = [
    "Our warehouse in Leeds ships the spare pumps on Thursday morning.",
    "Marta asked whether the audit findings could wait until after the holidays.",
    "Please sign the lease renewal for the Dublin office before Friday noon.",
    "The cricket club dinner moved to the old boathouse this year.",
    "Invoices from the catering firm still show last quarter's prices.",
    "Granite samples for the lobby floor arrive with tomorrow's freight.",
    "Somebody left a blue umbrella in the third floor meeting room.",
    "The pension trustees meet again on the second Tuesday of March.",
    "Our translators finished the Portuguese manual two days early.",
    "Parking permits for contractors expire at the end of this month.",
]
_words_of: dict[str, str] = {}


class Redis:
    """A real redis-server on loopback, in its own directory, keeping nothing on disk."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.dir = workdir / "redis"
        self.dir.mkdir()
        self.runs = 0
        self.process: Process | None = None
        self.start()

    def start(self):
        self.runs += 1
        self.process = Process(["/usr/bin/redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                                "--dir", str(self.dir), "--save", "", "--appendonly", "no", "--daemonize", "no"],
                               self.dir / f"redis-{self.runs}.log")
        wait_until(lambda: port_open(self.port), 10, "redis-server to listen")

    def stop(self):
        if self.process and self.process.running():
            self.process.stop()
        wait_until(lambda: not port_open(self.port), 10, "redis-server to close its port")


class MailPath:
    """A started Pushback with a sink and a private Postfix in front of it, as
    most end-to-end tests need; stop() stops all three and returns Pushback's
    exit code."""

    def __init__(self, work: Path, pushback: "Pushback"):
        self.pushback = pushback
        self.sink = SmtpSink(work)
        self.postfix = Postfix(work, self.sink.port, milters=pushback.postfix_spec)

    def stop(self) -> int:
        self.postfix.stop()
        self.sink.stop()
        return self.pushback.stop()


def own_words(sender: str) -> str:
    """A sentence of this sender's own, the same at every call."""
    if sender not in _words_of:
        _words_of[sender] = OWN_WORDS[len(_words_of) % len(OWN_WORDS)]
    return _words_of[sender]


def plain_mail(sender: str, recipient: str, subject: str, body: str) -> tuple[str, str]:
    """A plain text message with a unique Message-ID: (message_id, text)."""
    message_id = f"<{time.time_ns()}.{threading.get_ident()}@{sender.split('@')[1]}>"
    text = (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\nMessage-ID: {message_id}\r\n"
            f"Date: {time.strftime('%a, %d %b %Y %H:%M:%S +0000', time.gmtime())}\r\n\r\n"
            + body.replace("\n", "\r\n") + "\r\n")
    return message_id, text


class WebClient:
    """A browser's share of HTTP against `pushback web`: cookies kept per client,
    no redirects followed, from a chosen loopback source address (the console's
    login limit counts per address). A response carries `body` (bytes) and `text`."""

    def __init__(self, port: int, password: str, source: str = "127.0.0.1", timeout: float = 60):
        self.port = port
        self.password = password
        self.source = source
        self.timeout = timeout
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, fields: dict | list | None = None):
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout,
                                                source_address=(self.source, 0))
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        response.body = response.read()
        response.text = response.body.decode()
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, rest = value.split("=", 1)
                if "Max-Age=0" in value:
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response

    def get(self, path: str):
        return self.request("GET", path)

    def post(self, path: str, fields):
        return self.request("POST", path, fields)

    def login(self, password: str | None = None):
        form = self.get("/login")
        return self.post("/login", {"csrf": csrf_of(form.text), "password": self.password if password is None else password})


def csrf_of(page: str) -> str:
    """The CSRF token of a console page's forms."""
    match = re.search(r'name="csrf" value="([0-9a-f]+)"', page)
    assert match, page
    return match.group(1)


# A console in front of a Postfix hold queue, as the web tests need it.
CONSOLE_CONFIG = """
[direction]
internal_domains = ["corp.example"]
[policy]
refuse_at_rcpt_streak = 0
[quarantine]
mta = "postfix"
postfix_config_dir = "{postfix_dir}"
digest_sender = "postmaster@corp.example"
[web]
listen = "127.0.0.1:{web_port}"
password_file = "{work}/web-password"
public_url = "http://127.0.0.1:{web_port}/"
staff_names = "address"
"""


class ConsolePath:
    """Pushback, a sink and a private Postfix, and `pushback web` with an
    admin password set by `pushback web passwd`; `extra` is added to
    [web]. stop() stops all of them and returns their exit codes."""

    def __init__(self, binary: str, work: Path, password: str, extra: str = ""):
        self.web_port = free_port()
        config = CONSOLE_CONFIG.format(postfix_dir=work / "postfix", work=work, web_port=self.web_port) + extra
        self.pushback = Pushback(binary, work, config).start()
        self.web: Process | None = None
        self.sink = SmtpSink(work)
        self.postfix = Postfix(work, self.sink.port, milters=self.pushback.postfix_spec)
        try:
            subprocess.run([binary, "web", "passwd", "--config", str(self.pushback.config_path)], input=password + "\n",
                           text=True, check=True, capture_output=True, timeout=60)
            self.web = Process([binary, "web", "--config", str(self.pushback.config_path)], work / "web.log")
            wait_until(lambda: port_open(self.web_port), 20, "pushback web to listen")
        except Exception:
            self.stop()
            raise

    def held(self) -> list[dict]:
        """What `pushback quarantine list --json` lists."""
        result = subprocess.run([self.pushback.binary, "quarantine", "--config", str(self.pushback.config_path), "list",
                                 "--json"], capture_output=True, text=True, timeout=120, check=True)
        return [json.loads(line) for line in result.stdout.splitlines()]

    def send_until_held(self, sender: str, recipient: str, texts: list[tuple[str, str]]) -> dict | None:
        """Sends (message_id, text) pairs in turn until one is held: its
        quarantine entry, or None when every one was delivered."""
        for message_id, text in texts:
            self.postfix.send(sender, [recipient], text)

            def outcome():
                if any(str(m["Message-ID"]) == message_id for m in self.sink.messages()):
                    return "delivered"
                return next((e for e in self.held() if e["message_id"] == message_id), None)
            got = wait_until(outcome, 30, f"{message_id} to be delivered or held", interval=0.3)
            if got != "delivered":
                return got
        return None

    def stop(self) -> dict[str, int]:
        statuses = {}
        if self.web:
            statuses["web"] = self.web.stop()
        self.postfix.stop()
        self.sink.stop()
        statuses["pushback"] = self.pushback.stop()
        return statuses


def unit_directives(text: str) -> dict[str, list[str]]:
    """A systemd unit's directives: each key with its values in order."""
    directives: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith("#"):
            key, value = line.split("=", 1)
            directives.setdefault(key.strip(), []).append(value.strip())
    return directives


class ServiceManager:
    """systemctl for a test: the machine's own systemd when it is PID 1, else a
    private one. The private systemd runs as PID 1 of new PID, mount and cgroup
    namespaces, in a cgroup subtree of its own, with /run and /dev of its own
    (systemd writes /dev/console, /dev/log and more at boot: the machine's must
    not change), reads the installed unit files from /usr/lib/systemd/system,
    starts only an empty target at boot, and is stopped by its PID (SIGKILL
    ends the whole namespace); its cgroup subtree is removed after it.

    Its files are the machine's, so it must never boot the machine: start()
    gives each unit DefaultDependencies=no (a unit would otherwise pull in
    sysinit.target, whose systemd-tmpfiles-setup empties /tmp), and the boot
    services that change files are masked besides."""

    OUTER = """#!/bin/sh
set -e
for hierarchy in /sys/fs/cgroup/systemd /sys/fs/cgroup/unified; do
  [ -d "$hierarchy" ] || continue
  mkdir "$hierarchy/$1"
  echo $$ > "$hierarchy/$1/cgroup.procs"
done
exec unshare --cgroup --pid --fork --mount --mount-proc --propagation private "$2"
"""
    INNER = """#!/bin/sh
set -e
mount -t tmpfs -o mode=0755 tmpfs /sys/fs/cgroup
mkdir /sys/fs/cgroup/systemd /sys/fs/cgroup/unified
mount -t cgroup -o none,name=systemd,xattr cgroup /sys/fs/cgroup/systemd
mount -t cgroup2 cgroup2 /sys/fs/cgroup/unified
mount -o remount,ro /sys/fs/cgroup
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir /run/hostdev
mount --rbind /dev /run/hostdev
mount -t tmpfs -o mode=0755 tmpfs /dev
for node in null zero full random urandom tty; do
  touch /dev/$node
  mount --bind /run/hostdev/$node /dev/$node
done
mkdir /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
ln -s pts/ptmx /dev/ptmx
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
touch /dev/console
mount --bind /dev/null /dev/console
umount -l /run/hostdev
rmdir /run/hostdev
mkdir -p /run/systemd/system /run/lock
printf '[Unit]\\nDescription=Pushback test boot\\n' > /run/systemd/system/pushback-test.target
for unit in systemd-tmpfiles-setup.service systemd-tmpfiles-setup-dev.service systemd-tmpfiles-clean.service \\
    systemd-tmpfiles-clean.timer systemd-sysusers.service systemd-remount-fs.service systemd-random-seed.service \\
    systemd-update-utmp.service systemd-journal-flush.service systemd-machine-id-commit.service ldconfig.service \\
    systemd-sysctl.service systemd-modules-load.service systemd-udevd.service systemd-udev-trigger.service \\
    systemd-journald.service systemd-logind.service systemd-timesyncd.service e2scrub_reap.service \\
    sysinit.target basic.target local-fs.target; do
  ln -s /dev/null /run/systemd/system/$unit
done
export container=pushback-test
exec /lib/systemd/systemd --system --unit=pushback-test.target
"""

    def __init__(self, work: Path):
        self.work = work
        self.process = None
        self.pid = None
        self.cgroup = f"pushback-test-{os.getpid()}-{free_port()}"
        if Path("/run/systemd/system").is_dir():
            return  # systemd is this machine's init
        outer, inner = work / "systemd-outer.sh", work / "systemd-inner.sh"
        outer.write_text(self.OUTER)
        inner.write_text(self.INNER)
        outer.chmod(0o755)
        inner.chmod(0o755)
        self.log = open(work / "private-systemd.log", "wb")
        self.process = subprocess.Popen([str(outer), self.cgroup, str(inner)], stdout=self.log,
                                        stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
        atexit.register(self.stop)

        def booted():
            if self.process.poll() is not None:
                raise RuntimeError(f"the private systemd exited: {(work / 'private-systemd.log').read_text()}")
            found = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True)
            if not found.stdout.strip():
                return False
            self.pid = int(found.stdout.split()[0])
            state = self.systemctl("is-system-running")
            return state.stdout.strip() in ("running", "degraded")
        wait_until(booted, 30, "the private systemd to boot", interval=0.2)

    def start(self, unit: str, timeout: float = 120) -> subprocess.CompletedProcess:
        """systemctl start UNIT; in the private systemd without the boot it would pull in."""
        if self.pid is not None:
            drop_in = f"/run/systemd/system/{unit}.d"
            subprocess.run(["nsenter", "-t", str(self.pid), "-m", "--", "sh", "-c",
                            f"mkdir -p {drop_in} && printf '[Unit]\\nDefaultDependencies=no\\n' > {drop_in}/no-boot.conf"],
                           check=True, timeout=30)
            reload = self.systemctl("daemon-reload")
            if reload.returncode != 0:
                raise RuntimeError(f"daemon-reload: {reload.stderr}")
        return self.systemctl("start", unit, timeout=timeout)

    def systemctl(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess:
        command = ["systemctl", "--no-pager", *args]
        if self.pid is not None:
            command = ["nsenter", "-t", str(self.pid), "-m", "-p", "--", *command]
        return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                              env=dict(os.environ, SYSTEMD_PAGER="cat", SYSTEMD_COLORS="0"))

    def stop(self):
        if self.process is None:
            return
        if self.pid is not None:
            try:
                os.kill(self.pid, signal.SIGKILL)  # the namespace's init: every process in it goes too
            except ProcessLookupError:
                pass
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(20)
        self.log.close()
        self.process = None
        for hierarchy in (Path("/sys/fs/cgroup/systemd"), Path("/sys/fs/cgroup/unified")):
            root = hierarchy / self.cgroup
            if root.is_dir():
                # Deepest first: a cgroup goes once its children and processes have.
                for directory in sorted((p for p in root.rglob("*") if p.is_dir()), key=lambda p: -len(p.parts)):
                    wait_until(lambda: _rmdir(directory), 10, f"{directory} to empty", interval=0.1)
                wait_until(lambda: _rmdir(root), 10, f"{root} to empty", interval=0.1)


def _rmdir(path: Path) -> bool:
    try:
        path.rmdir()
        return True
    except FileNotFoundError:
        return True
    except OSError:
        return False
