from __future__ import annotations

import pytest

from ansible_collections.scalable.webstack.plugins.module_utils._mariadb_accounts import (
    GLOBAL,
    PrivilegeError,
    native_password_hash,
    parse_grants,
    parse_priv,
    privilege_changes,
    privilege_statement,
    privileges_text,
    prunable_host,
)


def test_priv_string_of_the_replication_user():
    assert parse_priv("*.*:REPLICATION SLAVE,BINLOG MONITOR,SELECT,SHOW VIEW,TRIGGER,EVENT") == {
        GLOBAL: frozenset({"REPLICATION SLAVE", "BINLOG MONITOR", "SELECT", "SHOW VIEW", "TRIGGER", "EVENT"})}


@pytest.mark.parametrize("text, expected", [
    ("*.*:USAGE", {}),
    (None, {}),
    ("shop.*:ALL", {("", "shop", "*"): {"ALL PRIVILEGES"}}),
    ("shop.*:all privileges,GRANT", {("", "shop", "*"): {"ALL PRIVILEGES", "GRANT"}}),
    ("shop.*:SELECT,ALL", {("", "shop", "*"): {"ALL PRIVILEGES"}}),
    ("`my-db`.`t`:select, insert", {("", "my-db", "t"): {"SELECT", "INSERT"}}),
    ("*.*:replication client , replica monitor,REPLICATION REPLICA",
     {GLOBAL: {"BINLOG MONITOR", "SLAVE MONITOR", "REPLICATION SLAVE"}}),
    ("*.*:GRANT OPTION", {GLOBAL: {"GRANT"}}),
    ("a.*:SELECT/b.*:INSERT/*.*:PROCESS",
     {("", "a", "*"): {"SELECT"}, ("", "b", "*"): {"INSERT"}, GLOBAL: {"PROCESS"}}),
    ("PROCEDURE shop.tally:EXECUTE", {("PROCEDURE", "shop", "tally"): {"EXECUTE"}}),
])
def test_priv_strings(text, expected):
    assert parse_priv(text) == {key: frozenset(value) for key, value in expected.items()}


@pytest.mark.parametrize("text, message", [
    ("shop.*:SELECT (id)", "column privileges"),
    ("shop.*:SELEKT", "'SELEKT' is not a MariaDB privilege"),
    ("shop.*:SELECT,", "empty name"),
    ("shop:SELECT", "names no table"),
    ("shop.*", "no ':'"),
    ("*.t:SELECT", "not an object"),
    ("shop.*:SELECT; DROP USER root", "not a MariaDB privilege"),
])
def test_bad_priv_strings(text, message):
    with pytest.raises(PrivilegeError, match=message):
        parse_priv(text)


def test_show_grants_lines():
    lines = [
        "GRANT SELECT, REPLICATION SLAVE, BINLOG MONITOR, SHOW VIEW, EVENT, TRIGGER ON *.* TO `replicator`@`10.0.0.2` "
        "IDENTIFIED BY PASSWORD '*0123456789ABCDEF0123456789ABCDEF01234567' REQUIRE SSL",
        "GRANT ALL PRIVILEGES ON `shop`.* TO `shop`@`10.0.0.5` WITH GRANT OPTION",
        "GRANT DELETE ON `a``b`.`t` TO `shop`@`10.0.0.5`",
        "GRANT EXECUTE ON PROCEDURE `shop`.`tally` TO `shop`@`10.0.0.5`",
        "GRANT `app_role` TO `shop`@`10.0.0.5`",
        "GRANT PROXY ON ''@'%' TO 'root'@'localhost' WITH GRANT OPTION",
    ]
    assert parse_grants(lines) == {
        GLOBAL: frozenset({"SELECT", "REPLICATION SLAVE", "BINLOG MONITOR", "SHOW VIEW", "EVENT", "TRIGGER"}),
        ("", "shop", "*"): frozenset({"ALL PRIVILEGES", "GRANT"}),
        ("", "a`b", "t"): frozenset({"DELETE"}),
        ("PROCEDURE", "shop", "tally"): frozenset({"EXECUTE"}),
    }


def test_usage_only_and_grant_option_with_limits():
    assert parse_grants(["GRANT USAGE ON *.* TO `haproxy_check`@`10.0.0.5`"]) == {}
    assert parse_grants(["GRANT USAGE ON *.* TO `u`@`h` WITH MAX_QUERIES_PER_HOUR 5 GRANT OPTION"]) == {
        GLOBAL: frozenset({"GRANT"})}


def test_show_grants_with_column_privileges_is_refused():
    with pytest.raises(PrivilegeError, match="column privileges"):
        parse_grants(["GRANT SELECT (`id`), INSERT (`id`) ON `shop`.`t` TO `u`@`h`"])


def test_what_mysql_user_made_equals_the_priv_string():
    shown = ["GRANT USAGE ON *.* TO `shop`@`10.0.0.5` IDENTIFIED BY PASSWORD '*AB'",
             "GRANT ALL PRIVILEGES ON `shop`.* TO `shop`@`10.0.0.5`"]
    assert parse_grants(shown) == parse_priv("shop.*:ALL")


def test_changes_revoke_before_grant():
    current = parse_priv("shop.*:SELECT,INSERT/old.*:ALL/*.*:PROCESS")
    wanted = parse_priv("shop.*:ALL,GRANT")
    changes = privilege_changes(current, wanted)
    assert [action for action, _key, _privs in changes] == ["REVOKE", "REVOKE", "REVOKE", "GRANT"]
    statements = [privilege_statement(*change) for change in changes]
    assert statements == [
        "REVOKE PROCESS ON *.* FROM %s@%s",
        "REVOKE ALL PRIVILEGES ON `old`.* FROM %s@%s",
        "REVOKE INSERT, SELECT ON `shop`.* FROM %s@%s",
        "GRANT ALL PRIVILEGES ON `shop`.* TO %s@%s WITH GRANT OPTION",
    ]
    assert privilege_changes(wanted, wanted) == []


def test_statements_quote_and_escape_identifiers():
    assert privilege_statement("GRANT", ("", "50%`off", "*"), frozenset({"GRANT"})) == \
        "GRANT USAGE ON `50%%``off`.* TO %s@%s WITH GRANT OPTION"
    assert privilege_statement("REVOKE", GLOBAL, frozenset({"GRANT", "SUPER"})) == \
        "REVOKE SUPER, GRANT OPTION ON *.* FROM %s@%s"


def test_privileges_text():
    assert privileges_text({}) == {"*.*": ["USAGE"]}
    assert privileges_text(parse_priv("shop.*:SELECT,INSERT")) == {"*.*": ["USAGE"], "shop.*": ["INSERT", "SELECT"]}


def test_native_password_hash():
    # SELECT PASSWORD('secret') on MariaDB
    assert native_password_hash("secret") == "*14E65567ABDB5135D0CFD9A70B3032C179A49EE7"
    assert native_password_hash("") == ""


@pytest.mark.parametrize("host, addresses_only, expected", [
    ("10.0.0.5", True, True), ("fd00::5", True, True), ("127.0.0.1", True, False), ("::1", True, False),
    ("localhost", True, False), ("%", True, False), ("10.0.0.%", True, False), ("localhost", False, True),
])
def test_prunable_host(host, addresses_only, expected):
    assert prunable_host(host, addresses_only) is expected
