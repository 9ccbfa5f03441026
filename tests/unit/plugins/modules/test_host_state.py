"""host_state on this machine itself: real dpkg-query, systemctl and /proc."""

from __future__ import annotations

import os
import re
import shutil
import subprocess

import pytest

from ansible_collections.scalable.webstack.plugins.modules import host_state as module

from .module_runner import run_module


def run_main(capsys, **args):
    return run_module(module, capsys, **args)


@pytest.mark.skipif(shutil.which("dpkg-query") is None, reason="needs a Debian host")
def test_reads_the_packages_dpkg_lists_and_the_bounding_set_of_this_process(capsys):
    code, result = run_main(capsys)
    assert code == 0 and result["changed"] is False
    listed = subprocess.run(["dpkg-query", "--show", "--showformat=${Package} ${db:Status-Status}\\n"],
                            capture_output=True, text=True, check=True).stdout
    installed = sorted({line.split()[0] for line in listed.splitlines() if line.endswith(" installed")})
    assert result["packages"] == installed and "dpkg" in installed
    with open("/proc/self/status") as status:
        expected = re.search(r"^CapBnd:\s*(\w+)", status.read(), re.MULTILINE).group(1)
    assert result["capability_bounding_set"] == expected
    assert result["units"] == {}
    assert result["system_state"]


@pytest.mark.skipif(shutil.which("systemctl") is None, reason="needs systemctl")
def test_units_are_read_from_systemd_or_the_module_says_why_not(capsys):
    code, result = run_main(capsys, units=["ssh", "no-such-unit"])
    if subprocess.run(["systemctl", "is-system-running"], capture_output=True, check=False).stdout.strip() == b"offline":
        assert code == 1 and "systemctl could not show the units" in result["msg"]
    else:
        assert code == 0
        assert result["units"]["no-such-unit"]["load_state"] == "not-found"
        assert set(result["units"]) == {"ssh", "no-such-unit"}


@pytest.mark.skipif(shutil.which("ip") is None, reason="needs iproute2")
def test_facts_match_this_machine(capsys):
    code, result = run_main(capsys, facts=True)
    assert code == 0
    # Not injected into the host's ansible_facts, which would look gathered while lacking most of setup's.
    assert "ansible_facts" not in result
    facts = result["facts"]
    listed = subprocess.run(["ip", "-o", "link", "show"], capture_output=True, text=True, check=True).stdout
    assert facts["interfaces"] == [line.split(": ")[1].split("@")[0] for line in listed.splitlines()]
    assert "lo" in facts and facts["lo"]["ipv4"]["address"] == "127.0.0.1"
    with open("/proc/meminfo") as meminfo:
        assert facts["memtotal_mb"] == int(meminfo.readline().split()[1]) // 1024
    assert facts["processor_nproc"] == len(os.sched_getaffinity(0))
    with open("/etc/os-release") as os_release:
        assert facts["distribution_release"] and "=" + facts["distribution_release"] in os_release.read()
    assert "facts" not in run_main(capsys)[1]


@pytest.mark.skipif(not os.path.exists("/etc/os-release"), reason="needs /etc/os-release")
def test_a_release_the_caller_does_not_support_is_refused_before_anything_is_read(capsys):
    with open("/etc/os-release") as os_release:
        release = re.search(r"^VERSION_CODENAME=(\S+)", os_release.read(), re.MULTILINE).group(1)
    code, result = run_main(capsys, supported_releases=["no-such-release"])
    assert code == 1 and "packages" not in result
    assert result["msg"].startswith("Refused, nothing was changed: This host runs ")
    assert "(%s), a release the roles have no vars for (supported: no-such-release)" % release in result["msg"]
    assert run_main(capsys, supported_releases=[release])[0] == 0
