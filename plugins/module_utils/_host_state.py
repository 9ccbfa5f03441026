# Copyright: scalable.webstack contributors
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers of what host_state reads: dpkg-query, systemctl show and /proc/self/status."""

from __future__ import annotations

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
