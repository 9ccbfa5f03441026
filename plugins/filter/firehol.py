# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of scalable.webstack.firehol: the role's rules checked, then turned into firehol.conf's statements;
and where a service role leaves its rules for it."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.scalable.webstack.plugins.plugin_utils import _firewall_exports


def _rules():
    """plugin_utils/_firehol, imported when a filter of this file runs: Ansible imports every filter file of the
    collection in every task's worker to find any one filter, and _firehol is slow to import."""
    # pylint: disable-next=import-outside-toplevel
    from ansible_collections.scalable.webstack.plugins.plugin_utils import _firehol

    return _firehol


def firehol_check(layers, groups, hostvars=None):
    _firehol = _rules()
    if not isinstance(layers, dict) or not isinstance(groups, dict):
        raise AnsibleFilterError("firehol_check takes the dict of the role's rule layers and the inventory's groups")
    checked = _firehol.check(layers, {name: list(hosts) for name, hosts in groups.items()})
    checked["addresses"] = _firehol.addresses_from_inventory(checked["hosts"], hostvars) if hostvars is not None else {}
    checked["to_look_up"] = [host for host in checked["hosts"] if host not in checked["addresses"]]
    return checked


def firehol_statements(checked, looked_up, ssh):
    _firehol = _rules()
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


def firewall_export_entries(rules, role):
    if not isinstance(rules, list) or not _firewall_exports.ROLE_NAME.match(str(role)):
        raise AnsibleFilterError("firewall_export_entries takes a list of rules and a role name of letters, digits"
                                 " and underscores")
    return _firewall_exports.export_entries(role, rules)


def firewall_export_path(role):
    if not _firewall_exports.ROLE_NAME.match(str(role)):
        raise AnsibleFilterError("firewall_export_path takes a role name of letters, digits and underscores")
    return _firewall_exports.export_path(role)


class FilterModule:
    def filters(self):
        return dict(firehol_check=firehol_check, firehol_statements=firehol_statements,
                    firewall_export_entries=firewall_export_entries, firewall_export_path=firewall_export_path)
