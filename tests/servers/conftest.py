"""Real MariaDB servers for the module tests: mariadbd instances on 127.0.0.1, each with its own port,
data directory and socket, started from Debian's mariadb-server by the tests themselves."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

import pymysql
import pymysql.cursors
import pytest
from ansible.module_utils.testing import patch_module_args

MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
INSTALL_DB = shutil.which("mariadb-install-db") or "/usr/bin/mariadb-install-db"
BASE_PORT = int(os.environ.get("WEBSTACK_TEST_MARIADB_PORT", "33061"))
REPLICATION_USER = "replicator"
REPLICATION_PASSWORD = "s3cret-repl"


@dataclass
class Instance:
    name: str
    server_id: int
    port: int
    directory: Path
    process: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def socket(self) -> str:
        return str(self.directory / "mysqld.sock")

    def connect(self):
        return pymysql.connect(unix_socket=self.socket, user="root", autocommit=True,
                               cursorclass=pymysql.cursors.DictCursor)

    def query(self, sql: str, params=None) -> list[dict]:
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute(sql, params)
            return list(cursor.fetchall())

    def channel(self, name: str = "") -> dict | None:
        return {row["Connection_name"]: row for row in self.query("SHOW ALL SLAVES STATUS")}.get(name)

    def module_args(self, **args) -> dict:
        return dict(login_unix_socket=self.socket, **args)


def start_instance(root: Path, name: str, server_id: int, port: int, options: list[str]) -> Instance:
    instance = Instance(name, server_id, port, root / name)
    data = instance.directory / "data"
    data.mkdir(parents=True)
    subprocess.run([INSTALL_DB, "--no-defaults", f"--datadir={data}", "--user=root", "--skip-test-db",
                    "--auth-root-authentication-method=socket"], check=True, capture_output=True)
    instance.process = subprocess.Popen(
        [MARIADBD, "--no-defaults", f"--datadir={data}", f"--socket={instance.socket}", f"--port={port}",
         "--bind-address=127.0.0.1", "--user=root", f"--pid-file={instance.directory / 'mysqld.pid'}",
         f"--log-error={instance.directory / 'error.log'}", f"--server-id={server_id}", "--log-bin=mysql-bin",
         "--binlog-format=ROW", "--innodb-buffer-pool-size=32M", "--skip-name-resolve", *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while True:
        try:
            instance.query("SELECT 1")
            break
        except pymysql.err.OperationalError:
            if instance.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError((instance.directory / "error.log").read_text())
            time.sleep(0.2)
    with instance.connect() as connection, connection.cursor() as cursor:
        cursor.execute("SET sql_log_bin = 0")
        cursor.execute("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (REPLICATION_USER, REPLICATION_PASSWORD))
        cursor.execute("GRANT REPLICATION SLAVE, BINLOG MONITOR ON *.* TO %s@'127.0.0.1'", (REPLICATION_USER,))
    return instance


@pytest.fixture(scope="session")
def servers(tmp_path_factory):
    """Three servers: alpha and beta form the master-master pair, gamma takes part in single tests."""
    if not os.path.exists(MARIADBD):
        pytest.fail("mariadbd is missing: apt-get install mariadb-server (make servers does it)")
    root = tmp_path_factory.mktemp("mariadb")
    layout = {
        "alpha": (1, ["--gtid-domain-id=1", "--auto-increment-increment=2", "--auto-increment-offset=1",
                      "--log-slave-updates"]),
        "beta": (2, ["--gtid-domain-id=2", "--auto-increment-increment=2", "--auto-increment-offset=2",
                     "--log-slave-updates"]),
        "gamma": (3, ["--gtid-domain-id=3"]),
    }
    instances = {}
    try:
        for offset, (name, (server_id, options)) in enumerate(layout.items()):
            instances[name] = start_instance(root, name, server_id, BASE_PORT + offset, options)
        yield instances
    finally:
        for instance in instances.values():
            if instance.process:
                instance.process.terminate()
                instance.process.wait(timeout=60)


@pytest.fixture
def run_module(capsys):
    """Run mariadb_replication in-process with the given arguments; returns (failed, result)."""
    from ansible_collections.scalable.webstack.plugins.modules import mariadb_replication

    def run(check_mode: bool = False, **args):
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=True)
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exit_info:
                mariadb_replication.main()
        result = json.loads(capsys.readouterr().out)
        return exit_info.value.code != 0, result

    return run
