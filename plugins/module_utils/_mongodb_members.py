# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replica set members as mongod accepts them: normalization and the checks mongod (and a majority after a
split) would apply. Pure Python with no driver import, so that the controller's filter
(scalable.webstack.mongodb_member_problems) loads it cheaply in every worker."""

from __future__ import annotations

import typing as t
from collections.abc import Mapping

from ansible.module_utils.parsing.convert_bool import BOOLEANS_FALSE, BOOLEANS_TRUE

DEFAULT_PORT = 27017
MAX_VOTERS = 7
MAX_MEMBERS = 50
MAX_PRIORITY = 1000

# Member fields the module manages, with mongod's defaults; anything else in a member document
# (buildIndexes, horizons, newlyAdded ...) is left as the server has it.
MEMBER_DEFAULTS = {
    "arbiterOnly": False,
    "hidden": False,
    "priority": 1.0,
    "secondaryDelaySecs": 0,
    "votes": 1,
}
# The order mongod keeps member fields in (member_config.cpp, toBSON).
MEMBER_ORDER = ("_id", "host", "arbiterOnly", "buildIndexes", "hidden", "priority", "tags", "horizons",
                "secondaryDelaySecs", "votes")
MEMBER_KEYS = {
    "host": "host", "priority": "priority", "votes": "votes", "hidden": "hidden", "arbiter": "arbiterOnly",
    "arbiterOnly": "arbiterOnly", "secondary_delay_secs": "secondaryDelaySecs",
    "secondaryDelaySecs": "secondaryDelaySecs", "tags": "tags",
}


class InvalidMembers(ValueError):
    """The desired member list is not a valid replica set; nothing was sent."""


# -- members ------------------------------------------------------------------------------------------
def normalize_host(host: str) -> str:
    host = host.strip()
    if host.startswith("["):  # [IPv6]:port
        return host if "]:" in host else "%s:%d" % (host, DEFAULT_PORT)
    return host if ":" in host else "%s:%d" % (host, DEFAULT_PORT)


def split_host(host: str) -> tuple[str, int]:
    name, dummy, port = normalize_host(host).rpartition(":")
    return name.strip("[]"), int(port)


def _host(value: t.Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidMembers("%s: host must be a non-empty string like db1.example.com:27017, got %r" % (where, value))
    host = normalize_host(value)
    port = host.rpartition(":")[2]
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidMembers("%s: host %r has no valid port (1-65535) after its last colon" % (where, value))
    return host


def _number(value: t.Any, where: str, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise InvalidMembers("%s: %s must be a number, got %r" % (where, what, value))
    try:
        return float(value)
    except ValueError:
        raise InvalidMembers("%s: %s must be a number, got %r" % (where, what, value)) from None


def _flag(value: t.Any, where: str, what: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in BOOLEANS_TRUE:
        return True
    if isinstance(value, str) and value.lower() in BOOLEANS_FALSE:
        return False
    raise InvalidMembers("%s: %s must be true or false, got %r" % (where, what, value))


def normalize_member(member: t.Any, index: int = 0) -> dict[str, t.Any]:
    """A member as given to the module (a host string or a dict) -> the fields of a config member.

    ``tags`` is None when not given: the member then keeps the tags it has.
    """
    where = "members[%d]" % index
    if isinstance(member, str):
        member = {"host": member}
    if not isinstance(member, Mapping):
        raise InvalidMembers("%s: a member is a host string or a dict with host, got %s %r"
                             % (where, type(member).__name__, member))
    unknown = sorted(key for key in member if key not in MEMBER_KEYS)
    if unknown:
        raise InvalidMembers("%s: unknown keys %s (known: arbiter, hidden, host, priority, secondary_delay_secs, "
                             "tags, votes)" % (where, ", ".join(unknown)))
    if "host" not in member:
        raise InvalidMembers("%s: no host in %r" % (where, dict(member)))
    fields = {MEMBER_KEYS[key]: value for key, value in member.items()}
    host = _host(fields["host"], where)
    where = "%s (%s)" % (where, host)
    result: dict[str, t.Any] = {"host": host}
    result["arbiterOnly"] = _flag(fields.get("arbiterOnly", False), where, "arbiter")
    result["hidden"] = _flag(fields.get("hidden", False), where, "hidden")
    votes = fields.get("votes", 1)
    if isinstance(votes, bool) or (isinstance(votes, str) and not votes.strip().isdigit()) or \
            not isinstance(votes, (int, str)) or int(votes) not in (0, 1):
        hint = " (a boolean: write 0 or 1)" if isinstance(votes, bool) else ""
        raise InvalidMembers("%s: votes must be 0 or 1, got %r%s" % (where, votes, hint))
    result["votes"] = int(votes)
    delay = fields.get("secondaryDelaySecs", 0)
    if isinstance(delay, bool) or not isinstance(delay, (int, str)) or not str(delay).strip().isdigit():
        raise InvalidMembers("%s: secondary_delay_secs must be a whole number of seconds >= 0, got %r" % (where, delay))
    result["secondaryDelaySecs"] = int(delay)
    tags = fields.get("tags")
    if tags is not None:
        if not isinstance(tags, Mapping) or not all(isinstance(value, str) for value in tags.values()):
            raise InvalidMembers("%s: tags must be a dict of strings, got %r" % (where, tags))
        tags = {str(key): value for key, value in tags.items()}
    result["tags"] = tags
    priority = fields.get("priority")
    if priority is None:
        passive = result["arbiterOnly"] or result["hidden"] or result["votes"] == 0 or result["secondaryDelaySecs"] > 0
        result["priority"] = 0.0 if passive else 1.0
    else:
        result["priority"] = _number(priority, where, "priority")
        if not 0 <= result["priority"] <= MAX_PRIORITY:
            raise InvalidMembers("%s: priority must be from 0 to %d, got %r" % (where, MAX_PRIORITY, priority))
    return result


def validate_members(members: list[dict[str, t.Any]], this_member: str | None) -> None:
    """Refuse a member list mongod would refuse, or that could not elect a primary after a split."""
    if not members:
        raise InvalidMembers("members is empty")
    hosts = [member["host"] for member in members]
    duplicates = sorted({host for host in hosts if hosts.count(host) > 1})
    if duplicates:
        raise InvalidMembers("members lists %s more than once" % ", ".join(duplicates))
    if len(members) > MAX_MEMBERS:
        raise InvalidMembers("a replica set has at most %d members, got %d" % (MAX_MEMBERS, len(members)))
    for index, member in enumerate(members):
        where = "members[%d] (%s)" % (index, member["host"])
        if member["arbiterOnly"]:
            if member["votes"] == 0:
                raise InvalidMembers("%s: an arbiter must vote; remove votes: 0" % where)
            if member["priority"] != 0:
                raise InvalidMembers("%s: an arbiter has priority 0; remove its priority" % where)
            if member["tags"]:
                raise InvalidMembers("%s: an arbiter cannot have tags" % where)
            continue
        reasons = [reason for reason, applies in (
            ("hidden", member["hidden"]), ("non-voting", member["votes"] == 0),
            ("delayed", member["secondaryDelaySecs"] > 0)) if applies]
        if reasons and member["priority"] != 0:
            raise InvalidMembers("%s is %s and needs priority 0" % (where, " and ".join(reasons)))
    voters = [member for member in members if member["votes"]]
    if not voters:
        raise InvalidMembers("no member votes: a replica set needs at least one voting member")
    if len(voters) > MAX_VOTERS:
        raise InvalidMembers("a replica set has at most %d voting members, got %d" % (MAX_VOTERS, len(voters)))
    if len(voters) % 2 == 0:
        raise InvalidMembers(
            "%d voting members: use an odd number (add an arbiter or set votes: 0 on one member) so that a "
            "majority survives a split" % len(voters))
    if not any(member["priority"] > 0 and not member["arbiterOnly"] for member in members):
        raise InvalidMembers("no member can become primary: give at least one member a priority above 0")
    if this_member is not None and normalize_host(this_member) not in hosts:
        raise InvalidMembers("this host (%s) is not in members: list it, or set member to how it is listed"
                             % normalize_host(this_member))
