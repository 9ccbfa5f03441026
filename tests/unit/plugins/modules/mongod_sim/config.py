"""Replica set config documents as mongod parses, validates and stores them (src/mongo/db/repl).

``parse_config`` fills in what mongod fills in (member fields in mongod's order, ``protocolVersion``,
``writeConcernMajorityJournalDefault``, the settings with their defaults and, at initiate, a new
``settings.replicaSetId``) and refuses what mongod refuses, with its codes and messages
(member_config.cpp, repl_set_config.cpp, repl_set_config_checks.cpp).
"""

from __future__ import annotations

import copy
from collections import OrderedDict

from bson import Int64, ObjectId

MAX_MEMBERS = 50
MAX_VOTING_MEMBERS = 7
DEFAULT_PORT = 27017
MEMBER_FIELDS = ("_id", "host", "arbiterOnly", "buildIndexes", "hidden", "priority", "tags", "horizons",
                 "secondaryDelaySecs", "votes", "newlyAdded")
CONFIG_FIELDS = ("_id", "version", "term", "members", "protocolVersion", "writeConcernMajorityJournalDefault",
                 "settings", "configsvr")
SETTINGS_DEFAULTS = (
    ("chainingAllowed", True),
    ("heartbeatIntervalMillis", 2000),
    ("heartbeatTimeoutSecs", 10),
    ("electionTimeoutMillis", 10000),
    ("catchUpTimeoutMillis", -1),
    ("catchUpTakeoverDelayMillis", 30000),
    ("getLastErrorModes", {}),
    ("getLastErrorDefaults", {"w": 1, "wtimeout": 0}),
)


class CommandError(Exception):
    """A command's error reply: code and message as mongod sends them."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _number_type(value) -> str | None:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, Int64):
        return "long"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "double"
    return None


def _type_name(value) -> str:
    return {str: "string", bool: "bool", dict: "object", OrderedDict: "object", list: "array",
            type(None): "null"}.get(type(value), _number_type(value) or type(value).__name__)


def _number(member: dict, field: str, default, low, high):
    if field not in member:
        return default
    value = member[field]
    if _number_type(value) in (None, "bool"):
        raise CommandError(14, "BSON field 'MemberConfig.%s' is the wrong type '%s', expected types "
                               "'[long, int, decimal, double]'" % (field, _type_name(value)))
    if value < low:
        raise CommandError(2, "BSON field 'MemberConfig.%s' value must be >= %s, actual value '%s'"
                              % (field, low, value))
    if high is not None and value > high:
        raise CommandError(2, "BSON field 'MemberConfig.%s' value must be <= %s, actual value '%s'"
                              % (field, high, value))
    return value


def _bool(member: dict, field: str, default: bool) -> bool:
    if field not in member:
        return default
    value = member[field]
    if not isinstance(value, bool):
        raise CommandError(14, "BSON field 'MemberConfig.%s' is the wrong type '%s', expected type 'bool'"
                               % (field, _type_name(value)))
    return value


def normalize_host(host: str) -> str:
    host = host.strip()
    if host.startswith("["):
        return host if "]:" in host else "%s:%d" % (host, DEFAULT_PORT)
    return host if ":" in host else "%s:%d" % (host, DEFAULT_PORT)


def parse_member(member) -> OrderedDict:
    if not isinstance(member, dict):
        raise CommandError(14, "BSON field 'ReplSetConfig.members' is the wrong type '%s', expected type "
                               "'object'" % _type_name(member))
    for field in member:
        if field not in MEMBER_FIELDS:
            raise CommandError(40415, "BSON field 'MemberConfig.%s' is an unknown field." % field)
    for field in ("_id", "host"):
        if field not in member:
            raise CommandError(40414, "BSON field 'MemberConfig.%s' is missing but a required field" % field)
    if _number_type(member["_id"]) in (None, "bool", "double"):
        raise CommandError(14, "BSON field 'MemberConfig._id' is the wrong type '%s', expected types "
                               "'[long, int, decimal, double]'" % _type_name(member["_id"]))
    if not isinstance(member["host"], str) or not member["host"].strip():
        raise CommandError(2, "Empty host-port string")
    arbiter = _bool(member, "arbiterOnly", False)
    votes = int(_number(member, "votes", 1, 0, 1))
    priority = float(_number(member, "priority", 1.0, 0, 1000))
    hidden = _bool(member, "hidden", False)
    build_indexes = _bool(member, "buildIndexes", True)
    delay = int(_number(member, "secondaryDelaySecs", 0, 0, None))
    tags = member.get("tags", {})
    if not isinstance(tags, dict):
        raise CommandError(14, "BSON field 'MemberConfig.tags' is the wrong type '%s', expected type 'object'"
                               % _type_name(tags))
    for key, value in tags.items():
        if not isinstance(value, str):
            raise CommandError(14, "tags.%s field has non-string value of type %s" % (key, _type_name(value)))
    newly_added = member.get("newlyAdded")
    if arbiter:
        if priority == 1.0:
            priority = 0.0
        if votes == 0:
            raise CommandError(2, "Arbiter must vote (cannot have 0 votes)")
        if newly_added:
            raise CommandError(2, "Arbiter cannot have newlyAdded field set")
        if tags:
            raise CommandError(2, "Cannot set tags on arbiters.")
    if priority != 0:
        if votes == 0:
            raise CommandError(2, "priority must be 0 when non-voting (votes:0)")
        if delay > 0:
            raise CommandError(2, "priority must be 0 when secondaryDelaySecs is used")
        if hidden:
            raise CommandError(2, "priority must be 0 when hidden=true")
        if not build_indexes:
            raise CommandError(2, "priority must be 0 when buildIndexes=false")
    parsed = OrderedDict()
    parsed["_id"] = int(member["_id"])
    parsed["host"] = normalize_host(member["host"])
    parsed["arbiterOnly"] = arbiter
    if newly_added:
        parsed["newlyAdded"] = True
    parsed["buildIndexes"] = build_indexes
    parsed["hidden"] = hidden
    parsed["priority"] = priority
    parsed["tags"] = dict(tags)
    if "horizons" in member:
        parsed["horizons"] = dict(member["horizons"])
    parsed["secondaryDelaySecs"] = Int64(delay)
    parsed["votes"] = votes
    return parsed


def votes_of(member: dict) -> int:
    """Effective votes: a newly added member does not vote until its initial sync is over."""
    return 0 if member.get("newlyAdded") else member.get("votes", 1)


def priority_of(member: dict) -> float:
    return 0.0 if member.get("newlyAdded") else member.get("priority", 1.0)


def parse_config(document, replica_set_id: ObjectId | None) -> OrderedDict:
    """A config document as given to replSetInitiate or replSetReconfig -> the one mongod stores."""
    if not isinstance(document, dict):
        raise CommandError(14, "BSON field 'replSetReconfig' is the wrong type '%s', expected type 'object'"
                               % _type_name(document))
    for field in document:
        if field not in CONFIG_FIELDS:
            raise CommandError(40415, "BSON field 'ReplSetConfig.%s' is an unknown field." % field)
    if not isinstance(document.get("_id"), str):
        raise CommandError(40414, "BSON field 'ReplSetConfig._id' is missing but a required field")
    if "members" not in document or not isinstance(document["members"], list):
        raise CommandError(40414, "BSON field 'ReplSetConfig.members' is missing but a required field")
    members = [parse_member(member) for member in document["members"]]
    if not members or len(members) > MAX_MEMBERS:
        raise CommandError(2, "Replica set configuration contains %d members, but must have at least 1 and no "
                              "more than  %d" % (len(members), MAX_MEMBERS))
    for i, member_i in enumerate(members):
        for j, member_j in enumerate(members):
            if i == j:
                continue
            if member_i["_id"] == member_j["_id"]:
                raise CommandError(2, "Found two member configurations with same _id field, members.%d._id == "
                                      "members.%d._id == %d" % (i, j, member_i["_id"]))
            if member_i["host"] == member_j["host"]:
                raise CommandError(2, "Found two member configurations with same host field, members.%d.host == "
                                      "members.%d.host == %s" % (i, j, member_i["host"]))
    local = sum(1 for member in members if member["host"].split(":")[0] in ("localhost", "127.0.0.1", "::1"))
    if local and local != len(members):
        raise CommandError(2, "Either all host names in a replica set configuration must be localhost references, "
                              "or none must be; found %d out of %d" % (local, len(members)))
    voters = sum(1 for member in members if votes_of(member))
    if voters > MAX_VOTING_MEMBERS or voters == 0:
        raise CommandError(2, "Replica set configuration contains %d voting members, but must be at least 1 and no "
                              "more than %d" % (voters, MAX_VOTING_MEMBERS))
    if not any(member["priority"] > 0 and not member["arbiterOnly"] for member in members):
        raise CommandError(2, "Replica set configuration must contain at least one non-arbiter member with "
                              "priority > 0")
    for member in members:
        if member["arbiterOnly"] and member["priority"] != 0:
            raise CommandError(93, "Member %s is an arbiter but has priority %s. Arbiter priority must be 0."
                                   % (member["host"], member["priority"]))
    settings_given = document.get("settings", {})
    if not isinstance(settings_given, dict):
        raise CommandError(14, "BSON field 'ReplSetConfig.settings' is the wrong type '%s', expected type 'object'"
                               % _type_name(settings_given))
    settings = OrderedDict()
    for key, default in SETTINGS_DEFAULTS:
        settings[key] = copy.deepcopy(settings_given.get(key, default))
    for key, value in settings_given.items():
        if key not in settings:
            settings[key] = value
    if replica_set_id is not None and "replicaSetId" not in settings:
        settings["replicaSetId"] = replica_set_id
    config = OrderedDict()
    config["_id"] = document["_id"]
    version = document.get("version", 1)
    if _number_type(version) in (None, "bool"):
        raise CommandError(14, "BSON field 'ReplSetConfig.version' is the wrong type '%s', expected types "
                               "'[long, int, decimal, double]'" % _type_name(version))
    config["version"] = int(version)
    config["term"] = int(document.get("term", 0))
    config["members"] = members
    config["protocolVersion"] = Int64(document.get("protocolVersion", 1))
    config["writeConcernMajorityJournalDefault"] = document.get("writeConcernMajorityJournalDefault", True)
    config["settings"] = settings
    return config


def voting_ids(config: dict) -> set:
    return {member["_id"] for member in config["members"] if votes_of(member)}


def version_and_term(config: dict) -> str:
    return "{version: %d, term: %d}" % (config["version"], config["term"])
