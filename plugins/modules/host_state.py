#!/usr/bin/python
# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_state
short_description: What the roles need to know about a Debian host, read in one module run
version_added: 0.1.0
description:
  - Reads at once what would otherwise take one task each on every run. That is whether systemd runs the
    host, which packages dpkg has installed, the state of some systemd units, and the capability
    bounding set of processes on the host.
  - C(site.yml)'s preflight runs it once per host; each role then skips its apt task when all of its
    packages are installed, and its "keep the service running and enabled" task when the unit was
    already active and enabled.
  - Reads only; changes nothing.
author:
  - scalable.webstack maintainers (@scalable-webstack)
requirements:
  - dpkg-query and, for O(units) and the system state, systemctl on the host
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
    details: Reads the same in check mode; never changes anything.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
options:
  units:
    description:
      - systemd units to report, with or without the C(.service) suffix.
      - A unit the host does not have is reported with RV(units[].load_state=not-found).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Read the host's packages, units and capabilities once
  scalable.webstack.host_state:
    units: [nginx, haproxy]
  register: host

- name: Install nginx only when it is missing
  ansible.builtin.apt:
    name: nginx
  when: "'nginx' not in host.packages"

- name: Start nginx unless it already runs and starts at boot
  ansible.builtin.systemd_service:
    name: nginx
    state: started
    enabled: true
  when: not (host.units.nginx.active_state == 'active' and host.units.nginx.unit_file_state == 'enabled')
"""

RETURN = r"""
system_state:
  description:
    - What C(systemctl is-system-running) prints (V(running), V(degraded), V(starting) ...).
    - V(offline) when systemd is not the init system; V(unknown) without systemctl.
  returned: always
  type: str
  sample: running
packages:
  description: Names of the packages dpkg has installed (status C(installed)), sorted.
  returned: always
  type: list
  elements: str
  sample: [nginx, python3]
units:
  description: Each unit of O(units), by the name it was given.
  returned: always
  type: dict
  contains:
    load_state:
      description: C(LoadState), V(not-found) for a unit the host does not have.
      type: str
      sample: loaded
    active_state:
      description: C(ActiveState).
      type: str
      sample: active
    unit_file_state:
      description: C(UnitFileState), empty for a unit without a unit file.
      type: str
      sample: enabled
  sample: {nginx: {load_state: loaded, active_state: active, unit_file_state: enabled}}
capability_bounding_set:
  description:
    - The C(CapBnd) line of C(/proc/self/status), as hexadecimal digits.
    - No process on the host, root included, gets a capability outside this set, as in a container
      started without it.
  returned: always
  type: str
  sample: 000001ffffffffff
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._host_state import (
    parse_capability_bounding_set,
    parse_dpkg_packages,
    parse_unit_properties,
)

UNIT_PROPERTIES = ("LoadState", "ActiveState", "UnitFileState")


def read_system_state(module):
    systemctl = module.get_bin_path("systemctl")
    if systemctl is None:
        return "unknown"
    # Exits non-zero for anything but "running", with the state still printed.
    out = module.run_command([systemctl, "is-system-running"])[1]
    return out.strip() or "unknown"


def read_packages(module):
    dpkg_query = module.get_bin_path("dpkg-query", required=True)
    rc, out, err = module.run_command(
        [dpkg_query, "--show", "--showformat=${Package}\\t${db:Status-Status}\\n"])
    if rc != 0:
        module.fail_json(msg="dpkg-query could not list the packages: %s" % err.strip())
    return parse_dpkg_packages(out)


def read_units(module, units):
    if not units:
        return {}
    systemctl = module.get_bin_path("systemctl", required=True)
    names = [unit if "." in unit else unit + ".service" for unit in units]
    rc, out, err = module.run_command(
        [systemctl, "show", "--property=" + ",".join(UNIT_PROPERTIES), "--"] + names)
    if rc != 0:
        module.fail_json(msg="systemctl could not show the units %s: %s" % (", ".join(names), err.strip()))
    try:
        return dict(zip(units, parse_unit_properties(out, len(names))))
    except ValueError as error:
        module.fail_json(msg="could not read the output of systemctl show: %s" % error)


def read_capability_bounding_set(module):
    try:
        with open("/proc/self/status") as status:
            return parse_capability_bounding_set(status.read())
    except (OSError, ValueError) as error:
        module.fail_json(msg="could not read /proc/self/status: %s" % error)


def main():
    module = AnsibleModule(
        argument_spec=dict(units=dict(type="list", elements="str", default=[])),
        supports_check_mode=True,
    )
    module.exit_json(
        changed=False,
        system_state=read_system_state(module),
        packages=read_packages(module),
        units=read_units(module, module.params["units"]),
        capability_bounding_set=read_capability_bounding_set(module),
    )


if __name__ == "__main__":
    main()
