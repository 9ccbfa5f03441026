"""mariadb_accounts against a real server: databases and accounts made, corrected and pruned in one run, and
left alone when they are as asked - also when community.mysql.mysql_user made them."""

from __future__ import annotations

import pymysql
import pytest

USERS = ("acc_app", "acc_repl", "acc_check", "acc_other")
# The role's privilege strings before this module (community.mysql.mysql_user).
REPLICATION_PRIV = "*.*:REPLICATION SLAVE,BINLOG MONITOR,SELECT,SHOW VIEW,TRIGGER,EVENT"
APP_PRIV = "acc_shop.*:ALL"


@pytest.fixture
def gamma(servers):
    instance = servers["gamma"]
    yield instance
    for row in instance.query("SELECT User AS user, Host AS host FROM mysql.user WHERE User IN (%s)"
                              % ", ".join(["%s"] * len(USERS)), USERS):
        instance.unlogged(("DROP USER %s@%s", (row["user"], row["host"])))
    for row in instance.query("SHOW DATABASES LIKE 'acc\\_%'"):
        instance.unlogged("DROP DATABASE `%s`" % list(row.values())[0])


def accounts_of(instance, user):
    rows = instance.query("SELECT Host AS host FROM mysql.user WHERE User = %s", (user,))
    return sorted(row["host"] for row in rows)


def grants(instance, user, host):
    return [list(row.values())[0] for row in instance.query("SHOW GRANTS FOR %s@%s", (user, host))]


def can_login(instance, user, password, host="127.0.0.1"):
    """A login without TLS (PyMySQL 2 takes TLS whenever the server offers it)."""
    try:
        pymysql.connect(host=host, port=instance.port, user=user, password=password, ssl_disabled=True).close()
        return True
    except pymysql.err.OperationalError:
        return False


def app(host, password="app-Secret'1", priv=APP_PRIV, **extra):
    return dict(user="acc_app", host=host, password=password, priv=priv, **extra)


def test_creates_then_leaves_alone(gamma, run_accounts):
    args = gamma.module_args(
        databases=[dict(name="acc_shop"), dict(name="acc_logs", encoding="latin1", collation="latin1_swedish_ci")],
        accounts=[app("127.0.0.1"), app("10.0.0.5"),
                  dict(user="acc_repl", host="10.0.0.2", password="r", priv=REPLICATION_PRIV, require_ssl=True),
                  dict(user="acc_check", host="10.0.0.5")],
        sql_log_bin=False)
    failed, result = run_accounts(**args)
    assert not failed, result
    assert result["changed"]
    assert sorted(result["created_databases"]) == ["acc_logs", "acc_shop"]
    assert len(result["created_accounts"]) == 4
    assert gamma.query("SELECT DEFAULT_CHARACTER_SET_NAME AS c, DEFAULT_COLLATION_NAME AS o FROM "
                       "information_schema.SCHEMATA WHERE SCHEMA_NAME = 'acc_logs'") == [
        dict(c="latin1", o="latin1_swedish_ci")]
    assert can_login(gamma, "acc_app", "app-Secret'1")
    assert "REQUIRE SSL" in " ".join(grants(gamma, "acc_repl", "10.0.0.2"))
    assert "password" not in str(result["diff"]).lower().replace("password_changed", "")
    failed, result = run_accounts(**args)
    assert not failed, result
    assert not result["changed"], result
    assert result["created_accounts"] == result["updated_accounts"] == result["dropped_accounts"] == []


@pytest.mark.parametrize("priv", [
    REPLICATION_PRIV, APP_PRIV, "*.*:USAGE", "acc_shop.*:SELECT,INSERT/acc_logs.*:ALL PRIVILEGES,GRANT",
    "*.*:REPLICATION CLIENT,REPLICA MONITOR,REPLICATION REPLICA,PROCESS/acc_shop.t:select",
    "*.*:ALL,GRANT", "acc_shop.*:all privileges", "*.*:SUPER,RELOAD,SLAVE MONITOR,BINLOG ADMIN,CONNECTION ADMIN",
])
def test_accounts_made_the_way_mysql_user_makes_them_are_unchanged(gamma, run_accounts, priv):
    """mysql_user: CREATE USER ... IDENTIFIED BY, GRANT <privs as written> ON <object> TO ... [WITH GRANT
    OPTION], ALTER USER ... REQUIRE SSL."""
    statements = ["CREATE DATABASE acc_shop", "CREATE TABLE acc_shop.t (id INT)",
                  ("CREATE USER %s@%s IDENTIFIED BY %s", ("acc_app", "10.0.0.7", "pw"))]
    for item in priv.split("/"):
        target, names = item.rsplit(":", 1)
        names = [name.strip() for name in names.split(",")]
        option = " WITH GRANT OPTION" if "GRANT" in [name.upper() for name in names] else ""
        names = [name for name in names if name.upper() != "GRANT"] or ["USAGE"]
        database, table = target.split(".")
        quoted = ".".join(part if part == "*" else "`%s`" % part for part in (database, table))
        statements.append(("GRANT %s ON %s TO %%s@%%s%s" % (",".join(names), quoted, option), ("acc_app", "10.0.0.7")))
    statements.append(("ALTER USER %s@%s REQUIRE SSL", ("acc_app", "10.0.0.7")))
    gamma.unlogged(*statements)
    failed, result = run_accounts(**gamma.module_args(accounts=[app("10.0.0.7", "pw", priv, require_ssl=True)]))
    assert not failed, result
    assert not result["changed"], (result, grants(gamma, "acc_app", "10.0.0.7"))


def test_the_roles_old_privilege_strings_through_the_module_twice(gamma, run_accounts):
    args = gamma.module_args(accounts=[
        dict(user="acc_repl", host="10.0.0.2", password="r", priv=REPLICATION_PRIV, require_ssl=True),
        app("10.0.0.5"), dict(user="acc_check", host="10.0.0.5", priv="*.*:USAGE")])
    assert run_accounts(**args)[1]["changed"]
    failed, result = run_accounts(**args)
    assert not failed and not result["changed"], result


def test_privileges_added_removed_and_other_objects_revoked(gamma, run_accounts):
    gamma.unlogged("CREATE DATABASE acc_shop", "CREATE TABLE acc_shop.t (id INT)",
                   ("CREATE USER %s@%s IDENTIFIED BY %s", ("acc_app", "10.0.0.5", "pw")),
                   ("GRANT SELECT, INSERT ON acc_shop.* TO %s@%s", ("acc_app", "10.0.0.5")),
                   ("GRANT DELETE ON acc_shop.t TO %s@%s", ("acc_app", "10.0.0.5")),
                   ("GRANT PROCESS ON *.* TO %s@%s", ("acc_app", "10.0.0.5")))
    failed, result = run_accounts(**gamma.module_args(
        accounts=[app("10.0.0.5", "pw", "acc_shop.*:SELECT,UPDATE/acc_other.*:SELECT")]))
    assert not failed, result
    assert result["updated_accounts"] == [dict(user="acc_app", host="10.0.0.5", changes=["privileges"])]
    assert result["diff"]["before"]["accounts"]["acc_app@10.0.0.5"]["privileges"] == {
        "*.*": ["PROCESS"], "acc_shop.*": ["INSERT", "SELECT"], "acc_shop.t": ["DELETE"]}
    assert result["diff"]["after"]["accounts"]["acc_app@10.0.0.5"]["privileges"] == {
        "*.*": ["USAGE"], "acc_other.*": ["SELECT"], "acc_shop.*": ["SELECT", "UPDATE"]}
    shown = sorted(grants(gamma, "acc_app", "10.0.0.5"))
    assert shown[0].startswith("GRANT SELECT, UPDATE ON `acc_shop`.*") or "SELECT, UPDATE ON `acc_shop`" in str(shown)
    assert not any("acc_shop`.`t`" in line or "PROCESS" in line for line in shown), shown
    assert any("ON `acc_other`.*" in line for line in shown), shown
    assert not run_accounts(**gamma.module_args(
        accounts=[app("10.0.0.5", "pw", "acc_shop.*:SELECT,UPDATE/acc_other.*:SELECT")]))[1]["changed"]


def test_password_rotation(gamma, run_accounts):
    args = gamma.module_args(accounts=[app("127.0.0.1", "old-pw")])
    assert run_accounts(**args)[1]["changed"]
    assert can_login(gamma, "acc_app", "old-pw")
    failed, result = run_accounts(**gamma.module_args(accounts=[app("127.0.0.1", "new-pw")]))
    assert not failed, result
    assert result["updated_accounts"] == [dict(user="acc_app", host="127.0.0.1", changes=["password"])]
    assert result["diff"]["after"]["accounts"]["acc_app@127.0.0.1"]["password_changed"] is True
    assert "new-pw" not in str(result) and "old-pw" not in str(result)
    assert can_login(gamma, "acc_app", "new-pw")
    assert not can_login(gamma, "acc_app", "old-pw")
    # Omitted, the password stays; another plugin is replaced.
    assert not run_accounts(**gamma.module_args(accounts=[app("127.0.0.1", None)]))[1]["changed"]
    gamma.unlogged(("ALTER USER %s@%s IDENTIFIED VIA ed25519 USING PASSWORD('new-pw')", ("acc_app", "127.0.0.1"))) \
        if gamma.query("SELECT COUNT(*) AS n FROM information_schema.PLUGINS WHERE PLUGIN_NAME = 'ed25519'")[0]["n"] \
        else gamma.unlogged(("ALTER USER %s@%s IDENTIFIED VIA unix_socket", ("acc_app", "127.0.0.1")))
    failed, result = run_accounts(**gamma.module_args(accounts=[app("127.0.0.1", "new-pw")]))
    assert result["updated_accounts"][0]["changes"] == ["password"]
    assert can_login(gamma, "acc_app", "new-pw")


def test_require_ssl_toggled(gamma, run_accounts):
    assert run_accounts(**gamma.module_args(accounts=[app("127.0.0.1", "pw")]))[1]["changed"]
    assert can_login(gamma, "acc_app", "pw")
    failed, result = run_accounts(**gamma.module_args(accounts=[app("127.0.0.1", "pw", require_ssl=True)]))
    assert result["updated_accounts"][0]["changes"] == ["require_ssl"]
    assert not can_login(gamma, "acc_app", "pw")
    assert not run_accounts(**gamma.module_args(accounts=[app("127.0.0.1", "pw", require_ssl=True)]))[1]["changed"]
    failed, result = run_accounts(**gamma.module_args(accounts=[app("127.0.0.1", "pw", require_ssl=False)]))
    assert result["updated_accounts"][0]["changes"] == ["require_ssl"]
    assert can_login(gamma, "acc_app", "pw")


def test_prune_drops_only_the_listed_users_unlisted_hosts(gamma, run_accounts):
    for user, host in (("acc_app", "10.0.0.5"), ("acc_app", "10.0.0.6"), ("acc_app", "localhost"),
                       ("acc_app", "127.0.0.1"), ("acc_check", "10.0.0.6"), ("acc_other", "10.0.0.6")):
        gamma.unlogged(("CREATE USER %s@%s", (user, host)))
    args = gamma.module_args(accounts=[app("10.0.0.5", None, "*.*:USAGE")], prune_users=["acc_app", "acc_check"],
                             prune_addresses_only=True)
    failed, result = run_accounts(check_mode=True, **args)
    assert result["changed"] and accounts_of(gamma, "acc_app") == ["10.0.0.5", "10.0.0.6", "127.0.0.1", "localhost"]
    failed, result = run_accounts(**args)
    assert not failed, result
    assert result["dropped_accounts"] == [dict(user="acc_app", host="10.0.0.6"), dict(user="acc_check", host="10.0.0.6")]
    assert accounts_of(gamma, "acc_app") == ["10.0.0.5", "127.0.0.1", "localhost"]
    assert accounts_of(gamma, "acc_check") == []
    assert accounts_of(gamma, "acc_other") == ["10.0.0.6"]
    failed, result = run_accounts(**dict(args, prune_addresses_only=False))
    assert result["dropped_accounts"] == [dict(user="acc_app", host="127.0.0.1"), dict(user="acc_app", host="localhost")]
    assert accounts_of(gamma, "acc_app") == ["10.0.0.5"]


def test_check_mode_changes_nothing(gamma, run_accounts):
    gamma.unlogged(("CREATE USER %s@%s IDENTIFIED BY 'a'", ("acc_app", "127.0.0.1")),
                   ("CREATE USER %s@%s", ("acc_app", "10.0.0.9")))
    snapshot = gamma.query("SELECT User, Host, Priv FROM mysql.global_priv ORDER BY User, Host")
    databases = gamma.query("SHOW DATABASES")
    failed, result = run_accounts(check_mode=True, **gamma.module_args(
        databases=[dict(name="acc_shop")], accounts=[app("127.0.0.1", "b", require_ssl=True), app("10.0.0.1")],
        prune_users=["acc_app"]))
    assert not failed and result["changed"], result
    assert result["created_databases"] == ["acc_shop"]
    assert result["created_accounts"] == [dict(user="acc_app", host="10.0.0.1")]
    assert result["updated_accounts"] == [dict(user="acc_app", host="127.0.0.1",
                                               changes=["privileges", "password", "require_ssl"])]
    assert result["dropped_accounts"] == [dict(user="acc_app", host="10.0.0.9")]
    assert gamma.query("SELECT User, Host, Priv FROM mysql.global_priv ORDER BY User, Host") == snapshot
    assert gamma.query("SHOW DATABASES") == databases


def test_sql_log_bin_false_writes_nothing_to_the_binary_log(gamma, run_accounts):
    gamma.unlogged(("CREATE USER %s@%s", ("acc_app", "10.0.0.9")))
    position = gamma.variable("gtid_binlog_pos"), gamma.query("SHOW MASTER STATUS")
    failed, result = run_accounts(**gamma.module_args(
        databases=[dict(name="acc_shop")], accounts=[app("127.0.0.1")], prune_users=["acc_app"], sql_log_bin=False))
    assert not failed and result["changed"], result
    assert (gamma.variable("gtid_binlog_pos"), gamma.query("SHOW MASTER STATUS")) == position
    # And with the default, it does.
    failed, result = run_accounts(**gamma.module_args(databases=[dict(name="acc_logs")]))
    assert gamma.variable("gtid_binlog_pos") != position[0]


@pytest.mark.parametrize("priv, message", [
    ("acc_shop.*:SELECT (id)", "column privileges"),
    ("acc_shop.*:SELEKT", "'SELEKT' is not a MariaDB privilege"),
    ("acc_shop:SELECT", "names no table"),
    ("acc_shop.*", "has no ':'"),
    ("acc_shop.*:SELECT; DROP DATABASE x", "not a MariaDB privilege"),
])
def test_a_bad_priv_is_refused_before_any_change(gamma, run_accounts, priv, message):
    snapshot = gamma.query("SELECT User, Host, Priv FROM mysql.global_priv ORDER BY User, Host")
    failed, result = run_accounts(**gamma.module_args(
        databases=[dict(name="acc_shop")], accounts=[app("10.0.0.1"), app("10.0.0.2", priv=priv)]))
    assert failed
    assert message in result["msg"] and "acc_app@10.0.0.2" in result["msg"] and "nothing was changed" in result["msg"]
    assert gamma.query("SELECT User, Host, Priv FROM mysql.global_priv ORDER BY User, Host") == snapshot
    assert not gamma.query("SHOW DATABASES LIKE 'acc_shop'")


def test_an_account_with_column_privileges_is_refused_before_any_change(gamma, run_accounts):
    gamma.unlogged("CREATE DATABASE acc_shop", "CREATE TABLE acc_shop.t (id INT)",
                   ("CREATE USER %s@%s", ("acc_app", "10.0.0.5")),
                   ("GRANT SELECT (id) ON acc_shop.t TO %s@%s", ("acc_app", "10.0.0.5")))
    failed, result = run_accounts(**gamma.module_args(
        databases=[dict(name="acc_logs")], accounts=[app("10.0.0.5", None, "*.*:USAGE")]))
    assert failed and "column privileges" in result["msg"], result
    assert not gamma.query("SHOW DATABASES LIKE 'acc_logs'")


def test_what_show_grants_prints_on_this_server(gamma):
    """The names MariaDB prints, which the module's aliases follow (for the record: -s shows them)."""
    gamma.unlogged(("CREATE USER %s@%s", ("acc_other", "10.0.0.1")),
                   ("GRANT REPLICATION CLIENT, REPLICA MONITOR, REPLICATION REPLICA, READ_ONLY ADMIN ON *.* "
                    "TO %s@%s", ("acc_other", "10.0.0.1")))
    shown = grants(gamma, "acc_other", "10.0.0.1")
    print(gamma.variable("version"), shown)
    assert "BINLOG MONITOR" in shown[0] and "SLAVE MONITOR" in shown[0] and "REPLICATION SLAVE" in shown[0]
