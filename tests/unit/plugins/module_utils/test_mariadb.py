from __future__ import annotations

import pytest

from ansible_collections.scalable.webstack.plugins.module_utils import _mariadb
from ansible_collections.scalable.webstack.plugins.module_utils._mariadb import (
    GtidError,
    GtidHistory,
    MariaDBError,
    Secret,
    advice_for,
    compare_histories,
    is_healthy,
    merge_gtid_positions,
    normalize_replica_status,
    parse_gtid_position,
    related,
    render_statement,
    start_position,
    stored_channel_password,
    tls_context,
)


@pytest.mark.parametrize("position, expected", [
    ("", {}),
    ("0-1-5", {0: "0-1-5"}),
    ("1-2-9, 0-1-5", {0: "0-1-5", 1: "1-2-9"}),
    ("01-002-0009", {1: "1-2-9"}),
])
def test_parse_gtid_position(position, expected):
    assert parse_gtid_position(position) == expected


@pytest.mark.parametrize("position, message", [
    ("garbage", "'garbage' is not a GTID"),
    ("1-2", "'1-2' is not a GTID"),
    ("1-2-x", "'1-2-x' is not a GTID"),
    ("1-2-3-4", "'1-2-3-4' is not a GTID"),
    ("-1-2-3", "'-1-2-3' is not a GTID"),
    ("1-1-5,1-2-6", "domain 1 appears twice"),
    ("4294967296-1-1", "out of range"),
])
def test_a_malformed_position_names_the_bad_part(position, message):
    with pytest.raises(GtidError, match=message):
        parse_gtid_position(position)


def test_merge_replaces_only_the_domains_of_the_update():
    assert merge_gtid_positions("1-1-10,3-3-7", "2-2-15,3-5-9") == "1-1-10,2-2-15,3-5-9"
    assert merge_gtid_positions("", "") == ""


def test_render_masks_secrets_and_quotes_the_rest():
    shown = render_statement("CHANGE MASTER %s TO MASTER_USER=%s, MASTER_PASSWORD=%s, MASTER_PORT=%s",
                             ["", "o'brien", Secret("it's secret"), 3306])
    assert shown == "CHANGE MASTER '' TO MASTER_USER='o\\'brien', MASTER_PASSWORD='********', MASTER_PORT=3306"


def test_normalize_status():
    status = normalize_replica_status({
        "Connection_name": "a", "Master_Host": "db2", "Master_Port": 3306, "Master_User": "r",
        "Slave_IO_Running": "Yes", "Slave_SQL_Running": "Yes", "Using_Gtid": "Slave_Pos",
        "Seconds_Behind_Master": None, "Master_SSL_Allowed": "No", "Last_IO_Errno": 0, "Last_SQL_Errno": 0,
    })
    assert status["using_gtid"] == "slave_pos"
    assert status["seconds_behind_primary"] is None
    assert status["ssl"] is False
    assert normalize_replica_status(None) == {}


HEALTHY = dict(io_running="Yes", sql_running="Yes", last_io_errno=0, last_sql_errno=0)


@pytest.mark.parametrize("status, healthy", [
    (HEALTHY, True),
    (dict(HEALTHY, io_running="Connecting"), False),
    (dict(HEALTHY, last_io_errno=2003), False),
    (dict(HEALTHY, sql_running="No"), False),
    (dict(HEALTHY, last_sql_errno=1032), False),
    ({}, False),
])
def test_healthy_means_connected_and_both_threads_running_without_errors(status, healthy):
    assert is_healthy(status) is healthy


def test_advice_names_the_cause():
    assert "REPLICATION SLAVE" in advice_for(1045)
    assert "REQUIRE SSL" in advice_for(1045)
    assert "server_id" in advice_for(1593)
    assert "purged" in advice_for(1236) and "mariadb_master_master_reseed" in advice_for(1236)
    assert "bind-address" in advice_for(2003)
    assert "SLAVE MONITOR" in advice_for(1227)
    assert "seeded" in advice_for(1032) and "mariadb_master_master_reseed" in advice_for(1032)
    assert advice_for(99999) == "see the MariaDB error text"


# GTID histories of a master-master pair: db1 writes in domain 1, db2 in domain 2.
PAIR = dict(local_name="db1", peer_name="db2", local_domains={1}, peer_domains={2})


def problems(local, peer, **overrides):
    args = dict(PAIR, **overrides)
    return compare_histories(GtidHistory(*local), GtidHistory(*peer), args["local_name"], args["peer_name"],
                             args["local_domains"], args["peer_domains"])


@pytest.mark.parametrize("local, peer", [
    (("1-1-10,2-2-5",), ("1-1-10,2-2-5",)),  # equal
    (("1-1-12,2-2-5",), ("1-1-10,2-2-5",)),  # the peer lags in db1's domain
    (("1-1-10,2-2-5",), ("1-1-10,2-2-9",)),  # db1 lags in db2's domain
    (("1-1-10",), ("1-1-8,2-2-3",)),          # each ahead in its own domain
    (("",), ("",)),                           # both empty
    (("0-9-4,1-1-3",), ("0-9-3,1-1-3",)),     # a foreign domain where the peer lags: it replicates on
])
def test_lag_is_not_divergence(local, peer):
    assert problems(local, peer) == []


def test_a_peer_that_lost_its_own_history_is_named():
    found = problems(("1-1-10,2-2-40",), ("1-1-10,2-2-3", "1-1-10,2-2-3"))
    assert len(found) == 1
    assert "db1 has transactions in db2's own domain 2 up to 2-2-40 that db2 never saw" in found[0]
    assert "its last there is 2-2-3" in found[0]


def test_this_server_that_lost_its_own_history_is_named():
    found = problems(("1-1-3,2-2-5",), ("1-1-40,2-2-5",))
    assert "db2 has transactions in db1's own domain 1 up to 1-1-40 that db1 never saw" in found[0]
    assert "db1 lost part of its own history" in found[0]


def test_a_split_history_is_named_with_both_ends():
    # Same sequence number, different origin: both wrote 2-x-7.
    found = problems(("2-1-7", "2-1-7"), ("2-2-7", "2-2-7"))
    assert "split in domain 2" in found[0] and "2-1-7" in found[0] and "2-2-7" in found[0]


def test_a_replica_must_never_be_ahead_of_its_primary():
    found = problems(("1-1-10,3-3-2",), ("1-1-10",), local_domains=set(), peer_domains=None,
                     local_name="this server", peer_name="the primary")
    assert len(found) == 1 and "3-3-2" in found[0] and "the primary never saw" in found[0]
    assert problems(("1-1-4",), ("1-1-10",), local_domains=set(), peer_domains=None) == []


def test_a_rebuilt_empty_peer_lacks_the_survivors_history_of_its_domain():
    found = problems(("1-1-10,2-2-40",), ("",))
    assert len(found) == 1 and "2-2-40" in found[0] and "its last there is none" in found[0]


def test_related_histories_share_a_gtid():
    assert related(GtidHistory("1-1-10,2-2-5"), GtidHistory("1-1-8"))
    assert not related(GtidHistory("1-1-10"), GtidHistory("2-2-3"))
    assert not related(GtidHistory(""), GtidHistory(""))


@pytest.mark.parametrize("local, peer, expected", [
    ("", "", ""),
    # The peer lags in db1's domain: start at the peer's last GTIDs (db1 holds them).
    ("1-1-12,2-2-5", "1-1-10,2-2-5", "1-1-10,2-2-5"),
    # The peer is ahead in its own domain: start at db1's last GTID there, so the peer sends the rest.
    ("1-1-10,2-2-5", "1-1-10,2-2-9", "1-1-10,2-2-5"),
    # db1 never saw domain 2: the peer sends it from the start of its binary log.
    ("1-1-10", "1-1-8,2-2-3", "1-1-8"),
])
def test_start_position_never_skips_what_the_peer_has(local, peer, expected):
    assert start_position(GtidHistory(local), GtidHistory(peer)) == expected


class FakeServer:
    def __init__(self, datadir):
        self.datadir = datadir

    def global_variables(self, names):
        return {"datadir": self.datadir}


def test_the_stored_channel_password_is_read_from_master_info(tmp_path):
    (tmp_path / "master.info").write_text("33\n\n4\n127.0.0.1\nrepl\nit's s3cret\n3306\n60\n")
    (tmp_path / "master-from_b@002dx.info").write_text("33\n\n4\nhost\nrepl\nother\n3306\n")
    assert stored_channel_password(FakeServer(str(tmp_path)), "") == "it's s3cret"
    assert stored_channel_password(FakeServer(str(tmp_path)), "From_B-x") == "other"
    assert stored_channel_password(FakeServer(str(tmp_path)), "missing") is None
    (tmp_path / "master.info").write_text("garbage")
    assert stored_channel_password(FakeServer(str(tmp_path)), "") is None


def test_a_missing_tls_file_is_named():
    with pytest.raises(MariaDBError, match="the TLS CA file /nonexistent/ca.pem does not exist"):
        tls_context("/nonexistent/ca.pem", None, None, True)


class FailingCursor:
    def __init__(self, error):
        self.error = error

    def __enter__(self):
        return self

    def __exit__(self, *args):
        return False

    def execute(self, sql, params=None):
        raise self.error


class FailingConnection:
    def __init__(self, error):
        self.error = error

    def cursor(self):
        return FailingCursor(self.error)


def test_a_failed_statement_names_server_user_statement_and_advice():
    pymysql = pytest.importorskip("pymysql")
    error = pymysql.err.OperationalError(
        1227, "Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s) for this operation")
    server = _mariadb.Server(FailingConnection(error), "the unix socket /run/mysqld/mysqld.sock", "monitor")
    with pytest.raises(MariaDBError) as failure:
        server.replica_channels()
    message = str(failure.value)
    assert message.startswith("SHOW ALL SLAVES STATUS on the unix socket /run/mysqld/mysqld.sock as monitor failed: "
                              "error 1227: Access denied")
    assert "Advice:" in message and "SLAVE MONITOR" in message and "\n" not in message


def test_an_unreachable_server_is_named_with_port_and_timeout_on_one_line(monkeypatch):
    pymysql = pytest.importorskip("pymysql")

    def refuse(**kwargs):
        raise pymysql.err.OperationalError(2003, "Can't connect to MySQL server on '10.9.8.7' (timed out)\n")

    monkeypatch.setattr(pymysql, "connect", refuse)
    with pytest.raises(MariaDBError) as failure:
        _mariadb.Server.connect("10.9.8.7", 3307, "root", None, connect_timeout=5, role="the server to configure")
    message = str(failure.value)
    assert message.startswith("cannot connect to the server to configure at 10.9.8.7:3307 as root (no TLS, "
                              "connect_timeout 5s): error 2003: Can't connect")
    assert "\n" not in message and failure.value.errno == 2003
