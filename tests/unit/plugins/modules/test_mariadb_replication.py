"""Planning and preflight of mariadb_replication, without a server (see tests/servers for real ones)."""

from __future__ import annotations

import pytest

from ansible_collections.scalable.webstack.plugins.modules import mariadb_replication as module

PARAMS = dict(
    connection_name="", state="running", primary_host="db2", primary_port=3306, primary_user="replicator",
    primary_password="pw", update_password="on_create", primary_ssl=False, primary_ssl_ca=None,
    primary_ssl_verify_server_cert=False, primary_connect_retry=10, use_gtid="slave_pos", gtid_position=None,
    primary_log_file=None, primary_log_pos=None, peer_login_user=None, peer_login_password=None,
    topology="master_master", force_change_primary=False, wait_timeout=60,
)
RUNNING = dict(primary_host="db2", primary_port=3306, primary_user="replicator", connect_retry=10,
               using_gtid="slave_pos", ssl=False, ssl_ca="", ssl_verify_server_cert=False,
               io_running="Yes", sql_running="Yes")
PAIR = dict(server_id="1", log_bin="ON", log_slave_updates="ON", gtid_domain_id="1",
            auto_increment_increment="2", auto_increment_offset="1", gtid_binlog_pos="", gtid_slave_pos="")


def rendered(statements):
    return [module.render_statement(sql, values) for sql, values in statements]


def test_new_channel_sets_the_gtid_start_then_changes_master_then_starts():
    statements = rendered(module.plan_statements(PARAMS, {}, "1-1-4", {"gtid": "2-2-15"}))
    assert statements == [
        "SET GLOBAL gtid_slave_pos = '1-1-4,2-2-15'",
        "CHANGE MASTER '' TO MASTER_HOST='db2', MASTER_PORT=3306, MASTER_USER='replicator', "
        "MASTER_PASSWORD='********', MASTER_CONNECT_RETRY=10, MASTER_SSL=0, MASTER_SSL_VERIFY_SERVER_CERT=0, "
        "MASTER_USE_GTID=slave_pos",
        "START SLAVE ''",
    ]


def test_file_position_channel_sends_coordinates_and_no_gtid_position():
    params = dict(PARAMS, use_gtid="no")
    statements = rendered(module.plan_statements(params, {}, "", {"primary_log_file": "mysql-bin.000003",
                                                                  "primary_log_pos": 42}))
    assert len(statements) == 2
    assert "MASTER_LOG_FILE='mysql-bin.000003', MASTER_LOG_POS=42, MASTER_USE_GTID=no" in statements[0]


def test_running_channel_that_matches_needs_nothing():
    assert module.plan_statements(PARAMS, RUNNING, "", None) == []


def test_mutable_change_never_resends_host_or_position():
    statements = rendered(module.plan_statements(dict(PARAMS, primary_user="other"), RUNNING, "", None))
    assert statements == ["STOP SLAVE ''", "CHANGE MASTER '' TO MASTER_USER='other'", "START SLAVE ''"]


def test_update_password_always_sends_it_each_run():
    statements = rendered(module.plan_statements(dict(PARAMS, update_password="always"), RUNNING, "", None))
    assert statements[1] == "CHANGE MASTER '' TO MASTER_PASSWORD='********'"


@pytest.mark.parametrize("io, sql, expected", [
    ("No", "No", ["START SLAVE 'c'"]),
    ("Yes", "No", ["START SLAVE 'c'"]),
    ("Connecting", "Yes", []),
])
def test_running_state_starts_what_is_not_running(io, sql, expected):
    current = dict(RUNNING, io_running=io, sql_running=sql)
    assert rendered(module.plan_statements(dict(PARAMS, connection_name="c"), current, "", None)) == expected


@pytest.mark.parametrize("state, current, expected", [
    ("stopped", dict(RUNNING), ["STOP SLAVE ''"]),
    ("stopped", dict(RUNNING, io_running="No", sql_running="No"), []),
    ("absent", dict(RUNNING), ["STOP SLAVE ''", "RESET SLAVE '' ALL"]),
    ("absent", dict(RUNNING, io_running="No", sql_running="No"), ["RESET SLAVE '' ALL"]),
    ("absent", {}, []),
])
def test_stopped_and_absent(state, current, expected):
    assert rendered(module.plan_statements(dict(PARAMS, state=state), current, "", None)) == expected


@pytest.mark.parametrize("changes", [{"primary_host": "db3"}, {"primary_port": 3307}, {"using_gtid": "no"}])
def test_repoint_is_detected(changes):
    assert module.needs_repoint(dict(RUNNING, **changes), module.desired_settings(PARAMS))


@pytest.mark.parametrize("local, peer, message", [
    (dict(PAIR, server_id="0"), dict(PAIR, server_id="2"), "server_id is 0 on this server"),
    (PAIR, dict(PAIR, server_id="1"), "both have server_id 1"),
    (PAIR, dict(PAIR, server_id="2", log_bin="OFF"), "no binary log"),
    (dict(PAIR, log_slave_updates="OFF"), dict(PAIR, server_id="2"), "log_slave_updates"),
    (PAIR, dict(PAIR, server_id="2", auto_increment_increment="1"), "auto_increment_increment 1"),
    (PAIR, dict(PAIR, server_id="2"), "gtid_domain_id"),
    (PAIR, dict(PAIR, server_id="2", gtid_domain_id="2"), "auto_increment_offset"),
])
def test_preflight_names_the_setting(local, peer, message):
    with pytest.raises(module.PreflightError, match=message):
        module.check_pair(local, peer, PARAMS)


def test_preflight_accepts_a_sound_pair():
    module.check_pair(PAIR, dict(PAIR, server_id="2", gtid_domain_id="2", auto_increment_offset="2"), PARAMS)


def test_replica_topology_skips_the_writer_checks():
    module.check_pair(PAIR, dict(PAIR, server_id="2", log_slave_updates="OFF"), dict(PARAMS, topology="replica"))
