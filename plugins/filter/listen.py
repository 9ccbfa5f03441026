# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""listen_problems: what is wrong with a set of listen addresses, before any service tries to bind them."""

from __future__ import annotations

import re

from ansible.errors import AnsibleFilterError

WILDCARDS = ("", "*", "0.0.0.0", "::", "[::]")
ADDRESS = re.compile(r"^(?P<host>\[[^\]]*\]|[^:\s]*|[0-9A-Fa-f:]+(?=:[0-9]+$)):(?P<port>[^:\s]+)$")


def parse(address: str) -> tuple[str, int] | str:
    """(host, port) with the wildcard spelled '*', or what is wrong."""
    first = str(address).split()[0] if str(address).split() else ""
    match = ADDRESS.match(first)
    if not match:
        return "is not host:port"
    host, port = match.group("host"), match.group("port")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        return "has port %s, not 1-65535" % port
    host = "*" if host in WILDCARDS else host.strip("[]")
    if host != "*":
        # Imported here: Ansible imports every filter file of the collection in every task's worker to find any
        # one filter, and ipaddress is slow to import.
        import ipaddress  # pylint: disable=import-outside-toplevel

        try:
            host = str(ipaddress.ip_address(host))
        except ValueError:
            if not re.match(r"^[A-Za-z0-9.-]+$", host):
                return "has host %r, not an address or name" % host
    return host, int(port)


def listen_problems(items):
    """items: [owner, address] pairs. Unix sockets (a path) are skipped. Two owners collide on the same port when
    their hosts are equal or one of them is the wildcard (':8080', '*:8080' and '0.0.0.0:8080' are one address)."""
    if not isinstance(items, (list, tuple)):
        raise AnsibleFilterError("listen_problems takes a list of [owner, address] pairs")
    problems, parsed = [], []
    for owner, address in items:
        if str(address).startswith(("/", "unix@", "abns@", "fd@", "sockpair@")):
            continue
        found = parse(address)
        if isinstance(found, str):
            problems.append("%s listens on %r, which %s" % (owner, address, found))
        else:
            parsed.append((owner, address, found))
    for index, (owner, address, (host, port)) in enumerate(parsed):
        for other_owner, other_address, (other_host, other_port) in parsed[:index]:
            if port == other_port and (host == other_host or "*" in (host, other_host)) and owner != other_owner:
                problems.append("%s (%s) and %s (%s) listen on the same port %d" % (
                    other_owner, other_address, owner, address, port))
    return problems


class FilterModule:
    def filters(self):
        return dict(listen_problems=listen_problems)
