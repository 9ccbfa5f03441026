from __future__ import annotations

import pytest

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


# ip -j addr show on a host with a loopback, an ethernet device with a secondary address and IPv6,
# and a bridge named with a dash and a dot.
IP_ADDR = """[
 {"ifindex":1,"ifname":"lo","flags":["LOOPBACK","UP","LOWER_UP"],"mtu":65536,"link_type":"loopback",
  "address":"00:00:00:00:00:00","addr_info":[
   {"family":"inet","local":"127.0.0.1","prefixlen":8,"scope":"host","label":"lo"},
   {"family":"inet6","local":"::1","prefixlen":128,"scope":"host"}]},
 {"ifindex":2,"ifname":"eth0","flags":["BROADCAST","MULTICAST","UP","LOWER_UP"],"mtu":1500,"link_type":"ether",
  "address":"02:42:ac:15:00:06","addr_info":[
   {"family":"inet","local":"172.21.0.6","prefixlen":16,"broadcast":"172.21.255.255","scope":"global"},
   {"family":"inet","local":"10.0.0.5","prefixlen":24,"broadcast":"10.0.0.255","scope":"global"},
   {"family":"inet6","local":"fe80::42:acff:fe15:6","prefixlen":64,"scope":"link"}]},
 {"ifindex":3,"ifname":"br-app.1","flags":["BROADCAST","MULTICAST"],"mtu":1500,"link_type":"ether",
  "address":"02:42:00:00:00:01","addr_info":[]}
]"""


def test_interfaces_have_the_names_and_shapes_setup_gives_them():
    names, devices = parse_ip_addresses(IP_ADDR)
    assert names == ["lo", "eth0", "br-app.1"]
    assert sorted(devices) == ["br_app_1", "eth0", "lo"]
    assert devices["eth0"]["ipv4"] == {"address": "172.21.0.6", "broadcast": "172.21.255.255",
                                       "netmask": "255.255.0.0", "network": "172.21.0.0", "prefix": "16"}
    assert devices["eth0"]["ipv4_secondaries"][0]["network"] == "10.0.0.0"
    assert devices["eth0"]["ipv6"] == [{"address": "fe80::42:acff:fe15:6", "prefix": "64", "scope": "link"}]
    assert devices["eth0"]["macaddress"] == "02:42:ac:15:00:06" and devices["eth0"]["active"] is True
    assert devices["lo"]["ipv4"]["broadcast"] == "" and "macaddress" not in devices["lo"]
    assert devices["br_app_1"]["active"] is False and "ipv4" not in devices["br_app_1"]


def test_all_addresses_leave_out_loopback_and_keep_secondaries():
    dummy, devices = parse_ip_addresses(IP_ADDR)
    assert all_addresses(devices) == (["172.21.0.6", "10.0.0.5"], ["fe80::42:acff:fe15:6"])


def test_the_default_route_takes_the_settings_of_its_address():
    dummy, devices = parse_ip_addresses(IP_ADDR)
    route = '[{"dst":"8.8.8.8","gateway":"172.21.0.1","dev":"eth0","prefsrc":"172.21.0.6","flags":[],"uid":0}]'
    assert default_route(route, devices, 4) == {
        "address": "172.21.0.6", "alias": "eth0", "broadcast": "172.21.255.255", "gateway": "172.21.0.1",
        "interface": "eth0", "macaddress": "02:42:ac:15:00:06", "mtu": 1500, "netmask": "255.255.0.0",
        "network": "172.21.0.0", "prefix": "16", "type": "ether"}
    assert default_route("", devices, 6) == {}


def test_memory_processors_and_distribution():
    assert parse_meminfo_total_mb("MemTotal:       24683120 kB\nMemFree: 1 kB\n") == 24104
    with pytest.raises(ValueError):
        parse_meminfo_total_mb("MemFree: 1 kB\n")
    assert count_processors("processor\t: 0\nmodel name\t: x\n\nprocessor\t: 1\n") == 2
    os_release = 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n' \
                 'VERSION_CODENAME=bookworm\nID=debian\n'
    assert parse_os_release(os_release) == {
        "distribution": "Debian", "distribution_release": "bookworm", "distribution_major_version": "12",
        "os_family": "Debian"}


BOOKWORM = {"distribution": "Debian", "distribution_release": "bookworm", "distribution_major_version": "12",
            "os_family": "Debian"}


@pytest.mark.parametrize("state", ["running", "degraded"])
def test_a_host_systemd_runs_on_a_supported_release_is_not_refused(state):
    assert refusals(state, BOOKWORM, ["bookworm", "trixie"], require_systemd=True) == []


def test_a_release_outside_the_supported_ones_is_refused_with_what_the_host_runs():
    reasons = refusals("running", BOOKWORM, ["trixie"], require_systemd=True)
    assert reasons == ["This host runs Debian 12 (bookworm), a release the roles have no vars for (supported: trixie)."]
    assert refusals("running", BOOKWORM, None) == []


@pytest.mark.parametrize("state", ["offline", "starting", "unknown"])
def test_a_host_without_a_working_systemd_is_refused_only_when_asked(state):
    reasons = refusals(state, dict(BOOKWORM, distribution_release="sid"), ["bookworm"], require_systemd=True)
    assert len(reasons) == 2 and "(systemctl is-system-running says %s)" % state in reasons[0]
    assert refusals(state, BOOKWORM, ["bookworm"]) == []


def test_the_smallest_cgroup_memory_limit_is_found_in_v2_and_v1_hierarchies():
    files = {
        "/sys/fs/cgroup/system.slice/docker-1.scope/memory.max": "2147483648\n",
        "/sys/fs/cgroup/system.slice/memory.max": "max\n",
        "/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes": "1073741824\n",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n",
    }
    assert cgroup_memory_limit("0::/system.slice/docker-1.scope\n", files.get) == 2147483648
    assert cgroup_memory_limit("4:memory:/docker/abc\n0::/\n", files.get) == 1073741824
    assert cgroup_memory_limit("0::/\n4:memory:/\n", files.get) is None
