# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared code of scalable.webstack's MongoDB modules.

The first part is pure: member validation, config planning and conversion of server documents to JSON,
on dicts shaped like MongoDB's replica set config documents, testable without a server. The second part
wraps pymongo (>= 4.0): connections, errors turned into one-line messages, SCRAM credential checks.
"""

from __future__ import annotations

import base64
import copy
import datetime
import hashlib
import hmac
import re
import traceback
import typing as t
from collections.abc import Mapping

from ansible.module_utils.basic import missing_required_lib
from ansible_collections.scalable.webstack.plugins.module_utils._mongodb_members import (
    MAX_MEMBERS,
    MEMBER_DEFAULTS,
    MEMBER_ORDER,
)

try:
    import pymongo
    from pymongo.errors import NotPrimaryError, OperationFailure, PyMongoError
except ImportError:
    pymongo = None
    PYMONGO_IMPORT_ERROR: str | None = traceback.format_exc()

    class PyMongoError(Exception):  # type: ignore[no-redef]
        """Stands for the driver's errors when it is missing (the modules stop before using it)."""

    class OperationFailure(PyMongoError):  # type: ignore[no-redef]
        """Stands for the driver's command failure."""

    class NotPrimaryError(PyMongoError):  # type: ignore[no-redef]
        """Stands for the driver's "not primary" error."""
else:
    PYMONGO_IMPORT_ERROR = None

MIN_PYMONGO = (4, 0)

# mongod's error codes the modules act on (src/mongo/base/error_codes.yml).
UNAUTHORIZED = 13
AUTHENTICATION_FAILED = 18
ALREADY_INITIALIZED = 23
MAX_TIME_MS_EXPIRED = 50
NODE_NOT_FOUND = 74
NO_REPLICATION = 76
INVALID_REPLICA_SET_CONFIG = 93
NOT_YET_INITIALIZED = 94
NEW_CONFIG_INCOMPATIBLE = 103
CONFIGURATION_IN_PROGRESS = 109
NOT_WRITABLE_PRIMARY = 10107
USER_ALREADY_EXISTS = 51003


# -- configs ------------------------------------------------------------------------------------------
def _ordered_member(member: dict[str, t.Any]) -> dict[str, t.Any]:
    ordered = {key: member[key] for key in MEMBER_ORDER if key in member}
    ordered.update((key, value) for key, value in member.items() if key not in ordered)
    return ordered


def desired_config(name: str, members: list[dict[str, t.Any]], settings: dict[str, t.Any] | None,
                   current: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """The config to reach: members already in ``current`` keep their _id and the fields the module does
    not manage (buildIndexes, horizons, their tags unless given); new members get the lowest free ids."""
    current_members = {member["host"]: member for member in (current or {}).get("members", [])}
    used = {member["_id"] for member in current_members.values()}
    next_id = 0
    config_members = []
    for member in members:
        existing = current_members.get(member["host"])
        if existing is not None:
            entry = copy.deepcopy(existing)
            entry.pop("newlyAdded", None)  # mongod keeps it itself and refuses it in a reconfig
        else:
            while next_id in used:
                next_id += 1
            entry = {"_id": next_id, "host": member["host"]}
            used.add(next_id)
        for key in MEMBER_DEFAULTS:
            entry[key] = member[key]
        if member["tags"] is not None:
            entry["tags"] = dict(member["tags"])
        elif existing is None:
            entry["tags"] = {}
        config_members.append(_ordered_member(entry))
    if current:
        config = copy.deepcopy(current)
        config["version"] = current["version"] + 1
    else:
        config = {"_id": name, "version": 1}
    config["members"] = config_members
    merged_settings = dict(config.get("settings") or {})
    merged_settings.update(settings or {})
    if merged_settings:
        config["settings"] = merged_settings
    return config


def managed_view(config: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """The part of a config this module manages, for comparison and diffs (JSON-safe)."""
    if not config:
        return {}
    members = []
    for member in config.get("members", []):
        view = {"host": member["host"]}
        for key, default in MEMBER_DEFAULTS.items():
            view[key] = member.get(key, default)
        view["priority"] = float(view["priority"])
        view["votes"] = int(view["votes"])
        view["secondaryDelaySecs"] = int(view["secondaryDelaySecs"])
        view["tags"] = dict(member.get("tags") or {})
        members.append(view)
    settings = {key: value for key, value in (config.get("settings") or {}).items() if key != "replicaSetId"}
    return json_safe({"_id": config["_id"], "members": sorted(members, key=lambda member: member["host"]),
                      "settings": settings})


def settings_differ(current: dict[str, t.Any], wanted: dict[str, t.Any] | None) -> bool:
    current_settings = current.get("settings") or {}
    return any(current_settings.get(key) != value for key, value in (wanted or {}).items())


def _votes(config: dict[str, t.Any]) -> dict[str, int]:
    return {member["host"]: int(member.get("votes", 1)) for member in config["members"]}


def _member_view(member: dict[str, t.Any]) -> dict[str, t.Any]:
    return managed_view({"_id": "", "members": [member]})["members"][0]


def next_step(current: dict[str, t.Any], target: dict[str, t.Any]) -> dict[str, t.Any] | None:
    """The next config to send on the way from ``current`` to ``target``, or None when there.

    First one step with every change that moves no vote (priorities, tags, settings, non-voting members
    added or removed); then one voting member added, or removed, per step - additions first, so the set
    never has fewer voters than it started with. Each step's version is current's + 1, and it carries no
    newlyAdded field (mongod keeps those itself).
    """
    current_votes, target_votes = _votes(current), _votes(target)
    target_by_host = {member["host"]: member for member in target["members"]}
    ordered = list(target_votes) + [host for host in current_votes if host not in target_votes]
    vote_changes = [host for host in ordered if current_votes.get(host, 0) != target_votes.get(host, 0)]

    def config_with(members: list[dict[str, t.Any]]) -> dict[str, t.Any]:
        config = copy.deepcopy(target)
        config["members"] = [copy.deepcopy(member) for member in members]
        for member in config["members"]:
            member.pop("newlyAdded", None)
        config["version"] = current["version"] + 1
        return config

    members = []
    for member in current["members"]:
        host = member["host"]
        if host in vote_changes:
            members.append(member)  # keeps its vote (and the fields that go with it) until its own step
        elif host in target_by_host:
            members.append(target_by_host[host])
        # members leaving without a vote are dropped here
    members += [member for host, member in target_by_host.items() if host not in current_votes
                and host not in vote_changes]
    first = config_with(members)
    if managed_view(first) != managed_view(current):
        return first
    additions = [host for host in vote_changes if target_votes.get(host, 0) > current_votes.get(host, 0)]
    removals = [host for host in vote_changes if host not in additions]
    for host in additions + removals:
        members = [member for member in current["members"] if member["host"] != host]
        if host in target_by_host:
            members.append(target_by_host[host])
        return config_with(sorted(members, key=lambda member: member["_id"]))
    return None


def plan_reconfig(current: dict[str, t.Any], target: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Every step ``next_step`` would take, assuming each is applied as sent (for check mode)."""
    steps = []
    config = current
    while len(steps) < 2 * MAX_MEMBERS + 2:
        step = next_step(config, target)
        if step is None:
            break
        steps.append(step)
        config = step
    return steps


def describe_step(before: dict[str, t.Any], after: dict[str, t.Any]) -> str:
    """One line saying what a reconfig step changes."""
    before_members = {member["host"]: member for member in managed_view(before).get("members", [])}
    after_members = {member["host"]: member for member in managed_view(after)["members"]}
    parts = ["add %s" % host for host in after_members if host not in before_members]
    parts += ["remove %s" % host for host in before_members if host not in after_members]
    for host, member in after_members.items():
        if host in before_members and member != before_members[host]:
            changed = sorted(key for key in member if member[key] != before_members[host][key])
            parts.append("change %s (%s)" % (host, ", ".join(changed)))
    if managed_view(before).get("settings") != managed_view(after)["settings"]:
        parts.append("change settings")
    return "version %s: %s" % (after["version"], "; ".join(parts) or "no member change")


def json_safe(value: t.Any) -> t.Any:
    """A server document with every BSON type turned into JSON: ObjectId, UUID, Decimal128 -> str,
    datetime -> ISO 8601, Timestamp -> {t, i}, binary -> base64, Int64 -> int, SON -> dict."""
    if value is None or isinstance(value, (bool, str, float)):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, Mapping):
        return {str(key): json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [json_safe(item) for item in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(bytes(value)).decode()
    if type(value).__name__ == "Timestamp" and hasattr(value, "inc"):
        return {"t": value.time, "i": value.inc}
    return str(value)


# -- SCRAM --------------------------------------------------------------------------------------------
def scram_stored_key(mechanism: str, user: str, password: str, salt: str, iterations: int) -> str:
    """The base64 StoredKey mongod keeps for this password (RFC 5802): equal keys, equal passwords."""
    if mechanism == "SCRAM-SHA-256":
        from pymongo.saslprep import saslprep  # the driver's own, as it prepares the password to log in

        secret = saslprep(password).encode("utf-8")
        digest = hashlib.sha256
    elif mechanism == "SCRAM-SHA-1":
        secret = hashlib.md5(("%s:mongo:%s" % (user, password)).encode("utf-8")).hexdigest().encode()  # noqa: S324
        digest = hashlib.sha1
    else:
        raise ValueError("not a SCRAM mechanism: %s" % mechanism)
    salted = hashlib.pbkdf2_hmac(digest().name, secret, base64.b64decode(salt), int(iterations))
    client_key = hmac.new(salted, b"Client Key", digest).digest()
    return base64.b64encode(digest(client_key).digest()).decode()


def password_matches(user: str, password: str, credentials: Mapping[str, t.Any]) -> bool | None:
    """Whether ``password`` is the one behind ``credentials`` (usersInfo showCredentials); None: unknown."""
    for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-1"):
        stored = credentials.get(mechanism)
        if stored:
            expected = scram_stored_key(mechanism, user, password, stored["salt"], stored["iterationCount"])
            return hmac.compare_digest(expected, stored["storedKey"])
    return None


# -- the driver ---------------------------------------------------------------------------------------
def driver_problem() -> tuple[str, str | None] | None:
    """None when pymongo >= 4 is importable; else the message (missing_required_lib style) and traceback."""
    if pymongo is None:
        return missing_required_lib("pymongo >= 4.0"), PYMONGO_IMPORT_ERROR
    if tuple(pymongo.version_tuple[:2]) < MIN_PYMONGO:
        return missing_required_lib(
            "pymongo >= 4.0",
            reason="by this module, which found pymongo %s there (Debian 12's python3-pymongo is 3.11); the "
                   "mongodb_replset role installs a newer one in its own virtualenv" % pymongo.version), None
    return None


def failure_code(error: BaseException) -> int | None:
    return getattr(error, "code", None) if isinstance(error, OperationFailure) else None


def failure_text(error: BaseException) -> str:
    """The server's own message of a command failure, with its code name."""
    details = getattr(error, "details", None) or {}
    message = details.get("errmsg") or str(error).split(", full error:", maxsplit=1)[0]
    code = getattr(error, "code", None)
    if code is None:
        return message
    return "error %s %s: %s" % (code, details.get("codeName", ""), message) if details.get("codeName") else \
        "error %s: %s" % (code, message)


def connection_failure(host: str, port: int, timeout: float, error: BaseException) -> str:
    """One line for a server that cannot be reached, without the driver's topology dump."""
    text = str(error).split(", Timeout:", maxsplit=1)[0].split(", full error:", maxsplit=1)[0]
    text = re.sub(r" \(configured timeouts: [^)]*\)", "", text)
    prefix = "%s:%d: " % (host, port)
    if text.startswith(prefix):
        text = text[len(prefix):]
    return "cannot connect to mongod at %s:%d within %ss: %s" % (host, port, timeout, text)


def connection_argument_spec() -> dict[str, dict[str, t.Any]]:
    """The connection options of the MongoDB modules (documented in doc_fragments/mongodb_login and by each
    module for login_host and login_user)."""
    return dict(
        login_host=dict(type="str", default="localhost"),
        login_port=dict(type="int", default=27017),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        login_database=dict(type="str", default="admin"),
        auth_mechanism=dict(type="str", choices=["SCRAM-SHA-256", "SCRAM-SHA-1"]),
        tls=dict(type="bool", default=False),
        tls_ca_file=dict(type="path"),
        connect_timeout=dict(type="int", default=10),
    )


class Server:
    """A direct connection to one mongod, with or without credentials; the module retries by itself."""

    def __init__(self, params: dict[str, t.Any], host: str, port: int, credentials: bool) -> None:
        self.host, self.port = host, port
        self.credentials = credentials
        self.timeout = params["connect_timeout"]
        options: dict[str, t.Any] = dict(
            host=host, port=port, directConnection=True, retryReads=False, retryWrites=False,
            serverSelectionTimeoutMS=int(self.timeout * 1000), connectTimeoutMS=int(self.timeout * 1000),
            appname="scalable.webstack",
        )
        if credentials:
            options.update(username=params["login_user"], password=params["login_password"],
                           authSource=params["login_database"])
            if params.get("auth_mechanism"):
                options["authMechanism"] = params["auth_mechanism"]
        if params.get("tls"):
            options["tls"] = True
            if params.get("tls_ca_file"):
                options["tlsCAFile"] = params["tls_ca_file"]
        self.client = pymongo.MongoClient(**options)

    @property
    def address(self) -> str:
        return "%s:%d" % (self.host, self.port)

    def command(self, name: str, value: t.Any = 1, database: str = "admin", **fields: t.Any) -> dict[str, t.Any]:
        try:
            return self.client[database].command(name, value, **fields)
        except NotPrimaryError as error:
            # The driver raises "not primary" replies (10107 ...) as a connection error; they are a command's
            # answer like any other.
            details = error.details if isinstance(error.details, dict) else {}
            if "code" not in details:
                raise
            raise OperationFailure(details.get("errmsg", str(error)), details["code"], details) from None

    def hello(self) -> dict[str, t.Any]:
        return self.command("hello")

    def close(self) -> None:
        self.client.close()
