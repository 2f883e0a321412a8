"""Redis with a replica and Sentinels, through the real milter: a primary, one
replica and three redis-sentinel processes with ACL users; 50 SMTP sessions
through Postfix while the primary is killed and the replica promoted: every
accepted message is delivered, only the switch window passes unfiltered,
counting goes on on the new primary, the switch is logged once, and every key
Pushback wrote has a TTL. Credentials: a wrong password is a clear error at
start and in check-config, and the password is never printed."""
import os
import re
import signal
import subprocess
import time
import unittest
from pathlib import Path

from harness import (Postfix, Process, Pushback, SmtpSink, free_port, make_world_readable_tempdir, port_open,
                     wait_until)

BINARY = os.environ["PUSHBACK_BIN"]
REDIS_SERVER = "/usr/bin/redis-server"
REDIS_SENTINEL = "/usr/bin/redis-sentinel"
REDIS_CLI = "/usr/bin/redis-cli"

SENDER = "dana@growthly.example"
RECIPIENTS = ["alice@corp.example", "bob@corp.example", "carol@corp.example"]
MASTER = "pbmaster"
# Passwords the test writes into files; none may show up in any output.
PUSHBACK_PASSWORD = "pb-6Jq2-secret"
REPLICATION_PASSWORD = "repl-9Xv1-secret"
SENTINEL_PASSWORD = "sent-3Kd8-secret"

SESSIONS = 50
KILL_AFTER = 15


def cli(port: int, user: str, password: str, *args: str) -> str:
    result = subprocess.run([REDIS_CLI, "-p", str(port), "--user", user, "--pass", password, "--no-auth-warning",
                             *args], capture_output=True, text=True, timeout=10)
    return result.stdout.strip()


class RedisNode:
    """redis-server with ACL users, or redis-sentinel, in its own directory on a free port."""

    def __init__(self, work: Path, name: str, text: str, sentinel: bool = False):
        self.port = free_port()
        self.dir = work / name
        self.dir.mkdir()
        self.conf = self.dir / f"{name}.conf"
        self.conf.write_text(f"port {self.port}\nbind 127.0.0.1\ndir {self.dir}\nlogfile \"\"\n"
                             f"daemonize no\n" + text.format(port=self.port))
        self.process = Process([REDIS_SENTINEL if sentinel else REDIS_SERVER, str(self.conf)],
                               self.dir / f"{name}.log")
        wait_until(lambda: port_open(self.port), 10, f"{name} to listen")

    def stop(self):
        if self.process.running():
            self.process.kill()


def server_conf(replica_of: int | None = None) -> str:
    text = ("save \"\"\nappendonly no\n"
            "user default off\n"
            f"user pushback on >{PUSHBACK_PASSWORD} ~pb:* +@all\n"
            f"user replication on >{REPLICATION_PASSWORD} ~* &* +@all\n"
            f"masteruser replication\nmasterauth {REPLICATION_PASSWORD}\n")
    if replica_of is not None:
        text += f"replicaof 127.0.0.1 {replica_of}\n"
    return text


def sentinel_conf(primary: int) -> str:
    return ("user default off\n"
            f"user watcher on >{SENTINEL_PASSWORD} ~* &* +@all\n"
            f"sentinel sentinel-user watcher\nsentinel sentinel-pass {SENTINEL_PASSWORD}\n"
            f"sentinel monitor {MASTER} 127.0.0.1 {primary} 2\n"
            f"sentinel auth-user {MASTER} replication\nsentinel auth-pass {MASTER} {REPLICATION_PASSWORD}\n"
            f"sentinel down-after-milliseconds {MASTER} 1000\n"
            f"sentinel failover-timeout {MASTER} 10000\n"
            f"sentinel parallel-syncs {MASTER} 1\n")


def history_of(message) -> str:
    return " ".join(str(message["X-Pushback-History"]).split())


def sender_count(message) -> int | None:
    found = re.search(r"sender (\d+)/", history_of(message))
    return int(found.group(1)) if found else None


class SentinelFailover(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.work = make_world_readable_tempdir("pb-sentinel-")
        cls.nodes = []
        cls.postfix = cls.sink = cls.pushback = None
        try:
            cls.primary = RedisNode(cls.work, "primary", server_conf())
            cls.nodes.append(cls.primary)
            cls.replica = RedisNode(cls.work, "replica", server_conf(replica_of=cls.primary.port))
            cls.nodes.append(cls.replica)
            cls.sentinels = []
            for n in range(3):
                node = RedisNode(cls.work, f"sentinel{n}", sentinel_conf(cls.primary.port), sentinel=True)
                cls.nodes.append(node)
                cls.sentinels.append(node)
            # A failover needs the replica in sync and each Sentinel aware of the replica and the others.
            wait_until(lambda: "master_link_status:up" in cli(cls.replica.port, "replication", REPLICATION_PASSWORD,
                                                                 "INFO", "replication"), 30, "the replica to sync")
            for node in cls.sentinels:
                wait_until(lambda: cli(node.port, "watcher", SENTINEL_PASSWORD, "SENTINEL", "replicas", MASTER)
                           .count("ip") >= 1 and
                           cli(node.port, "watcher", SENTINEL_PASSWORD, "SENTINEL", "sentinels", MASTER)
                           .count("runid") >= 2, 60, "the Sentinels to know the replica and each other")
            secrets = cls.work / "secrets"
            secrets.mkdir(mode=0o700)
            cls.password_file = secrets / "redis.pass"
            cls.password_file.write_text(PUSHBACK_PASSWORD + "\n")
            cls.password_file.chmod(0o600)
            cls.sentinel_password_file = secrets / "sentinel.pass"
            cls.sentinel_password_file.write_text(SENTINEL_PASSWORD + "\n")
            cls.sentinel_password_file.chmod(0o600)
            cls.state_dir = cls.work / "state"
            cls.state_dir.mkdir()
            cls.pushback = Pushback(BINARY, cls.work, cls.config())
            cls.pushback.start()
            cls.sink = SmtpSink(cls.work)
            cls.postfix = Postfix(cls.work, cls.sink.port, milters=cls.pushback.postfix_spec)
        except Exception:
            cls.tearDownClass()
            raise

    @classmethod
    def config(cls, password_file: Path | None = None, sentinel_password_file: Path | None = None) -> str:
        sentinels = ", ".join(f'"127.0.0.1:{node.port}"' for node in cls.sentinels)
        # The daemon runs as root here (milter.user empty), so check-config
        # must expect root to own the state directory too.
        return (f"[milter]\nuser = \"\"\n[policy]\nmode = \"monitor\"\n[state]\nbackend = \"redis\"\n"
                f"dir = \"{cls.state_dir}\"\n"
                f"[state.redis]\nsentinels = [{sentinels}]\nmaster_name = \"{MASTER}\"\n"
                f"username = \"pushback\"\npassword_file = \"{password_file or cls.password_file}\"\n"
                f"sentinel_username = \"watcher\"\nsentinel_password_file = \"{sentinel_password_file or cls.sentinel_password_file}\"\n")

    @classmethod
    def tearDownClass(cls):
        for part in (cls.postfix, cls.sink):
            if part:
                part.stop()
        if cls.pushback and cls.pushback.process:
            cls.pushback.stop()
        for node in reversed(cls.nodes):
            node.stop()

    def assert_no_password(self, text: str):
        for secret in (PUSHBACK_PASSWORD, REPLICATION_PASSWORD, SENTINEL_PASSWORD):
            self.assertNotIn(secret, text)

    def test_1_failover_under_load(self):
        sent = []  # (session, Message-ID, time sent)
        killed_at = None
        for n in range(SESSIONS):
            if n == KILL_AFTER:
                # Everything written so far is on the replica, so counts can go on from it.
                def in_sync():
                    info = cli(self.primary.port, "replication", REPLICATION_PASSWORD, "INFO", "replication")
                    offset = re.search(r"master_repl_offset:(\d+)", info).group(1)
                    return f"offset={offset}," in info
                wait_until(in_sync, 10, "the replica to catch up")
                self.primary.process.signal(signal.SIGKILL)
                killed_at = time.monotonic()
                print(f"primary on port {self.primary.port} killed after {n} sessions")
            message_id = f"<failover.{n}.{time.time_ns()}@growthly.example>"
            text = (f"From: {SENDER}\r\nTo: {RECIPIENTS[n % 3]}\r\nSubject: Pipeline tooling {n}\r\n"
                    f"Message-ID: {message_id}\r\n\r\nHi,\r\n\r\nFollowing up on my note ({n}).\r\n\r\nDana\r\n")
            self.postfix.send(SENDER, [RECIPIENTS[n % 3]], text)  # one SMTP session; raises if not accepted
            sent.append((n, message_id, time.monotonic()))
            time.sleep(0.25)

        by_id = {}
        def all_delivered():
            by_id.update({str(m["Message-ID"]): m for m in self.sink.messages()})
            return all(message_id in by_id for _, message_id, _ in sent)
        wait_until(all_delivered, 60, "every accepted message at smtp-sink", interval=0.5)

        log = self.pushback.log()
        switches = [line for line in log.splitlines() if "switched from" in line]
        self.assertEqual(len(switches), 1, "the switch is logged once")
        self.assertIn(f"127.0.0.1:{self.primary.port} to 127.0.0.1:{self.replica.port}", switches[0])
        print(switches[0])

        counts = [(n, at - killed_at, sender_count(by_id[message_id])) for n, message_id, at in sent]
        unfiltered = [(n, round(offset, 2)) for n, offset, count in counts if count is None]
        print(f"unfiltered (session, seconds after the kill): {unfiltered}")
        for n, message_id, _ in sent:
            history = history_of(by_id[message_id])
            self.assertTrue(history == "state unavailable" or sender_count(by_id[message_id]) is not None, history)
        # Before the kill every message was counted; unfiltered ones only inside the switch window
        # (Sentinel's down-after 1 s, the election, then at most one retry interval of 1 s).
        self.assertTrue(all(count is not None for n, _, count in counts if n < KILL_AFTER))
        self.assertTrue(all(0 <= offset < 10 for _, offset in unfiltered), unfiltered)
        before = counts[KILL_AFTER - 1][2]
        after = [count for n, _, count in counts if n >= KILL_AFTER and count is not None]
        self.assertGreaterEqual(len(after), 10, "counting went on on the new primary")
        self.assertGreater(after[0], before, "the count continues from the replica's copy")
        self.assertEqual(after, list(range(after[0], after[0] + len(after))), "every counted message counts once")
        print(f"sender count before the kill {before}, after the switch {after[0]}..{after[-1]}")
        self.assert_no_password(log)

        # Every key Pushback wrote on the new primary has a TTL.
        keys = []
        cursor = "0"
        while True:
            out = cli(self.replica.port, "pushback", PUSHBACK_PASSWORD, "SCAN", cursor, "MATCH", "pb:*",
                      "COUNT", "1000").split("\n")
            cursor, batch = out[0], [k for k in out[1:] if k]
            keys += batch
            if cursor == "0":
                break
        self.assertGreater(len(keys), 10)
        without = [k for k in keys if int(cli(self.replica.port, "pushback", PUSHBACK_PASSWORD, "TTL", k)) < 0]
        print(f"{len(keys)} keys on the new primary, {len(without)} without TTL")
        self.assertEqual(without, [])

    def test_2_wrong_password_is_a_clear_error(self):
        wrong = self.work / "secrets" / "wrong.pass"
        wrong.write_text("not-the-password\n")
        wrong.chmod(0o600)
        config = self.work / "wrong.toml"
        config.write_text(self.config(wrong))
        result = subprocess.run([BINARY, "check-config", str(config)], capture_output=True, text=True, timeout=60)
        print(result.stderr.strip())
        self.assertEqual(result.returncode, 1)
        self.assertIn("refused user pushback and its password", result.stderr)
        self.assert_no_password(result.stdout + result.stderr)
        self.assertNotIn("not-the-password", result.stdout + result.stderr)

        daemon = Pushback(BINARY, self.work, self.config(wrong), name="pushback-wrong")
        daemon.start(wait=False)
        wait_until(lambda: not daemon.process.running(), 30, "the daemon to stop on refused credentials")
        self.assertNotEqual(daemon.stop(), 0)
        self.assertIn("refused user pushback and its password", daemon.log())
        self.assertNotIn("not-the-password", daemon.log())

    def test_2b_wrong_sentinel_password_is_a_clear_error(self):
        wrong = self.work / "secrets" / "wrong-sentinel.pass"
        wrong.write_text("not-the-sentinel-password\n")
        wrong.chmod(0o600)
        config = self.work / "wrong-sentinel.toml"
        config.write_text(self.config(sentinel_password_file=wrong))
        result = subprocess.run([BINARY, "check-config", str(config)], capture_output=True, text=True, timeout=60)
        print(result.stderr.strip())
        self.assertEqual(result.returncode, 1)
        self.assertIn(f"the Sentinels of {MASTER} refused user watcher and its password", result.stderr)
        self.assertIn("WRONGPASS", result.stderr)
        self.assertNotIn("not-the-sentinel-password", result.stdout + result.stderr)
        self.assert_no_password(result.stdout + result.stderr)

    def test_3_right_password_passes_check_config(self):
        config = self.work / "right.toml"
        config.write_text(self.config())
        result = subprocess.run([BINARY, "check-config", str(config)], capture_output=True, text=True, timeout=60)
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn("OK", result.stdout)
        self.assert_no_password(result.stdout + result.stderr)

    def test_4_password_file_readable_by_others_is_refused(self):
        loose = self.work / "secrets" / "loose.pass"
        loose.write_text(PUSHBACK_PASSWORD + "\n")
        loose.chmod(0o644)
        config = self.work / "loose.toml"
        config.write_text(self.config(loose))
        result = subprocess.run([BINARY, "check-config", str(config)], capture_output=True, text=True, timeout=60)
        print(result.stderr.strip())
        self.assertEqual(result.returncode, 1)
        self.assertIn("state.redis.password_file", result.stderr)
        self.assertIn("it must be mode 0600", result.stderr)
        self.assert_no_password(result.stdout + result.stderr)


if __name__ == "__main__":
    unittest.main(verbosity=2)
