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
  - With O(facts), also the few facts the roles read, under the names C(ansible.builtin.setup) gives
    them, so that the preflight does not run C(setup) as well.
  - C(site.yml)'s preflight runs it once per host; each role then skips its apt task when all of its
    packages are installed, and its "keep the service running and enabled" task when the unit was
    already active and enabled.
  - Reads only; changes nothing. With O(supported_releases) or O(require_systemd), fails on a host the
    roles cannot manage, before anything else reads or changes it.
author:
  - scalable.webstack maintainers (@scalable-webstack)
requirements:
  - dpkg-query and, for O(units) and the system state, systemctl on the host
  - ip (iproute2) for the network facts of O(facts)
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
  facts:
    description:
      - Also return, in RV(facts), what the roles of this collection read. These are the interfaces
        (C(interfaces) and one dict per interface with its C(ipv4), C(ipv4_secondaries) and C(ipv6)),
        C(default_ipv4), C(default_ipv6), C(all_ipv4_addresses), C(all_ipv6_addresses), C(memtotal_mb),
        C(memory_limit_mb) (the smallest cgroup memory limit of the process, as in a container started with one;
        null without), C(memory_mb) (the smaller of the two, what the roles size their caches from),
        C(processor_vcpus), C(processor_nproc), C(distribution), C(distribution_release),
        C(distribution_major_version) and C(os_family), in the shapes of C(ansible.builtin.setup).
      - Not the other facts of C(setup). Without the C(ip) command the network facts are left out, so
        that a role that needs them gathers them itself.
      - They are not put into the host's C(ansible_facts), which would then look gathered while lacking most
        of what C(setup) gives (C(hostname), C(service_mgr) ...); the roles read them from C(webstack_facts)
        (see the C(scalable.webstack.preflight) role).
    type: bool
    default: false
  supported_releases:
    description:
      - Debian releases (codenames, as C(VERSION_CODENAME) in C(/etc/os-release)) the caller supports.
      - When given, the module fails on a host running another release, and says which it runs.
    type: list
    elements: str
  require_systemd:
    description:
      - Fail on a host that a working systemd does not run (C(systemctl is-system-running) says neither
        V(running) nor V(degraded)).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Read the host's packages, units and capabilities once
  scalable.webstack.host_state:
    units: [nginx, haproxy]
    facts: true
  register: host

- name: The same, refusing a host without systemd or on another Debian release than these
  scalable.webstack.host_state:
    units: [nginx]
    supported_releases: [bookworm, trixie]
    require_systemd: true

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
facts:
  description:
    - With O(facts), the facts it describes, named and shaped as C(ansible.builtin.setup) gives them in
      C(ansible_facts).
  returned: when O(facts) is true
  type: dict
  sample: {all_ipv4_addresses: [172.21.0.6], memtotal_mb: 24105, processor_vcpus: 2}
capability_bounding_set:
  description:
    - The C(CapBnd) line of C(/proc/self/status), as hexadecimal digits.
    - No process on the host, root included, gets a capability outside this set, as in a container
      started without it.
  returned: always
  type: str
  sample: 000001ffffffffff
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.scalable.webstack.plugins.module_utils._host_state import (
    all_addresses,
    cgroup_memory_limit,
    count_processors,
    default_route,
    parse_capability_bounding_set,
    parse_dpkg_packages,
    parse_ip_addresses,
    parse_meminfo_total_mb,
    parse_os_release,
    parse_unit_properties,
    refusals,
)

UNIT_PROPERTIES = ("LoadState", "ActiveState", "UnitFileState")
# The routes setup asks for its default_ipv4 / default_ipv6: a lookup in the routing table, no packet.
ROUTE_PROBES = ((4, "8.8.8.8"), (6, "2404:6800:400a:800::1012"))


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


def read_text(module, path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError as error:
        module.fail_json(msg="could not read %s: %s" % (path, error.strerror))


def read_optional(path):
    try:
        with open(path) as handle:
            return handle.read()
    except OSError:
        return None


def read_network_facts(module):
    ip = module.get_bin_path("ip")
    if ip is None:
        return {}
    rc, out, err = module.run_command([ip, "-j", "addr", "show"])
    if rc != 0:
        module.fail_json(msg="ip could not list the addresses: %s" % err.strip())
    names, devices = parse_ip_addresses(out)
    facts = dict(devices, interfaces=names)
    facts["all_ipv4_addresses"], facts["all_ipv6_addresses"] = all_addresses(devices)
    for family, probe in ROUTE_PROBES:
        rc, out, dummy = module.run_command([ip, "-j", "-%d" % family, "route", "get", probe])
        facts["default_ipv%d" % family] = default_route(out if rc == 0 else "", devices, family)
    return facts


def read_facts(module, os_facts):
    facts = read_network_facts(module)
    try:
        facts["memtotal_mb"] = parse_meminfo_total_mb(read_text(module, "/proc/meminfo"))
    except ValueError as error:
        module.fail_json(msg="could not read /proc/meminfo: %s" % error)
    limit = cgroup_memory_limit(read_text(module, "/proc/self/cgroup"), read_optional)
    facts["memory_limit_mb"] = limit // (1024 * 1024) if limit is not None else None
    facts["memory_mb"] = min(facts["memtotal_mb"], facts["memory_limit_mb"] or facts["memtotal_mb"])
    facts["processor_vcpus"] = count_processors(read_text(module, "/proc/cpuinfo"))
    facts["processor_nproc"] = len(os.sched_getaffinity(0))
    facts.update(os_facts)
    return facts


def main():
    module = AnsibleModule(
        argument_spec=dict(units=dict(type="list", elements="str", default=[]),
                           facts=dict(type="bool", default=False),
                           supported_releases=dict(type="list", elements="str"),
                           require_systemd=dict(type="bool", default=False)),
        supports_check_mode=True,
    )
    system_state = read_system_state(module)
    os_facts = parse_os_release(read_text(module, "/etc/os-release"))
    reasons = refusals(system_state, os_facts,
                       module.params["supported_releases"], module.params["require_systemd"])
    if reasons:
        module.fail_json(msg="Refused, nothing was changed: " + " ".join(reasons), system_state=system_state)
    result = dict(
        changed=False,
        system_state=system_state,
        packages=read_packages(module),
        units=read_units(module, module.params["units"]),
        capability_bounding_set=read_capability_bounding_set(module),
    )
    if module.params["facts"]:
        result["facts"] = read_facts(module, os_facts)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
