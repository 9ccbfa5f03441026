"""HTTP balancing through haproxy, as a client sees it: Backend is the echo upstream's host name."""

import pytest

from conftest import LB, other_host, runtime_api, server_stats, wait_for_status, wait_until

testinfra_hosts = ["ansible://haproxy-lb"]

WRITE_BACKEND = '-w "%{http_code} %header{backend}\\n"'


def backends(host, count, path="/", curl_args=""):
    """Backend header of `count` sequential requests, each on a new connection."""
    out = host.check_output(
        f"for i in $(seq {count}); do curl -sS -o /dev/null {curl_args} {WRITE_BACKEND} http://{LB}{path}; done"
    )
    lines = [line.split() for line in out.splitlines()]
    assert all(code == "200" for code, *dummy in lines), out
    return [rest[0] for dummy, *rest in lines]


def test_requests_alternate_between_the_app_servers(host):
    seen = backends(host, 6)
    assert set(seen) == {"haproxy-app1", "haproxy-app2"}
    assert all(a != b for a, b in zip(seen, seen[1:])), seen


def test_cookie_keeps_a_client_on_its_server(host):
    headers = host.check_output(f"curl -fsS -o /dev/null -D - http://{LB}/").lower()
    assert "set-cookie: serverid=haproxy-app" in headers
    for server in ("haproxy-app1", "haproxy-app2"):
        assert set(backends(host, 4, curl_args=f"-b SERVERID={server}")) == {server}


def test_acl_routes_api_to_its_backend_and_the_backup_stays_idle(host):
    assert set(backends(host, 6, path="/api/orders")) == {"haproxy-app2"}


def test_weights_share_the_traffic(host):
    seen = backends(host, 40, path="/weighted/")
    assert 28 <= seen.count("haproxy-app1") <= 32, seen  # weight 3 against 1


def test_stats_page_requires_the_password(host):
    client = other_host(host, "haproxy-app1")
    url = f"http://{LB}:8404/stats"

    def status(auth):
        return client.check_output(f"curl -s -o /dev/null -w '%{{http_code}}' {auth} {url}")

    assert status("") == "401"
    assert status("-u 'admin:correct horse'") == "401"
    assert status("-u 'nobody:correct horse:battery staple'") == "401"
    assert status("-u 'admin:correct horse:battery staple'") == "200"
    page = client.check_output(f"curl -fsS -u 'admin:correct horse:battery staple' '{url};csv'")
    assert "app,haproxy-app1," in page


def test_disable_server_on_the_admin_socket_takes_it_out_of_rotation(host):
    try:
        assert runtime_api(host, "disable server app/haproxy-app1").strip() == ""
        assert server_stats(host, "app")["haproxy-app1"]["status"] == "MAINT"
        assert set(backends(host, 6)) == {"haproxy-app2"}
    finally:
        runtime_api(host, "enable server app/haproxy-app1")
    wait_for_status(host, "app", "haproxy-app1", "UP")
    assert set(backends(host, 4)) == {"haproxy-app1", "haproxy-app2"}


def test_a_server_stopped_mid_stream_loses_no_request(host):
    app1 = other_host(host, "haproxy-app1")
    log = "/root/failover-stream.log"
    host.check_output(
        "systemd-run --unit=test-failover-stream --collect /bin/bash -c "
        f"'for i in {{1..200}}; do curl -s -o /dev/null --max-time 10 {WRITE_BACKEND} http://{LB}/; "
        f"sleep 0.05; done > {log}'"
    )
    try:
        wait_until(lambda: len(host.run(f"cat {log}").stdout.splitlines()) >= 40, message="40 requests")
        app1.check_output("systemctl stop echo-upstream")
        wait_until(lambda: host.run("systemctl is-active test-failover-stream").rc != 0, message="the stream to end")
        lines = [line.split() for line in host.file(log).content_string.splitlines()]

        assert len(lines) == 200
        failed = [line for line in lines if line[0] != "200"]
        assert not failed, f"{len(failed)} requests failed: {failed[:5]}"
        assert ["200", "haproxy-app1"] in lines[:40], "the stream did not start on both servers"
        assert {line[1] for line in lines[-50:]} == {"haproxy-app2"}
        # The stop landed among requests: some went to haproxy-app1 and were sent to haproxy-app2.
        app1_stats = wait_for_status(host, "app", "haproxy-app1", "DOWN")
        assert int(app1_stats["wredis"]) > 0, app1_stats
        assert set(backends(host, 6)) == {"haproxy-app2"}
    finally:
        app1.run("systemctl start echo-upstream")
    for proxy in ("app", "api", "weighted"):
        wait_for_status(host, proxy, "haproxy-app1", "UP")


@pytest.mark.parametrize("proxy", ["app", "api", "weighted"])
def test_http_checks_ask_the_health_path(host, proxy):
    for server, row in server_stats(host, proxy).items():
        assert row["status"] == "UP", (server, row["status"])
        assert row["check_status"] == "L7OK", (server, row["check_status"])  # HTTP check, not a TCP connect
