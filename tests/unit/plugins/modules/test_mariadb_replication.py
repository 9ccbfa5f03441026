"""Planning, input checks and health of mariadb_replication, without a server (see tests/servers for real ones)."""

from __future__ import annotations

import pytest

from ansible_collections.scalable.webstack.plugins.module_utils import _mariadb
from ansible_collections.scalable.webstack.plugins.modules import mariadb_replication as module

from .module_runner import run_module

PARAMS = {name: spec.get("default") for name, spec in module.argument_spec().items()}
PARAMS.update(primary_host="db2", primary_user="replicator", primary_password="pw", topology="master_master")
RUNNING = dict(primary_host="db2", primary_port=3306, primary_user="replicator", connect_retry=10,
               using_gtid="slave_pos", ssl=False, ssl_ca="", ssl_cert="", ssl_key="", ssl_verify_server_cert=False,
               io_running="Yes", sql_running="Yes", last_io_errno=0, last_sql_errno=0, last_io_error="",
               last_sql_error="")
PAIR = dict(server_id="1", log_bin="ON", log_slave_updates="ON", gtid_domain_id="1", gtid_strict_mode="ON",
            auto_increment_increment="2", auto_increment_offset="1", gtid_binlog_pos="", gtid_slave_pos="")


def rendered(statements):
    return [module.render_statement(sql, values) for sql, values in statements]


def test_new_channel_leaves_tls_to_the_server_default():
    statements = rendered(module.plan_statements(PARAMS, {}, "1-1-4", {"gtid": "2-2-15"}))
    assert statements == [
        "SET GLOBAL gtid_slave_pos = '1-1-4,2-2-15'",
        "CHANGE MASTER '' TO MASTER_HOST='db2', MASTER_PORT=3306, MASTER_USER='replicator', "
        "MASTER_PASSWORD='********', MASTER_CONNECT_RETRY=10, MASTER_USE_GTID=slave_pos",
        "START SLAVE ''",
    ]


def test_tls_channel_verifies_the_certificate_by_default():
    params = dict(PARAMS, primary_ssl=True, primary_ssl_ca="/etc/mysql/tls/ca.pem")
    change = rendered(module.plan_statements(params, {}, "", {"gtid": ""}))[1]
    assert "MASTER_SSL=1, MASTER_SSL_CA='/etc/mysql/tls/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1" in change


def test_tls_settings_of_an_existing_channel_are_changed_in_place():
    params = dict(PARAMS, primary_ssl=True, primary_ssl_ca="/etc/mysql/tls/ca.pem")
    assert rendered(module.plan_statements(params, RUNNING, "", None)) == [
        "STOP SLAVE ''",
        "CHANGE MASTER '' TO MASTER_SSL=1, MASTER_SSL_CA='/etc/mysql/tls/ca.pem', MASTER_SSL_VERIFY_SERVER_CERT=1",
        "START SLAVE ''"]


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


def test_a_rotated_password_is_sent_to_the_existing_channel():
    statements = rendered(module.plan_statements(PARAMS, RUNNING, "", None, send_password=True))
    assert statements == ["STOP SLAVE ''", "CHANGE MASTER '' TO MASTER_PASSWORD='********'", "START SLAVE ''"]


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
    (dict(PAIR, gtid_strict_mode="OFF"), dict(PAIR, server_id="2"), "this server has gtid_strict_mode off"),
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


# Every malformed input: the message names the option and the value, and nothing is contacted.
@pytest.mark.parametrize("args, message", [
    (dict(gtid_position="garbage"), "gtid_position='garbage' is not valid: 'garbage' is not a GTID"),
    (dict(gtid_position="1-2"), "gtid_position='1-2' is not valid: '1-2' is not a GTID"),
    (dict(gtid_position="1-1-5,1-2-6"), "gtid_position='1-1-5,1-2-6' is not valid: domain 1 appears twice"),
    (dict(primary_port=0), "primary_port=0 is not valid: a TCP port is between 1 and 65535"),
    (dict(primary_port=70000), "primary_port=70000 is not valid"),
    (dict(login_port=-1), "login_port=-1 is not valid"),
    (dict(primary_host=""), "primary_host='' is not valid: a non-empty name"),
    (dict(primary_host=" db2"), "primary_host=' db2' is not valid"),
    (dict(primary_user="x" * 300), "primary_user='xxx"),
    (dict(connection_name="a" * 65), "connection_name='aaa"),
    (dict(connection_name="bad\nname"), "connection_name='bad\\nname' is not valid"),
    (dict(primary_connect_retry=0), "primary_connect_retry=0 is not valid"),
    (dict(connect_timeout=0), "connect_timeout=0 is not valid"),
    (dict(wait_timeout=0), "wait_timeout=0 is not valid"),
    (dict(health_timeout=-1), "health_timeout=-1 is not valid"),
    (dict(use_gtid="no", primary_log_file="mysql-bin.000001", primary_log_pos=2), "primary_log_pos=2 is not valid"),
    (dict(use_gtid="no", primary_log_file="/var/log/mysql-bin.000001", primary_log_pos=4),
     "primary_log_file='/var/log/mysql-bin.000001' is not valid"),
    (dict(use_gtid="no", gtid_position="1-1-1"), "gtid_position='1-1-1' needs use_gtid slave_pos or current_pos"),
    (dict(primary_log_file="mysql-bin.000001", primary_log_pos=4), "primary_log_file='mysql-bin.000001' and "
                                                                   "primary_log_pos need use_gtid: 'no'"),
    (dict(login_ssl_ca="/etc/ca.pem"), "login_ssl_ca='/etc/ca.pem' is set but login_ssl is false"),
    (dict(primary_ssl=False, primary_ssl_ca="/etc/ca.pem"), "primary_ssl_ca='/etc/ca.pem' is set but primary_ssl"),
])
def test_malformed_input_is_refused_by_name_before_any_connection(capsys, monkeypatch, args, message):
    def no_connection(*args, **kwargs):
        raise AssertionError("the module connected despite a malformed option")

    monkeypatch.setattr(module.Server, "connect", no_connection)
    code, result = run_module(module, capsys, **dict(dict(primary_host="db2", primary_user="replicator",
                                                          primary_password="pw"), **args))
    assert code == 1
    assert message in result["msg"]
    assert "Traceback" not in result["msg"]


def test_an_unreachable_login_host_is_one_line_with_host_port_and_timeout(capsys, monkeypatch):
    pymysql = pytest.importorskip("pymysql")

    def refuse(**kwargs):
        raise pymysql.err.OperationalError(2003, "Can't connect to MySQL server on '10.9.8.7' (timed out)")

    monkeypatch.setattr(pymysql, "connect", refuse)
    code, result = run_module(module, capsys, login_host="10.9.8.7", login_port=3307, connect_timeout=3,
                              primary_host="db2", primary_user="replicator", primary_password="pw")
    assert code == 1
    assert result["msg"].startswith("cannot connect to the server to configure at 10.9.8.7:3307 as root "
                                    "(no TLS, connect_timeout 3s): error 2003")
    assert "\n" not in result["msg"]


def test_a_login_user_without_the_privilege_gets_server_user_and_statement(capsys, monkeypatch):
    pymysql = pytest.importorskip("pymysql")
    from ..module_utils.test_mariadb import FailingConnection

    denied = pymysql.err.OperationalError(
        1227, "Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation")

    def connect(cls, host, port, user, password, unix_socket=None, *args, **kwargs):
        return _mariadb.Server(FailingConnection(denied), _mariadb.Server.describe(host, port, unix_socket), user)

    monkeypatch.setattr(module.Server, "connect", classmethod(connect))
    code, result = run_module(module, capsys, login_user="monitor", primary_host="db2", primary_user="replicator",
                              primary_password="pw")
    assert code == 1
    assert result["msg"].startswith("SHOW ALL SLAVES STATUS on the unix socket /run/mysqld/mysqld.sock as monitor "
                                    "failed: error 1227")
    assert "SLAVE MONITOR" in result["msg"]


def test_an_unexpected_error_is_a_message_not_a_raw_exception(capsys, monkeypatch):
    def explode(*args, **kwargs):
        raise KeyError("surprise")

    monkeypatch.setattr(module.Server, "connect", explode)
    code, result = run_module(module, capsys, primary_host="db2", primary_user="replicator", primary_password="pw")
    assert code == 1
    assert result["msg"] == "unexpected error: 'surprise'"


class Channels:
    """A server whose channel goes through the given statuses, one per read."""

    def __init__(self, *statuses):
        self.statuses = list(statuses)

    def replica_channels(self):
        row = self.statuses.pop(0) if len(self.statuses) > 1 else self.statuses[0]
        return {"": row}


def row(io="Yes", sql="Yes", io_errno=0, sql_errno=0, io_error="", sql_error=""):
    return {"Connection_name": "", "Slave_IO_Running": io, "Slave_SQL_Running": sql, "Last_IO_Errno": io_errno,
            "Last_SQL_Errno": sql_errno, "Last_IO_Error": io_error, "Last_SQL_Error": sql_error}


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.now += seconds


def test_a_channel_that_connects_in_time_is_healthy():
    clock = Clock()
    status = module.wait_healthy(Channels(row(io="Connecting"), row(io="Connecting"), row()), "", 15,
                                 sleep=clock.sleep, clock=clock)
    assert status["io_running"] == "Yes" and clock.now == 1.0


def test_connecting_for_longer_than_the_wait_fails_with_the_error_and_advice():
    clock = Clock()
    never = Channels(row(io="Connecting", io_errno=2003, io_error="error reconnecting to master"))
    with pytest.raises(module.Unhealthy) as failure:
        module.wait_healthy(never, "", 15, sleep=clock.sleep, clock=clock)
    assert "not healthy after 15s" in str(failure.value) and "2003" in str(failure.value)
    assert "bind-address" in str(failure.value)
    assert clock.now == 15.0


@pytest.mark.parametrize("status, message", [
    (row(io="Connecting", io_errno=1045, io_error="Access denied"), "IO thread failed with error 1045"),
    (row(sql="No", sql_errno=1032, sql_error="Can't find record"), "SQL thread stopped with error 1032"),
    (row(io="No", sql="No"), "both replica threads are stopped"),
])
def test_errors_that_waiting_cannot_cure_fail_at_once(status, message):
    clock = Clock()
    with pytest.raises(module.Unhealthy, match=message):
        module.wait_healthy(Channels(status), "", 60, sleep=clock.sleep, clock=clock)
    assert clock.now == 0.0


def test_a_primary_the_module_cannot_reach_either_fails_at_once():
    clock = Clock()
    unreachable = _mariadb.MariaDBError("cannot connect to the primary at db2:3306 as replicator", 2003)
    with pytest.raises(module.Unhealthy, match="the module cannot reach the primary either: cannot connect"):
        module.wait_healthy(Channels(row(io="Connecting", io_errno=2003)), "", 60, unreachable,
                            sleep=clock.sleep, clock=clock)
    assert clock.now == 0.0
