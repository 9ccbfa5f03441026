#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: mariadb_accounts
short_description: Make the databases and accounts of a MariaDB server, and drop stale accounts, in one run
version_added: 0.1.0
description:
  - Creates the databases that are missing, creates or corrects every account listed (privileges, password,
    C(REQUIRE SSL)) and drops the accounts of O(prune_users) whose host is not listed, in one connection -
    one module run for what would take a C(community.mysql.mysql_db) run per database and a
    C(community.mysql.mysql_user) run per account.
  - Everything is read before anything changes; a malformed O(accounts[].priv) or an account with column
    privileges fails before the first statement that changes the server.
  - Privileges are compared as sets, with the names MariaDB prints (C(REPLICATION CLIENT) is
    C(BINLOG MONITOR), C(ALL) is C(ALL PRIVILEGES), C(WITH GRANT OPTION) is C(GRANT)), so accounts made by
    C(community.mysql.mysql_user) with the same privilege strings are left as they are.
author:
  - scalable.webstack maintainers (@scalable-webstack)
extends_documentation_fragment:
  - scalable.webstack.mariadb_login
requirements:
  - PyMySQL on the host the module runs on
  - MariaDB 10.4 or later (accounts are read from C(mysql.global_priv))
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
    details: Per database and account that changes - its privileges, C(REQUIRE SSL) and whether its password
      changes (never the password or its hash).
options:
  databases:
    description: Databases to create when missing. An existing database is left as it is.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Name of the database.
        type: str
        required: true
      encoding:
        description: Character set of a new database.
        type: str
        default: utf8mb4
      collation:
        description: Collation of a new database.
        type: str
        default: utf8mb4_unicode_ci
  accounts:
    description:
      - Accounts to create when missing; an existing one gets exactly these privileges (grants on other objects
        are revoked), this password and this C(REQUIRE).
    type: list
    elements: dict
    default: []
    suboptions:
      user:
        description: User name.
        type: str
        required: true
      host:
        description: Host of the account (an address, a name, V(%)).
        type: str
        required: true
      password:
        description:
          - Password, stored with C(mysql_native_password). Set again when the stored hash does not match or the
            account uses another authentication plugin.
          - Omitted, a new account has none and an existing account keeps its own.
        type: str
      priv:
        description:
          - Privileges in C(community.mysql.mysql_user)'s format, C(db.table:PRIV1,PRIV2/otherdb.*:PRIV);
            C(FUNCTION db.name:EXECUTE) and C(PROCEDURE db.name:EXECUTE) for routines, C(GRANT) for
            C(WITH GRANT OPTION). Column privileges are refused.
        type: str
        default: "*.*:USAGE"
      require_ssl:
        description: C(REQUIRE SSL) when true, C(REQUIRE NONE) when false.
        type: bool
        default: false
  prune_users:
    description:
      - User names whose accounts for hosts not listed in O(accounts) are dropped. Accounts of other users are
        never touched.
    type: list
    elements: str
    default: []
  prune_addresses_only:
    description:
      - With O(prune_users), drop only accounts whose host is an IP address (other than C(127.0.0.1) and C(::1)) -
        accounts for names such as C(localhost) or V(%) are left alone.
    type: bool
    default: false
  sql_log_bin:
    description: Write the changes to the binary log. V(false) keeps them from replicating.
    type: bool
    default: true
notes:
  - Grants of roles and C(PROXY) grants are neither read nor changed.
seealso:
  - module: community.mysql.mysql_user
  - module: community.mysql.mysql_db
"""

EXAMPLES = r"""
- name: Create the databases and accounts, drop the accounts of app servers no longer listed
  scalable.webstack.mariadb_accounts:
    databases:
      - name: shop
    accounts:
      - user: shop
        host: 10.0.0.21
        password: "{{ vault_shop_password }}"
        priv: "shop.*:ALL"
      - user: replicator
        host: 10.0.0.12
        password: "{{ vault_replication_password }}"
        priv: "*.*:REPLICATION SLAVE,BINLOG MONITOR"
        require_ssl: true
    prune_users: [shop, replicator]
    prune_addresses_only: true
    sql_log_bin: false
  no_log: true
"""

RETURN = r"""
created_databases:
  description: Databases created (or, in check mode, to create).
  returned: always
  type: list
  elements: str
  sample: [shop]
created_accounts:
  description: Accounts created.
  returned: always
  type: list
  elements: dict
  sample: [{user: shop, host: 10.0.0.21}]
updated_accounts:
  description: Existing accounts changed, with what changed (V(privileges), V(password), V(require_ssl)).
  returned: always
  type: list
  elements: dict
  sample: [{user: shop, host: 10.0.0.21, changes: [privileges, password]}]
dropped_accounts:
  description: Accounts dropped by O(prune_users).
  returned: always
  type: list
  elements: dict
  sample: [{user: shop, host: 10.0.0.99}]
"""

import typing as t

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._mariadb import (
    MariaDBError,
    Secret,
    connect_login,
    connection_argument_spec,
    quote_identifier,
    require_pymysql,
    run_module,
)
from ansible_collections.scalable.webstack.plugins.module_utils._mariadb_accounts import (
    PrivilegeError,
    check_charset,
    native_password_hash,
    parse_grants,
    parse_priv,
    privilege_changes,
    privilege_statement,
    privileges_text,
    prunable_host,
)

NATIVE = "mysql_native_password"


def argument_spec() -> dict[str, dict[str, t.Any]]:
    spec = connection_argument_spec()
    spec.update(
        databases=dict(type="list", elements="dict", default=[], options=dict(
            name=dict(type="str", required=True),
            encoding=dict(type="str", default="utf8mb4"),
            collation=dict(type="str", default="utf8mb4_unicode_ci"),
        )),
        accounts=dict(type="list", elements="dict", default=[], options=dict(
            user=dict(type="str", required=True),
            host=dict(type="str", required=True),
            password=dict(type="str", no_log=True),
            priv=dict(type="str", default="*.*:USAGE"),
            require_ssl=dict(type="bool", default=False),
        )),
        prune_users=dict(type="list", elements="str", default=[]),
        prune_addresses_only=dict(type="bool", default=False),
        sql_log_bin=dict(type="bool", default=True),
    )
    return spec


def wanted_accounts(accounts: list[dict[str, t.Any]]) -> dict[tuple[str, str], dict[str, t.Any]]:
    """The accounts option checked and parsed, by (user, host); PrivilegeError names the first bad one."""
    wanted: dict[tuple[str, str], dict[str, t.Any]] = {}
    for account in accounts:
        key = (account["user"], account["host"])
        name = "%s@%s" % key
        if key in wanted:
            raise PrivilegeError("%s is listed twice in accounts" % name)
        try:
            privileges = parse_priv(account["priv"])
        except PrivilegeError as error:
            raise PrivilegeError("the priv of %s: %s" % (name, error))
        wanted[key] = dict(account, privileges=privileges)
    return wanted


def read_accounts(server, users: t.Collection[str]) -> dict[tuple[str, str], dict[str, t.Any]]:
    """The accounts of these users: (user, host) -> plugin, hash, ssl_type (0 none, 1 SSL, 2 X509, 3 specified)."""
    if not users:
        return {}
    rows = server.query(
        "SELECT User AS user, Host AS host, JSON_VALUE(Priv, '$.plugin') AS plugin, "
        "JSON_VALUE(Priv, '$.authentication_string') AS hash, JSON_VALUE(Priv, '$.ssl_type') AS ssl_type "
        "FROM mysql.global_priv WHERE Host <> '' AND User IN (%s)" % ", ".join(["%s"] * len(users)), list(users))
    return {(row["user"], row["host"]): row for row in rows}


def account_state(privileges, require_ssl: bool) -> dict[str, t.Any]:
    return dict(privileges=privileges_text(privileges), require_ssl=require_ssl)


def run(module: AnsibleModule) -> None:
    params = module.params
    try:
        for database in params["databases"]:
            check_charset(database["encoding"], "encoding")
            check_charset(database["collation"], "collation")
        wanted = wanted_accounts(params["accounts"])
    except PrivilegeError as error:
        module.fail_json(msg="%s; nothing was changed" % error)
    require_pymysql(module)
    server = connect_login(params, role="the server")

    # Read everything first: what is refused is refused before anything changes.
    names = [database["name"] for database in params["databases"]]
    existing_databases: set[str] = set()
    if names:
        existing_databases = {row["name"] for row in server.query(
            "SELECT SCHEMA_NAME AS name FROM information_schema.SCHEMATA WHERE SCHEMA_NAME IN (%s)"
            % ", ".join(["%s"] * len(names)), names)}
    missing_databases = [database for database in params["databases"] if database["name"] not in existing_databases]
    seen = set()
    missing_databases = [database for database in missing_databases
                         if not (database["name"] in seen or seen.add(database["name"]))]

    users = sorted({user for user, _host in wanted} | set(params["prune_users"]))
    found = read_accounts(server, users)

    statements: list[tuple[str, list[t.Any]]] = []
    created, updated, dropped = [], [], []
    before: dict[str, t.Any] = {}
    after: dict[str, t.Any] = {}
    for (user, host), account in wanted.items():
        name = "%s@%s" % (user, host)
        target = account["privileges"]
        password = account["password"]
        row = found.get((user, host))
        if row is None:
            created.append(dict(user=user, host=host))
            before[name] = dict(exists=False)
            sql, args = "CREATE USER %s@%s", [user, host]
            if password is not None:
                sql += " IDENTIFIED VIA mysql_native_password USING PASSWORD(%s)"
                args.append(Secret(password))
            if account["require_ssl"]:
                sql += " REQUIRE SSL"
            statements.append((sql, args))
            for action, key, privileges in privilege_changes({}, target):
                statements.append((privilege_statement(action, key, privileges), [user, host]))
            after[name] = dict(account_state(target, account["require_ssl"]), password_changed=password is not None)
            continue
        try:
            current = parse_grants(line for grant in server.query("SHOW GRANTS FOR %s@%s", [user, host])
                                   for line in grant.values())
        except PrivilegeError as error:
            raise MariaDBError("%s: %s" % (name, error))
        current_ssl = str(row["ssl_type"] or "0") != "0"
        changes = []
        change_statements = []
        if current != target:
            changes.append("privileges")
            for action, key, privileges in privilege_changes(current, target):
                change_statements.append((privilege_statement(action, key, privileges), [user, host]))
        if password is not None and (row["plugin"] != NATIVE or (row["hash"] or "") != native_password_hash(password)):
            changes.append("password")
            change_statements.insert(0, ("ALTER USER %s@%s IDENTIFIED VIA mysql_native_password USING PASSWORD(%s)",
                                         [user, host, Secret(password)]))
        if current_ssl != account["require_ssl"] or (account["require_ssl"] and str(row["ssl_type"]) != "1"):
            changes.append("require_ssl")
            change_statements.insert(0, ("ALTER USER %%s@%%s REQUIRE %s" % ("SSL" if account["require_ssl"] else "NONE"),
                                         [user, host]))
        if changes:
            updated.append(dict(user=user, host=host, changes=changes))
            statements.extend(change_statements)
            before[name] = dict(account_state(current, current_ssl), password_changed=False)
            after[name] = dict(account_state(target, account["require_ssl"]), password_changed="password" in changes)

    keep = set(wanted)
    prune = set(params["prune_users"])
    for (user, host) in sorted(found):
        if user in prune and (user, host) not in keep and prunable_host(host, params["prune_addresses_only"]):
            dropped.append(dict(user=user, host=host))
            statements.append(("DROP USER %s@%s", [user, host]))
            before["%s@%s" % (user, host)] = dict(exists=True)
            after["%s@%s" % (user, host)] = dict(exists=False)

    database_statements = [("CREATE DATABASE IF NOT EXISTS %s CHARACTER SET %s COLLATE %s" % (
        quote_identifier(database["name"]), database["encoding"], database["collation"]), [])
        for database in missing_databases]
    statements = database_statements + statements
    changed = bool(statements)
    if changed and not module.check_mode:
        if not params["sql_log_bin"]:
            server.execute("SET SESSION sql_log_bin = 0")
        for sql, args in statements:
            server.execute(sql, args or None)
    server.close()

    result: dict[str, t.Any] = dict(
        changed=changed,
        created_databases=[database["name"] for database in missing_databases],
        created_accounts=created,
        updated_accounts=updated,
        dropped_accounts=dropped,
    )
    if module._diff:
        result["diff"] = dict(
            before=dict(databases=sorted(existing_databases), accounts=before),
            after=dict(databases=sorted(existing_databases | {database["name"] for database in missing_databases}),
                       accounts=after))
    module.exit_json(**result)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(),
        required_together=[("login_ssl_cert", "login_ssl_key")],
        supports_check_mode=True,
    )
    run_module(module, run)


if __name__ == "__main__":
    main()
