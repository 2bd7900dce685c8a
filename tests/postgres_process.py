"""PostgreSQL clusters of a test's own (never the shared server): a primary made with initdb
and a streaming replica made from it with pg_basebackup, each on a free port in a temporary
folder, stopped and removed afterwards. As root (the CI machine), the server programs run as
the `postgres` account, which initdb and postgres require."""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import psycopg
import pytest

from tests.redis_process import free_port


def postgres_bin() -> Path:
    """The folder of initdb, pg_ctl and pg_basebackup: on PATH, else Debian's versioned one."""
    on_path = shutil.which("pg_basebackup")
    found = [Path(on_path).parent] if on_path and shutil.which("initdb") else []
    found += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    for folder in found:
        if all((folder / name).exists() for name in ("initdb", "pg_ctl", "pg_basebackup")):
            return folder
    # .ci/run installs PostgreSQL; a machine without it must not pass these tests by skipping.
    pytest.fail("initdb, pg_ctl and pg_basebackup are not installed: `apt-get install postgresql`")


class Cluster:
    def __init__(self, folder: Path, bin_dir: Path, as_user: list[str]):
        self.folder, self.bin, self.as_user = folder, bin_dir, as_user
        self.data = folder / "data"
        self.log = folder / "server.log"
        self.port = free_port()

    def run(self, *command, **kwargs):
        return subprocess.run([*self.as_user, *command], check=True, capture_output=True, text=True, **kwargs)

    def configure(self, **options) -> None:
        # Later lines win: appended after initdb's or the copied primary's settings.
        with (self.data / "postgresql.conf").open("a") as conf:
            for name, value in options.items():
                conf.write(f"{name} = {value}\n")

    def start(self) -> "Cluster":
        self.run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.log), "-w", "-t", "60", "start")
        return self

    def stop(self, mode: str = "fast") -> None:
        if (self.data / "postmaster.pid").exists():
            subprocess.run(
                [*self.as_user, str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop"],
                capture_output=True,
            )

    def connect(self, dbname: str = "postgres"):
        connection = psycopg.connect(host="127.0.0.1", port=self.port, user="postgres", dbname=dbname)
        connection.autocommit = True
        return connection

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{dbname}"

    def scalar(self, sql: str, dbname: str = "postgres"):
        connection = self.connect(dbname)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchone()[0]
        finally:
            connection.close()


class PrimaryAndReplica:
    """A primary and its hot-standby replica, streaming over the replication protocol."""

    def __init__(self):
        self.bin = postgres_bin()
        self.folder = Path(tempfile.mkdtemp(prefix="zhitong-pg-"))
        self.as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self.as_user = ["runuser", "-u", "postgres", "--"]
        self.primary = Cluster(self.folder / "primary", self.bin, self.as_user)
        self.replica = Cluster(self.folder / "replica", self.bin, self.as_user)
        for cluster in (self.primary, self.replica):
            self.run("mkdir", "-p", str(cluster.folder))

    def run(self, *command):
        return subprocess.run([*self.as_user, *command], check=True, capture_output=True, text=True)

    def start(self, dbname: str) -> "PrimaryAndReplica":
        primary, replica = self.primary, self.replica
        primary.run(
            str(self.bin / "initdb"), "-D", str(primary.data), "-U", "postgres", "-A", "trust",
            "-E", "UTF8", "--no-locale", "--no-instructions",
        )  # fmt: skip
        # initdb's pg_hba.conf already lets 127.0.0.1 connect for replication (trust, here).
        primary.configure(
            port=primary.port,
            listen_addresses="'127.0.0.1'",
            unix_socket_directories=f"'{primary.folder}'",
            wal_level="replica",
            max_wal_senders=4,
            max_connections=40,
            shared_buffers="'32MB'",
            fsync="off",
        )
        primary.start()
        primary.connect().cursor().execute(f'CREATE DATABASE "{dbname}"')
        replica.run(
            str(self.bin / "pg_basebackup"), "-h", "127.0.0.1", "-p", str(primary.port), "-U", "postgres",
            "-D", str(replica.data), "-R", "-X", "stream", "--checkpoint=fast",
        )  # fmt: skip
        replica.configure(port=replica.port, unix_socket_directories=f"'{replica.folder}'", hot_standby="on")
        replica.start()
        assert replica.scalar("SELECT pg_is_in_recovery()") is True
        return self

    def caught_up(self, timeout: float = 30.0) -> None:
        """Wait until the replica has replayed everything the primary has written so far."""
        target = self.primary.scalar("SELECT pg_current_wal_insert_lsn()::text")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            behind = self.replica.scalar(f"SELECT pg_wal_lsn_diff('{target}', pg_last_wal_replay_lsn())")
            if behind <= 0:
                return
            time.sleep(0.05)
        raise AssertionError(f"the replica did not catch up within {timeout} s")

    def pause_replay(self) -> None:
        self.replica.scalar("SELECT pg_wal_replay_pause()::text")

    def resume_replay(self) -> None:
        self.replica.scalar("SELECT pg_wal_replay_resume()::text")

    def close(self) -> None:
        self.replica.stop("immediate")
        self.primary.stop("immediate")
        shutil.rmtree(self.folder, ignore_errors=True)
