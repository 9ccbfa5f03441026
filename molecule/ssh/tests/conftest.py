"""Helpers for the SSH scenario's tests, all run from the controller (this machine): SSH logins with the
run's key, TCP knocks from the probe containers, playbooks run over SSH with the inventory Molecule
wrote, HTTPS requests to stage-web1, and reads of a host's state through docker (never through the
firewall under test)."""

import http.client
import os
import ssl
import subprocess
import uuid

import pytest

PROJECT = os.environ.get("MOLECULE_PROJECT_DIRECTORY",
                         os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__)))))
EPHEMERAL = os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]
KEY = os.path.join(EPHEMERAL, "ssh", "id_ed25519")
KNOWN_HOSTS = os.path.join(EPHEMERAL, "ssh", "known_hosts")
# molecule.yml gives the containers these addresses; host_vars/ gives them to Ansible.
ADDRESSES = {"stage-web1": "10.220.20.10", "stage-web2": "10.220.20.11", "stage-db1": "10.220.20.20"}
HOSTS = sorted(ADDRESSES)
WEB1, WEB2, DB1 = "stage-web1", "stage-web2", "stage-db1"
ADMIN_PROBE, OUTSIDER = "ssh-admin", "ssh-outsider"   # in firehol_admin_networks (10.220.20.48/29), and not
SITE, BACKOFFICE_SITE = "staging.shop.example.com", "backoffice.staging.shop.example.com"


def controller_address():
    """This machine's address on the scenario's network (its gateway), where its SSH connections come from."""
    return subprocess.run(
        ["docker", "network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", "webstack-ssh"],
        check=True, capture_output=True, text=True).stdout.strip()


def docker_exec(container, command):
    """A command run as root in a container through docker, beside the SSH path under test."""
    return subprocess.run(["docker", "exec", container, "bash", "-c", command],
                          capture_output=True, text=True, check=False)


def read(container, command):
    result = docker_exec(container, command)
    assert result.returncode == 0, f"{container}: {command}: {result.stderr}"
    return result.stdout


def ssh(host, command):
    """A login as admin with the run's key, as an operator (or Ansible) makes it from this machine."""
    return subprocess.run(
        ["ssh", "-i", KEY, "-o", f"UserKnownHostsFile={KNOWN_HOSTS}", "-o", "StrictHostKeyChecking=yes",
         "-o", "BatchMode=yes", "-o", "ConnectTimeout=15", "-o", "ControlMaster=no",
         f"admin@{ADDRESSES[host]}", command],
        capture_output=True, text=True, check=False, timeout=60)


def knock(probe, host, port, seconds=5):
    """A TCP connection from a probe container: "open" (with the first line the server sent, if it sends
    one), "refused", or "no answer" when nothing came back (a firewall's DROP)."""
    result = docker_exec(probe, f"timeout {seconds} bash -c 'exec 3<>/dev/tcp/{ADDRESSES[host]}/{port}"
                                f" && echo open && timeout 2 head -n 1 <&3'")
    lines = result.stdout.splitlines()
    if lines and lines[0] == "open":
        return "open", "\n".join(lines[1:])
    if "refused" in result.stderr:
        return "refused", result.stderr
    if result.returncode == 124:
        return "no answer", ""
    return f"error {result.returncode}", result.stderr


def firewall_state(host):
    """Everything a firewall change would touch: the active rules and firehol's files."""
    return read(host, "iptables-legacy -S; iptables-legacy -t nat -S; "
                      "sha256sum /etc/firehol/firehol.conf /etc/default/firehol")


def ansible_playbook(playbook, *extra_args):
    """A playbook over SSH, with the inventory and ansible.cfg Molecule wrote for this scenario."""
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(EPHEMERAL, "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", ANSIBLE_COLLECTIONS_PATH=os.path.join(PROJECT, ".cache", "collections"))
    return subprocess.run(
        ["ansible-playbook", "-i", os.path.join(EPHEMERAL, "inventory"),
         os.path.join(PROJECT, "playbooks", playbook), *extra_args],
        capture_output=True, text=True, check=False, cwd=PROJECT, env=env)


class Answer:
    def __init__(self, response):
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        self.body = response.read().decode()


def request(method, path, host=SITE, timeout=30):
    """One HTTPS request from this machine to stage-web1, as a browser sends it (self-signed certificate)."""
    connection = http.client.HTTPSConnection(ADDRESSES[WEB1], timeout=timeout,
                                             context=ssl._create_unverified_context())
    try:
        connection.request(method, path, headers={"Host": host})
        return Answer(connection.getresponse())
    finally:
        connection.close()


def uncached_get():
    """A GET the cache cannot answer, so it reaches a backend."""
    return request("GET", f"/products/?probe-{uuid.uuid4().hex[:12]}")


@pytest.fixture(scope="session")
def controller():
    address = controller_address()
    assert address, "the network webstack-ssh has no gateway"
    return address
