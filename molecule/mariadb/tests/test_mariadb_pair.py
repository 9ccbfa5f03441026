"""The pair as the app server sees it: directly, and through haproxy's TCP balancer on 127.0.0.1:3306."""

from __future__ import annotations

import json
import os
import subprocess
import time
import uuid

import pytest
import testinfra
from drift_checks import assert_drift_repaired

testinfra_hosts = ["ansible://mariadb-app"]

USER, PASSWORD, DATABASE = "shop", "shop-Secret'1", "shop"
BALANCER = ("127.0.0.1", 3306)
DB1, DB2 = ("mariadb-db1", 3306), ("mariadb-db2", 3306)


def sql(host, query, target=BALANCER):
    """Run one statement as the app user; returns the rows as lists of strings."""
    command = "mariadb -h {} -P {} -u {} -p{} {} -N -B -e {}".format(
        target[0], target[1], USER, _quote(PASSWORD), DATABASE, _quote(query))
    output = host.check_output(command)
    return [line.split("\t") for line in output.splitlines()]


def _quote(text):
    return "'" + text.replace("'", "'\\''") + "'"


def wait_until(predicate, timeout=30, message="condition"):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{message} not met within {timeout}s"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def products(host):
    sql(host, "CREATE TABLE IF NOT EXISTS products (id INT AUTO_INCREMENT PRIMARY KEY, "
              "name VARCHAR(64) NOT NULL, origin INT NOT NULL)", target=DB1)
    wait_until(lambda: sql(host, "SHOW TABLES LIKE 'products'", target=DB2), message="table replicated")
    return "products"


@pytest.fixture(scope="module")
def database_host(request):
    def get(name):
        return testinfra.get_host(f"ansible://{name}", ansible_inventory=request.config.option.ansible_inventory)
    return get


def fingerprint(host, target):
    return sql(host, "SELECT COUNT(*), COALESCE(SUM(CRC32(CONCAT(id, name, origin))), 0) FROM products",
               target=target)


@pytest.mark.parametrize("source, replica", [(DB1, DB2), (DB2, DB1)])
def test_row_written_on_one_master_is_read_on_the_other(host, products, source, replica):
    name = f"row-{uuid.uuid4().hex[:8]}"
    sql(host, f"INSERT INTO products (name, origin) VALUES ('{name}', @@server_id)", target=source)
    wait_until(lambda: sql(host, f"SELECT origin FROM products WHERE name = '{name}'", target=replica),
               message=f"{name} replicated to {replica[0]}")


def test_concurrent_inserts_on_both_masters_have_no_duplicate_keys(host, products, database_host):
    before = int(fingerprint(host, DB1)[0][0])
    loops = " & ".join(
        "(for i in $(seq 40); do mariadb -h {} -u {} -p{} {} -e "
        "\"INSERT INTO products (name, origin) VALUES ('burst', @@server_id)\" || exit 1; done)".format(
            target, USER, _quote(PASSWORD), DATABASE)
        for target, dummy in (DB1, DB2))
    host.check_output(f"bash -c {_quote(loops + ' & wait')}")
    # Colliding keys would stop a replica SQL thread (error 1062) and the two sides would never match.
    wait_until(lambda: fingerprint(host, DB1) == fingerprint(host, DB2), message="both masters equal")
    assert int(fingerprint(host, DB1)[0][0]) == before + 80
    for name in ("mariadb-db1", "mariadb-db2"):
        status = database_host(name).check_output("mariadb -e 'SHOW SLAVE STATUS\\G'")
        assert "Slave_SQL_Running: Yes" in status and "Last_SQL_Errno: 0" in status, status


def test_balancer_alternates_between_both_servers(host, products):
    seen = {sql(host, "SELECT @@server_id")[0][0] for dummy in range(6)}
    assert seen == {"1", "2"}


def test_writes_through_the_balancer_survive_a_stopped_master(host, products, database_host):
    db1 = database_host("mariadb-db1")
    db1.check_output("systemctl stop mariadb")
    try:
        for number in range(30):
            sql(host, f"INSERT INTO products (name, origin) VALUES ('while-db1-down-{number}', @@server_id)")
        origins = sql(host, "SELECT DISTINCT origin FROM products WHERE name LIKE 'while-db1-down-%'")
        assert origins == [["2"]]
    finally:
        db1.check_output("systemctl start mariadb")
    wait_until(lambda: fingerprint(host, DB1) == fingerprint(host, DB2), timeout=60,
               message="db1 caught up after its restart")
    assert sql(host, "SELECT COUNT(*) FROM products WHERE name LIKE 'while-db1-down-%'", target=DB1) == [["30"]]


# ---------------------------------------------------------------------------------------------------------
# The day after: seeding, TLS, rotation, divergence, a rebuilt master, a peer down. The later tests run the
# scenario's converge.yml again (on the database servers only), as an operator would run the role.

REPLICATION_USER = "replicator"
CURRENT = {"password": "repl-Secret'1"}
FIGURES = {}


@pytest.fixture(scope="module")
def converge(request):
    inventory = request.config.option.ansible_inventory
    playbook = os.path.join(os.environ["MOLECULE_SCENARIO_DIRECTORY"], "converge.yml")

    def run(*args, limit="mariadb"):
        extra = json.dumps({"mariadb_master_master_replication_password": CURRENT["password"]})
        started = time.monotonic()
        done = subprocess.run(["ansible-playbook", "-i", inventory, playbook, "--limit", limit, "-e", extra, *args],
                              capture_output=True, text=True, timeout=900, check=False)
        return done.returncode, done.stdout + done.stderr, round(time.monotonic() - started, 1)

    return run


def root_sql(database_host, name, query):
    """A statement as root on a database server (unix socket); rows as lists of strings."""
    output = database_host(name).check_output("mariadb -N -B -e {}".format(_quote(query)))
    return [line.split("\t") for line in output.splitlines()]


def channel(database_host, name):
    rows = database_host(name).check_output("mariadb -e 'SHOW SLAVE STATUS\\G'")
    fields = (line.strip().partition(":") for line in rows.splitlines() if ":" in line)
    return {name: value.strip() for name, dummy, value in fields}


def test_db2_holds_the_10000_rows_db1_had_before_it_had_a_binary_log(host, products):
    seeded = "SELECT COUNT(*), SUM(CRC32(CONCAT(id, name))) FROM products WHERE name LIKE 'seeded-%'"
    assert sql(host, seeded, target=DB2) == sql(host, seeded, target=DB1)
    assert sql(host, seeded, target=DB2)[0][0] == "10000"


def test_replication_runs_over_tls_with_the_certificate_checked(database_host):
    for name in ("mariadb-db1", "mariadb-db2"):
        status = channel(database_host, name)
        assert status["Slave_IO_Running"] == "Yes" and status["Slave_SQL_Running"] == "Yes", status
        assert status["Master_SSL_Allowed"] == "Yes" and status["Master_SSL_Verify_Server_Cert"] == "Yes"


def replicator_login(database_host, password, tls=True):
    """db2 logs in to db1 as the replication user; the command's exit code and output."""
    options = "--ssl --ssl-ca=/etc/mysql/tls/ca.pem --ssl-verify-server-cert" if tls else "--skip-ssl"
    command = "mariadb {} -h mariadb-db1 -u {} -p{} -N -B -e \"SHOW STATUS LIKE 'Ssl_version'\"".format(
        options, REPLICATION_USER, _quote(password))
    result = database_host("mariadb-db2").run(command)
    return result.rc, result.stdout + result.stderr


def test_the_replication_user_requires_tls_and_a_plain_client_is_refused(database_host):
    code, output = replicator_login(database_host, CURRENT["password"], tls=False)
    assert code != 0 and "1045" in output
    code, output = replicator_login(database_host, CURRENT["password"])
    assert code == 0 and "TLSv1" in output, output


def test_password_rotation_reaches_both_channels_and_rows_still_flow(host, products, database_host, converge):
    old, CURRENT["password"] = CURRENT["password"], "rotated-Secret'2"
    code, output, seconds = converge()
    FIGURES["rotation run, s"] = seconds
    assert code == 0, output
    assert replicator_login(database_host, CURRENT["password"])[0] == 0
    assert replicator_login(database_host, old)[0] != 0
    # The channels reconnect with what they store: the new password.
    for name in ("mariadb-db1", "mariadb-db2"):
        root_sql(database_host, name, "STOP SLAVE; START SLAVE")
    for name in ("mariadb-db1", "mariadb-db2"):
        wait_until(lambda: channel(database_host, name)["Slave_IO_Running"] == "Yes", message=f"{name} reconnected")
    for source, replica in ((DB1, DB2), (DB2, DB1)):
        name = f"rotated-{uuid.uuid4().hex[:8]}"
        sql(host, f"INSERT INTO products (name, origin) VALUES ('{name}', @@server_id)", target=source)
        wait_until(lambda: sql(host, f"SELECT 1 FROM products WHERE name = '{name}'", target=replica),
                   message=f"{name} replicated after the rotation")


def test_a_diverged_pair_is_refused_and_one_reseed_command_repairs_it(host, products, database_host, converge):
    root_sql(database_host, "mariadb-db2", "STOP SLAVE; RESET MASTER; "
                                           "INSERT INTO shop.products (name, origin) VALUES ('after-reset', 2)")
    code, output, dummy = converge()
    assert code != 0
    assert "diverged" in output and "own domain 2" in output
    assert "mariadb_master_master_reseed" in output
    code, output, seconds = converge("-e", "mariadb_master_master_reseed=mariadb-db2")
    FIGURES["reseed run, s"] = seconds
    assert code == 0, output
    wait_until(lambda: fingerprint(host, DB1) == fingerprint(host, DB2), message="both masters equal")
    assert sql(host, "SELECT COUNT(*) FROM products WHERE name = 'after-reset'", target=DB2) == [["0"]]


WRITER = """
echo $$ > /tmp/writer.pid
i=0; : > /tmp/writer.ok; : > /tmp/writer.failed
while [ ! -e /tmp/writer.stop ]; do
  i=$((i + 1))
  until mariadb -h 127.0.0.1 -P 3306 -u {user} -p{password} {database} \\
      -e "INSERT INTO products (name, origin) VALUES ('stream-$i', @@server_id)" 2>>/tmp/writer.errors; do
    echo "$i" >> /tmp/writer.failed
    sleep 0.2
  done
  echo "$i" >> /tmp/writer.ok
  sleep 0.02
done
"""


def writer_count(host, kind="ok"):
    return int(host.check_output(f"wc -l < /tmp/writer.{kind}"))


def test_a_rebuilt_db2_is_reseeded_under_a_write_stream_through_haproxy_with_no_write_lost(
        host, products, database_host, converge):
    script = WRITER.format(user=USER, password=_quote(PASSWORD), database=DATABASE)
    host.check_output("rm -f /tmp/writer.*")
    host.check_output("nohup bash -c {} >/dev/null 2>&1 &".format(_quote(script)))
    try:
        wait_until(lambda: writer_count(host) >= 20, message="the write stream runs")
        db2 = database_host("mariadb-db2")
        db2.check_output("systemctl stop mariadb && rm -rf /var/lib/mysql/* /var/log/mysql/* && "
                         "mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null && "
                         "systemctl start mariadb")
        assert root_sql(database_host, "mariadb-db2", "SELECT COUNT(*) FROM information_schema.TABLES "
                                                      "WHERE TABLE_SCHEMA = 'shop'") == [["0"]]
        code, output, seconds = converge()
        FIGURES["rebuild run (seed of db2 under writes), s"] = seconds
        assert code == 0, output
        # Writes after db2 is back in the balancer go to both servers.
        mark = writer_count(host)
        wait_until(lambda: writer_count(host) >= mark + 20, message="writes continue after the rebuild")
    finally:
        host.check_output("touch /tmp/writer.stop")
    wait_until(lambda: host.run("kill -0 $(cat /tmp/writer.pid)").rc != 0, message="the write stream ended")
    written = writer_count(host)
    FIGURES["rows written through haproxy during the rebuild"] = written
    FIGURES["write attempts that failed and were retried"] = writer_count(host, "failed")
    wait_until(lambda: fingerprint(host, DB1) == fingerprint(host, DB2), timeout=120, message="both masters equal")
    for target in (DB1, DB2):
        rows = sql(host, "SELECT COUNT(DISTINCT name) FROM products WHERE name LIKE 'stream-%'", target=target)
        assert rows == [[str(written)]], f"{target[0]} lacks acknowledged writes"
    assert {sql(host, "SELECT @@server_id")[0][0] for dummy in range(6)} == {"1", "2"}


def test_a_peer_down_during_the_run_fails_naming_it_and_the_next_run_heals(host, products, database_host, converge):
    database_host("mariadb-db2").check_output("systemctl stop mariadb")
    try:
        wait_until(lambda: channel(database_host, "mariadb-db1")["Slave_IO_Running"] != "Yes",
                   message="db1 noticed db2 is down")
        sql(host, "INSERT INTO products (name, origin) VALUES ('while-db2-down', @@server_id)", target=DB1)
        code, output, dummy = converge(limit="mariadb-db1")
        assert code != 0
        assert "mariadb-db2:3306" in output and "2003" in output
        assert "the module cannot reach the primary either" in output
    finally:
        database_host("mariadb-db2").check_output("systemctl start mariadb")
    code, output, dummy = converge()
    assert code == 0, output
    wait_until(lambda: sql(host, "SELECT COUNT(*) FROM products WHERE name = 'while-db2-down'", target=DB2) == [["1"]],
               message="the row written while db2 was down reached it")


def test_figures(capsys):
    """Not a check: the figures measured above, for the report."""
    with capsys.disabled():
        for name, value in FIGURES.items():
            print(f"\nfigure: {name} = {value}")


@pytest.mark.parametrize("name", [DB1[0], DB2[0]])
def test_hand_edits_are_put_back_by_the_next_run_and_mariadb_restarted(database_host, name):
    assert_drift_repaired(database_host(name), "mariadb")
