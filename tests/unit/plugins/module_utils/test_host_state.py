from __future__ import annotations

import pytest

from ansible_collections.scalable.webstack.plugins.module_utils._host_state import (
    parse_capability_bounding_set,
    parse_dpkg_packages,
    parse_unit_properties,
)

# systemctl show --property=LoadState,ActiveState,UnitFileState nginx.service nothere.service firehol.service
SYSTEMCTL_SHOW = """LoadState=loaded
ActiveState=active
UnitFileState=enabled

LoadState=not-found
ActiveState=inactive
UnitFileState=

UnitFileState=disabled
ActiveState=failed
LoadState=loaded
"""


def test_only_installed_packages_are_listed_once_and_sorted():
    output = ("nginx\tinstalled\nlibc6\tinstalled\nlibc6\tinstalled\nold-tool\tconfig-files\n"
              "half\thalf-installed\n\n")
    assert parse_dpkg_packages(output) == ["libc6", "nginx"]


def test_each_unit_block_is_read_in_the_order_asked_whatever_the_order_of_properties():
    assert parse_unit_properties(SYSTEMCTL_SHOW, 3) == [
        {"load_state": "loaded", "active_state": "active", "unit_file_state": "enabled"},
        {"load_state": "not-found", "active_state": "inactive", "unit_file_state": ""},
        {"load_state": "loaded", "active_state": "failed", "unit_file_state": "disabled"},
    ]


@pytest.mark.parametrize("output", ["", "LoadState=loaded\nActiveState=active\n"])
def test_a_block_count_that_does_not_match_the_units_is_an_error(output):
    with pytest.raises(ValueError, match="blocks for 2 units"):
        parse_unit_properties(output, 2)


def test_the_bounding_set_comes_from_the_capbnd_line():
    status = "Name:\tpython3\nCapInh:\t0000000000000000\nCapBnd:\t00000000A82435FB\nCapAmb:\t0\n"
    assert parse_capability_bounding_set(status) == "00000000a82435fb"
    with pytest.raises(ValueError):
        parse_capability_bounding_set("Name:\tpython3\n")
