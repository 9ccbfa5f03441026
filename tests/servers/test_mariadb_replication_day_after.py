"""The day after the bootstrap, against real servers: a side with data, a rebuilt master, diverged histories,
a broken channel on an unchanged run, a peer down, password rotation and TLS. Each test says what a user sees."""

from __future__ import annotations

import threading
import time

import pymysql
import pytest

from conftest import REPLICATION_PASSWORD, REPLICATION_USER
from test_mariadb_replication import reset_gamma, wait_for

CURRENT = {"password": REPLICATION_PASSWORD}
FIGURES: dict[str, object] = {}


def channel_args(instance, primary, **extra):
    args = dict(primary_host="127.0.0.1", primary_port=primary.port, primary_user=REPLICATION_USER,
                primary_password=CURRENT["password"], health_timeout=5, wait_timeout=30)
    args.update(extra)
    return instance.module_args(**args)


def pair_args(instance, peer, **extra):
    return channel_args(instance, peer, topology="master_master", update_password="always", **extra)


def seed_args(target, donor, **extra):
    return target.module_args(donor_host="127.0.0.1", donor_port=donor.port, donor_user=REPLICATION_USER,
                              donor_password=CURRENT["password"], **extra)


def count(instance, table):
    return instance.query("SELECT COUNT(*) AS n FROM %s" % table)[0]["n"]


def fingerprint(instance, table):
    return instance.query("SELECT COUNT(*) AS n, COALESCE(SUM(CRC32(CONCAT_WS('/', id, note))), 0) AS sum FROM %s"
                          % table)[0]


@pytest.fixture
def pair(servers, run_module):
    """alpha and beta replicating from each other, healthy, with the table shop.stream."""
    alpha, beta = servers["alpha"], servers["beta"]
    for local, peer in ((alpha, beta), (beta, alpha)):
        failed, result = run_module(**pair_args(local, peer))
        assert not failed, result["msg"]
    alpha.query("CREATE DATABASE IF NOT EXISTS shop")
    alpha.query("CREATE TABLE IF NOT EXISTS shop.stream (id INT AUTO_INCREMENT PRIMARY KEY, note VARCHAR(64))")
    wait_for(lambda: beta.query("SHOW TABLES IN shop LIKE 'stream'"))
    return alpha, beta


@pytest.fixture
def gamma(servers):
    yield servers["gamma"]
    reset_gamma(servers["gamma"])


@pytest.fixture
def unlogged_catalog(servers):
    """10 000 rows on alpha that never went through its binary log (loaded before it had one)."""
    alpha = servers["alpha"]
    alpha.unlogged("CREATE DATABASE catalog",
                   "CREATE TABLE catalog.items (id INT PRIMARY KEY, note VARCHAR(64))",
                   "INSERT INTO catalog.items SELECT seq, CONCAT('item ', seq) FROM catalog.seq_1_to_10000")
    yield alpha
    alpha.unlogged("DROP DATABASE catalog")


class Writer(threading.Thread):
    """Writes numbered rows into shop.stream on one server as fast as it can; remembers what was acknowledged."""

    def __init__(self, instance, tag):
        super().__init__(daemon=True)
        self.instance, self.tag = instance, tag
        self.acknowledged: list[str] = []
        self.failures: list[str] = []
        self.stopping = threading.Event()

    def run(self):
        number = 0
        while not self.stopping.is_set():
            number += 1
            note = "%s-%d" % (self.tag, number)
            try:
                self.instance.query("INSERT INTO shop.stream (note) VALUES (%s)", (note,))
                self.acknowledged.append(note)
            except pymysql.err.MySQLError as error:
                self.failures.append("%s: %s" % (note, error))

    def stop(self):
        self.stopping.set()
        self.join(30)


def notes(instance, tag):
    return {row["note"] for row in instance.query("SELECT note FROM shop.stream WHERE note LIKE %s", (tag + "-%",))}


def test_a_channel_never_skips_the_primarys_data_and_the_seed_copies_it(
        pair, gamma, unlogged_catalog, run_module, run_seed, tls):
    alpha = unlogged_catalog
    failed, result = run_module(**channel_args(gamma, alpha))
    assert failed
    assert "holds" in result["msg"] and "catalog.items" in result["msg"] and "Seed this server" in result["msg"]
    assert gamma.channel() is None

    started = time.monotonic()
    failed, result = run_seed(**seed_args(gamma, alpha, donor_ssl=True, donor_ssl_ca=tls["ca"]))
    FIGURES["seed of 10 000 rows, s"] = round(time.monotonic() - started, 2)
    assert not failed, result["msg"]
    assert result["seeded"] and result["changed"]
    assert count(gamma, "catalog.items") == 10000
    assert fingerprint(gamma, "catalog.items") == fingerprint(alpha, "catalog.items")
    assert gamma.variable("gtid_binlog_pos") == result["gtid_position"]

    failed, result = run_module(**channel_args(gamma, alpha, gtid_position=result["gtid_position"]))
    assert not failed, result["msg"]
    alpha.query("INSERT INTO shop.stream (note) VALUES ('after the seed')")
    wait_for(lambda: gamma.query("SELECT 1 FROM shop.stream WHERE note = 'after the seed'"))
    assert count(gamma, "catalog.items") == 10000

    failed, result = run_seed(**seed_args(gamma, alpha))
    assert not failed and not result["changed"], result
    assert "replicates from" in result["reason"]


def test_diverging_data_is_refused_with_what_differs_and_both_ways_out(gamma, servers, run_module, run_seed):
    alpha = servers["alpha"]
    gamma.unlogged("CREATE DATABASE crm", "CREATE TABLE crm.contacts (id INT PRIMARY KEY)",
                   "INSERT INTO crm.contacts VALUES (1), (2), (3)")
    alpha.unlogged("CREATE DATABASE crm", "CREATE TABLE crm.contacts (id INT PRIMARY KEY)",
                   "INSERT INTO crm.contacts VALUES (1), (2)", "CREATE TABLE crm.calls (id INT PRIMARY KEY)")
    try:
        for failed, result in (run_seed(**seed_args(gamma, alpha)), run_module(**channel_args(gamma, alpha))):
            assert failed
            assert "only the donor 127.0.0.1:%d has crm.calls" % alpha.port in result["msg"] or \
                "only the primary 127.0.0.1:%d has crm.calls" % alpha.port in result["msg"]
            assert "crm.contacts differs (3 rows on this server, 2 on" in result["msg"]
            assert "mariadb_master_master_reseed" in result["msg"] and "force=true" in result["msg"]
        assert gamma.channel() is None and count(gamma, "crm.contacts") == 3

        failed, result = run_seed(**seed_args(gamma, alpha, force=True))
        assert not failed, result["msg"]
        assert count(gamma, "crm.contacts") == 2 and gamma.query("SHOW TABLES IN crm LIKE 'calls'")
    finally:
        alpha.unlogged("DROP DATABASE crm")


def test_identical_data_without_a_shared_history_starts_where_both_are(gamma, delta, run_module):
    """Two servers loaded with the same rows outside their binary logs: nothing to skip, nothing to copy."""
    for instance in (gamma, delta):
        instance.unlogged("CREATE DATABASE same", "CREATE TABLE same.t (id INT PRIMARY KEY, note VARCHAR(8))",
                          "INSERT INTO same.t VALUES (1, 'a'), (2, 'b')")
    failed, result = run_module(**channel_args(delta, gamma))
    assert not failed, result["msg"]
    gamma.query("INSERT INTO same.t VALUES (3, 'c')")
    wait_for(lambda: count(delta, "same.t") == 3)
    assert result["start_position"] == {"gtid": ""}  # gamma had written nothing through its binary log


def test_a_rebuilt_master_is_reseeded_while_the_survivor_takes_writes_and_no_write_is_lost(
        pair, run_module, run_seed):
    alpha, beta = pair
    alpha.query("INSERT INTO shop.stream (note) VALUES ('before the rebuild')")
    beta.query("INSERT INTO shop.stream (note) VALUES ('written on beta before the rebuild')")
    wait_for(lambda: fingerprint(beta, "shop.stream") == fingerprint(alpha, "shop.stream"))
    writer = Writer(alpha, "rebuild")
    writer.start()
    try:
        wait_for(lambda: len(writer.acknowledged) >= 20)
        beta.rebuild()
        # The survivor's channel would accept the empty server as healthy and later take GTIDs it reuses:
        # refused, with what happened and what to do.
        failed, result = run_module(**pair_args(alpha, beta))
        assert failed
        assert "holds no tables" in result["msg"] and "rebuilt" in result["msg"] and "Seed it" in result["msg"]

        started = time.monotonic()
        failed, seed = run_seed(**seed_args(beta, alpha))
        FIGURES["reseed of the rebuilt master under writes, s"] = round(time.monotonic() - started, 2)
        assert not failed, seed["msg"]
        # Rows written after the copy's snapshot can only reach beta through its new channel.
        mark = len(writer.acknowledged)
        wait_for(lambda: len(writer.acknowledged) >= mark + 20)
        for local, peer, extra in ((beta, alpha, dict(gtid_position=seed["gtid_position"])), (alpha, beta, {})):
            failed, result = run_module(**pair_args(local, peer, **extra))
            assert not failed, result["msg"]
    finally:
        writer.stop()
    assert writer.failures == []
    FIGURES["rows written on the survivor during the rebuild"] = len(writer.acknowledged)
    expected = set(writer.acknowledged)
    wait_for(lambda: notes(beta, "rebuild") == expected, timeout=60)
    assert notes(alpha, "rebuild") == expected
    # The rebuilt master writes again, under GTIDs that continue its domain, and the survivor gets them.
    beta.query("INSERT INTO shop.stream (note) VALUES ('written on the rebuilt beta')")
    wait_for(lambda: alpha.query("SELECT 1 FROM shop.stream WHERE note = 'written on the rebuilt beta'"))
    assert fingerprint(alpha, "shop.stream") == fingerprint(beta, "shop.stream")


def test_diverged_histories_are_refused_on_both_sides_and_a_reseed_repairs(pair, run_module, run_seed):
    alpha, beta = pair
    beta.query("STOP SLAVE")
    beta.query("RESET MASTER")  # beta forgets its history: its next write reuses a GTID alpha already holds
    beta.query("INSERT INTO shop.stream (note) VALUES ('written after the reset')")
    for local, peer in ((alpha, beta), (beta, alpha)):
        failed, result = run_module(**pair_args(local, peer))
        assert failed
        assert "diverged" in result["msg"] and "own domain 2" in result["msg"]
        assert "mariadb_master_master_reseed" in result["msg"] and "Nothing was changed" in result["msg"]
    assert beta.channel()["Slave_IO_Running"] == "No"

    failed, result = run_seed(**seed_args(beta, alpha, force=True))
    assert not failed, result["msg"]
    for local, peer in ((beta, alpha), (alpha, beta)):
        failed, result = run_module(**pair_args(local, peer))
        assert not failed, result["msg"]
    alpha.query("INSERT INTO shop.stream (note) VALUES ('after the repair')")
    wait_for(lambda: fingerprint(alpha, "shop.stream") == fingerprint(beta, "shop.stream"))
    assert not notes(alpha, "written after the reset")


def test_a_peer_down_fails_fast_naming_it_and_heals_when_it_is_back(pair, run_module):
    alpha, beta = pair
    beta.stop()
    try:
        wait_for(lambda: alpha.channel()["Slave_IO_Running"] != "Yes")
        alpha.query("INSERT INTO shop.stream (note) VALUES ('while beta is down')")
        failed, result = run_module(**pair_args(alpha, beta, health_timeout=600))
        assert failed
        assert "127.0.0.1:%d" % beta.port in result["msg"] and "2003" in result["msg"]
        # It fails on what it found, not at the end of the 600 s wait.
        assert "the module cannot reach the primary either" in result["msg"]
        assert "not healthy after" not in result["msg"]
    finally:
        beta.start()
    failed, result = run_module(**pair_args(alpha, beta))
    assert not failed, result["msg"]
    failed, result = run_module(**pair_args(beta, alpha))
    assert not failed, result["msg"]
    wait_for(lambda: beta.query("SELECT 1 FROM shop.stream WHERE note = 'while beta is down'"))


def test_a_broken_channel_fails_an_unchanged_run(pair, run_module):
    """The password changed on the primary but not in the channel: once it reconnects, every run says so."""
    alpha, beta = pair
    changed = "changed-on-the-primary-only"
    beta.unlogged(("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", (REPLICATION_USER, changed)))
    alpha.query("STOP SLAVE IO_THREAD")
    alpha.query("START SLAVE IO_THREAD")
    wait_for(lambda: int(alpha.channel()["Last_IO_Errno"]) == 1045)
    # What the role did before: the module with the new password but update_password on_create.
    failed, result = run_module(**channel_args(alpha, beta, topology="master_master", primary_password=changed))
    assert failed
    assert result["statements"] == [] and not result["changed"]
    assert "IO thread failed with error 1045" in result["msg"] and "REQUIRE SSL" in result["msg"]
    # update_password: always repairs it, then the password goes back for the next tests.
    failed, result = run_module(**pair_args(alpha, beta, primary_password=changed))
    assert not failed and result["changed"], result.get("msg")
    beta.unlogged(("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", (REPLICATION_USER, CURRENT["password"])))
    failed, result = run_module(**pair_args(alpha, beta))
    assert not failed and result["changed"], result.get("msg")


def test_password_rotation_reaches_every_channel_without_losing_an_event(pair, run_module):
    alpha, beta = pair
    old, new = CURRENT["password"], "rotated-S3cret'%"
    writer = Writer(alpha, "rotation")
    writer.start()
    try:
        for instance in (alpha, beta):  # what the role's user task does on every server
            instance.unlogged(("ALTER USER %s@'127.0.0.1' IDENTIFIED BY %s", (REPLICATION_USER, new)))
        CURRENT["password"] = new
        for local, peer in ((alpha, beta), (beta, alpha)):  # one master at a time
            failed, result = run_module(**pair_args(local, peer))
            assert not failed, result["msg"]
            assert result["statements"] == ["STOP SLAVE ''", "CHANGE MASTER '' TO MASTER_PASSWORD='********'",
                                            "START SLAVE ''"]
    finally:
        writer.stop()
    for local, peer in ((alpha, beta), (beta, alpha)):
        failed, result = run_module(**pair_args(local, peer))
        assert not failed and not result["changed"], result
    # The channels hold the new password: they reconnect with it.
    for instance in (alpha, beta):
        instance.query("STOP SLAVE")
        instance.query("START SLAVE")
        wait_for(lambda: instance.channel()["Slave_IO_Running"] == "Yes")
    pymysql.connect(host="127.0.0.1", port=beta.port, user=REPLICATION_USER, password=new).close()
    with pytest.raises(pymysql.err.OperationalError, match="1045"):
        pymysql.connect(host="127.0.0.1", port=beta.port, user=REPLICATION_USER, password=old)
    expected = set(writer.acknowledged)
    assert writer.failures == [] and expected
    wait_for(lambda: notes(beta, "rotation") == expected)
    beta.query("INSERT INTO shop.stream (note) VALUES ('after the rotation')")
    wait_for(lambda: alpha.query("SELECT 1 FROM shop.stream WHERE note = 'after the rotation'"))


def test_tls_channel_verifies_the_certificate_and_a_plain_client_is_refused(gamma, servers, run_module, tls):
    alpha = servers["alpha"]
    alpha.unlogged("CREATE USER tlsrepl@'127.0.0.1' IDENTIFIED BY 'tls-pw' REQUIRE SSL",
                   "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO tlsrepl@'127.0.0.1'")
    gamma.unlogged("CREATE USER tlsadmin@'127.0.0.1' IDENTIFIED BY 'admin-pw' REQUIRE SSL",
                   "GRANT ALL ON *.* TO tlsadmin@'127.0.0.1'")
    try:
        with pytest.raises(pymysql.err.OperationalError, match="1045"):
            pymysql.connect(host="127.0.0.1", port=alpha.port, user="tlsrepl", password="tls-pw", ssl_disabled=True)
        base = dict(primary_host="127.0.0.1", primary_port=alpha.port, primary_user="tlsrepl",
                    primary_password="tls-pw", gtid_position=alpha.variable("gtid_binlog_pos"),
                    login_host="127.0.0.1", login_port=gamma.port, login_user="tlsadmin", login_password="admin-pw",
                    login_ssl=True, login_ssl_ca=tls["ca"], wait_timeout=20)
        # A CA that did not sign the primary's certificate: refused before any change.
        failed, result = run_module(**dict(base, primary_ssl=True, primary_ssl_ca=tls["other_ca"]))
        assert failed and "certificate verify failed" in result["msg"] and gamma.channel() is None
        # The module's own login over TLS is checked too.
        failed, result = run_module(**dict(base, primary_ssl=True, primary_ssl_ca=tls["ca"],
                                           login_ssl_ca=tls["other_ca"]))
        assert failed and "127.0.0.1:%d" % gamma.port in result["msg"] and "TLS" in result["msg"]

        failed, result = run_module(**dict(base, primary_ssl=True, primary_ssl_ca=tls["ca"]))
        assert not failed, result["msg"]
        channel = gamma.channel()
        assert channel["Master_SSL_Allowed"] == "Yes" and channel["Master_SSL_Verify_Server_Cert"] == "Yes"
        alpha.query("CREATE DATABASE tlsdb")
        alpha.query("CREATE TABLE tlsdb.checks (id INT PRIMARY KEY)")
        alpha.query("INSERT INTO tlsdb.checks VALUES (1)")
        wait_for(lambda: gamma.query("SHOW TABLES IN tlsdb LIKE 'checks'") and count(gamma, "tlsdb.checks") == 1)
        failed, result = run_module(**dict(base, primary_ssl=True, primary_ssl_ca=tls["ca"]))
        assert not failed and not result["changed"], result
    finally:
        alpha.query("DROP DATABASE IF EXISTS tlsdb")
        alpha.unlogged("DROP USER tlsrepl@'127.0.0.1'")


def test_a_login_user_without_privileges_gets_server_user_and_statement(gamma, servers, run_module):
    gamma.unlogged("CREATE USER nopriv@localhost IDENTIFIED BY 'np'")
    failed, result = run_module(**channel_args(gamma, servers["alpha"], login_user="nopriv", login_password="np"))
    assert failed
    assert result["msg"].startswith("SHOW ALL SLAVES STATUS on the unix socket %s as nopriv failed: error 1227"
                                    % gamma.socket)


def test_figures(capsys):
    """Not a check: prints the figures measured above for the report."""
    with capsys.disabled():
        for name, value in FIGURES.items():
            print("\nfigure: %s = %s" % (name, value))
