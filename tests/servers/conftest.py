"""Real MariaDB servers for the module tests: mariadbd instances on 127.0.0.1, each with its own port,
data directory and socket, started from Debian's mariadb-server by the tests themselves. Every server has
TLS with a certificate for 127.0.0.1 signed by a CA made for the session."""

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
# What the mariadb_master_master role grants its replication user: replicate, and read everything for a seed.
REPLICATION_GRANTS = "REPLICATION SLAVE, BINLOG MONITOR, SELECT, SHOW VIEW, TRIGGER, EVENT"


@dataclass
class Instance:
    name: str
    server_id: int
    port: int
    directory: Path
    options: list = field(default_factory=list, repr=False)
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

    def unlogged(self, *statements) -> None:
        """Statements with sql_log_bin=0: they never replicate and leave no GTID."""
        with self.connect() as connection, connection.cursor() as cursor:
            cursor.execute("SET sql_log_bin = 0")
            for statement in statements:
                if isinstance(statement, tuple):
                    cursor.execute(*statement)
                else:
                    cursor.execute(statement)

    def channel(self, name: str = "") -> dict | None:
        return {row["Connection_name"]: row for row in self.query("SHOW ALL SLAVES STATUS")}.get(name)

    def variable(self, name: str) -> str:
        return self.query("SELECT @@GLOBAL.%s AS v" % name)[0]["v"]

    def module_args(self, **args) -> dict:
        return dict(login_unix_socket=self.socket, **args)

    def start(self) -> None:
        data = self.directory / "data"
        if not data.exists():
            data.mkdir(parents=True)
            subprocess.run([INSTALL_DB, "--no-defaults", f"--datadir={data}", "--user=root", "--skip-test-db",
                            "--auth-root-authentication-method=socket"], check=True, capture_output=True)
            fresh = True
        else:
            fresh = False
        self.process = subprocess.Popen(
            [MARIADBD, "--no-defaults", f"--datadir={data}", f"--socket={self.socket}", f"--port={self.port}",
             "--bind-address=127.0.0.1", "--user=root", f"--pid-file={self.directory / 'mysqld.pid'}",
             f"--log-error={self.directory / 'error.log'}", f"--server-id={self.server_id}", "--log-bin=mysql-bin",
             "--binlog-format=ROW", "--innodb-buffer-pool-size=32M", "--skip-name-resolve", *self.options],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                self.query("SELECT 1")
                break
            except pymysql.err.OperationalError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((self.directory / "error.log").read_text())
                time.sleep(0.1)
        if fresh:
            self.unlogged(
                ("CREATE USER %s@'127.0.0.1' IDENTIFIED BY %s", (REPLICATION_USER, REPLICATION_PASSWORD)),
                ("GRANT " + REPLICATION_GRANTS + " ON *.* TO %s@'127.0.0.1'", (REPLICATION_USER,)))

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)
        self.process = None

    def rebuild(self) -> None:
        """The server rebuilt from scratch: empty data directory, no binary log, only the replication user."""
        self.stop()
        shutil.rmtree(self.directory / "data")
        self.start()


def make_tls(directory: Path) -> dict[str, str]:
    """A CA and a certificate for 127.0.0.1 (and localhost) signed by it, with openssl."""
    directory.mkdir(parents=True)

    def openssl(*args):
        subprocess.run(["openssl", *args], check=True, capture_output=True, cwd=directory)

    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2",
            "-subj", "/CN=webstack test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
            "-subj", "/CN=127.0.0.1")
    (directory / "san.cnf").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
            "-out", "server.pem", "-days", "2", "-extfile", "san.cnf")
    # A second CA that signed nothing here: a certificate check against it must fail.
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "other.key", "-out", "other-ca.pem",
            "-days", "2", "-subj", "/CN=some other CA")
    return {name: str(directory / file) for name, file in
            (("ca", "ca.pem"), ("cert", "server.pem"), ("key", "server.key"), ("other_ca", "other-ca.pem"))}


@pytest.fixture(scope="session")
def tls(tmp_path_factory):
    return make_tls(tmp_path_factory.mktemp("tls") / "pki")


@pytest.fixture(scope="session")
def servers(tmp_path_factory, tls):
    """Three servers: alpha and beta form the master-master pair, gamma takes part in single tests."""
    if not os.path.exists(MARIADBD):
        pytest.fail("mariadbd is missing: apt-get install mariadb-server (make servers does it)")
    root = tmp_path_factory.mktemp("mariadb")
    common = [f"--ssl-ca={tls['ca']}", f"--ssl-cert={tls['cert']}", f"--ssl-key={tls['key']}"]
    pair = ["--auto-increment-increment=2", "--log-slave-updates", "--gtid-strict-mode"]
    layout = {
        "alpha": (1, ["--gtid-domain-id=1", "--auto-increment-offset=1", *pair]),
        "beta": (2, ["--gtid-domain-id=2", "--auto-increment-offset=2", *pair]),
        "gamma": (3, ["--gtid-domain-id=3", "--log-slave-updates"]),
    }
    instances = {}
    try:
        for offset, (name, (server_id, options)) in enumerate(layout.items()):
            instance = Instance(name, server_id, BASE_PORT + offset, root / name, [*options, *common])
            instance.start()
            instances[name] = instance
        yield instances
    finally:
        for instance in instances.values():
            instance.stop()


@pytest.fixture
def delta(servers, tmp_path, tls):
    """A fourth server, fresh for one test."""
    instance = Instance("delta", 4, BASE_PORT + 3, tmp_path / "delta",
                        ["--gtid-domain-id=4", "--log-slave-updates", f"--ssl-ca={tls['ca']}",
                         f"--ssl-cert={tls['cert']}", f"--ssl-key={tls['key']}"])
    instance.start()
    yield instance
    instance.stop()


def _runner(capsys, module):
    def run(check_mode: bool = False, **args):
        args = dict(args, _ansible_check_mode=check_mode, _ansible_diff=True)
        with patch_module_args(args):
            with pytest.raises(SystemExit) as exit_info:
                module.main()
        result = json.loads(capsys.readouterr().out)
        return exit_info.value.code != 0, result

    return run


@pytest.fixture
def run_module(capsys):
    """Run mariadb_replication in-process with the given arguments; returns (failed, result)."""
    from ansible_collections.scalable.webstack.plugins.modules import mariadb_replication

    return _runner(capsys, mariadb_replication)


@pytest.fixture
def run_seed(capsys):
    """Run mariadb_seed in-process with the given arguments; returns (failed, result)."""
    from ansible_collections.scalable.webstack.plugins.modules import mariadb_seed

    return _runner(capsys, mariadb_seed)


@pytest.fixture
def run_accounts(capsys):
    """Run mariadb_accounts in-process with the given arguments; returns (failed, result)."""
    from ansible_collections.scalable.webstack.plugins.modules import mariadb_accounts

    return _runner(capsys, mariadb_accounts)
