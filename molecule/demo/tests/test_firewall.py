"""The firewall opens what the tiers need and nothing else; each refusal is checked beside an opening."""

import pytest

from conftest import BACKEND1, BACKEND2, DB1, DB2, LB, other_host

testinfra_hosts = ["ansible://demo-lb1"]


def can_connect(host, target, port):
    """TCP connect from `host` to `target:port`, giving up after 3 s (firehol drops, so no refusal comes)."""
    return host.run(f"timeout 3 bash -c 'exec 3<>/dev/tcp/{target}/{port}'").rc == 0


@pytest.mark.parametrize("source, target, port, open_", [
    (LB, BACKEND1, 8080, True),
    (DB1, BACKEND1, 8080, False),
    (BACKEND2, DB1, 3306, True),
    (DB2, DB1, 3306, True),
    (LB, DB1, 3306, False),
    (DB1, LB, 443, True),
    (BACKEND1, LB, 6081, False),  # varnish listens on every address; only nginx may reach it
])
def test_tier_openings(host, source, target, port, open_):
    assert can_connect(other_host(host, source), target, port) is open_
