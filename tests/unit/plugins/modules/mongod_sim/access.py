"""Who may run what, as mongod decides it (src/mongo/db/auth, src/mongo/db/commands.cpp).

A privilege is a resource and an action. Resources: ``("cluster",)``, ``("db", name)``, ``("anydb",)``
(anyNormalResource: every database) and ``("any",)`` (anyResource, the root role).

The order of mongod's checks for a command that needs privileges, with access control on:

1. the localhost exception: a connection from loopback while the server holds no user and no role gets
   only the privileges of ``_getDefaultPrivileges`` (AuthorizationSessionImpl): ``createUser`` and
   ``grantRole`` on ``admin``, ``createUser`` on ``$external``, and on the cluster ``addShard``,
   ``replSetConfigure``, ``replSetGetStatus`` and ``issueDirectShardOperations`` (plus ``getCmdLineOpts``,
   ``getParameter``, ``serverStatus`` and ``shutdown`` on an arbiter). A session that once found users
   never gets the exception back (``_allowLocalhost`` stays false).
2. otherwise an unauthenticated client gets error 13 "Command <name> requires authentication";
3. an authenticated one whose roles lack a privilege gets error 13 "not authorized on <db> to execute
   command { ... }" - as does a client under the exception asking for more than it grants.

Without access control (no keyFile, or ``security.transitionToAuth``) every client may run everything;
authentication still checks passwords.
"""

from __future__ import annotations

import datetime
import uuid

CLUSTER_MONITOR = {"replSetGetConfig", "replSetGetStatus", "serverStatus", "getCmdLineOpts", "getParameter",
                   "listDatabases", "connPoolStats", "top", "hostInfo"}
CLUSTER_MANAGER = {"replSetConfigure", "replSetGetConfig", "replSetGetStatus", "replSetStateChange",
                   "addShard", "listShards", "removeShard", "resync", "appendOplogNote", "applicationMessage"}
HOST_MANAGER = {"shutdown", "setParameter", "logRotate", "fsync", "killop", "unlock", "flushRouterConfig"}
USER_ADMIN = {"changeCustomData", "changePassword", "createRole", "createUser", "dropRole", "dropUser",
              "grantRole", "revokeRole", "setAuthenticationRestriction", "viewRole", "viewUser"}
READ = {"find", "listCollections", "listIndexes", "collStats", "dbStats", "killCursors"}
READ_WRITE = READ | {"insert", "update", "remove", "createCollection", "createIndex", "dropCollection",
                     "dropIndex", "convertToCapped", "renameCollectionSameDB"}
DB_ADMIN = {"collMod", "compact", "dbHash", "dropDatabase", "enableProfiler", "reIndex", "validate",
            "listCollections", "listIndexes", "collStats", "dbStats", "createCollection", "createIndex",
            "dropCollection", "dropIndex"}

# Roles every database has, and those only admin has (their privileges reach every database).
DATABASE_ROLES = {
    "read": READ,
    "readWrite": READ_WRITE,
    "dbAdmin": DB_ADMIN,
    "userAdmin": USER_ADMIN,
    "dbOwner": READ_WRITE | DB_ADMIN | USER_ADMIN,
}
ADMIN_ROLES = {
    "root": {(("any",), "*")},
    "clusterAdmin": {(("cluster",), action) for action in CLUSTER_MONITOR | CLUSTER_MANAGER | HOST_MANAGER}
    | {(("anydb",), "dropDatabase")},
    "clusterManager": {(("cluster",), action) for action in CLUSTER_MANAGER},
    "clusterMonitor": {(("cluster",), action) for action in CLUSTER_MONITOR},
    "hostManager": {(("cluster",), action) for action in HOST_MANAGER},
    "userAdminAnyDatabase": {(("anydb",), action) for action in USER_ADMIN}
    | {(("cluster",), action) for action in ("authSchemaUpgrade", "invalidateUserCache", "listDatabases")},
    "readAnyDatabase": {(("anydb",), action) for action in READ} | {(("cluster",), "listDatabases")},
    "readWriteAnyDatabase": {(("anydb",), action) for action in READ_WRITE} | {(("cluster",), "listDatabases")},
    "dbAdminAnyDatabase": {(("anydb",), action) for action in DB_ADMIN} | {(("cluster",), "listDatabases")},
}


def localhost_exception_privileges(arbiter: bool) -> set:
    cluster = {"addShard", "replSetConfigure", "replSetGetStatus", "issueDirectShardOperations"}
    if arbiter:
        cluster |= {"getCmdLineOpts", "getParameter", "serverStatus", "shutdown"}
    return ({(("db", "admin"), "createUser"), (("db", "admin"), "grantRole"), (("db", "$external"), "createUser")}
            | {(("cluster",), action) for action in cluster})


def role_exists(role: str, database: str) -> bool:
    return role in DATABASE_ROLES or (database == "admin" and role in ADMIN_ROLES)


def role_privileges(role: str, database: str) -> set:
    if role in DATABASE_ROLES:
        return {(("db", database), action) for action in DATABASE_ROLES[role]}
    if database == "admin" and role in ADMIN_ROLES:
        return set(ADMIN_ROLES[role])
    return set()


def user_privileges(user: dict) -> set:
    privileges: set = set()
    for role in user["roles"]:
        privileges |= role_privileges(role["role"], role["db"])
    return privileges


def covers(privileges: set, wanted: tuple) -> bool:
    resource, action = wanted
    for (held_resource, held_action) in privileges:
        if held_action not in ("*", action):
            continue
        if held_resource == ("any",) or held_resource == resource:
            return True
        if held_resource == ("anydb",) and resource[0] == "db" and resource[1] not in ("local", "config"):
            return True
    return False


def _shell(value) -> str:
    """A value as mongod prints a command in its error messages (the shell's notation)."""
    if isinstance(value, dict):
        if not value:
            return "{}"
        return "{ %s }" % ", ".join("%s: %s" % (key, _shell(item)) for key, item in value.items())
    if isinstance(value, (list, tuple)):
        return "[ %s ]" % ", ".join(_shell(item) for item in value) if value else "[]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"%s"' % value.replace('"', '\\"')
    if isinstance(value, uuid.UUID):
        return 'UUID("%s")' % value
    if isinstance(value, bytes):
        return "BinData(0, %s)" % value.hex().upper()
    if isinstance(value, datetime.datetime):
        return "new Date(%d)" % int(value.timestamp() * 1000)
    if value is None:
        return "null"
    if type(value).__name__ == "ObjectId":
        return "ObjectId('%s')" % value
    return str(value)


REDACTED_FIELDS = {"pwd", "password", "payload"}


def command_for_log(document: dict) -> str:
    """The command as mongod shows it in "not authorized ... to execute command": secrets snipped."""
    shown = {key: ("xxx" if key in REDACTED_FIELDS else value) for key, value in document.items()}
    return _shell(shown)


# What each command the simulation knows needs; None: the command needs no authentication at all.
def required_privileges(command: str, document: dict, database: str) -> list | None:
    cluster = ("cluster",)
    simple = {
        "replsetgetstatus": [(cluster, "replSetGetStatus")],
        "replsetgetconfig": [(cluster, "replSetGetConfig")],
        "replsetinitiate": [(cluster, "replSetConfigure")],
        "replsetreconfig": [(cluster, "replSetConfigure")],
        "replsetstepdown": [(cluster, "replSetStateChange")],
        "replsetfreeze": [(cluster, "replSetStateChange")],
        "getcmdlineopts": [(cluster, "getCmdLineOpts")],
        "serverstatus": [(cluster, "serverStatus")],
        "listdatabases": [(cluster, "listDatabases")],
        "dropuser": [(("db", database), "dropUser")],
    }
    if command in ("hello", "ismaster", "ping", "buildinfo", "saslstart", "saslcontinue", "endsessions",
                   "logout", "listcommands", "getnonce"):
        return None
    if command in simple:
        return simple[command]
    if command == "createuser":
        return [(("db", database), "createUser")] + [
            (("db", role_db), "grantRole") for role_db in _role_databases(document.get("roles", []), database)]
    if command == "updateuser":
        wanted = []
        if "pwd" in document:
            wanted.append((("db", database), "changePassword"))
        if "roles" in document:
            wanted += [(("db", role_db), "grantRole")
                       for role_db in _role_databases(document["roles"], database)]
            wanted.append((("db", database), "revokeRole"))
        if "customData" in document:
            wanted.append((("db", database), "changeCustomData"))
        return wanted
    if command == "usersinfo":
        return [(("db", database), "viewUser")]
    return []


def _role_databases(roles, database: str) -> set:
    databases = set()
    for role in roles:
        databases.add(role.get("db", database) if isinstance(role, dict) else database)
    return databases
