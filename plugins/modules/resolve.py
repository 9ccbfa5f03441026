#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: resolve
short_description: The addresses of many host names as the host sees them, in one module run
version_added: 0.1.0
description:
  - Looks up each name of O(names) on the host the task runs on, through the system resolver
    (C(getaddrinfo), so C(/etc/hosts), DNS and the rest of C(nsswitch.conf), like C(getent ahosts)).
  - One module run for all the names, where M(ansible.builtin.getent) takes one per name.
  - Reads only; changes nothing.
author:
  - scalable.webstack maintainers (@scalable-webstack)
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Resolves the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
options:
  names:
    description: Host names or addresses to look up. An address resolves to itself.
    type: list
    elements: str
    required: true
  fail_on_unresolved:
    description: Fail, naming them, when some names have no address. Otherwise they are in RV(unresolved).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Resolve the peers and the clients as this database server sees them
  scalable.webstack.resolve:
    names: "{{ groups['mariadb'] + groups['appservers'] }}"
  register: resolved

- name: Allow each client address
  ansible.builtin.debug:
    msg: "{{ resolved.addresses['app1.example.org'] }}"
"""

RETURN = r"""
addresses:
  description: Each resolved name with its addresses, IPv4 and IPv6, in the resolver's order, each once.
  returned: always
  type: dict
  sample: {db2.example.org: [192.0.2.12, "2001:db8::12"]}
unresolved:
  description: The names without any address, in the order given.
  returned: always
  type: list
  elements: str
  sample: []
"""

import socket

from ansible.module_utils.basic import AnsibleModule


def addresses_of(name):
    try:
        answers = socket.getaddrinfo(name, None, socket.AF_UNSPEC, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    addresses = []
    for answer in answers:
        address = answer[4][0]
        if address not in addresses:
            addresses.append(address)
    return addresses


def main():
    module = AnsibleModule(
        argument_spec=dict(
            names=dict(type="list", elements="str", required=True),
            fail_on_unresolved=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    addresses, unresolved = {}, []
    for name in module.params["names"]:
        found = addresses_of(name)
        if found:
            addresses[name] = found
        elif name not in unresolved:
            unresolved.append(name)
    if unresolved and module.params["fail_on_unresolved"]:
        module.fail_json(msg="no address for %s on this host" % ", ".join(unresolved),
                         addresses=addresses, unresolved=unresolved)
    module.exit_json(changed=False, addresses=addresses, unresolved=unresolved)


if __name__ == "__main__":
    main()
