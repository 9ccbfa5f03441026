# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of scalable.webstack.firehol: the role's rules checked, then turned into firehol.conf's statements."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.scalable.webstack.plugins.plugin_utils import _firehol


def firehol_check(layers, groups, hostvars=None):
    if not isinstance(layers, dict) or not isinstance(groups, dict):
        raise AnsibleFilterError("firehol_check takes the dict of the role's rule layers and the inventory's groups")
    checked = _firehol.check(layers, {name: list(hosts) for name, hosts in groups.items()})
    checked["addresses"] = _firehol.addresses_from_inventory(checked["hosts"], hostvars) if hostvars is not None else {}
    checked["to_look_up"] = [host for host in checked["hosts"] if host not in checked["addresses"]]
    return checked


def firehol_statements(checked, looked_up, ssh):
    if not isinstance(checked, dict) or "server" not in checked:
        raise AnsibleFilterError("firehol_statements takes what firehol_check returned")
    resolved = dict(checked.get("addresses") or {})
    for host, addresses in (looked_up or {}).items():
        resolved[host] = dict(addresses=[address for address in addresses if not _firehol.LINK_LOCAL.match(address)],
                              found_by="DNS")
    ssh = dict(ssh)
    ssh["connection"] = _firehol.connection(ssh.get("ssh_connection") or "", ssh.get("facts") or {},
                                            bool(ssh.get("container")), checked["interfaces"])
    result = _firehol.statements(checked, resolved, ssh)
    result["connection"] = ssh["connection"]
    return result


class FilterModule:
    def filters(self):
        return dict(firehol_check=firehol_check, firehol_statements=firehol_statements)
