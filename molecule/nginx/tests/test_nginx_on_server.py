"""What the role left on the web host."""

import pytest
from drift_checks import assert_drift_repaired

testinfra_hosts = ["ansible://nginx-web"]


def test_nginx_running_with_a_valid_configuration(host):
    assert host.service("nginx").is_running
    assert host.service("nginx").is_enabled
    check = host.run("nginx -t")
    # No warning either: on nginx 1.26 "listen ... http2" would warn that it is deprecated.
    assert check.rc == 0 and "[warn]" not in check.stderr, check.stderr


def test_workers_follow_the_cpu_count(host):
    cpus = int(host.check_output("nproc"))
    processes = host.check_output("ps -C nginx -o args=").splitlines()
    assert len([p for p in processes if p.startswith("nginx: worker process")]) == cpus


def test_broken_vhost_was_refused_and_put_back(host):
    refusal = host.file("/root/broken-vhost-refusal.txt")
    assert refusal.exists, "the side effect's broken vhost was not refused"
    assert "no_such_directive" in refusal.content_string
    assert not host.file("/etc/nginx/vhosts.d/broken.conf").exists


@pytest.mark.parametrize("path", ["/etc/nginx/vhosts.d/legacy.conf", "/etc/nginx/sites-enabled/default"])
def test_unlisted_vhosts_are_gone(host, path):
    assert not host.file(path).exists


def test_private_key_is_not_readable_by_others(host):
    key = host.file("/etc/nginx/tls/site.key")
    assert key.mode == 0o600
    assert key.user == "root"


def test_hand_edits_are_put_back_by_the_next_run_and_the_service_reloaded(host):
    assert_drift_repaired(host, "nginx")
