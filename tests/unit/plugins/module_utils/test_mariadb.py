from __future__ import annotations

import pytest

from ansible_collections.scalable.webstack.plugins.module_utils._mariadb import (
    Secret,
    advice_for,
    merge_gtid_positions,
    normalize_replica_status,
    parse_gtid_position,
    render_statement,
)


@pytest.mark.parametrize("position, expected", [
    ("", {}),
    ("0-1-5", {0: "0-1-5"}),
    ("1-2-9, 0-1-5", {0: "0-1-5", 1: "1-2-9"}),
])
def test_parse_gtid_position(position, expected):
    assert parse_gtid_position(position) == expected


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


def test_advice_names_the_cause():
    assert "REPLICATION SLAVE" in advice_for(1045)
    assert "server_id" in advice_for(1593)
    assert "purged" in advice_for(1236)
    assert "bind-address" in advice_for(2003)
    assert advice_for(99999) == "see the MariaDB error text"
