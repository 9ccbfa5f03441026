"""The harness itself: systemd boots, containers reach each other by name, apt works."""

import pytest

testinfra_hosts = ["ansible://harness"]

PEERS = {"harness-web": "harness-client", "harness-client": "harness-web"}


def test_systemd_is_pid_1_and_booted(host):
    assert host.check_output("cat /proc/1/comm") == "systemd"
    state = host.run("systemctl is-system-running").stdout.strip()
    assert state == "running", host.run("systemctl --failed --no-legend").stdout


def test_package_installed_with_apt(host):
    nginx = host.package("nginx-light")
    assert nginx.is_installed
    assert host.service("nginx").is_running


def test_peer_resolves_by_name(host):
    peer = PEERS[host.backend.get_hostname()]
    assert host.addr(peer).is_resolvable


@pytest.mark.parametrize("target", sorted(PEERS))
def test_page_served_across_the_network(host, target):
    page = host.check_output(f"curl -fsS --max-time 5 http://{target}/")
    assert page == f"harness page from {target}"
