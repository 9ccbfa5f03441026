# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Privileges of MariaDB accounts as comparable sets: community.mysql's priv strings and the lines of SHOW GRANTS
parsed into {object: privileges}, with the names MariaDB prints and the names users write made one. Pure
functions, for scalable.webstack.mariadb_accounts."""

from __future__ import annotations

import hashlib
import ipaddress
import re
import typing as t

from ansible_collections.scalable.webstack.plugins.module_utils._mariadb import quote_identifier


class PrivilegeError(ValueError):
    """A priv string or a grant this module does not handle; the message names the part."""


# An object: (kind, database, table), kind '' for tables and databases, 'FUNCTION', 'PROCEDURE', 'PACKAGE'
# or 'PACKAGE BODY' for routines; database and table unquoted, '*' for every one.
GrantObject = t.Tuple[str, str, str]
Privileges = t.Dict[GrantObject, t.FrozenSet[str]]

GLOBAL: GrantObject = ("", "*", "*")

# What MariaDB prints for what users may write (SHOW GRANTS on 10.5+: REPLICATION CLIENT is BINLOG MONITOR,
# REPLICA MONITOR is SLAVE MONITOR, ...). "GRANT" stands for WITH GRANT OPTION, as in community.mysql.
ALIASES = {
    "ALL": "ALL PRIVILEGES",
    "GRANT OPTION": "GRANT",
    "REPLICATION CLIENT": "BINLOG MONITOR",
    "REPLICATION REPLICA": "REPLICATION SLAVE",
    "REPLICA MONITOR": "SLAVE MONITOR",
    "REPLICATION REPLICA ADMIN": "REPLICATION SLAVE ADMIN",
    "READ ONLY ADMIN": "READ_ONLY ADMIN",
}

# Every privilege name MariaDB 10.4 to 11.8 knows, after ALIASES.
KNOWN = frozenset((
    "ALL PRIVILEGES", "ALTER", "ALTER ROUTINE", "BINLOG ADMIN", "BINLOG MONITOR", "BINLOG REPLAY", "CONNECTION ADMIN",
    "CREATE", "CREATE ROUTINE", "CREATE TABLESPACE", "CREATE TEMPORARY TABLES", "CREATE USER", "CREATE VIEW",
    "DELETE", "DELETE HISTORY", "DROP", "EVENT", "EXECUTE", "FEDERATED ADMIN", "FILE", "GRANT", "INDEX", "INSERT",
    "LOCK TABLES", "PROCESS", "READ_ONLY ADMIN", "REFERENCES", "RELOAD", "REPLICATION MASTER ADMIN",
    "REPLICATION SLAVE", "REPLICATION SLAVE ADMIN", "SELECT", "SET USER", "SHOW CREATE ROUTINE", "SHOW DATABASES",
    "SHOW VIEW", "SHUTDOWN", "SLAVE MONITOR", "SUPER", "TRIGGER", "UPDATE", "USAGE",
))

ROUTINE_KINDS = ("PACKAGE BODY", "FUNCTION", "PROCEDURE", "PACKAGE")

_NAME = r"(?:`(?:[^`]|``)*`|\*)"
_GRANT_LINE = re.compile(
    r"^GRANT (?P<privs>.+?) ON (?:(?P<kind>PACKAGE BODY|FUNCTION|PROCEDURE|PACKAGE) )?"
    r"(?P<db>" + _NAME + r")(?:\.(?P<table>" + _NAME + r"))? TO (?P<rest>.*)$", re.S)
_ACCOUNT = re.compile(r"^(?:`(?:[^`]|``)*`|'(?:[^']|'')*')(?:@(?:`(?:[^`]|``)*`|'(?:[^']|'')*'))?(?P<tail>.*)$", re.S)
_CHARSET = re.compile(r"^[A-Za-z0-9_]+$")


def normalize_privilege(name: str) -> str:
    """' replication client ' -> 'BINLOG MONITOR': upper case, single spaces, MariaDB's own name."""
    name = " ".join(name.upper().split())
    return ALIASES.get(name, name)


def normalize_privileges(names: t.Iterable[str]) -> frozenset[str]:
    """A set without USAGE (it grants nothing); ALL PRIVILEGES absorbs every other privilege but GRANT."""
    privileges = {normalize_privilege(name) for name in names} - {"USAGE"}
    if "ALL PRIVILEGES" in privileges:
        privileges &= {"ALL PRIVILEGES", "GRANT"}
    return frozenset(privileges)


def _unquote(name: str) -> str:
    if len(name) >= 2 and name[0] == name[-1] == "`":
        return name[1:-1].replace("``", "`")
    return name


def _merge(result: dict, key: GrantObject, names: t.Iterable[str]) -> None:
    """Adds names to the privileges of key in result; an object left without any (USAGE) is dropped."""
    merged = normalize_privileges(list(result.get(key, ())) + list(names))
    if merged:
        result[key] = merged
    else:
        result.pop(key, None)


def parse_priv(text: str | None) -> Privileges:
    """community.mysql's priv string, 'db.table:PRIV1,PRIV2/otherdb.*:PRIV', as {object: privileges}.

    Objects without privileges (USAGE) are left out, as MariaDB keeps no grant for them: the global USAGE of
    '*.*:USAGE' is every account's. Column privileges and unknown names raise a PrivilegeError.
    """
    result: dict[GrantObject, frozenset[str]] = {}
    for item in (text or "*.*:USAGE").strip().split("/"):
        item = item.strip()
        if not item:
            continue
        if ":" not in item:
            raise PrivilegeError("%r has no ':' between the object and its privileges (expected db.table:PRIV,...)"
                                 % item)
        target, names = item.rsplit(":", 1)
        target = target.strip()
        kind = ""
        for routine in ROUTINE_KINDS:
            if target.upper().startswith(routine + " "):
                kind, target = routine, target[len(routine) + 1:].strip()
                break
        if "." not in target:
            raise PrivilegeError("%r names no table: write db.* for a database, *.* for every one" % item)
        database, table = target.rsplit(".", 1)
        database, table = _unquote(database.strip()), _unquote(table.strip())
        if not database or not table or (database == "*" and table != "*"):
            raise PrivilegeError("%r is not an object MariaDB grants on" % item)
        if "(" in names or ")" in names:
            raise PrivilegeError("%r holds column privileges: this module grants on databases, tables and "
                                 "routines only; grant columns yourself, outside these accounts" % item)
        privileges = [normalize_privilege(name) for name in names.split(",")]
        if "" in privileges:
            raise PrivilegeError("%r: an empty name is not a MariaDB privilege (a comma too many?)" % item)
        unknown = sorted(name for name in privileges if name not in KNOWN)
        if unknown:
            raise PrivilegeError("%r: %s %s not a MariaDB privilege" % (
                item, ", ".join(repr(name) for name in unknown), "is" if len(unknown) == 1 else "are"))
        _merge(result, (kind, database, table), privileges)
    return result


def parse_grants(lines: t.Iterable[str]) -> Privileges:
    """The lines of SHOW GRANTS FOR an account as {object: privileges}. Grants of roles and PROXY are left out
    (this module does not manage them); column privileges raise a PrivilegeError."""
    result: dict[GrantObject, frozenset[str]] = {}
    for line in lines:
        match = _GRANT_LINE.match(line.strip())
        if not match:
            continue  # GRANT `role` TO ..., GRANT PROXY ON ''@'%' TO ...
        if match.group("privs").upper() == "PROXY" or match.group("db").startswith("'"):
            continue
        privs = match.group("privs")
        if "(" in privs:
            raise PrivilegeError("the account holds column privileges (%s): this module manages privileges on "
                                 "databases, tables and routines only; revoke them by hand" % line.strip())
        names = privs.split(",")
        account = _ACCOUNT.match(match.group("rest"))
        tail = account.group("tail") if account else match.group("rest")
        if re.search(r"\bWITH\b(?:\s+\w+\s+\d+)*\s+GRANT OPTION\b", tail):
            names.append("GRANT")
        table = match.group("table") or "*"
        _merge(result, (match.group("kind") or "", _unquote(match.group("db")), _unquote(table)), names)
    return result


def object_sql(key: GrantObject) -> str:
    """The object as it goes into GRANT and REVOKE, identifiers quoted."""
    kind, database, table = key
    parts = [name if name == "*" else quote_identifier(name) for name in (database, table)]
    return (kind + " " if kind else "") + ".".join(parts)


def object_text(key: GrantObject) -> str:
    """'shop.*', 'PROCEDURE shop.tally': how a priv string names the object."""
    kind, database, table = key
    return (kind + " " if kind else "") + database + "." + table


def privileges_text(privileges: Privileges) -> dict[str, list[str]]:
    """{'*.*': ['USAGE'], 'shop.*': ['ALL PRIVILEGES']}: readable and stable, for diffs and results."""
    shown = {object_text(key): sorted(names) for key, names in privileges.items()}
    shown.setdefault("*.*", ["USAGE"])
    return dict(sorted(shown.items()))


def privilege_changes(current: Privileges, wanted: Privileges) -> list[tuple[str, GrantObject, frozenset[str]]]:
    """The REVOKEs then the GRANTs that turn current into wanted: [('REVOKE'|'GRANT', object, privileges)].
    Revokes come first: a REVOKE SELECT after a GRANT ALL PRIVILEGES would take SELECT back."""
    revokes, grants = [], []
    for key in sorted(set(current) | set(wanted)):
        have, want = current.get(key, frozenset()), wanted.get(key, frozenset())
        if have == want:
            continue
        gone, added = have - want, want - have
        if gone:
            revokes.append(("REVOKE", key, frozenset(gone)))
        if added:
            grants.append(("GRANT", key, frozenset(added)))
    return revokes + grants


def privilege_statement(action: str, key: GrantObject, privileges: frozenset[str]) -> str:
    """'GRANT SELECT, INSERT ON `shop`.* TO %s@%s WITH GRANT OPTION' with the account left as parameters.
    Names come from KNOWN (checked by the parsers), never from free text."""
    names = sorted(privileges - {"GRANT"})
    target = object_sql(key).replace("%", "%%")  # the account follows as driver parameters
    unknown = [name for name in names if name not in KNOWN]
    if unknown:  # pragma: no cover - the parsers refuse them
        raise PrivilegeError("unknown privileges %s" % ", ".join(unknown))
    if action == "GRANT":
        statement = "GRANT %s ON %s TO %%s@%%s" % (", ".join(names) or "USAGE", target)
        return statement + (" WITH GRANT OPTION" if "GRANT" in privileges else "")
    if "GRANT" in privileges:
        names.append("GRANT OPTION")
    return "REVOKE %s ON %s FROM %%s@%%s" % (", ".join(names), target)


def native_password_hash(password: str) -> str:
    """mysql_native_password's stored form: '*' + SHA1(SHA1(password)) in upper-case hex; '' for ''."""
    if password == "":
        return ""
    return "*" + hashlib.sha1(hashlib.sha1(password.encode("utf-8")).digest()).hexdigest().upper()


def check_charset(value: str, what: str) -> str:
    if not _CHARSET.match(value or ""):
        raise PrivilegeError("%s %r is not a character set or collation name (letters, digits, _)" % (what, value))
    return value


def prunable_host(host: str, addresses_only: bool) -> bool:
    """Whether an account's host may be dropped by prune: any, or with addresses_only an IP address other than
    127.0.0.1 and ::1 (accounts for names such as 'localhost' or '%' are left alone)."""
    if not addresses_only:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return host not in ("127.0.0.1", "::1")
