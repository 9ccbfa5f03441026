#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: firewall_export
short_description: Leave on the host the firewall rules a service role needs, for scalable.webstack.firehol
version_added: 0.3.0
description:
  - Checks the rules against the inventory on the controller (a source that is neither an inventory group nor
    a host, an unknown service, a bad port are refused before anything is written), then writes them to
    C(/etc/scalable-webstack/firewall.d/<role>.json) with M(scalable.webstack.config_files), in one run.
  - The role M(scalable.webstack.firehol) reads every file there at each run and opens what they ask for,
    whatever way the service role got its variables. To build the firewall again at once where it already
    runs, include the firehol role's C(reapply) tasks when this task changed (as in the example), or use that
    role's C(export) entry point, which does both.
  - Decides C(changed) by itself; an unchanged export costs one module run.
author:
  - scalable.webstack maintainers (@scalable-webstack)
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the options can be executed on the controller.
    support: full
    details: The rules are checked against the inventory on the controller.
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
options:
  role:
    description: The role the rules are for (letters, digits, underscores); names the file, so its rules replace the previous ones.
    type: str
    required: true
  rules:
    description:
      - The rules, in the form of the firehol role's C(firehol_rules) - C(name), C(service) (a firehol service or
        C(tcp/PORT), C(udp/PORT), C(tcp/FROM:TO)), C(sources) (inventory groups and hosts), C(networks), C(action),
        C(interfaces).
      - An empty list leaves an empty export, which closes what the role opened before.
    type: list
    elements: dict
    required: true
seealso:
  - module: scalable.webstack.config_files
"""

EXAMPLES = r"""
- name: Leave the firewall rules of my service where firehol reads them
  scalable.webstack.firewall_export:
    role: my_service
    rules:
      - name: my service
        service: tcp/9000
        sources: [frontends]
  register: my_service_firewall_export

- name: Build the firewall again with them where scalable.webstack.firehol manages it
  ansible.builtin.include_role:
    name: scalable.webstack.firehol
    tasks_from: reapply
  when: my_service_firewall_export is changed
"""

RETURN = r"""
changed_paths:
  description: The paths that changed (the export file, the directories when they were created).
  returned: always
  type: list
  elements: str
  sample: [/etc/scalable-webstack/firewall.d/my_service.json]
results:
  description: One entry per path, as M(scalable.webstack.config_files) returns them.
  returned: always
  type: list
  elements: dict
"""
