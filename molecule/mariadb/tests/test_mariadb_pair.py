"""The pair as the app server sees it: directly, and through haproxy's TCP balancer on 127.0.0.1:3306."""

from __future__ import annotations

import time
import uuid

import pytest
import testinfra

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
