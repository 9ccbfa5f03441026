# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Replica set validation and reconfiguration planning for scalable.webstack's MongoDB modules.

Everything here is pure: it works on dicts shaped like MongoDB's replica set config documents, so it
can be tested without a server.
"""

from __future__ import annotations

import copy
import typing as t

DEFAULT_PORT = 27017
MAX_VOTERS = 7
MAX_MEMBERS = 50
# Member fields this module manages; anything else in a member document is kept as it is.
MEMBER_DEFAULTS = {
    "priority": 1.0,
    "votes": 1,
    "hidden": False,
    "arbiterOnly": False,
    "secondaryDelaySecs": 0,
    "tags": {},
}


class InvalidMembers(ValueError):
    """The desired member list is not a valid replica set; nothing was sent."""


def normalize_host(host: str) -> str:
    host = host.strip()
    if host.startswith("["):  # [IPv6]:port
        return host if "]:" in host else "%s:%d" % (host, DEFAULT_PORT)
    return host if ":" in host else "%s:%d" % (host, DEFAULT_PORT)


def normalize_member(member: t.Any) -> dict[str, t.Any]:
    """A member as given to the module (a host string or a dict) -> the fields of a config member."""
    if isinstance(member, str):
        member = {"host": member}
    member = dict(member)
    result = {"host": normalize_host(member.pop("host"))}
    result["arbiterOnly"] = bool(member.pop("arbiter", member.pop("arbiterOnly", False)))
    result["hidden"] = bool(member.pop("hidden", False))
    result["votes"] = int(member.pop("votes", 1))
    delay = member.pop("secondary_delay_secs", member.pop("secondaryDelaySecs", 0))
    result["secondaryDelaySecs"] = int(delay or 0)
    result["tags"] = dict(member.pop("tags", None) or {})
    priority = member.pop("priority", None)
    passive = result["arbiterOnly"] or result["hidden"] or result["votes"] == 0 or result["secondaryDelaySecs"] > 0
    result["priority"] = float(priority) if priority is not None else (0.0 if passive else 1.0)
    if member:
        raise InvalidMembers("member %s has unknown keys: %s" % (result["host"], ", ".join(sorted(member))))
    return result


def validate_members(members: list[dict[str, t.Any]], this_member: str | None) -> None:
    """Refuse a member list MongoDB would refuse, or that could not elect a primary."""
    if not members:
        raise InvalidMembers("members is empty")
    hosts = [member["host"] for member in members]
    duplicates = sorted({host for host in hosts if hosts.count(host) > 1})
    if duplicates:
        raise InvalidMembers("members lists %s more than once" % ", ".join(duplicates))
    if len(members) > MAX_MEMBERS:
        raise InvalidMembers("a replica set has at most %d members, got %d" % (MAX_MEMBERS, len(members)))
    voters = [member for member in members if member["votes"]]
    if len(voters) > MAX_VOTERS:
        raise InvalidMembers("a replica set has at most %d voting members, got %d" % (MAX_VOTERS, len(voters)))
    if len(voters) % 2 == 0:
        raise InvalidMembers(
            "%d voting members: use an odd number (add an arbiter or set votes: 0 on one member) so that a "
            "majority survives a split" % len(voters))
    for member in members:
        if member["votes"] not in (0, 1):
            raise InvalidMembers("member %s: votes must be 0 or 1" % member["host"])
        reasons = [reason for reason, applies in (
            ("hidden", member["hidden"]), ("an arbiter", member["arbiterOnly"]),
            ("non-voting", member["votes"] == 0), ("delayed", member["secondaryDelaySecs"] > 0)) if applies]
        if reasons and member["priority"] != 0:
            raise InvalidMembers("member %s is %s and needs priority 0" % (member["host"], " and ".join(reasons)))
    if not any(member["priority"] > 0 for member in members):
        raise InvalidMembers("no member can become primary: give at least one member a priority above 0")
    if this_member is not None and normalize_host(this_member) not in hosts:
        raise InvalidMembers("this host (%s) is not in members: list it, or set member to how it is listed"
                             % normalize_host(this_member))


def desired_config(name: str, members: list[dict[str, t.Any]], settings: dict[str, t.Any] | None,
                   current: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """The config document for members: members already in current keep their _id, new ones get free ids."""
    current_ids = {member["host"]: member["_id"] for member in (current or {}).get("members", [])}
    used = set(current_ids.values())
    next_id = 0
    config_members = []
    for member in members:
        member_id = current_ids.get(member["host"])
        if member_id is None:
            while next_id in used:
                next_id += 1
            member_id = next_id
            used.add(member_id)
        config_members.append(dict({"_id": member_id}, **member))
    config = {"_id": name, "version": (current or {}).get("version", 0) + 1, "members": config_members}
    if current and current.get("protocolVersion") is not None:
        config["protocolVersion"] = current["protocolVersion"]
    merged_settings = dict((current or {}).get("settings", {}))
    merged_settings.update(settings or {})
    if merged_settings:
        config["settings"] = merged_settings
    return config


def managed_view(config: dict[str, t.Any] | None) -> dict[str, t.Any]:
    """The part of a config this module manages, for comparison and diffs."""
    if not config:
        return {}
    members = []
    for member in config.get("members", []):
        view = {"host": member["host"]}
        for key, default in MEMBER_DEFAULTS.items():
            view[key] = member.get(key, default)
        view["priority"] = float(view["priority"])
        members.append(view)
    return {"_id": config["_id"], "members": sorted(members, key=lambda member: member["host"]),
            "settings": dict(config.get("settings", {}))}


def settings_differ(current: dict[str, t.Any], wanted: dict[str, t.Any] | None) -> bool:
    current_settings = current.get("settings", {})
    return any(current_settings.get(key) != value for key, value in (wanted or {}).items())


def plan_reconfig(current: dict[str, t.Any], target: dict[str, t.Any]) -> list[dict[str, t.Any]]:
    """Configs to apply in order, each changing the votes of at most one member (MongoDB >= 4.4 refuses more).

    First one step with every change that moves no vote (priorities, tags, settings, non-voting members
    added or removed), then one step per member whose vote appears, disappears or changes.
    """
    def votes(config: dict[str, t.Any]) -> dict[str, int]:
        return {member["host"]: member.get("votes", 1) for member in config["members"]}

    current_votes, target_votes = votes(current), votes(target)
    # In the order the members are listed: the target's, then those leaving in the current order.
    ordered_hosts = list(target_votes) + [host for host in current_votes if host not in target_votes]
    vote_changes = [host for host in ordered_hosts if current_votes.get(host, 0) != target_votes.get(host, 0)]
    target_by_host = {member["host"]: member for member in target["members"]}

    def config_with(members: list[dict[str, t.Any]], version: int) -> dict[str, t.Any]:
        config = copy.deepcopy(target)
        config["members"] = members
        config["version"] = version
        return config

    # Step 1: everything but the vote changes. A member whose vote changes keeps its current vote
    # (and, when it is new, waits for its own step; when it is leaving, stays until its step).
    version = current["version"]
    members = []
    for member in current["members"]:
        host = member["host"]
        if host in target_by_host and host not in vote_changes:
            members.append(copy.deepcopy(target_by_host[host]))
        elif host in vote_changes:
            members.append(copy.deepcopy(member))
        # members leaving without a vote are dropped here
    for host, member in target_by_host.items():
        if host not in current_votes and host not in vote_changes:
            members.append(copy.deepcopy(member))

    steps = []
    first = config_with(members, version + 1)
    if managed_view(first) != managed_view(current):
        steps.append(first)
        version += 1

    # Then one vote at a time: additions first, so the set never shrinks below what it had.
    additions = [host for host in vote_changes if target_votes.get(host, 0) > current_votes.get(host, 0)]
    removals = [host for host in vote_changes if host not in additions]
    for host in additions + removals:
        members = [copy.deepcopy(member) for member in members if member["host"] != host]
        if host in target_by_host:
            members.append(copy.deepcopy(target_by_host[host]))
        version += 1
        steps.append(config_with(sorted(members, key=lambda member: member["_id"]), version))
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
