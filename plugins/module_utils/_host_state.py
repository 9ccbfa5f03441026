# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of what host_state reads: dpkg-query, systemctl show, /proc, ip and /etc/os-release."""

from __future__ import annotations

import ipaddress
import json
import re


def parse_dpkg_packages(output):
    """Sorted names from "package<TAB>status" lines, installed ones only."""
    installed = set()
    for line in output.splitlines():
        name, dummy, status = line.partition("\t")
        if name and status.strip() == "installed":
            installed.add(name)
    return sorted(installed)


def parse_unit_properties(output, count):
    """The blocks of "systemctl show" (one per unit, blank line between), in the order asked for."""
    blocks = re.split(r"\n\s*\n", output.strip()) if output.strip() else []
    if len(blocks) != count:
        raise ValueError("systemctl show printed %d blocks for %d units" % (len(blocks), count))
    units = []
    for block in blocks:
        properties = dict(line.partition("=")[::2] for line in block.splitlines() if "=" in line)
        units.append({
            "load_state": properties.get("LoadState", ""),
            "active_state": properties.get("ActiveState", ""),
            "unit_file_state": properties.get("UnitFileState", ""),
        })
    return units


def parse_capability_bounding_set(status):
    """The hexadecimal CapBnd of a /proc/<pid>/status text."""
    match = re.search(r"^CapBnd:\s*([0-9a-fA-F]+)\s*$", status, re.MULTILINE)
    if match is None:
        raise ValueError("no CapBnd line")
    return match.group(1).lower()


# Values above this are cgroup v1's way of saying "no limit".
CGROUP_UNLIMITED = 1 << 60


def cgroup_memory_limit(cgroup_text, read_file, root="/sys/fs/cgroup"):
    """The smallest memory limit, in bytes, of the cgroups this process is in and their parents (cgroup v2's
    memory.max, or v1's memory.limit_in_bytes), or None when there is none. read_file(path) returns the
    file's text, or None when it cannot be read."""
    candidates = []
    for line in cgroup_text.splitlines():
        hierarchy, dummy, rest = line.partition(":")
        controllers, dummy, path = rest.partition(":")
        if hierarchy == "0" and controllers == "":
            candidates.append((root, path, "memory.max"))
        elif "memory" in controllers.split(","):
            candidates.append((root + "/memory", path, "memory.limit_in_bytes"))
    limits = []
    for base, path, name in candidates:
        parts = [part for part in path.split("/") if part]
        for depth in range(len(parts), -1, -1):
            text = read_file("/".join([base] + parts[:depth] + [name]))
            if text is None or text.strip() in ("", "max"):
                continue
            try:
                value = int(text.strip())
            except ValueError:
                continue
            if 0 < value < CGROUP_UNLIMITED:
                limits.append(value)
    return min(limits) if limits else None


# The facts the roles read, under the names and in the shapes of ansible.builtin.setup.

def _ipv4(address):
    """setup's ipv4 dict of one "inet" entry of ip -j addr."""
    network = ipaddress.ip_interface("%s/%s" % (address["local"], address["prefixlen"])).network
    return {
        "address": address["local"],
        "broadcast": address.get("broadcast", ""),
        "netmask": str(network.netmask),
        "network": str(network.network_address),
        "prefix": str(address["prefixlen"]),
    }


def parse_ip_addresses(output):
    """From "ip -j addr show": the interface names and, by fact name, each interface's facts."""
    names, devices = [], {}
    for link in json.loads(output or "[]"):
        name = link["ifname"]
        flags = link.get("flags", [])
        device = {"device": name, "active": "UP" in flags, "promisc": "PROMISC" in flags,
                  "mtu": link.get("mtu"), "type": link.get("link_type", "unknown")}
        if link.get("link_type") not in (None, "loopback", "none") and link.get("address"):
            device["macaddress"] = link["address"]
        inet = [address for address in link.get("addr_info", []) if address.get("family") == "inet"]
        inet6 = [address for address in link.get("addr_info", []) if address.get("family") == "inet6"]
        if inet:
            device["ipv4"] = _ipv4(inet[0])
        if inet[1:]:
            device["ipv4_secondaries"] = [_ipv4(address) for address in inet[1:]]
        if inet6:
            device["ipv6"] = [{"address": address["local"], "prefix": str(address["prefixlen"]),
                               "scope": address.get("scope", "")} for address in inet6]
        names.append(name)
        devices[name.replace("-", "_").replace(".", "_")] = device
    return names, devices


def all_addresses(devices):
    """setup's all_ipv4_addresses (loopback left out) and all_ipv6_addresses (::1 left out)."""
    ipv4, ipv6 = [], []
    for device in devices.values():
        for address in [device.get("ipv4")] + device.get("ipv4_secondaries", []):
            if address and not address["address"].startswith("127."):
                ipv4.append(address["address"])
        ipv6.extend(address["address"] for address in device.get("ipv6", []) if address["address"] != "::1")
    return ipv4, ipv6


def default_route(output, devices, family):
    """setup's default_ipv4 / default_ipv6 from "ip -j route get <public address>": the source address,
    interface and gateway, with the interface's settings when the address is its own; {} without a
    route."""
    routes = json.loads(output or "[]")
    if not routes or "dev" not in routes[0]:
        return {}
    route = routes[0]
    default = {"interface": route["dev"], "address": route.get("prefsrc", "")}
    if "gateway" in route:
        default["gateway"] = route["gateway"]
    device = devices.get(route["dev"].replace("-", "_").replace(".", "_"), {})
    if family == 4:
        own = [address for address in [device.get("ipv4")] + device.get("ipv4_secondaries", [])
               if address and address["address"] == default["address"]]
        if own:
            default.update(own[0])
    else:
        own = [address for address in device.get("ipv6", []) if address["address"] == default["address"]]
        if own:
            default.update(own[0])
    for key in ("macaddress", "mtu", "type"):
        if key in device:
            default[key] = device[key]
    default["alias"] = route["dev"]
    return default


def parse_meminfo_total_mb(meminfo):
    match = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    if match is None:
        raise ValueError("no MemTotal line")
    return int(match.group(1)) // 1024


def count_processors(cpuinfo):
    """setup's processor_vcpus on Linux: the processors /proc/cpuinfo lists."""
    return len(re.findall(r"^processor\s*:", cpuinfo, re.MULTILINE)) or 1


def parse_os_release(text):
    """The distribution facts setup gives from /etc/os-release."""
    fields = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep:
            fields[key.strip()] = value.strip().strip('"\'')
    version = fields.get("VERSION_ID", "")
    family = "Debian" if "debian" in (fields.get("ID", "") + " " + fields.get("ID_LIKE", "")).split() else ""
    return {
        "distribution": fields.get("NAME", "").split(" ")[0] or fields.get("ID", "").capitalize(),
        "distribution_release": fields.get("VERSION_CODENAME", ""),
        "distribution_major_version": version.split(".")[0],
        "os_family": family,
    }


def refusals(system_state, os_facts, supported_releases=None, require_systemd=False):
    """Why the roles cannot manage this host: each reason a sentence, none when they can."""
    reasons = []
    if require_systemd and system_state not in ("running", "degraded"):
        reasons.append("This host is not run by a working systemd (systemctl is-system-running says %s); the roles"
                       " manage their services through it." % system_state)
    if supported_releases is not None and os_facts["distribution_release"] not in supported_releases:
        reasons.append("This host runs %s %s (%s), a release the roles have no vars for (supported: %s)."
                       % (os_facts["distribution"], os_facts["distribution_major_version"],
                          os_facts["distribution_release"] or "no codename", ", ".join(supported_releases)))
    return reasons
