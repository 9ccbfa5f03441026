# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""haproxy_sections and haproxy_problems: the haproxy role's sections with their defaults, and what is wrong
with them, computed in Python once per call (the Jinja they replace cost about half a second per host)."""

from __future__ import annotations

import collections
import re

from ansible.errors import AnsibleFilterError

from ansible_collections.scalable.webstack.plugins.filter.listen import listen_problems

SECTION_DEFAULTS = {
    "mode": "http", "binds": [], "acls": [], "use_backends": [], "default_backend": None, "pool_checks": [],
    "balance": "roundrobin", "http_check": None, "mysql_check_user": None, "retries": None, "cookie": None,
    "timeouts": {}, "servers": [], "extra_lines": [],
}
HTTP_CHECK_DEFAULTS = {"method": "GET", "path": "/", "expect_status": 200, "host": None}
SERVER_DEFAULTS = {"check": True, "inter": None, "rise": None, "fall": None, "weight": None, "backup": False,
                   "extra": ""}
POOL_CHECK_PATH = re.compile(r'^/[^\s"]*$')


def _mapping_list(value, name):
    if not isinstance(value, (list, tuple)) or not all(isinstance(item, dict) for item in value):
        raise AnsibleFilterError("haproxy_sections: %s must be a list of dicts, not %r" % (name, value))
    return value


def haproxy_sections(frontends, backends, listens, retry_on=None):
    """Every frontend, backend and listen section, in that order, with every optional key filled in and its
    kind added, so the template and the checks need no defaults."""
    sections = []
    for kind, given in (("frontend", frontends), ("backend", backends), ("listen", listens)):
        for section in _mapping_list(given, "haproxy_%ss" % kind):
            merged = dict(SECTION_DEFAULTS, retry_on=retry_on)
            merged.update(section)
            merged["kind"] = kind
            merged["servers"] = [dict(SERVER_DEFAULTS, **server) for server in _mapping_list(
                merged["servers"] or [], "the servers of %s %s" % (kind, section.get("name")))]
            if merged["http_check"] is not None:
                merged["http_check"] = dict(HTTP_CHECK_DEFAULTS, **merged["http_check"])
            sections.append(merged)
    return sections


def _repeated(names):
    return [name for name, count in collections.Counter(names).items() if count > 1]


def haproxy_problems(sections, stats_section=None, stats_bind=None):
    """One sentence per problem of haproxy_sections' output: names shared, a pool with no server, servers
    sharing a name, a frontend binding nothing or naming a backend nobody defines, pool checks outside mode
    http or with a path haproxy cannot take, two sections (or the stats page, when stats_section is given)
    on one address."""
    backend_names = [section["name"] for section in sections if section["kind"] != "frontend"]
    problems = []
    duplicates = _repeated([section["name"] for section in sections] + ([stats_section] if stats_section else []))
    if duplicates:
        problems.append("haproxy_frontends, haproxy_backends and haproxy_listens%s share the names %s." % (
            ' (with the stats page, "%s")' % stats_section if stats_section else "", ", ".join(duplicates)))
    listens = []
    for section in sections:
        label = "%s %s" % (section["kind"], section["name"])
        if section["kind"] != "frontend":
            if not section["servers"]:
                problems.append(label + " has no servers: every request to it would fail (an empty tier in the"
                                        " inventory?).")
            servers = _repeated([server["name"] for server in section["servers"]])
            if servers:
                problems.append("%s has servers sharing the names %s." % (label, ", ".join(servers)))
        if section["kind"] == "backend":
            continue
        if not section["binds"]:
            problems.append(label + " binds no address.")
        listens.extend([label, bind] for bind in section["binds"])
        if section["pool_checks"] and section["mode"] != "http":
            problems.append(label + " has pool_checks, which need mode http.")
        problems.extend("%s: pool check path %s must start with / and hold no spaces or quotes." % (label, check["path"])
                        for check in section["pool_checks"] if not POOL_CHECK_PATH.match(str(check["path"])))
        named = ([use["backend"] for use in section["use_backends"]]
                 + [check["backend"] for check in section["pool_checks"]]
                 + ([section["default_backend"]] if section["default_backend"] else []))
        unknown = [name for name in named if name not in backend_names]
        if unknown:
            problems.append("%s names backends that are in neither haproxy_backends nor haproxy_listens: %s"
                            " (defined: %s)." % (label, ", ".join(unknown), ", ".join(backend_names) or "none"))
    if stats_section:
        listens.append(["the stats page", stats_bind])
    problems.extend(problem + "." for problem in listen_problems(listens))
    return problems


class FilterModule:
    def filters(self):
        return dict(haproxy_sections=haproxy_sections, haproxy_problems=haproxy_problems)
