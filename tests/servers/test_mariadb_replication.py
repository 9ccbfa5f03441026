"""mariadb_replication against real servers: bootstrap, idempotence, check mode, errors, data flow."""

from __future__ import annotations

import time

import pytest

from conftest import REPLICATION_PASSWORD, REPLICATION_USER


def replicate(instance, primary, **extra):
    args = dict(primary_host="127.0.0.1", primary_port=primary.port,
                primary_user=REPLICATION_USER, primary_password=REPLICATION_PASSWORD)
    return instance.module_args(**dict(args, **extra))


def at_current_position(instance, primary, **extra):
    """A channel that starts at the primary's current position: the caller vouches that nothing is skipped."""
    return replicate(instance, primary, gtid_position=primary.variable("gtid_binlog_pos"), **extra)


def wait_for(predicate, timeout=20):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in %ss" % timeout
        time.sleep(0.2)


@pytest.fixture(scope="module")
def pair(servers):
    return servers["alpha"], servers["beta"]


@pytest.fixture
def gamma(servers, run_module):
    """The third server, with no channel, data or GTID history left behind by the test."""
    instance = servers["gamma"]
    yield instance
    reset_gamma(instance)


def reset_gamma(instance):
    instance.query("STOP ALL SLAVES")
    for row in instance.query("SHOW ALL SLAVES STATUS"):
        instance.query("RESET SLAVE %s ALL", (row["Connection_name"],))
    instance.query("SET GLOBAL server_id = 3")
    instance.query("SET GLOBAL gtid_domain_id = 3")
    for row in instance.query("SHOW DATABASES"):
        if row["Database"] not in ("mysql", "information_schema", "performance_schema", "sys"):
            instance.unlogged("DROP DATABASE `%s`" % row["Database"])
    instance.query("RESET MASTER")
    instance.query("SET GLOBAL gtid_slave_pos = ''")


def test_master_master_pair_bootstraps_in_both_directions(pair, run_module):
    alpha, beta = pair
    for local, peer in ((alpha, beta), (beta, alpha)):
        failed, result = run_module(**replicate(local, peer, topology="master_master"))
        assert not failed, result["msg"]
        assert result["changed"]
        assert result["status"]["io_running"] == "Yes"
        assert result["status"]["sql_running"] == "Yes"
        assert result["status"]["primary_server_id"] == peer.server_id
        assert result["status"]["using_gtid"] == "slave_pos"
        assert any("MASTER_PASSWORD='********'" in statement for statement in result["statements"])
        assert not any(REPLICATION_PASSWORD in statement for statement in result["statements"])


def test_second_run_changes_nothing(pair, run_module):
    alpha, beta = pair
    for local, peer in ((alpha, beta), (beta, alpha)):
        failed, result = run_module(**replicate(local, peer, topology="master_master"))
        assert not failed, result.get("msg")
        assert not result["changed"]
        assert result["statements"] == []


def test_writes_on_each_master_appear_on_the_other(pair):
    alpha, beta = pair
    alpha.query("CREATE DATABASE shop")
    alpha.query("CREATE TABLE shop.products (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(64), origin INT)")
    wait_for(lambda: beta.query("SHOW TABLES IN shop"))
    alpha.query("INSERT INTO shop.products (name, origin) VALUES (%s, @@server_id)", ("written on alpha",))
    beta.query("INSERT INTO shop.products (name, origin) VALUES (%s, @@server_id)", ("written on beta",))

    def rows(instance):
        return instance.query("SELECT id, name, origin FROM shop.products ORDER BY id")

    wait_for(lambda: len(rows(alpha)) == 2 and len(rows(beta)) == 2)
    assert rows(alpha) == rows(beta)
    assert {row["origin"] for row in rows(alpha)} == {1, 2}
    # auto_increment_offset 1 and 2 with increment 2: no key can collide.
    assert {row["id"] % 2 for row in rows(alpha)} == {0, 1}


def test_concurrent_inserts_on_both_masters_never_collide(pair):
    alpha, beta = pair
    alpha.query("CREATE TABLE shop.events (id INT AUTO_INCREMENT PRIMARY KEY, origin INT)")
    wait_for(lambda: beta.query("SHOW TABLES IN shop LIKE 'events'"))
    for dummy in range(50):
        alpha.query("INSERT INTO shop.events (origin) VALUES (1)")
        beta.query("INSERT INTO shop.events (origin) VALUES (2)")
    wait_for(lambda: all(i.query("SELECT COUNT(*) AS n FROM shop.events")[0]["n"] == 100 for i in pair))
    for instance in pair:
        status = instance.channel()
        assert status["Slave_SQL_Running"] == "Yes", status["Last_SQL_Error"]


def test_check_mode_reports_the_statements_and_changes_nothing(gamma, servers, run_module):
    failed, result = run_module(check_mode=True, **at_current_position(gamma, servers["alpha"]))
    assert not failed, result.get("msg")
    assert result["changed"]
    assert [statement.split(" ")[0] for statement in result["statements"]] == ["SET", "CHANGE", "START"]
    assert "MASTER_PASSWORD='********'" in result["statements"][1]
    assert result["diff"]["before"] == {}
    assert result["diff"]["after"]["primary_port"] == servers["alpha"].port
    assert gamma.channel() is None


def test_wrong_password_fails_with_the_credentials_advice(gamma, servers, run_module):
    alpha = servers["alpha"]
    args = at_current_position(gamma, alpha, peer_login_user=REPLICATION_USER,
                               peer_login_password=REPLICATION_PASSWORD)
    args["primary_password"] = "not-the-password"
    failed, result = run_module(wait_timeout=600, **args)
    assert failed
    assert "error 1045" in result["msg"]
    assert "REPLICATION SLAVE" in result["msg"]  # the advice
    assert "not healthy after" not in result["msg"], "a credentials error must fail at once, not at the timeout"


def test_unreadable_primary_fails_before_any_change(gamma, servers, run_module):
    args = replicate(gamma, servers["alpha"])
    args["primary_password"] = "not-the-password"
    failed, result = run_module(**args)
    assert failed
    assert "Access denied" in result["msg"] and "REPLICATION SLAVE" in result["msg"]
    assert gamma.channel() is None


def test_identical_server_id_is_refused_before_any_change(gamma, servers, run_module):
    gamma.query("SET GLOBAL server_id = 1")
    failed, result = run_module(**replicate(gamma, servers["alpha"]))
    assert failed
    assert "server_id 1" in result["msg"] and "own server_id" in result["msg"]
    assert gamma.channel() is None


def test_master_master_preflight_names_the_setting_to_fix(gamma, servers, run_module):
    failed, result = run_module(**replicate(gamma, servers["alpha"], topology="master_master"))
    assert failed
    assert "gtid_strict_mode off" in result["msg"]
    assert gamma.channel() is None


def test_password_with_quotes_works(gamma, servers, run_module):
    alpha = servers["alpha"]
    tricky = "it's \"quoted\"; \\ and -- more"
    alpha.unlogged(("CREATE USER 'quoted'@'127.0.0.1' IDENTIFIED BY %s", (tricky,)),
                   "GRANT REPLICATION SLAVE, BINLOG MONITOR, SELECT ON *.* TO 'quoted'@'127.0.0.1'")
    failed, result = run_module(**at_current_position(gamma, alpha, primary_user="quoted", primary_password=tricky))
    assert not failed, result.get("msg")
    assert result["status"]["io_running"] == "Yes"
    assert tricky not in " ".join(result["statements"])


def test_file_and_position_replica_receives_writes(gamma, servers, run_module):
    alpha = servers["alpha"]
    binlog = alpha.query("SHOW MASTER STATUS")[0]
    failed, result = run_module(**replicate(gamma, alpha, use_gtid="no", primary_log_file=binlog["File"],
                                            primary_log_pos=int(binlog["Position"])))
    assert not failed, result.get("msg")
    assert result["status"]["using_gtid"] == "no"
    assert result["start_position"]["primary_log_file"].startswith("mysql-bin.")
    alpha.query("CREATE DATABASE IF NOT EXISTS positions")
    wait_for(lambda: gamma.query("SHOW DATABASES LIKE 'positions'"))


def test_stopped_keeps_the_channel_and_absent_removes_it(gamma, servers, run_module):
    alpha = servers["alpha"]
    assert not run_module(**at_current_position(gamma, alpha))[0]

    failed, result = run_module(**replicate(gamma, alpha, state="stopped"))
    assert not failed and result["changed"]
    assert gamma.channel()["Slave_IO_Running"] == "No"
    assert gamma.channel()["Slave_SQL_Running"] == "No"
    assert not run_module(**replicate(gamma, alpha, state="stopped"))[1]["changed"]

    failed, result = run_module(**gamma.module_args(state="absent"))
    assert not failed and result["changed"]
    assert gamma.channel() is None
    assert not run_module(**gamma.module_args(state="absent"))[1]["changed"]


def test_existing_channel_is_not_repointed_without_force(gamma, servers, run_module):
    alpha, beta = servers["alpha"], servers["beta"]
    assert not run_module(**at_current_position(gamma, alpha))[0]
    failed, result = run_module(**replicate(gamma, beta))
    assert failed
    assert "force_change_primary" in result["msg"]
    assert int(gamma.channel()["Master_Port"]) == alpha.port

    failed, result = run_module(**at_current_position(gamma, beta, force_change_primary=True))
    assert not failed, result.get("msg")
    assert result["status"]["primary_server_id"] == beta.server_id


def test_changed_setting_is_applied_without_resending_the_primary(gamma, servers, run_module):
    alpha = servers["alpha"]
    assert not run_module(**at_current_position(gamma, alpha))[0]
    failed, result = run_module(**replicate(gamma, alpha, primary_connect_retry=30))
    assert not failed, result.get("msg")
    assert result["statements"] == ["STOP SLAVE ''", "CHANGE MASTER '' TO MASTER_CONNECT_RETRY=30", "START SLAVE ''"]
    assert result["status"]["connect_retry"] == 30


def test_named_channel_for_multi_source(gamma, servers, run_module):
    failed, result = run_module(**at_current_position(gamma, servers["alpha"], connection_name="from_alpha"))
    assert not failed, result.get("msg")
    assert gamma.channel("from_alpha")["Slave_IO_Running"] == "Yes"
    assert gamma.channel() is None
