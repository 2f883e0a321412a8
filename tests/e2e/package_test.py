"""The Debian package as an administrator gets it: built from this source tree
(or PUSHBACK_DEB), clean under lintian, installed with dpkg on this machine,
working after install, keeping its state on remove and deleting it on purge.

The test machine is disposable, but the test still leaves it as it found it:
the package is purged at the end, and an account or group membership the
package created is taken away again."""
import grp
import os
import pwd
import shutil
import subprocess
import tempfile
import unittest
import urllib.request
from pathlib import Path

from harness import ServiceManager, free_port, port_open, wait_until

SOURCE = Path(os.environ["PUSHBACK_SOURCE_DIR"])
INSTALLED = "/usr/sbin/pushback"
CONFIG = "/etc/pushback/pushback.toml"
STATE_DIR = Path("/var/lib/pushback")
DATA_FILES = ("followup_phrases.toml", "outreach_markers.toml", "cold_pitch.model")


def run(*args: str, timeout: float = 120, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=timeout, **kwargs)


def build_deb(work: Path) -> Path:
    """Builds the release package the documented way, in a private build dir."""
    build = work / "build"
    env = dict(os.environ)
    configure = run("cmake", "-S", str(SOURCE), "-B", str(build), "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                    "-DCMAKE_INSTALL_PREFIX=/usr", "-DPUSHBACK_BUILD_TESTS=OFF", "-DPUSHBACK_BUILD_BENCH=OFF",
                    timeout=300, env=env)
    if configure.returncode != 0:
        raise RuntimeError(f"cmake configure failed:\n{configure.stdout}\n{configure.stderr}")
    package = run("cmake", "--build", str(build), "--target", "package", "-j2", timeout=3000, env=env)
    if package.returncode != 0:
        raise RuntimeError(f"package build failed:\n{package.stdout[-4000:]}\n{package.stderr[-4000:]}")
    debs = sorted(build.glob("pushback_*_amd64.deb"))
    if len(debs) != 1:
        raise RuntimeError(f"expected one pushback_*_amd64.deb in {build}, found {debs}")
    return debs[0]


def installed() -> bool:
    status = run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "pushback")
    return status.returncode == 0 and status.stdout.strip() not in ("", "un")


def user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def group_exists(name: str) -> bool:
    try:
        grp.getgrnam(name)
        return True
    except KeyError:
        return False


def in_group(user: str, group: str) -> bool:
    return group_exists(group) and user in grp.getgrnam(group).gr_mem


class DebianPackage(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if os.geteuid() != 0:
            raise RuntimeError("package_test installs a package: run it as root")
        if installed():
            raise RuntimeError("a pushback package is already installed on this machine; purge it first")
        cls.work = Path(tempfile.mkdtemp(prefix="pb-package-"))
        cls.addClassCleanup(shutil.rmtree, cls.work, True)
        given = os.environ.get("PUSHBACK_DEB")
        cls.deb = Path(given) if given else build_deb(cls.work)
        cls.version = run("dpkg-deb", "-f", str(cls.deb), "Version").stdout.strip()
        # What the package may change outside its own files, to undo at the end.
        cls.had_user = user_exists("pushback")
        cls.had_group = group_exists("pushback")
        cls.postfix_was_member = in_group("postfix", "pushback")
        cls.addClassCleanup(cls.restore_machine)

    @classmethod
    def restore_machine(cls):
        if installed():
            run("dpkg", "--purge", "pushback")
        if user_exists("postfix") and not cls.postfix_was_member and in_group("postfix", "pushback"):
            run("gpasswd", "-d", "postfix", "pushback")
        if not cls.had_user and user_exists("pushback"):
            run("userdel", "pushback")
        if not cls.had_group and group_exists("pushback"):
            run("groupdel", "pushback")

    def test_package(self):
        # One sequence: each step depends on the one before.
        self.check_lintian()
        self.check_contents()
        self.install()
        self.check_installed_binary()
        self.check_account_and_directories()
        self.check_conffile()
        self.check_man_pages()
        self.check_installed_unit()
        self.check_units_start()
        self.remove_keeps_state()
        self.purge_removes_state()

    def check_lintian(self):
        result = run("lintian", "--no-tag-display-limit", str(self.deb), timeout=600)
        print(f"\nlintian {self.deb.name}:\n{result.stdout or '(no tags)'}")
        errors = [line for line in result.stdout.splitlines() if line.startswith("E:")]
        self.assertEqual(errors, [], result.stdout)
        # lintian exits 0 unless it reports an error (or fails itself).
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)

    def check_contents(self):
        listing = run("dpkg-deb", "-c", str(self.deb)).stdout
        paths = {line.split()[-1].lstrip(".") for line in listing.splitlines()}
        for path in ("/usr/sbin/pushback", CONFIG, "/usr/share/man/man8/pushback.8.gz",
                     "/usr/share/man/man5/pushback.toml.5.gz", "/usr/lib/systemd/system/pushback.service",
                     "/usr/lib/sysusers.d/pushback.conf", "/usr/lib/tmpfiles.d/pushback.conf",
                     "/usr/share/doc/pushback/copyright", "/usr/share/doc/pushback/changelog.gz",
                     "/usr/share/doc/pushback/README.md", "/usr/share/doc/pushback/deployment.md",
                     "/usr/share/doc/pushback/headers.md",
                     "/usr/lib/systemd/system/pushback-quarantine.service",
                     "/usr/lib/systemd/system/pushback-quarantine.timer", "/usr/share/doc/pushback/quarantine.md",
                     "/usr/lib/systemd/system/pushback-web.service", "/usr/share/doc/pushback/web.md",
                     "/usr/share/doc/pushback/examples/sieve/report-outreach.sieve",
                     "/usr/share/doc/pushback/examples/sieve/pushback-feedback.sh",
                     *(f"/usr/share/pushback/{name}" for name in DATA_FILES)):
            self.assertIn(path, paths)
        self.assertFalse(any(p.startswith("/var/") for p in paths), "state is created by postinst, not shipped")
        scripts = run("dpkg-deb", "-I", str(self.deb)).stdout
        for script in ("postinst", "prerm", "postrm", "conffiles"):
            self.assertRegex(scripts, rf"\b{script}\b")

    def install(self):
        result = run("dpkg", "-i", str(self.deb), timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        status = run("dpkg-query", "-W", "-f=${Status} ${Version}", "pushback").stdout
        self.assertEqual(status, f"install ok installed {self.version}")

    def check_installed_binary(self):
        version = run(INSTALLED, "--version")
        self.assertEqual(version.returncode, 0, version.stderr)
        self.assertEqual(version.stdout.strip(), f"pushback {self.version}")
        check = run(INSTALLED, "check-config", CONFIG)
        self.assertEqual(check.returncode, 0, check.stdout + check.stderr)
        self.assertIn("OK", check.stdout)
        for name in DATA_FILES:
            self.assertTrue((Path("/usr/share/pushback") / name).is_file(), name)
        # The data files must be found where the package put them, not in the
        # source tree the binary was built from: hide every other copy.
        hidden = [str(SOURCE / "data")] if (SOURCE / "data").is_dir() else []
        script = "mount --make-rprivate / && " + "".join(f"mount -t tmpfs none '{d}' && " for d in hidden)
        script += f"{INSTALLED} check-config {CONFIG}"
        isolated = run("unshare", "--mount", "sh", "-c", script)
        self.assertEqual(isolated.returncode, 0, isolated.stdout + isolated.stderr)
        # And the defaults alone (no phrases_file/markers_file) load them too.
        bare = self.work / "bare.toml"
        bare.write_text('[milter]\nsocket = "inet:8893@127.0.0.1"\n')
        isolated = run("unshare", "--mount", "sh", "-c", script.replace(CONFIG, str(bare)))
        self.assertEqual(isolated.returncode, 0, isolated.stdout + isolated.stderr)
        strings = Path(INSTALLED).read_bytes()
        self.assertIn(b"/usr/share/pushback", strings)

    def check_account_and_directories(self):
        user = pwd.getpwnam("pushback")
        self.assertEqual(user.pw_dir, "/var/lib/pushback")
        self.assertIn(user.pw_shell, ("/usr/sbin/nologin", "/sbin/nologin", "/bin/false"))
        self.assertLess(user.pw_uid, 1000, "a system account")
        group = grp.getgrnam("pushback")
        info = STATE_DIR.stat()
        self.assertEqual((info.st_uid, info.st_gid, info.st_mode & 0o7777), (user.pw_uid, group.gr_gid, 0o750))
        config = Path(CONFIG).stat()
        self.assertEqual((config.st_uid, config.st_gid, config.st_mode & 0o7777), (0, group.gr_gid, 0o640))
        if user_exists("postfix") and Path("/var/spool/postfix").is_dir():
            spool = Path("/var/spool/postfix/pushback").stat()
            self.assertEqual((spool.st_uid, spool.st_mode & 0o7777), (user.pw_uid, 0o750))
            self.assertIn("postfix", grp.getgrnam("pushback").gr_mem, "postfix joins the socket's group")

    def check_conffile(self):
        conffiles = run("dpkg-query", "-W", "-f=${Conffiles}", "pushback").stdout.split("\n")
        names = [line.split()[0] for line in conffiles if line.strip()]
        self.assertEqual(names, [CONFIG])

    def check_man_pages(self):
        pages = {("8", "pushback"): "/usr/share/man/man8/pushback.8.gz",
                 ("5", "pushback.toml"): "/usr/share/man/man5/pushback.toml.5.gz"}
        excluded = any("path-exclude" in p.read_text() and "/usr/share/man" in p.read_text()
                       for p in Path("/etc/dpkg/dpkg.cfg.d").glob("*"))
        if excluded:
            self.fail("dpkg is configured to drop man pages (/etc/dpkg/dpkg.cfg.d): cannot check them")
        for (section, name), path in pages.items():
            self.assertTrue(Path(path).is_file(), path)
            if shutil.which("man"):
                where = run("man", "-w", section, name)
                self.assertEqual((where.returncode, where.stdout.strip()), (0, path), where.stderr)
            rendered = run("sh", "-c", f"zcat {path} | groff -man -Tutf8 -ww -z 2>&1") if shutil.which("groff") else None
            if rendered is not None:
                self.assertEqual(rendered.stdout.strip(), "", f"groff warnings in {path}")
        if shutil.which("man"):
            self.assertEqual(run("man", "-w", "pushback").stdout.strip(), pages[("8", "pushback")])
            self.assertEqual(run("man", "-w", "pushback.toml").stdout.strip(), pages[("5", "pushback.toml")])

    def check_installed_unit(self):
        unit = "/usr/lib/systemd/system/pushback.service"
        self.assertTrue(Path(unit).is_file())
        # Installed, the unit's binary and man pages exist: verify it as is.
        verify = run("systemd-analyze", "verify", unit, env=dict(os.environ, SYSTEMD_LOG_COLOR="0"))
        self.assertEqual((verify.returncode, verify.stdout + verify.stderr), (0, ""))
        self.assertTrue(Path("/etc/systemd/system/multi-user.target.wants/pushback.service").is_symlink(),
                        "postinst enables the unit")

    def check_units_start(self):
        """Both units as shipped, started by systemd (the machine's, or a private one when
        systemd is not PID 1 here): the milter reports ready (Type=notify), writes its key and
        listens on Postfix's socket as the pushback account, with metrics on loopback; the
        console, which the package does not enable (it needs a password first), serves its
        login page and Chart.js from libjs-chart.js. Both stop cleanly. The installed
        configuration is edited as an admin would, for free loopback ports."""
        web_unit = Path("/usr/lib/systemd/system/pushback-web.service")
        verify = run("systemd-analyze", "verify", str(web_unit), env=dict(os.environ, SYSTEMD_LOG_COLOR="0"))
        self.assertEqual((verify.returncode, verify.stdout + verify.stderr), (0, ""))
        self.assertFalse(Path("/etc/systemd/system/multi-user.target.wants/pushback-web.service").exists())
        metrics_port, web_port = free_port(), free_port()
        config = Path(CONFIG)
        text = config.read_text()
        for default, port in (("127.0.0.1:9893", metrics_port), ("127.0.0.1:9894", web_port)):
            self.assertEqual(text.count(f'listen = "{default}"'), 1, default)
            text = text.replace(f'listen = "{default}"', f'listen = "127.0.0.1:{port}"')
        config.write_text(text)

        systemd = ServiceManager(self.work)
        self.addCleanup(systemd.stop)

        def start(unit: str):
            started = systemd.start(unit)
            status = systemd.systemctl("status", unit).stdout
            self.assertEqual(started.returncode, 0, started.stderr + status)
            self.assertEqual(systemd.systemctl("is-active", unit).stdout.strip(), "active", status)

        def get(port: int, path: str) -> str:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=10) as response:
                return response.read().decode(errors="replace")

        start("pushback.service")  # Type=notify: returns once the daemon said it is ready
        account = pwd.getpwnam("pushback")
        sock = Path("/var/spool/postfix/pushback/pushback.sock")
        self.assertTrue(sock.is_socket(), sock)
        self.assertEqual(sock.stat().st_uid, account.pw_uid)
        key = (STATE_DIR / "secret.key").stat()
        self.assertEqual((key.st_uid, key.st_mode & 0o777), (account.pw_uid, 0o600))
        self.assertIn("pushback_", get(metrics_port, "/metrics"))

        start("pushback-web.service")
        wait_until(lambda: port_open(web_port), 20, "pushback-web to listen")
        self.assertIn("Admin password", get(web_port, "/login"))
        self.assertIn("Chart.js v", get(web_port, "/static/chart.js")[:200])

        for unit in ("pushback-web.service", "pushback.service"):
            stopped = systemd.systemctl("stop", unit, timeout=120)
            self.assertEqual(stopped.returncode, 0, stopped.stderr)
            result = systemd.systemctl("show", unit, "-p", "Result", "--value").stdout.strip()
            self.assertEqual(result, "success", systemd.systemctl("status", unit).stdout)
        self.assertFalse(port_open(web_port))

    def remove_keeps_state(self):
        marker = STATE_DIR / "kept.txt"
        marker.write_text("counts\n")
        result = run("dpkg", "-r", "pushback", timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertFalse(Path(INSTALLED).exists())
        self.assertFalse(Path("/usr/share/pushback").exists())
        self.assertEqual(marker.read_text(), "counts\n")
        self.assertTrue(Path(CONFIG).is_file(), "remove keeps the configuration")
        status = run("dpkg-query", "-W", "-f=${db:Status-Abbrev}", "pushback").stdout.strip()
        self.assertEqual(status, "rc")

    def purge_removes_state(self):
        result = run("dpkg", "-P", "pushback", timeout=300)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertFalse(STATE_DIR.exists())
        self.assertFalse(Path("/etc/pushback").exists())
        self.assertFalse(Path("/var/spool/postfix/pushback").exists())
        self.assertFalse(Path("/etc/systemd/system/multi-user.target.wants/pushback.service").exists())
        self.assertFalse(installed())


if __name__ == "__main__":
    unittest.main()
