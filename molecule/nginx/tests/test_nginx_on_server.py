"""What the role left on the web host."""

import json

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


def test_the_default_site_of_the_package_is_gone(host):
    assert not host.file("/etc/nginx/sites-enabled/default").exists


def test_a_vhost_left_out_of_the_list_disappeared(host):
    # The side effect ran the role without the "legacy" vhost (port 8081), then with it again.
    removed = json.loads(host.file("/root/nginx-legacy-removed.json").content_string)
    assert removed["file_exists"] is False
    assert removed["curl_rc"] == 7, removed["curl_stderr"]  # connection refused: nothing listens on 8081


def test_the_vhost_is_back_with_the_converged_list(host):
    assert host.file("/etc/nginx/vhosts.d/legacy.conf").exists


ROLLBACK = "/root/nginx-rollback-"


def test_a_refused_run_put_back_the_vhost_it_replaced_byte_for_byte(host):
    refusal = host.file(ROLLBACK + "refusal.txt").content_string
    # nginx -t read the broken file in place: it had been replaced.
    assert 'unknown directive "no_such_directive" in /etc/nginx/vhosts.d/site.conf' in refusal, refusal
    site = json.loads(host.file(ROLLBACK + "record.json").content_string)["files"]["/etc/nginx/vhosts.d/site.conf"]
    assert site["before"][0] is True
    assert site["after"] == site["before"]  # [exists, checksum, mode]


def test_a_refused_run_put_back_the_vhost_it_removed_byte_for_byte(host):
    legacy = json.loads(host.file(ROLLBACK + "record.json").content_string)["files"]["/etc/nginx/vhosts.d/legacy.conf"]
    assert legacy["before"][0] is True
    assert legacy["after"] == legacy["before"]


def test_a_refused_run_left_the_configuration_nginx_loads_unchanged(host):
    before = host.file(ROLLBACK + "nginx-T-before.txt").content_string
    after = host.file(ROLLBACK + "nginx-T-after.txt").content_string
    assert "# configuration file /etc/nginx/vhosts.d/legacy.conf:" in before
    assert after == before


def test_the_vhosts_put_back_serve_once_reloaded(host):
    record = json.loads(host.file(ROLLBACK + "record.json").content_string)
    assert record["reload_rc"] == 0, "nginx refused to reload the files put back"
    served = record["served"]
    for url, (before, after) in served.items():
        assert before != -1, f"{url} did not answer before the refused run"
        assert after == before, url


def test_private_key_is_not_readable_by_others(host):
    key = host.file("/etc/nginx/tls/site.key")
    assert key.mode == 0o600
    assert key.user == "root"


def test_hand_edits_are_put_back_by_the_next_run_and_the_service_reloaded(host):
    assert_drift_repaired(host, "nginx")
