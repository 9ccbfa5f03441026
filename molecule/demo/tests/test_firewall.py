"""The firewall opens what the tiers need and nothing else. A closed port counts only when a listener is
there to answer and the connection attempt is dropped (no answer at all): a refusal would mean nothing but
an absent service, which a host with no firewall also shows."""

import pytest

from conftest import BACKEND1, BACKEND2, DB1, DB2, LB, container_address, docker_exec

# Seconds a connection attempt may wait for the other side's answer; an accepting or refusing host
# answers at once, whatever the load, so only a dropped SYN ever uses them up.
CONNECT_TIMEOUT = 5

CONNECT = """
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=float(sys.argv[3])).close()
    print("accepted")
except socket.timeout:
    print("dropped")
except ConnectionRefusedError:
    print("refused")
except OSError as error:
    print("failed: %s" % error)
"""


def connect(source, target, port):
    """accepted, refused, dropped (no answer in time) or failed: a TCP connection from `source`."""
    result = docker_exec(source, f"python3 -c '{CONNECT}' {target} {port} {CONNECT_TIMEOUT}")
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def listeners(target, port):
    """The local addresses something listens on for this TCP port, on the target host."""
    result = docker_exec(target, f"ss -ltnH 'sport = :{port}'")
    assert result.returncode == 0, result.stderr
    return {line.split()[3].rpartition(":")[0] for line in result.stdout.splitlines()}


@pytest.mark.parametrize("source, target, port", [
    (LB, BACKEND1, 8080),
    (BACKEND2, DB1, 3306),
    (DB2, DB1, 3306),
    (DB1, LB, 443),
])
def test_tier_openings(source, target, port):
    assert connect(source, target, port) == "accepted", f"{source} -> {target}:{port}"


@pytest.mark.parametrize("source, target, port", [
    (DB1, BACKEND1, 8080),
    (LB, DB1, 3306),
    (BACKEND1, LB, 6081),  # varnish listens on every address; only nginx on the same host may reach it
])
def test_other_sources_are_dropped_though_the_port_listens(source, target, port):
    reachable_by = listeners(target, port)
    assert reachable_by & {"0.0.0.0", "*", "[::]", container_address(target)}, (
        f"nothing listens on {target}:{port} for other hosts ({reachable_by}): a drop would prove nothing")
    assert connect(source, target, port) == "dropped", f"{source} -> {target}:{port} while something listens there"
