#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: firehol_plan
short_description: Read a host, check its firewall rules and build the statements of firehol.conf, in one task
version_added: 0.1.0
description:
  - What the role scalable.webstack.firehol needs from the host it firewalls, and its checks before anything
    changes, in one task.
  - Reads in one command, as the login user and never through become (sudo drops the variable, even where the
    inventory sets C(ansible_become)), C(SSH_CONNECTION) of the login session and the rules the service roles
    left in O(exports_dir), one JSON file per role with its name (C(role)) and its rules (C(rules)).
  - Checks every rule of O(layers) and the exported ones with the filter P(scalable.webstack.firehol_check#filter);
    fails, naming what is wrong, when a rule is wrong.
  - Looks up on the host, with M(scalable.webstack.resolve), the hosts the rules name that have neither facts of
    this run nor an address as C(ansible_host); runs no module when there are none.
  - Builds the statements of C(firehol.conf) with the filter P(scalable.webstack.firehol_statements#filter) and
    fails when a host the rules name has no address, or when the rules would lock the operator out (no SSH
    path, the connection on another port than O(ssh_port), the controller's address unknown over SSH, or the
    connection's interface outside every interface block).
  - Whether the connection is a container's (docker, podman, LXC, LXD, Incus) or SSH is taken from
    C(ansible_connection); the inventory's groups and hostvars come from the play.
  - Never changes anything and never reports a change.
  - An action plugin, run on the controller.
author:
  - scalable.webstack maintainers (@scalable-webstack)
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
  async:
    description: Supports being used with the C(async) keyword.
    support: none
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reads and checks the same in check mode.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
options:
  layers:
    description:
      - The rule layers of the role, as the filter P(scalable.webstack.firehol_check#filter) reads them
        (C(rules), C(group_rules), C(host_rules), C(dependent_rules), C(client_rules), C(routers),
        C(interfaces), C(admin_networks), C(protection_limit), C(custom_services), C(excluded_hosts),
        C(group_names)), without C(exported_rules), which this reads from the host.
    type: dict
    required: true
  exports_dir:
    description: The directory on the host where the service roles leave their rules.
    type: str
    default: /etc/scalable-webstack/firewall.d
  ssh_port:
    description: The port sshd listens on.
    type: raw
    default: 22
  ssh_from_controller:
    description: Whether SSH opens to the Ansible controller's address, as the host sees it.
    type: raw
    default: true
  admin_networks:
    description: Networks SSH always opens to.
    type: list
    elements: raw
    default: []
  facts:
    description:
      - The host's facts (C(webstack_facts) of scalable.webstack.preflight), for the interface the connection
        arrives on and, in a container, the default gateway.
    type: dict
    default: {}
seealso:
  - module: scalable.webstack.resolve
"""

EXAMPLES = r"""
- name: Read the host, check the rules, those the service roles left included, and the SSH path they leave
  scalable.webstack.firehol_plan:
    layers:
      rules: [{name: web, service: https}]
      interfaces: [{name: lan, device: eth0}]
      group_names: "{{ group_names }}"
    ssh_port: 22
    admin_networks: [192.0.2.0/24]
    facts: "{{ webstack_facts }}"
  register: plan

- name: Show the SSH paths the rules leave open
  ansible.builtin.debug:
    msg: "{{ plan.statements.ssh_paths }}"
"""

RETURN = r"""
exports:
  description: The rules the service roles left on the host, by role.
  returned: always
  type: dict
  sample: {nginx: [{name: http, service: http}]}
checked:
  description:
    - What P(scalable.webstack.firehol_check#filter) returned for every layer, the exported rules included - each
      rule with its defaults and origin, the interfaces, the routers, the hosts the rules name, the addresses the
      inventory gives, the hosts to look up, and the errors.
  returned: always
  type: dict
  sample: {server: [], client: [], routers: [], interfaces: [{name: lan, device: eth0, policy: drop}], errors: []}
statements:
  description:
    - What P(scalable.webstack.firehol_statements#filter) returned - the server, client and router statements of
      firehol.conf, the SSH paths they leave, the hosts without an address, where each address was found, and
      the connection as the host sees it.
  returned: when the rules passed the checks
  type: dict
  sample: {server: [], client: [], routers: [], ssh_paths: [ssh], unresolved: [], resolved: {}, connection: {}}
"""
